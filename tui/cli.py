"""The ``design`` command line.

``design "REQUEST"`` is the default command; ``-`` or piped stdin supplies the
request (piped text and an argument are joined: argument, blank line, stdin).
Results go to stdout (or ``-o FILE``); progress and warnings go to stderr, and
``-v``/``-vv`` adds log lines there. Heavy libraries (LangChain, LangGraph,
Chroma) are imported inside the commands so that ``design --help`` stays instant.

Exit codes: 0 ok, 1 the design failed (model/API), 2 bad input, 3 the design log /
response cache database is unreadable, 130 interrupted (SIGINT), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click
from click_default_group import DefaultGroup

from mlarchitect.errors import EXIT_INTERRUPTED, InputError, MLArchitectError

EXIT_TERMINATED = 128 + 15
log = logging.getLogger(__name__)
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

_LAZY = {"kb": "mlarchitect.knowledge.cli:kb", "eval": "mlarchitect.evaluation.cli:eval_command",
         "models": "mlarchitect.agents.probe:models", "mcp": "mlarchitect.mcp_server:mcp_command",
         "chat": "mlarchitect.tui.chat.command:chat", "log": "mlarchitect.tui.log_cli:log_group"}
_LAZY_HELP = {"kb": "The knowledge base of design patterns (build, search, add, list, stats, remove).",
              "eval": "Evaluate the designer on the dev/held-out case sets; compare runs.",
              "models": "The models each agent runs and what the server can do (--probe asks it now).",
              "mcp": "Serve the architect over MCP (stdio, or --http PORT on 127.0.0.1).",
              "chat": "Open the interactive terminal chat (resume with --session ID).",
              "log": "The design log: every design made (list, show, export, path)."}


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


@click.group(cls=_Root, default="run", default_if_no_args=False, context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="mlarchitect")
@click.option("-v", "--verbose", count=True, help="Log to stderr (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """mlarchitect: design ML and LLM systems from a description.

    \b
    Examples:
      design "A RAG chatbot over 30,000 Confluence pages, p95 under 2 s"
      echo "Design experiment tracking for 5 researchers" | design -
      cat notes.txt | design "Summarise these notes and design the system"
      design render design.json -o design.md
      design "Serving for 200 requests per second" --format json -o design.json
      design schema            # the deliverable's JSON Schema
      design agents list       # agents that loaded
      design kb search "hybrid search"

    Exit codes: 0 ok, 1 the design failed, 2 bad input, 3 unreadable design log, 130 interrupted.
    """
    setup_logging(verbose)


def setup_logging(verbose: int) -> None:
    """``-v``: this package's INFO logs on stderr; ``-vv``: DEBUG, and other libraries' INFO."""
    if not verbose:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("design-cli")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    package = logging.getLogger("mlarchitect")
    for old in [h for h in package.handlers if h.get_name() == "design-cli"]:  # main() called again
        package.removeHandler(old)
    package.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
    package.addHandler(handler)
    package.propagate = False
    if verbose > 1:
        logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def _piped_stdin() -> bytes | None:
    """Standard input when it is piped or redirected (never waits on a terminal)."""
    stream = sys.stdin
    if stream is None or stream.isatty():
        return None
    try:
        return stream.buffer.read()
    except (AttributeError, OSError, ValueError):  # closed, or a test harness's stand-in
        return None


def _read_request(parts: tuple[str, ...]) -> str:
    """The argument; piped stdin alone; or both, joined (argument, blank line, stdin)."""
    if parts == ("-",):  # explicitly standard input, even from a terminal
        return _decode_stdin(sys.stdin.buffer.read())
    data = _piped_stdin()
    if not parts:
        if data is None:
            raise InputError('no request given: pass it as an argument, or "-" to read standard input')
        return _decode_stdin(data)
    argument = " ".join(parts)
    try:  # undecodable argv bytes arrive as lone surrogates (PEP 383)
        argument.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("the request argument is not UTF-8 text") from None
    piped = _decode_stdin(data).strip() if data else ""
    if not piped:
        return argument
    log.info("request: the argument and %d characters from standard input", len(piped))
    return f"{argument}\n\n{piped}"


def _decode_stdin(data: bytes) -> str:
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


def settings_overrides(*, offline: bool = False, model: str | None = None, agents_dir: Path | None = None,
                       skills_dir: Path | None = None, kb_dir: Path | None = None,
                       timeout_s: float | None = None) -> dict[str, Any]:
    """Settings fields from the options ``design``, ``design resume`` and ``design chat`` share."""
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
    if timeout_s is not None:
        overrides["timeout_s"] = timeout_s
    return overrides


def _configured_dir(value: Path | None, what: str) -> Path | None:
    """The folder an option names, else the one the settings name (as ``design`` would use)."""
    if value is not None:
        return _dir_option(value, what)
    from mlarchitect.config import load_settings

    return getattr(load_settings(), what.lstrip("-").replace("-", "_"))


def _output_option(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    """``-o``: checked while the options are parsed, before any design work; ``-`` is stdout."""
    if value is None or str(value) == "-":
        return None
    from mlarchitect.files import check_output_path

    return check_output_path(value)


def _stdout_open() -> bool:
    """False when the process was started with standard output closed (``>&-``)."""
    if sys.stdout is None:
        return False
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return True  # replaced by an in-memory stream (tests, embedding): it is open
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def write_output(text: str, output: Path | None) -> None:
    """Write to stdout, or atomically to ``output``: only a regular file or a new path is
    replaced (keeping the file's mode); a FIFO, device, symbolic link, directory or read-only
    file is refused. A failure never truncates an earlier design."""
    if output is None or str(output) == "-":
        if not _stdout_open():
            raise MLArchitectError("standard output is closed: the design was not written (use -o FILE)")
        click.echo(text, nl=not text.endswith("\n"))
        sys.stdout.flush()
        return
    from mlarchitect.files import write_atomic

    try:
        write_atomic(output, text)
    except OSError as exc:
        raise MLArchitectError(f"could not write {output}: {exc.strerror or exc}") from None


class _Progress:
    """Design events on stderr: a spinner on a terminal, plain lines otherwise; with
    ``stream_tokens`` also the model's text as it arrives (no spinner then: the text is the
    progress)."""

    def __init__(self, quiet: bool, *, already_said: str = "", stream_tokens: bool = False,
                 tty: bool | None = None) -> None:
        self.quiet = quiet
        self.already_said = already_said  # a warning the command printed itself, in its own words (once)
        self.stream_tokens = stream_tokens and not quiet
        self.mid_line = False  # streamed text ended without a newline
        self.last_agent = ""
        self.status: Any = None
        if not quiet and not self.stream_tokens and (sys.stderr.isatty() if tty is None else tty):
            from rich.console import Console

            self.status = Console(stderr=True).status("starting")
            self.status.start()

    def __call__(self, event: Any) -> None:
        from mlarchitect.events import DeliverableReady, Note, Token, describe

        if isinstance(event, Note) and event.level == "warning":  # shown even with --quiet
            if self.already_said and self.already_said in event.message:
                self.already_said = ""
            else:
                self._line(f"note: {event.message}")
            return
        if self.quiet:
            return
        if isinstance(event, Token):
            if self.stream_tokens:
                self._token(event.agent, event.text)
            return
        if isinstance(event, DeliverableReady):
            self._line(summary_line(event.design, event.log_id))
        elif self.status is None:
            self._line(describe(event))
        else:
            self.status.update(describe(event))

    def _token(self, agent: str, text: str) -> None:
        if agent != self.last_agent or not self.mid_line:
            self._end_line()
            sys.stderr.write(f"[{agent}] ")
            self.last_agent = agent
        sys.stderr.write(text)
        sys.stderr.flush()
        self.mid_line = not text.endswith("\n")

    def _end_line(self) -> None:
        if self.mid_line:
            sys.stderr.write("\n")
            self.mid_line = False

    def _line(self, text: str) -> None:
        self._end_line()
        if self.status is not None:
            self.status.console.print(text, markup=False, highlight=False)
        else:
            click.echo(text, err=True)

    def stop(self) -> None:
        self._end_line()
        if self.status is not None:
            self.status.stop()


def summary_line(result: Any, log_id: int | None = None) -> str:
    """The CLI's last progress line: workflow, model calls, tokens, dollars, seconds, cache, log id."""
    from mlarchitect.render_markdown import format_cost, human_number

    p = result.provenance
    parts = [f"{result.workflow} design ready", f"{human_number(p.llm_calls)} model calls",
             f"{human_number(p.tokens)} tokens", format_cost(p.cost_usd), f"{human_number(p.duration_s)} s"]
    if p.cached:
        parts = [parts[0], f"from the response cache (no model call; designed {p.cached_at}: "
                           + ", ".join(parts[1:]) + ")"]
    if log_id is not None:
        parts.append(f"log #{log_id}")
    return " · ".join(parts)


