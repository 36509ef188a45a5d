"""Slash commands: the table, parsing and Tab completion (the command palette
lists the same commands: :mod:`.palette`)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass


@dataclass(frozen=True)
class SlashCommand:
    name: str
    args: str
    help: str

    @property
    def usage(self) -> str:
        return f"/{self.name}" + (f" {self.args}" if self.args else "")


COMMANDS: list[SlashCommand] = [
    SlashCommand("new", "", "Start a new conversation"),
    SlashCommand("sessions", "", "List, resume, rename or delete conversations"),
    SlashCommand("export", "md|json PATH", "Write the current deliverable to a file"),
    SlashCommand("model", "NAME", "Use a model or tier (sonnet, opus, haiku, offline) for the next turns"),
    SlashCommand("offline", "", "Switch the offline engine on or off"),
    SlashCommand("agents", "", "List the agents that loaded"),
    SlashCommand("kb", "QUERY", "Search the knowledge base"),
    SlashCommand("cost", "", "Tokens and estimated cost of this conversation"),
    SlashCommand("copy", "", "Copy the deliverable (Markdown) to the clipboard"),
    SlashCommand("rename", "TITLE", "Rename this conversation"),
    SlashCommand("help", "", "Commands and keys"),
    SlashCommand("quit", "", "Leave the chat"),
]
BY_NAME = {c.name: c for c in COMMANDS}


class CommandError(ValueError):
    """A slash command that cannot run as typed (shown as one line)."""


def parse(text: str) -> tuple[str, list[str]]:
    """``/export md out.md`` -> ("export", ["md", "out.md"]). Unknown names raise."""
    body = text.strip()[1:]
    try:
        words = shlex.split(body)
    except ValueError:
        words = body.split()
    if not words:
        raise CommandError("type a command after the slash: /help lists them")
    name, args = words[0].lower(), words[1:]
    if name not in BY_NAME:
        close = [c.usage for c in COMMANDS if c.name.startswith(name[:2])]
        hint = f" (did you mean {', '.join(close)}?)" if close else " (/help lists them)"
        raise CommandError(f"unknown command /{name}{hint}")
    return name, args


def matches(text: str) -> list[SlashCommand]:
    """Commands whose name starts with what was typed after the slash; once the
    name is complete and followed by a space, that command (for its usage line)."""
    if not text.startswith("/") or "\n" in text:
        return []
    head, space, _rest = text[1:].partition(" ")
    head = head.lower()
    if space:
        command = BY_NAME.get(head)
        return [command] if command is not None and command.args else []
    return [c for c in COMMANDS if c.name.startswith(head)]


def complete(text: str) -> str | None:
    """Tab completion: the one match, or the longest common prefix of several."""
    found = matches(text)
    if not found or " " in text:
        return None
    if len(found) == 1:
        return f"/{found[0].name}" + (" " if found[0].args else "")
    names = [c.name for c in found]
    common = names[0]
    for name in names[1:]:
        while not name.startswith(common):
            common = common[:-1]
    return f"/{common}" if len(common) > len(text) - 1 else None


def help_markdown() -> str:
    rows = "\n".join(f"| `{c.usage}` | {c.help} |" for c in COMMANDS)
    keys = [
        ("Enter", "send"), ("Shift+Enter, Ctrl+J", "new line"), ("Up / Down", "history (first / last line)"),
        ("Tab", "complete a /command"), ("Esc", "cancel the running turn"), ("Ctrl+P", "command palette"),
        ("F2", "sessions"), ("F3", "show or hide the activity"), ("F4", "diff vs previous version"),
        ("F5", "copy the deliverable"), ("Ctrl+N", "new conversation"), ("Ctrl+Q", "quit"),
    ]
    key_rows = "\n".join(f"| {k} | {v} |" for k, v in keys)
    return (f"**Commands**\n\n| Command | What it does |\n|---|---|\n{rows}\n\n"
            f"**Keys**\n\n| Key | Action |\n|---|---|\n{key_rows}\n")
