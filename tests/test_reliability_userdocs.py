"""Users' documents are the source of truth, apart from the derived index."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mlarchitect.agents.api import design
from mlarchitect.config import Settings
from mlarchitect.events import Note
from mlarchitect.knowledge import KnowledgeBase

DOC = "# Tenant ledger\n\nThe zebrafish tenant ledger keeps a quarterly reconciliation of GPU credits per team.\n"


def _kb_with_docs(tmp_path: Path) -> tuple[Path, KnowledgeBase]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ledger.md").write_text(DOC)
    (docs / "other.md").write_text("# Other\n\nAn unrelated note about the okapi rollout calendar.\n")
    kb_dir = tmp_path / "kb"
    kb = KnowledgeBase(kb_dir)
    report = kb.add(docs)
    assert len(report.added) == 2
    kb.close()
    return docs, KnowledgeBase(kb_dir)


def _drop_index(kb_dir: Path) -> None:
    (kb_dir / "manifest.json").unlink()
    shutil.rmtree(kb_dir / "stores")


def _notes(settings: Settings) -> list[str]:
    notes: list[str] = []
    design("Design a RAG system over 1,000 pages", settings=settings,
           on_event=lambda e: notes.append(e.message) if isinstance(e, Note) and e.level == "warning" else None)
    return notes


def test_index_lost(tmp_path: Path) -> None:
    """The index is rebuilt from user-docs/ and the run says so."""
    docs, kb = _kb_with_docs(tmp_path)
    manifest = json.loads((tmp_path / "kb" / "user-docs" / "manifest.json").read_text())
    assert {e["source"] for e in manifest["docs"].values()} == {str((docs / n).resolve()) for n in
                                                                 ("ledger.md", "other.md")}
    shutil.rmtree(docs)  # the originals are gone too
    _drop_index(tmp_path / "kb")
    notes = _notes(Settings(data_dir=tmp_path / "data", kb_dir=tmp_path / "kb"))
    assert any("rebuilt" in n and "re-indexed 2" in n for n in notes), notes
    hits = KnowledgeBase(tmp_path / "kb").search("zebrafish tenant ledger", k=1)
    assert hits and hits[0].kind == "user" and "zebrafish" in hits[0].chunk


def test_user_doc_text_lost(tmp_path: Path) -> None:
    """Index and one saved text gone: a warning names it."""
    docs, kb = _kb_with_docs(tmp_path)
    user_dir = tmp_path / "kb" / "user-docs"
    entry = next(e for e in json.loads((user_dir / "manifest.json").read_text())["docs"].values()
                 if e["source"].endswith("ledger.md"))
    (user_dir / entry["file"]).unlink()
    _drop_index(tmp_path / "kb")
    report = KnowledgeBase(tmp_path / "kb").build()
    assert report.lost == [str((docs / "ledger.md").resolve())]
    notes = _notes(Settings(data_dir=tmp_path / "data", kb_dir=tmp_path / "kb"))
    assert any("lost" in n and "ledger.md" in n for n in notes), notes  # said again on every run
    fresh = KnowledgeBase(tmp_path / "kb")
    assert fresh.search("okapi rollout calendar", k=1)[0].source.endswith("other.md")
    # adding the file again, or removing it, settles it
    fresh.add(docs / "ledger.md")
    assert fresh.lost_user_documents() == []


def test_lost_user_document_can_be_removed(tmp_path: Path) -> None:
    docs, kb = _kb_with_docs(tmp_path)
    user_dir = tmp_path / "kb" / "user-docs"
    for path in user_dir.glob("*.json"):
        if path.name != "manifest.json":
            path.unlink()
    _drop_index(tmp_path / "kb")
    kb = KnowledgeBase(tmp_path / "kb")
    assert len(kb.build().lost) == 2
    assert kb.remove(str(docs)) == 2
    assert kb.lost_user_documents() == []


def test_damaged_store_rebuilds_from_user_docs(tmp_path: Path) -> None:
    _docs, kb = _kb_with_docs(tmp_path)
    manifest = json.loads((tmp_path / "kb" / "manifest.json").read_text())
    (tmp_path / "kb" / "stores" / manifest["store"] / "chroma" / "chroma.sqlite3").write_bytes(b"garbage")
    fresh = KnowledgeBase(tmp_path / "kb")
    report = fresh.ensure_built()
    assert report is not None and report.rebuilt and not report.lost
    assert fresh.search("zebrafish tenant ledger", k=1)[0].kind == "user"


def test_legacy_userdocs_folder_is_migrated(tmp_path: Path) -> None:
    _docs, kb = _kb_with_docs(tmp_path)
    (tmp_path / "kb" / "user-docs" / "manifest.json").unlink()
    (tmp_path / "kb" / "user-docs").rename(tmp_path / "kb" / "userdocs")
    _drop_index(tmp_path / "kb")
    fresh = KnowledgeBase(tmp_path / "kb")
    fresh.build()
    assert not (tmp_path / "kb" / "userdocs").exists()
    assert fresh.stats().user_documents == 2 and fresh.lost_user_documents() == []
