from __future__ import annotations

import pytest

from .chat_support import ScriptedSource


@pytest.fixture
def scripted() -> ScriptedSource:
    return ScriptedSource()
