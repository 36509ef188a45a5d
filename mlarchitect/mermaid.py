"""Mermaid flowcharts: build them with escaped labels, and check them before they are emitted.

``build_flowchart(components, flows)`` writes a ``flowchart LR`` whose node ids are
generated (``C0``, ``C1`` …) and whose labels are quoted, with every character that
Mermaid would read as syntax replaced by an entity code (``"`` → ``#quot;``).
``validate_flowchart(text)`` lists what would break a renderer (an empty list means
the diagram is fine).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Characters that end or restart Mermaid syntax inside a label, as entity codes.
_ENTITIES = {
    "#": "#35;",  # first: the entity codes themselves start with '#'
    '"': "#quot;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
    "|": "#124;",
    "<": "#60;",
    ">": "#62;",
    ";": "#59;",
    "`": "#96;",
}
_ESCAPE = re.compile("|".join(re.escape(c) for c in _ENTITIES))
_ENTITY = re.compile(r"#(?:[a-z]+|\d+);")

_HEADER = re.compile(r"^(flowchart|graph)(?:\s+(TB|TD|BT|RL|LR))?\s*;?$")
_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
# opening → closing delimiters of node shapes, longest first
_SHAPES = [("(((", ")))"), ("[[", "]]"), ("[(", ")]"), ("((", "))"), ("([", "])"), ("{{", "}}"),
           ("[/", "/]"), ("[\\", "\\]"), ("[/", "\\]"), ("[\\", "/]"), ("[", "]"), ("(", ")"), ("{", "}"),
           (">", "]")]
_LINK = re.compile(r"<?(?:-{2,}|={2,}|-\.+-)[>ox]?|~~~")
_TEXT_LINK = re.compile(r"(--|==|-\.)\s+([^\"|<>\[\]{}();`]+?)\s+(-->|==>|---|===|\.->)")
_UNQUOTED_FORBIDDEN = set('"[]|<>{}();`')
_QUOTED_FORBIDDEN = set("<>`")
_KEYWORDS = ("classDef ", "class ", "style ", "linkStyle ", "click ", "direction ")
_RESERVED_IDS = {"end", "subgraph", "graph", "flowchart"}


def escape_label(text: str) -> str:
    """A label safe inside ``"…"`` in a Mermaid flowchart (one line, entity codes)."""
    text = " ".join(str(text).split())
    return _ESCAPE.sub(lambda m: _ENTITIES[m.group(0)], text)


def build_flowchart(components: Iterable[Any], flows: Iterable[Any], *, direction: str = "LR") -> str:
    """A ``flowchart`` of ``components`` (objects with ``name``, or strings) and ``flows``
    (objects with ``source``, ``target`` and an optional ``description``).

    Node ids are generated; every label is quoted and escaped. A flow endpoint that is
    not a component becomes a node of its own, so no flow is dropped.
    """
    ids: dict[str, str] = {}
    lines = [f"flowchart {direction}"]

    def node(name: str) -> str:
        key = " ".join(str(name).split())
        if key not in ids:
            ids[key] = f"C{len(ids)}"
            lines.append(f'    {ids[key]}["{escape_label(key)}"]')
        return ids[key]

    for component in components:
        node(getattr(component, "name", component))
    for flow in flows:
        source, target = node(flow.source), node(flow.target)
        label = escape_label(getattr(flow, "description", "") or "")
        lines.append(f'    {source} -->|"{label}"| {target}' if label else f"    {source} --> {target}")
    return "\n".join(lines)


def validate_flowchart(text: str) -> list[str]:
    """Problems that would stop Mermaid rendering ``text`` (``[]`` when it is fine).

    Checked: the ``flowchart``/``graph`` header, node ids, quotes and brackets,
    characters that break labels, and edges to nodes that are never defined.
    """
    problems: list[str] = []
    statements = list(_statements(text))
    if not statements:
        return ["empty diagram"]
    first_line, header = statements[0]
    if not _HEADER.match(header):
        problems.append(f"line {first_line}: expected 'flowchart <direction>' header, got {header[:40]!r}")
    defined: set[str] = set()
    referenced: dict[str, int] = {}
    depth = 0
    for number, statement in statements[1:]:
        if statement == "end":
            depth -= 1
            if depth < 0:
                problems.append(f"line {number}: 'end' without 'subgraph'")
                depth = 0
            continue
        if statement.startswith("subgraph"):
            depth += 1
            rest = statement[len("subgraph"):].strip()
            if not rest:
                problems.append(f"line {number}: subgraph without a name")
            else:
                _parse_chain(rest, number, problems, defined, referenced, subgraph=True)
            continue
        if statement.startswith(_KEYWORDS):
            if statement.count('"') % 2:
                problems.append(f"line {number}: unbalanced quotes")
            continue
        _parse_chain(statement, number, problems, defined, referenced)
    if depth:
        problems.append("a 'subgraph' is not closed by 'end'")
    for name, number in referenced.items():
        if name not in defined:
            problems.append(f"line {number}: edge to undefined node {name!r}")
    return problems


def _statements(text: str) -> Iterable[tuple[int, str]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("%%", 1)[0].strip() if not raw.lstrip().startswith("%%{") else ""
        for part in _split_semicolons(line):
            if part:
                yield number, part


def _split_semicolons(line: str) -> list[str]:
    """Statements of a line: ``;`` outside quotes separates them."""
    parts, current, quoted = [], [], False
    for char in line:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts


def _parse_chain(statement: str, number: int, problems: list[str], defined: set[str],
                 referenced: dict[str, int], *, subgraph: bool = False) -> None:
    """``A["x"] --> B & C -->|"y"| D``: node references joined by links."""
    if statement.count('"') % 2:
        problems.append(f"line {number}: unbalanced quotes")
        return
    pos, expect_node, nodes_in_chain, links = 0, True, [], 0
    while pos < len(statement):
        if statement[pos].isspace():
            pos += 1
            continue
        if expect_node:
            match = _ID.match(statement, pos)
            if not match:
                problems.append(f"line {number}: expected a node id at {statement[pos:pos + 20]!r}")
                return
            node_id = match.group(0)
            if node_id.lower() in _RESERVED_IDS:
                problems.append(f"line {number}: {node_id!r} is a reserved word, not a node id")
            pos = match.end()
            shape = _parse_shape(statement, pos, number, problems)
            if shape is None:
                return
            if shape > pos or subgraph:
                defined.add(node_id)
            pos = shape
            nodes_in_chain.append(node_id)
            rest = statement[pos:].lstrip()
            if rest.startswith(":::"):
                end = _ID.match(rest, 3)
                pos = len(statement) - len(rest) + (end.end() if end else 3)
            rest = statement[pos:].lstrip()
            if rest.startswith("&"):
                pos = len(statement) - len(rest) + 1
                continue
            expect_node = False
            if subgraph:
                if statement[pos:].strip():
                    problems.append(f"line {number}: unexpected text after the subgraph name")
                return
            continue
        text_link = _TEXT_LINK.match(statement, pos)
        link = text_link or _LINK.match(statement, pos)
        if not link:
            problems.append(f"line {number}: expected a link (-->) at {statement[pos:pos + 20]!r}")
            return
        pos = link.end()
        if not text_link:
            rest = statement[pos:].lstrip()
            if rest.startswith("|"):
                start = len(statement) - len(rest) + 1
                search_from = start
                if rest[1:].lstrip().startswith('"'):  # a quoted label may contain '|'
                    search_from = statement.find('"', statement.index('"', start) + 1) + 1
                end = statement.find("|", search_from)
                if end < 0:
                    problems.append(f"line {number}: link label is not closed by '|'")
                    return
                _check_label(statement[start:end].strip(), number, problems)
                pos = end + 1
        links += 1
        expect_node = True
    if expect_node and links:
        problems.append(f"line {number}: link without a target")
    if links:
        for node_id in nodes_in_chain:
            referenced.setdefault(node_id, number)
    elif not subgraph and nodes_in_chain and not (set(nodes_in_chain) <= defined):
        problems.append(f"line {number}: node {nodes_in_chain[0]!r} has no label")


def _parse_shape(statement: str, pos: int, number: int, problems: list[str]) -> int | None:
    """Position after the node's shape (``pos`` when there is none); ``None`` on a problem."""
    for opening, closing in _SHAPES:
        if not statement.startswith(opening, pos):
            continue
        start = pos + len(opening)
        if statement[start:].lstrip().startswith('"'):
            q1 = statement.index('"', start)
            q2 = statement.find('"', q1 + 1)
            if q2 < 0:
                problems.append(f"line {number}: unbalanced quotes")
                return None
            _check_label(statement[q1:q2 + 1], number, problems)
            end = statement.find(closing, q2 + 1)
            if end < 0 or statement[q2 + 1:end].strip():
                problems.append(f"line {number}: unbalanced brackets after a quoted label")
                return None
        else:
            end = statement.find(closing, start)
            if end < 0:
                problems.append(f"line {number}: unbalanced brackets: {opening!r} is not closed")
                return None
            _check_label(statement[start:end], number, problems)
        return end + len(closing)
    return pos


def _check_label(label: str, number: int, problems: list[str]) -> None:
    if label.startswith('"') and label.endswith('"') and len(label) >= 2:
        bad = sorted(_QUOTED_FORBIDDEN & set(_ENTITY.sub("", label[1:-1])))
    else:
        bad = sorted(_UNQUOTED_FORBIDDEN & set(_ENTITY.sub("", label)))
    if bad:
        problems.append(f"line {number}: label {label[:30]!r} contains {' '.join(bad)} (use #quot;-style entity codes)")
