"""``design kb ...``: build, search, add to, list, inspect and prune the knowledge base.

Mounted by the top-level CLI with ``cli.add_command(kb)``. Only click is imported at
module import; everything heavy is imported inside the commands. Results go to stdout,
progress to stderr; user errors print one line on stderr and exit with code 2.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # pragma: no cover
    from .base import KnowledgeBase

_META_KEY = "mlarchitect.knowledge"
log = logging.getLogger(__name__)


class KBUsageError(click.ClickException):
    """A user error: one line on stderr, exit code 2."""

    exit_code = 2


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _open(ctx: click.Context) -> KnowledgeBase:
    settings = ctx.meta.get(_META_KEY, {})
    from .base import KnowledgeBase
    from .embedders import get_embedder

    try:
        embedder = get_embedder(settings.get("embedder"))
    except ValueError as exc:
        raise KBUsageError(str(exc)) from exc
    from mlarchitect.config import load_settings

    from .server import server_from_settings

    configured = load_settings()
    kb_dir = settings.get("kb_dir") or configured.resolved_kb_dir
    # with a Chroma server configured the knowledge base is there (kb_dir then holds local caches only)
    server = server_from_settings(configured)
    log.info("knowledge base %s (embedder %s)", server.describe() if server else kb_dir, embedder.name)
    return KnowledgeBase(Path(kb_dir), embedder=embedder, progress=_progress, server=server)


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group(name="kb", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--kb-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Knowledge-base directory [default: as for `design`: the settings' kb_dir ($MLARCHITECT_KB_DIR), "
    "else <data_dir>/kb ($MLARCHITECT_DATA_DIR)].",
)
@click.option(
    "--embedder",
    default=None,
    metavar="SPEC",
    help="static (default, offline), openai or openai:<model> [default: $MLARCHITECT_EMBEDDER or static].",
)
@click.pass_context
def kb(ctx: click.Context, kb_dir: Path | None, embedder: str | None) -> None:
    """The knowledge base of design patterns (and your own documents)."""
    ctx.meta[_META_KEY] = {"kb_dir": kb_dir, "embedder": embedder}


@kb.command()
@click.option("--force", is_flag=True, help="Re-index everything from scratch.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@click.pass_context
def build(ctx: click.Context, force: bool, as_json: bool) -> None:
    """Index the bundled patterns (incremental: unchanged documents are skipped)."""
    knowledge = _open(ctx)
    report = knowledge.build(force=force)
    for lost in knowledge.lost_user_documents():
        click.echo(f"warning: user document lost (its saved text is gone; add it again): {lost}", err=True)
    if as_json:
        _dump(report.model_dump())
        return
    for skipped in report.skipped:
        click.echo(f"skipped {skipped.path}: {skipped.reason}", err=True)
    how = "rebuilt" if report.rebuilt else "updated"
    click.echo(
        f"{how}: {report.added} added, {report.updated} updated, {report.removed} removed, "
        f"{report.unchanged} unchanged; {report.chunks} chunks in {report.seconds:.2f} s (version {report.version})"
    )


@kb.command()
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(min=1, max=100), default=5, show_default=True, help="Number of results.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
@click.option("--workflow", help="Only documents of this workflow (e.g. rag_system).")
@click.option("--skill", help="Only documents for this skill (e.g. rag-design).")
@click.option("--tag", "tags", multiple=True, help="Only documents with this tag (repeatable: any of them).")
@click.option("--source", help="Only this source (a path or source id), or 'patterns' / 'user'.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid", show_default=True)
@click.option("--min-score", type=float, default=None, help="Similarity floor (cosine; BM25 score in bm25 mode).")
@click.option("--dedupe", is_flag=True, help="At most one chunk per document.")
@click.option("--no-user-docs", is_flag=True, help="Search the bundled patterns only.")
@click.pass_context
def search(
    ctx: click.Context,
    query: str,
    k: int,
    as_json: bool,
    workflow: str | None,
    skill: str | None,
    tags: tuple[str, ...],
    source: str | None,
    mode: str,
    min_score: float | None,
    dedupe: bool,
    no_user_docs: bool,
) -> None:
    """Search the knowledge base."""
    if not query.strip():
        raise KBUsageError("empty query")
    hits = _open(ctx).search(
        query,
        k=k,
        workflow=workflow,
        skill=skill,
        tags=list(tags) or None,
        source=source,
        mode=mode,  # type: ignore[arg-type]
        min_score=min_score,
        include_user_docs=not no_user_docs,
        dedupe=dedupe,
    )
    if as_json:
        _dump([h.model_dump() for h in hits])
        return
    if not hits:
        click.echo("no results", err=True)
        return
    for n, hit in enumerate(hits, start=1):
        where = hit.doc_id + (f" › {hit.section}" if hit.section else "")
        click.echo(f"{n}. {hit.title}  [{where}]  score {hit.score:.4g}")
        body = hit.chunk.split("\n\n", 1)[-1].strip().replace("\n", " ")
        click.echo(f"   {body[:280]}{'…' if len(body) > 280 else ''}")
        click.echo(f"   source: {hit.source}")


@kb.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the ingest report as JSON.")
@click.pass_context
def add(ctx: click.Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Ingest your own documents (md, txt, html, pdf; files or folders)."""
    knowledge = _open(ctx)
    reports = [knowledge.add(path) for path in paths]
    added = [a for r in reports for a in r.added]
    updated = [u for r in reports for u in r.updated]
    unchanged = [u for r in reports for u in r.unchanged]
    skipped = [s for r in reports for s in r.skipped]
    nothing = not (added or updated or unchanged)
    if as_json:
        _dump(
            {"added": added, "updated": updated, "unchanged": unchanged, "skipped": [s.model_dump() for s in skipped]}
        )
    else:
        for label, items in (("added", added), ("updated", updated), ("unchanged", unchanged)):
            for item in items:
                click.echo(f"{label}: {item}")
        for s in skipped:
            click.echo(f"skipped: {s.path}: {s.reason}", err=nothing)
        click.echo(
            f"{len(added)} added, {len(updated)} updated, {len(unchanged)} unchanged, {len(skipped)} skipped",
            err=True,
        )
    if nothing:
        why = f"all {len(skipped)} file(s) were skipped" if skipped else "no files found"
        raise KBUsageError(f"nothing was added: {why}")


