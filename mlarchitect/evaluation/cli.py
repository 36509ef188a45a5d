"""``design eval``: run an evaluation set, store the run, compare with an earlier one.

Mounted lazily by the top-level CLI (``_LAZY`` in :mod:`mlarchitect.tui.cli`);
only click is imported at module import.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.command("eval")
@click.option("--set", "set_ref", default="dev", show_default=True, metavar="dev|dev3|val4|heldout|heldout2|heldout3|heldout5|all|PATH",
              help="The case set: a name or a designs-*.jsonl file (queries-*.jsonl next to it is used too).")
@click.option("--json", "as_json", is_flag=True, help="Print the run record as JSON instead of the table.")
@click.option("--compare", "compare_ref", default=None, metavar="RUN_FILE_OR_ID",
              help="An earlier run (file, id from eval-runs/, or 'latest' of the same set): print the changes "
                   "and exit 1 when a metric dropped by more than the tolerance.")
@click.option("--tolerance", default=0.02, show_default=True, type=click.FloatRange(min=0),
              help="Allowed absolute drop per metric for --compare.")
@click.option("--limit", default=None, type=click.IntRange(min=1), metavar="N",
              help="Only the first N design cases and N queries of each set (quick checks).")
@click.option("--model", default=None, help="Evaluate this model instead of the offline engine.")
@click.option("--kb-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Knowledge base to use (default: <data dir>/eval-kb built from the bundled patterns).")
@click.option("--no-save", is_flag=True, help="Do not store the run under <data dir>/eval-runs/.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def eval_command(set_ref: str, as_json: bool, compare_ref: str | None, tolerance: float, limit: int | None,
                 model: str | None, kb_dir: Path | None, no_save: bool, quiet: bool) -> None:
    """Evaluate the designer on a case set (offline engine unless --model).

    \b
    Examples:
      design eval                       # the dev set, a table
      design eval --set heldout --json  # the held-out set, the JSON record
      design eval --set all             # every named set
      design eval --compare latest      # exit 1 if a metric dropped by > 0.02
    """
    from mlarchitect.config import Settings
    from mlarchitect.evaluation.cases import resolve_sets, validate_set
    from mlarchitect.evaluation.report import compare, format_text, load_run, save_run
    from mlarchitect.evaluation.runner import run_sets

    overrides: dict = {"model": model, "offline": False} if model else {"offline": True}
    if kb_dir is not None:
        overrides["kb_dir"] = kb_dir
    settings = Settings(**overrides)
    sets = resolve_sets(set_ref)
    problems = [p for s in sets for p in validate_set(s)]
    if problems:
        from mlarchitect.evaluation.cases import EvalSetError

        raise EvalSetError("; ".join(problems))
    set_name = "+".join(s.name for s in sets)
    previous = load_run(compare_ref, settings.data_dir, set_name) if compare_ref else None

    def say(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    run = run_sets(sets, settings, limit=limit, progress=say)
    if not no_save:
        path = save_run(run, settings.data_dir)
        run["_path"] = str(path)
        say(f"run stored: {path}")
    if as_json:
        click.echo(json.dumps(run, indent=2, ensure_ascii=False))
    else:
        click.echo(format_text(run), nl=False)
    if previous is not None:
        lines, regressions = compare(previous, run, tolerance)
        out = sys.stderr if as_json else sys.stdout
        click.echo(f"\nCompared with {previous.get('_path', compare_ref)} (tolerance {tolerance}):", file=out)
        click.echo("\n".join(lines), file=out)
        if regressions:
            click.echo(f"\n{len(regressions)} metric(s) dropped beyond the tolerance: " + "; ".join(regressions),
                       file=out)
            sys.exit(1)  # not click's Exit: under standalone_mode=False it would be returned, not raised
        click.echo("\nno metric dropped beyond the tolerance", file=out)
