"""Snapshots of the chat's main screens (fixed size, frozen clock and ids, scripted engine)."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from mlarchitect.config import Settings
from mlarchitect.tui.chat.app import ChatApp
from mlarchitect.tui.chat.widgets import ChatInput

from .chat_support import ScriptedSource, fixed_design, frozen_clock

SIZE = (140, 40)


def make_app(settings: Settings, source: Any) -> ChatApp:
    counter = itertools.count(1)
    return ChatApp(settings.model_copy(update={"offline": True}), source=source, clock=frozen_clock,
                   session_ids=lambda: f"session{next(counter):05d}", warm_up=False, kb_label="528 chunks",
                   ask_questions=False)


async def _send(pilot: Any, text: str) -> None:
    chat_input = pilot.app.query_one(ChatInput)
    chat_input.load_text(text)
    chat_input.focus()
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_snapshot_after_a_follow_up_turn(snap_compare: Any, settings: Settings) -> None:
    source = ScriptedSource(designs=[fixed_design(replicas=5), fixed_design(replicas=40)])

    async def run_before(pilot: Any) -> None:
        pilot.app.query_one(ChatInput).cursor_blink = False  # a blinking cursor makes snapshots flaky
        await _send(pilot, "Serve a fraud model at 200 requests per second")
        await _send(pilot, "We now expect 2,000 requests per second")
        await pilot.press("f4")
        await pilot.pause()

    assert snap_compare(make_app(settings, source), terminal_size=SIZE, run_before=run_before)


def test_snapshot_cancelled_turn(snap_compare: Any, settings: Settings) -> None:
    gate = threading.Event()

    async def run_before(pilot: Any) -> None:
        pilot.app.query_one(ChatInput).cursor_blink = False  # a blinking cursor makes snapshots flaky
        chat_input = pilot.app.query_one(ChatInput)
        chat_input.load_text("Serve a fraud model at 200 requests per second")
        await pilot.press("enter")
        for _ in range(500):
            if pilot.app.turn is not None and pilot.app.turn.text:
                break
            await pilot.pause(0.02)
        await pilot.press("escape")
        gate.set()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(settings, ScriptedSource(gate=gate)), terminal_size=SIZE, run_before=run_before)


def test_snapshot_sessions_screen(snap_compare: Any, settings: Settings) -> None:
    async def run_before(pilot: Any) -> None:
        pilot.app.query_one(ChatInput).cursor_blink = False  # a blinking cursor makes snapshots flaky
        await _send(pilot, "Serve a fraud model at 200 requests per second")
        await _send(pilot, "/new")
        await _send(pilot, "A RAG chatbot over 30,000 Confluence pages")
        await pilot.press("f2")
        await pilot.pause()

    assert snap_compare(make_app(settings, ScriptedSource()), terminal_size=SIZE, run_before=run_before)


def test_snapshot_help_and_suggestions(snap_compare: Any, settings: Settings) -> None:
    async def run_before(pilot: Any) -> None:
        pilot.app.query_one(ChatInput).cursor_blink = False  # a blinking cursor makes snapshots flaky
        await _send(pilot, "/help")
        await pilot.press("/", "e")
        await pilot.pause()

    assert snap_compare(make_app(settings, ScriptedSource()), terminal_size=SIZE, run_before=run_before)
