"""``design log``: the designs every face made (CLI, chat, MCP, Python API), from
``<data_dir>/designs.sqlite`` (see :mod:`mlarchitect.design_store`).

An unreadable database is one line and exit code 3; nothing is ever deleted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


def _db_path() -> Path:
    from mlarchitect.config import load_settings

    return load_settings().design_db_path


@click.group("log")
def log_group() -> None:
    """The design log: every design made, newest first (turn it off with --no-log or
    MLARCHITECT_DESIGN_LOG=false)."""


@log_group.command("path")
def log_path() -> None:
    """Print where the design log lives."""
    click.echo(str(_db_path()))


@log_group.command("list")
@click.option("-n", "--count", "count", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many designs (0: all).")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of the entries.")
def log_list(count: int, as_json: bool) -> None:
    """List the newest designs: id, time, workflow, model, calls, tokens, cost, seconds, request."""
    from mlarchitect.design_store import list_designs
    from mlarchitect.render_markdown import format_cost, human_number

    entries = list_designs(_db_path(), limit=count or None)
    if as_json:
        click.echo(json.dumps([e.model_dump(mode="json") for e in entries], indent=2))
        return
    for e in entries:
        flag = " cached" if e.cached else ""
        request = " ".join(e.request.split())
        request = request if len(request) <= 60 else request[:59] + "…"
        click.echo(f"#{e.id:<4} {e.created_at:25} {e.workflow:22} {e.model:16} {human_number(e.llm_calls):>3} calls "
                   f"{human_number(e.tokens):>7} tok {format_cost(e.cost_usd):>12} {human_number(e.duration_s):>6} s"
                   f"{flag}  {request}")


@log_group.command("show")
@click.argument("design_id", metavar="ID|last")
@click.option("--json", "fmt", flag_value="json", help="The logged deliverable as JSON.")
@click.option("--markdown", "fmt", flag_value="markdown", help="The logged deliverable as Markdown.")
def log_show(design_id: str, fmt: str | None) -> None:
    """Show one logged design (ID, or last for the newest): its log entry (default), the
    deliverable as JSON or as Markdown."""
    from mlarchitect.design_store import get_design, list_designs
    from mlarchitect.errors import InputError

    path = _db_path()
    if design_id.lower() == "last":
        newest = list_designs(path, limit=1)
        if not newest:
            raise InputError("the design log is empty")
        number = newest[0].id
    elif design_id.lstrip("#").isdigit():
        number = int(design_id.lstrip("#"))
    else:
        raise InputError(f"not a design id: {design_id!r} (a number from `design log list`, or last)")
    found = get_design(path, number)
    if found is None:
        raise InputError(f"no design #{number} in the design log (see `design log list`)")
    entry, deliverable = found
    if fmt == "json":
        click.echo(json.dumps(json.loads(deliverable), indent=2))
    elif fmt == "markdown":
        click.echo(_markdown(deliverable), nl=False)
    else:
        for key, value in entry.model_dump(mode="json").items():
            click.echo(f"{key:11} {value}")


def _markdown(deliverable: str) -> str:
    from pydantic import ValidationError

    from mlarchitect.deliverable import ArchitectureDesign
    from mlarchitect.errors import StoreError
    from mlarchitect.render_markdown import render_markdown

    try:
        return render_markdown(ArchitectureDesign.model_validate_json(deliverable))
    except ValidationError as exc:
        raise StoreError(f"the logged deliverable does not validate against this version's schema "
                         f"({exc.error_count()} errors); use --json") from None


@log_group.command("export")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write to FILE (atomically) instead of standard output.")
def log_export(output: Path | None) -> None:
    """Every logged design as JSON Lines (oldest first): the entry's fields and ``deliverable``."""
    from mlarchitect.design_store import iter_designs

    lines: list[str] = []
    for entry, deliverable in iter_designs(_db_path()):
        row: dict[str, Any] = entry.model_dump(mode="json")
        row["deliverable"] = json.loads(deliverable)
        lines.append(json.dumps(row, ensure_ascii=False))
    text = "".join(line + "\n" for line in lines)
    if output is None or str(output) == "-":
        click.echo(text, nl=False)
        return
    from mlarchitect.files import check_output_path
    from mlarchitect.tui.cli import write_output

    write_output(text, check_output_path(output))
