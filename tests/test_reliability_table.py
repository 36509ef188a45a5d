"""The README's "What was tried and what held" table and the tests stay in step."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cases() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### What was tried and what held", 1)[1]
    return re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.MULTILINE)


def test_every_case_in_the_table_has_a_test() -> None:
    cases = _cases()
    assert len(cases) >= 15
    tests = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_reliability_*.py"))
    missing = [c for c in cases if not re.search(rf"^def test_{c}\(", tests, flags=re.MULTILINE)]
    assert not missing, f"README cases without a test_<case>: {missing}"
    assert len(set(cases)) == len(cases)
