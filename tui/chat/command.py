"""``design chat``: the click command (registered lazily by ``tui/cli.py``)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("chat")
@click.option("--session", "session_id", help="Resume the conversation with this id (see /sessions).")
@click.option("--offline", is_flag=True, help="Use the built-in offline engine even when a key is set.")
@click.option("-m", "--model", help="Model name or tier (sonnet, opus, haiku).")
@click.option("--agents-dir", type=click.Path(path_type=Path), help="Folder of agent definition files.")
@click.option("--skills-dir", type=click.Path(path_type=Path), help="Folder of Agent Skills (<name>/SKILL.md).")
@click.option("--kb-dir", type=click.Path(path_type=Path), help="Knowledge-base directory.")
@click.option("--no-questions", is_flag=True,
              help="Design a first request right away, even when it leaves scale, budget or deployment open.")
def chat(session_id: str | None, offline: bool, model: str | None, agents_dir: Path | None,
         skills_dir: Path | None, kb_dir: Path | None, no_questions: bool) -> None:
    """Open the interactive chat (conversation, activity, deliverable tabs, sessions)."""
    from mlarchitect.tui.cli import settings_overrides

    overrides = settings_overrides(offline=offline, model=model, agents_dir=agents_dir, skills_dir=skills_dir,
                                   kb_dir=kb_dir)
    from .app import ChatApp

    ChatApp(overrides=overrides, session_id=session_id, ask_questions=not no_questions).run()  # Settings are built after the first frame
