"""Ingestion of users' documents: every format goes in, every kind of bad file is reported and skipped."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlarchitect.knowledge.documents import BadFile, load_user_file


@pytest.fixture
def docs_dir(tmp_path: Path, helpers) -> Path:
    folder = tmp_path / "our-docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "guide.md").write_text(
        "---\ntitle: Zebra onboarding guide\ntags: [onboarding]\nworkflow: rag_system\n---\n\n"
        "# Zebra onboarding guide\n\n## Access\n\nRequest the zebracorn VPN token from the platform team.\n"
    )
    (folder / "notes.txt").write_text(
        "Quokka cluster notes.\n\nThe quokka cluster has 12 GPUs reserved for batch inference.\n"
    )
    (folder / "sub" / "page.html").write_text(
        "<html><head><title>Narwhal API</title><style>body{color:red}</style><script>var x=1;</script></head>"
        "<body><nav>menu menu</nav><h1>Narwhal API</h1><p>The narwhal endpoint accepts <b>batches</b> of 64.</p>"
        "<h2>Limits</h2><ul><li>100 requests per second</li><li>payload under 1 MB</li></ul></body></html>"
    )
    helpers.make_pdf(folder / "report.pdf", ["Platypus quarterly report", "Latency p95 dropped to 180 ms."])
    # Bad files
    (folder / "empty.md").write_text("")
    (folder / "blank.txt").write_text("   \n\n  ")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02BINARY\x00" * 50)
    (folder / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    helpers.make_blank_pdf(folder / "scanned.pdf")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf\n%%EOF")
    (folder / "big.md").write_text("x" * 3000)
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    (folder / ".hidden.md").write_text("# hidden\n\nnot ingested")
    return folder


def test_each_format_is_parsed(docs_dir: Path) -> None:
    md = load_user_file(docs_dir / "guide.md")
    assert md.fmt == "markdown" and md.title == "Zebra onboarding guide"
    assert md.tags == ["onboarding"] and md.workflows == ["rag_system"]
    assert "zebracorn" in md.body and "---" not in md.body
    txt = load_user_file(docs_dir / "notes.txt")
    assert txt.fmt == "text" and "12 GPUs" in txt.body
    html = load_user_file(docs_dir / "sub" / "page.html")
    assert html.fmt == "html" and html.title == "Narwhal API"
    assert "## Limits" in html.body and "- 100 requests per second" in html.body
    assert "var x" not in html.body and "color:red" not in html.body and "menu menu" not in html.body
    pdf = load_user_file(docs_dir / "report.pdf")
    assert pdf.fmt == "pdf" and "Platypus quarterly report" in pdf.body and "180 ms" in pdf.body
    assert md.kind == txt.kind == "user" and md.source == str((docs_dir / "guide.md").resolve())


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.md", "empty"),
        ("blank.txt", "empty"),
        ("binary.txt", "binary"),
        ("latin1.txt", "undecodable"),
        ("scanned.pdf", "no extractable text"),
        ("broken.pdf", "unreadable PDF"),
        ("image.png", "unsupported file type"),
    ],
)
def test_bad_files_raise_with_a_reason(docs_dir: Path, name: str, reason: str) -> None:
    with pytest.raises(BadFile, match=reason):
        load_user_file(docs_dir / name)


def test_size_limit(docs_dir: Path) -> None:
    with pytest.raises(BadFile, match="too large"):
        load_user_file(docs_dir / "big.md", max_bytes=1000)


def test_folder_ingest_adds_good_files_and_reports_bad_ones(new_kb, docs_dir: Path) -> None:
    new_kb.max_file_bytes = 2000
    report = new_kb.add(docs_dir)
    added = {Path(p).name for p in report.added}
    assert added == {"guide.md", "notes.txt", "page.html", "report.pdf"}
    skipped = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(skipped) == {
        "empty.md",
        "blank.txt",
        "binary.txt",
        "latin1.txt",
        "scanned.pdf",
        "broken.pdf",
        "big.md",
        "image.png",
    }
    assert "too large" in skipped["big.md"] and "binary" in skipped["binary.txt"]
    assert not report.updated and not report.unchanged

    # Everything that went in is searchable, with its format-specific content.
    for query, expected in [
        ("zebracorn VPN token", "guide.md"),
        ("quokka cluster GPUs", "notes.txt"),
        ("narwhal endpoint requests per second", "page.html"),
        ("platypus quarterly latency", "report.pdf"),
    ]:
        hits = new_kb.search(query, k=1, source="user")
        assert hits and hits[0].source.endswith(expected), (query, hits)
        assert hits[0].kind == "user"
    html_hit = new_kb.search("narwhal limits", k=1, source="user")[0]
    assert html_hit.title == "Narwhal API"

    # Adding the same folder again: nothing changes.
    again = new_kb.add(docs_dir)
    assert not again.added and not again.updated
    assert {Path(p).name for p in again.unchanged} == added

    # A changed file is replaced, not duplicated.
    (docs_dir / "notes.txt").write_text("Quokka cluster notes.\n\nThe quokka cluster now has 40 GPUs.\n")
    changed = new_kb.add(docs_dir / "notes.txt")
    assert [Path(p).name for p in changed.updated] == ["notes.txt"]
    chunks = [h.chunk for h in new_kb.search("quokka cluster GPUs", k=10, source="user")]
    assert any("40 GPUs" in c for c in chunks) and not any("12 GPUs" in c for c in chunks)

    # Remove one file, then the rest of the folder.
    assert new_kb.remove(str(docs_dir / "report.pdf")) == 1
    assert not any(h.source.endswith("report.pdf") for h in new_kb.search("platypus quarterly", k=10))
    assert new_kb.remove(str(docs_dir)) == 3
    assert new_kb.stats().user_documents == 0
    assert new_kb.remove(str(docs_dir)) == 0
    with pytest.raises(ValueError, match="bundled"):
        new_kb.remove("hybrid-search")


def test_add_texts_for_skill_packs(new_kb) -> None:
    report = new_kb.add_texts(
        [
            (
                "skills/acme/SKILL.md",
                "---\nname: acme\ntags: [acme]\n---\n# ACME sizing\n\nUse the wombat formula for ACME clusters.",
                {"skills": ["acme-sizing"]},
            ),
            ("skills/acme/empty.md", "   ", {}),
            # An id that collides with a bundled pattern is namespaced instead of replacing it.
            ("skills/acme/hybrid.md", "# Our hybrid\n\nWe use the axolotl fusion.", {"id": "hybrid-search"}),
        ]
    )
    assert report.added == ["skills/acme/SKILL.md", "skills/acme/hybrid.md"]
    assert [s.path for s in report.skipped] == ["skills/acme/empty.md"]
    hit = new_kb.search("wombat formula", k=1, skill="acme-sizing")[0]
    assert hit.doc_id == "skills/acme/SKILL.md" and hit.title == "ACME sizing" and hit.tags == ["acme"]
    ids = set(new_kb.documents())
    assert {"hybrid-search", "user:hybrid-search"} <= ids
    assert new_kb.remove("skills/acme/SKILL.md") == 1


def test_add_missing_path_raises(new_kb, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        new_kb.add(tmp_path / "nope")
