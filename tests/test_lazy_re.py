"""The compiled-code cache of the request reader's patterns (``mlarchitect.lazy_re``)."""

from __future__ import annotations

import marshal
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mlarchitect import lazy_re

# Compile every pattern of the request reader inside the cache block of the folder argv[1]; print
# how many there are and how many were parsed anew, then check each one against re.compile.
_SCRIPT = """
import re, sys
from pathlib import Path
import mlarchitect.lazy_re as L
import mlarchitect.agents.intake.reading as reading

def patterns(value):
    if isinstance(value, L.LazyPattern):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from patterns(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from patterns(item)

found = {id(p): p for v in vars(reading).values() for p in patterns(v)}.values()
parsed = []
parse = re._parser.parse
re._parser.parse = lambda *args: parsed.append(args) or parse(*args)  # what is compiled anew
with L.compiled_code_cache(Path(sys.argv[1])):
    built = [(p, p.compiled) for p in found]
print(len(found), len(parsed))
texts = [sys.argv[2], "200 requests per second, p95 under 2 s, 30,000 PDFs, $5k a month on 4 A100 GPUs",
         "No external APIs: everything on-prem for 12 engineers; GDPR applies. Team of 3; 1.5 TB of logs."]
for p, compiled in built:
    reference = re.compile(p.pattern, p.flags)
    assert (compiled.pattern, compiled.flags, compiled.groups, compiled.groupindex) == (
        reference.pattern, reference.flags, reference.groups, reference.groupindex), p.pattern
    for text in texts:
        assert [m.span() for m in compiled.finditer(text)] == [m.span() for m in reference.finditer(text)], p.pattern
        assert [m.groups() for m in compiled.finditer(text)] == [m.groups() for m in reference.finditer(text)]
"""


def _run(folder: Path) -> list[int]:
    request = "Design a RAG system that answers employee questions from 30,000 Confluence pages and PDFs"
    out = subprocess.run([sys.executable, "-c", _SCRIPT, str(folder), request], capture_output=True, text=True,
                         check=True).stdout
    return [int(x) for x in out.split()]


def test_a_later_process_builds_the_same_patterns_from_the_cache(tmp_path: Path) -> None:
    total, parsed = _run(tmp_path)  # the first process compiles them and writes the cache
    assert total > 100 and parsed == total
    (cache,) = tmp_path.iterdir()
    assert len(marshal.loads(cache.read_bytes())["patterns"]) == total
    assert _run(tmp_path) == [total, 0]  # the second builds the same patterns from the cache


def test_a_stale_or_damaged_cache_is_compiled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lazy_re, "_CODE", {})
    monkeypatch.setattr(lazy_re, "_read_from", set())
    pattern, flags = r"(?P<n>\d+)\s*(?:gb|tb)\b", re.IGNORECASE
    path = lazy_re._cache_file(tmp_path)
    path.write_bytes(marshal.dumps({"version": lazy_re._cache_version(),
                                    "patterns": {(pattern, int(flags)): (int(flags), [1, 2, 3], 1, {"n": 1}, (None, "n"))}}))
    with lazy_re.compiled_code_cache(tmp_path):  # the code _sre rejects: compiled as usual
        compiled = lazy_re.lazy_compile(pattern, flags).compiled
    assert compiled.findall("12 GB and 3 tb") == ["12", "3"]
    saved = marshal.loads(path.read_bytes())["patterns"]
    assert saved[(pattern, int(flags))][1] != [1, 2, 3]  # the good code replaced it

    monkeypatch.setattr(lazy_re, "_CODE", {})
    monkeypatch.setattr(lazy_re, "_read_from", set())
    path.write_bytes(marshal.dumps({"version": "another interpreter", "patterns": saved}))
    with lazy_re.compiled_code_cache(tmp_path):
        assert lazy_re.lazy_compile(pattern, flags).findall("7 tb") == ["7"]
    assert marshal.loads(path.read_bytes())["version"] == lazy_re._cache_version()

    path.write_bytes(b"not marshal data")
    monkeypatch.setattr(lazy_re, "_read_from", set())
    with lazy_re.compiled_code_cache(tmp_path):
        assert lazy_re.lazy_compile(r"\bx+\b").findall("x xx y") == ["x", "xx"]