@kb.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the documents as JSON.")
@click.pass_context
def list_documents(ctx: click.Context, as_json: bool) -> None:
    """Your documents (added with `kb add`): id, title, chunks, when added, source."""
    knowledge = _open(ctx)
    rows = []
    for doc_id, entry in sorted(knowledge.documents().items()):
        if entry.kind != "user":
            continue
        added = knowledge.added_at(doc_id)  # when its saved text was written (the document (re)indexed)
        rows.append({"id": doc_id, "title": entry.title, "source": entry.source, "chunks": entry.chunks,
                     "added": added})
    if as_json:
        _dump(rows)
        return
    if not rows:
        click.echo("no documents of yours yet (add some with `design kb add PATH`)", err=True)
        return
    for row in rows:
        chunks = f"{row['chunks']} chunk{'s' if row['chunks'] != 1 else ''}"
        click.echo(f"{row['id']}  {row['title']}  ({chunks}, added {(row['added'] or '-')[:10]})")
        click.echo(f"   source: {row['source']}")


@kb.command()
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Documents, chunks, embedder, index version and size on disk."""
    s = _open(ctx).stats()
    if as_json:
        _dump(s.model_dump())
        return
    rows = [
        ("documents", f"{s.documents} ({s.pattern_documents} patterns, {s.user_documents} yours)"),
        ("chunks", str(s.chunks)),
        ("embedder", s.embedder),
        ("chunker", s.chunker),
        ("index version", s.index_version),
        ("size on disk", "on the Chroma server" if s.kb_dir.startswith("chroma://") else f"{s.size_bytes / 1e6:.1f} MB"),
        ("built at", s.built_at or "-"),
        ("directory", s.kb_dir),
    ]
    for name, value in rows:
        click.echo(f"{name:<14} {value}")


@kb.command()
@click.argument("source")
@click.pass_context
def remove(ctx: click.Context, source: str) -> None:
    """Forget an ingested source (a file, a folder you added, or a document id)."""
    try:
        removed = _open(ctx).remove(source)
    except ValueError as exc:
        raise KBUsageError(str(exc)) from exc
    if not removed:
        raise KBUsageError(f"no ingested document matches {source!r} (see `kb stats`; bundled patterns stay)")
    click.echo(f"removed {removed} document(s)")


def main() -> None:  # pragma: no cover - convenience: python -m mlarchitect.knowledge.cli
    kb(prog_name="kb")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