def stream_wanted(option: bool | None, quiet: bool) -> bool:
    """Stream the model's text: ``--stream``/``--no-stream``, else when stderr is a terminal."""
    if quiet:
        return False
    if option is not None:
        return option
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _design_options(func: Any) -> Any:
    """The options shared by ``run`` and ``resume``."""
    options = [
        click.option("-o", "--output", type=click.Path(path_type=Path), callback=_output_option,
                     help="Write the deliverable to FILE (atomically; '-' is stdout)."),
        click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True),
        click.option("--offline", is_flag=True, help="Use the built-in offline engine even when a key is set."),
        click.option("-m", "--model", help="Model name or tier (sonnet, opus, haiku)."),
        click.option("--agents-dir", type=click.Path(path_type=Path), help="Folder of agent definition files."),
        click.option("--skills-dir", type=click.Path(path_type=Path),
                     help="Folder of Agent Skills (<name>/SKILL.md)."),
        click.option("--kb-dir", type=click.Path(path_type=Path), help="Knowledge-base directory."),
        click.option("--timeout", "timeout_s", type=click.FloatRange(min=1),
                     help="Overall deadline for the design, seconds."),
        click.option("-q", "--quiet", is_flag=True, help="No progress on stderr."),
        click.option("--stream/--no-stream", "stream", default=None,
                     help="Show the model's text on stderr as it arrives (default: when stderr is a terminal)."),
        click.option("--no-cache", is_flag=True, help="Design anew even if the response cache has this request."),
        click.option("--no-log", is_flag=True, help="Do not record this design in the design log."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@cli.command("run")
@click.argument("request", nargs=-1)
@click.option("--thread-id", help="Checkpoint thread id: resumes an unfinished run, or names a new one.")
@_design_options
def run(request: tuple[str, ...], thread_id: str | None, **options: Any) -> None:
    """Design a system for REQUEST (the default command)."""
    text = None if (thread_id and not request and sys.stdin.isatty()) else _read_request(request)
    _design(text, thread_id, **options)


@cli.command("resume")
@click.argument("thread_id")
@_design_options
def resume(thread_id: str, **options: Any) -> None:
    """Resume the unfinished (killed or interrupted) design of THREAD_ID from its checkpoint."""
    _design(None, thread_id, **options)


def _design(
    text: str | None,
    thread_id: str | None,
    *,
    output: Path | None,
    fmt: str,
    offline: bool,
    model: str | None,
    agents_dir: Path | None,
    skills_dir: Path | None,
    kb_dir: Path | None,
    timeout_s: float | None,
    quiet: bool,
    stream: bool | None,
    no_cache: bool,
    no_log: bool,
) -> None:
    if output is None and not _stdout_open():
        raise MLArchitectError("standard output is closed: the design would be lost (use -o FILE)")
    overrides = settings_overrides(offline=offline, model=model, agents_dir=agents_dir, skills_dir=skills_dir,
                                   kb_dir=kb_dir, timeout_s=timeout_s)
    if no_cache:
        overrides["cache"] = False
    if no_log:
        overrides["design_log"] = False
    from mlarchitect.gc_policy import OneDesignCollector

    # the collector's policy from here on: the imports below (pydantic, the settings, the
    # deliverable's models) make long-lived objects too, which young collections only trace
    with OneDesignCollector() as collector:  # its imports and schemas live until exit: not traced
        result = _designed(text, thread_id, overrides, model=model, quiet=quiet, stream=stream,
                           collector=collector)
    if fmt == "json":
        write_output(result.to_json() + "\n", output)
    else:
        from mlarchitect.render_markdown import render_markdown

        write_output(render_markdown(result), output)


def _designed(text: str | None, thread_id: str | None, overrides: dict[str, Any], *, model: str | None,
              quiet: bool, stream: bool | None, collector: Any) -> Any:
    """The design of :func:`_design` (progress on stderr), inside its collector's policy."""
    from mlarchitect.agents.request import validate_request

    if text is not None:
        validate_request(text)  # fail fast, before loading anything heavy
    from mlarchitect.config import load_settings
    from mlarchitect.files import ensure_writable_dir

    settings = load_settings(**overrides)
    ensure_writable_dir(settings.data_dir, "data directory (MLARCHITECT_DATA_DIR)")
    said = ""
    if model and model.lower() != "offline" and settings.wants_offline:
        why = "offline mode is on" if settings.offline else "no OPENAI_API_KEY or OPENAI_BASE_URL is set"
        click.echo(f"design: -m {model} ignored: {why}; using the built-in offline engine", err=True)
        said = "offline engine"
    log.info("model %s, data dir %s", "offline" if settings.wants_offline else settings.model or "default",
             settings.data_dir)
    from mlarchitect.agents.api import design

    progress = _Progress(quiet, already_said=said, stream_tokens=stream_wanted(stream, quiet))
    try:
        return design(text, settings=settings, thread_id=thread_id, on_event=collector.watching(progress))
    finally:
        progress.stop()


@cli.command("render")
@click.argument("design_file", metavar="DESIGN.json", type=click.Path(path_type=Path, allow_dash=True))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the Markdown to FILE.")
def render(design_file: Path, output: Path | None) -> None:
    """Turn a saved deliverable (design --format json) into Markdown."""
    from pydantic import ValidationError

    from mlarchitect.deliverable import ArchitectureDesign
    from mlarchitect.render_markdown import render_markdown

    name = "standard input" if str(design_file) == "-" else str(design_file)
    try:
        raw = sys.stdin.buffer.read() if name == "standard input" else design_file.read_bytes()
        data = json.loads(raw)
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{name} is not JSON: {exc}") from None
    try:
        result = ArchitectureDesign.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise InputError(f"{name} is not a saved design: {where}: {err['msg']}") from None
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

    catalog = load_catalog(_configured_dir(agents_dir, "--agents-dir"))
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

    agent = load_catalog(_configured_dir(agents_dir, "--agents-dir")).get(name)
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

    catalog = load_skill_catalog(_configured_dir(skills_dir, "--skills-dir"))
    for problem in catalog.problems:
        click.echo(f"skipped: {problem}", err=True)
    if as_json:
        rows = [s.model_dump(mode="json", exclude={"body"}) for s in catalog.skills.values()]
        click.echo(json.dumps({"skills": rows, "problems": catalog.problems}, indent=2))
        return
    for skill in catalog.skills.values():
        origin = "built-in" if skill.builtin else str(skill.path)
        click.echo(f"{skill.name:22} {origin:10} {skill.description}")


class _Terminated(Exception):
    """SIGTERM, raised in the main thread so that the run unwinds (checkpoints stay consistent)."""


class _Signals:
    """SIGINT and SIGTERM that act at once.

    The graph runs its steps in a thread pool while the main thread waits on them; the kernel
    may deliver a signal to the worker blocked in a model call, and the main thread would not
    notice it until that call returns (minutes, with timeouts and retries). So the signals are
    blocked in every thread and one watcher thread takes them: it raises ``KeyboardInterrupt`` /
    :class:`_Terminated` in the main thread and, if the main thread is stuck waiting, exits
    after a grace period: the checkpoint database stays consistent (SQLite), as after a kill.
    A signal the process inherited as ignored (``nohup``, background jobs) stays ignored.
    """

    GRACE_S = 2.0

    def __enter__(self) -> None:
        import threading

        self.watched: set[int] = set()
        if threading.current_thread() is not threading.main_thread():
            return
        self.watched = {s for s in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(s) != signal.SIG_IGN}
        if not self.watched:
            return
        self.previous_term = signal.signal(signal.SIGTERM, _on_sigterm) if signal.SIGTERM in self.watched else None
        self.closing = threading.Event()
        self.exited = threading.Event()
        self.signalled = False
        self.mask = signal.pthread_sigmask(signal.SIG_BLOCK, self.watched)
        self.thread = threading.Thread(target=self._watch, name="design-signals", daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        signum = signal.sigwait(self.watched)
        if self.closing.is_set():
            return
        import _thread
        import time

        self.signalled = True
        _thread.interrupt_main(signum)  # the orderly way, when the main thread is running Python code
        time.sleep(self.GRACE_S)  # the process normally ends meanwhile; if not, a thread holds it
        interrupted = signum == signal.SIGINT
        if not self.exited.is_set():  # else main() has already said so
            try:
                sys.stderr.write("design: interrupted\n" if interrupted else "design: terminated\n")
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
        os._exit(EXIT_INTERRUPTED if interrupted else EXIT_TERMINATED)

    def __exit__(self, *exc: object) -> None:
        if not self.watched:
            return
        self.exited.set()
        if self.signalled:
            return  # the watcher makes sure the process ends
        self.closing.set()
        if self.thread.is_alive():
            signal.pthread_kill(self.thread.ident, min(self.watched))  # wake the watcher: it returns
            self.thread.join()
        signal.pthread_sigmask(signal.SIG_SETMASK, self.mask)
        if self.previous_term is not None:
            signal.signal(signal.SIGTERM, self.previous_term)


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise _Terminated()


class _WarningsToStderr:
    """Warnings of the ``mlarchitect`` logger (e.g. a damaged checkpoint database moved aside)
    as one ``design: warning:`` line each on stderr, while the command runs."""

    def __enter__(self) -> None:
        import logging

        self.logger = logging.getLogger("mlarchitect")
        self.handler = logging.StreamHandler(sys.stderr)
        self.handler.setLevel(logging.WARNING)
        self.handler.setFormatter(logging.Formatter("design: warning: %(message)s"))
        self.logger.addHandler(self.handler)

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)


def _fail(message: str, code: int) -> None:
    from mlarchitect.redact import redact

    text = " ".join(redact(message).split())
    try:
        click.echo(f"design: error: {text}", err=True)
    except (OSError, ValueError):
        pass
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: user errors become one line and an exit code."""
    try:
        with _WarningsToStderr(), _Signals():
            cli.main(args=argv, prog_name="design", standalone_mode=False)
    except MLArchitectError as exc:
        _fail(str(exc), exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("design: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except _Terminated:
        click.echo("design: terminated", err=True)
        sys.exit(EXIT_TERMINATED)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:  # a file or directory the system refused: one line, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        _fail(f"{exc.strerror or type(exc).__name__}{where}", 1)


def entry() -> None:
    """The ``design`` console script: :func:`main`, then every live object is frozen
    (``gc.freeze``) so that interpreter shutdown skips its final full collection over
    LangGraph's, Chroma's and pydantic's objects: about 0.6 s of a one-shot design's wall
    time (``benchmarks/design_benchmark.py``). Files and databases are closed by then, so the
    process then ends without the interpreter's teardown (see :func:`_exit_now`).
    In-process callers (tests, the Python API) use :func:`main` and keep a normal GC."""
    import gc

    try:
        main()
    except SystemExit as exc:
        gc.freeze()
        if exc.code is None or isinstance(exc.code, int):
            _exit_now(exc.code or 0)
        raise
    except BaseException:
        gc.freeze()
        raise
    gc.freeze()
    _exit_now(0)


def _exit_now(code: int) -> None:
    """End the process with ``code`` after the exit handlers (``atexit``) and a flush of
    stdout and stderr, without tearing the interpreter down: deallocating every module's
    objects one by one took ~0.08 s of a one-shot design, after its work was done. Returns
    (the normal shutdown follows) while another thread still runs."""
    import atexit
    import threading

    if threading.active_count() > 1:
        return
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # pragma: no cover - not CPython
        return
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # closed, or a reader that went away: nothing more to say
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
