"""The slash commands in the command palette (Ctrl+P); imported when the palette opens."""

from __future__ import annotations

from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .commands import COMMANDS, SlashCommand


class SlashCommandProvider(Provider):
    """The slash commands in the command palette. Commands that need an argument
    put their text in the input box for the user to finish."""

    async def discover(self) -> Hits:
        for command in COMMANDS:
            yield DiscoveryHit(command.usage, self._runner(command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query.lstrip("/"))
        for command in COMMANDS:
            score = max(matcher.match(command.name), matcher.match(command.help))
            if score > 0:
                yield Hit(score, matcher.highlight(command.usage), self._runner(command), help=command.help)

    def _runner(self, command: SlashCommand) -> Any:
        app: Any = self.app

        def run() -> None:
            if command.args:
                app.prefill_input(f"/{command.name} ")
            else:
                app.run_slash(f"/{command.name}")

        return run
