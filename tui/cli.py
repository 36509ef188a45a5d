"""The ``design`` command line.

``design "REQUEST"`` is the default command; ``-`` or piped stdin supplies the
request. Results go to stdout (or ``-o FILE``); progress and warnings go to
stderr. Heavy libraries (LangChain, LangGraph, Chroma) are imported inside the
commands so that ``design --help`` stays instant.

Exit codes: 0 ok, 1 the design failed (model/API), 2 bad input, 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click
from click_default_group import DefaultGroup

from mlarchitect.errors import EXIT_INTERRUPTED, InputError, MLArchitectError

_LAZY = {"kb": "mlarchitect.knowledge.cli:kb", "chat": "mlarchitect.tui.chat.command:chat"}
_LAZY_HELP = {"kb": "The knowledge base of design patterns (build, search, add, stats, remove).",
              "chat": "Open the interactive terminal chat (resume with --session ID)."}


class _Root(DefaultGroup):
    """Default command + lazily imported sub-groups."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *_LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _LAZY:
            module, attr = _LAZY[name].split(":")
            import importlib

            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List sub-commands without importing the lazy ones."""
        rows = []
        for name in self.list_commands(ctx):
            if name in _LAZY:
                rows.append((name, _LAZY_HELP[name]))
                continue
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=formatter.width - 6 - len(name))))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_Root, default="run", default_if_no_args=False)
@click.version_option(package_name="mlarchitect")
def cli() -> None:
    """mlarchitect: design ML and LLM systems from a description.

    \b
    Examples:
      design "A RAG chatbot over 30,000 Confluence pages, p95 under 2 s"
      echo "Design experiment tracking for 5 researchers" | design -
      design "Serving for 200 requests per second" --format json -o design.json
      design schema            # the deliverable's JSON Schema
      design agents list       # agents that loaded
      design kb search "hybrid search"

    Exit codes: 0 ok, 1 the design failed, 2 bad input, 130 interrupted.
    """


def _read_request(parts: tuple[str, ...]) -> str:
    if parts and parts != ("-",):
        return " ".join(parts)
    if not parts and sys.stdin.isatty():
        raise InputError('no request given: pass it as an argument, or "-" to read standard input')
    data = sys.stdin.buffer.read()
    if b"\x00" in data:
        raise InputError("standard input is binary data, not a text request")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("standard input is not UTF-8 text") from None


def _dir_option(value: Path | None, what: str) -> Path | None:
    if value is not None and not value.is_dir():
        raise InputError(f"{what} not found or not a directory: {value}")
    return value


def write_output(text: str, output: Path | None) -> None:
    """Write to stdout, or atomically to ``output`` (a failure never truncates it)."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    target = output.expanduser()
    if target.is_dir():
        raise InputError(f"output path is a directory: {target}")
    if not target.parent.exists():
        raise InputError(f"output directory does not exist: {target.parent}")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Progress:
    """Design events on stderr: a spinner on a terminal, plain lines otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.status: Any = None
        if not quiet and sys.stderr.isatty():
            from rich.console import Console

            self.status = Console(stderr=True).status("starting")
            self.status.start()

    def __call__(self, event: Any) -> None:
        from mlarchitect.events import DeliverableReady, Note, Token, describe

        if isinstance(event, Note) and event.level == "warning":  # shown even with --quiet
            self._line(f"note: {event.message}")
            return
        if self.quiet or isinstance(event, Token):
            return
        text = describe(event)
        if isinstance(event, DeliverableReady) or self.status is None:
            self._line(text)
        else:
            self.status.update(text)

    def _line(self, text: str) -> None:
        if self.status is not None:
            self.status.console.print(text, markup=False, highlight=False)
        else:
            click.echo(text, err=True)

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()


@cli.command("run")
@click.argument("request", nargs=-1)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the deliverable to FILE.")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--offline", is_flag=True, help="Use the built-in offline engine even when a key is set.")
@click.option("-m", "--model", help="Model name or tier (sonnet, opus, haiku).")
@click.option("--agents-dir", type=click.Path(path_type=Path), help="Folder of agent definition files.")
@click.option("--skills-dir", type=click.Path(path_type=Path), help="Folder of Agent Skills (<name>/SKILL.md).")
@click.option("--kb-dir", type=click.Path(path_type=Path), help="Knowledge-base directory.")
@click.option("--thread-id", help="Checkpoint thread id: resumes an unfinished run, or names a new one.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def run(
    request: tuple[str, ...],
    output: Path | None,
    fmt: str,
    offline: bool,
    model: str | None,
    agents_dir: Path | None,
    skills_dir: Path | None,
    kb_dir: Path | None,
    thread_id: str | None,
    quiet: bool,
) -> None:
    """Design a system for REQUEST (the default command)."""
    text = None if (thread_id and not request and sys.stdin.isatty()) else _read_request(request)
    overrides: dict[str, Any] = {}
    if offline:
        overrides["offline"] = True
    if model:
        overrides["model"] = model
    if agents_dir is not None:
        overrides["agents_dir"] = _dir_option(agents_dir, "--agents-dir")
    if skills_dir is not None:
        overrides["skills_dir"] = _dir_option(skills_dir, "--skills-dir")
    if kb_dir is not None:
        overrides["kb_dir"] = kb_dir
    from mlarchitect.agents.state import validate_request

    if text is not None:
        validate_request(text)  # fail fast, before loading anything heavy
    from mlarchitect.agents.api import design
    from mlarchitect.config import Settings

    progress = _Progress(quiet)
    try:
        result = design(text, settings=Settings(**overrides), thread_id=thread_id, on_event=progress)
    finally:
        progress.stop()
    if fmt == "json":
        write_output(result.to_json() + "\n", output)
    else:
        from mlarchitect.render_markdown import render_markdown

        write_output(render_markdown(result), output)


@cli.command("schema")
def schema() -> None:
    """Print the JSON Schema of the deliverable."""
    from mlarchitect.deliverable import design_json_schema

    click.echo(json.dumps(design_json_schema(), indent=2))


@cli.group("agents")
def agents_group() -> None:
    """Agent definitions (built-in and --agents-dir)."""


@agents_group.command("list")
@click.option("--agents-dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def agents_list(agents_dir: Path | None, as_json: bool) -> None:
    """List the agents that loaded (and the files that did not)."""
    from mlarchitect.agents.agent_files import load_catalog

    catalog = load_catalog(_dir_option(agents_dir, "--agents-dir"))
    for problem in catalog.problems:
        click.echo(f"skipped: {problem}", err=True)
    if as_json:
        rows = [{"name": a.name, "description": a.description, "model": a.model, "skills": a.skills,
                 "builtin": a.builtin, "path": str(a.path) if a.path else None,
                 "handoff_targets": a.handoff_targets} for a in catalog.agents.values()]
        click.echo(json.dumps({"agents": rows, "problems": catalog.problems}, indent=2))
        return
    for agent in catalog.agents.values():
        origin = "built-in" if agent.builtin else str(agent.path)
        click.echo(f"{agent.name:36} {agent.model or 'inherit':8} {origin}")


@agents_group.command("show")
@click.argument("name")
@click.option("--agents-dir", type=click.Path(path_type=Path))
def agents_show(name: str, agents_dir: Path | None) -> None:
    """Show one agent's parsed definition as JSON."""
    from mlarchitect.agents.agent_files import load_catalog

    agent = load_catalog(_dir_option(agents_dir, "--agents-dir")).get(name)
    if agent is None:
        raise InputError(f"no agent named {name!r} (see `design agents list`)")
    click.echo(agent.model_dump_json(indent=2, exclude={"body"}))


@cli.group("skills")
def skills_group() -> None:
    """Skills (built-in and --skills-dir)."""


@skills_group.command("list")
@click.option("--skills-dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def skills_list(skills_dir: Path | None, as_json: bool) -> None:
    """List skills and their tools."""
    from mlarchitect.skills.registry import load_skill_catalog

    catalog = load_skill_catalog(_dir_option(skills_dir, "--skills-dir"))
    for problem in catalog.problems:
        click.echo(f"skipped: {problem}", err=True)
    if as_json:
        rows = [s.model_dump(mode="json", exclude={"body"}) for s in catalog.skills.values()]
        click.echo(json.dumps({"skills": rows, "problems": catalog.problems}, indent=2))
        return
    for skill in catalog.skills.values():
        origin = "built-in" if skill.builtin else str(skill.path)
        click.echo(f"{skill.name:22} {origin:10} {skill.description}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: user errors become one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="design", standalone_mode=False)
    except MLArchitectError as exc:
        click.echo(f"design: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("design: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("design: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
