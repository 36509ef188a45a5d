"""What models and users write cannot break the Markdown deliverable or its diagram."""

from __future__ import annotations

import re

import pytest

from mlarchitect.deliverable import (
    ArchitectureDesign,
    Calculation,
    Component,
    CostAnalysis,
    DataFlow,
    DesignStep,
    Handoff,
    Provenance,
    Risk,
)
from mlarchitect.mermaid import build_flowchart, escape_label, validate_flowchart
from mlarchitect.render_markdown import human_number, render_markdown

NASTY = 'Query "svc" [v2] | <b>{x}; `y`\nsecond line'


def _design(**fields) -> ArchitectureDesign:
    base = dict(request="Design a RAG system", workflow="rag_system", summary="A summary.",
                provenance=Provenance(model="offline", offline=True, prompt_version="p", kb_version="k"))
    return ArchitectureDesign(**{**base, **fields})


def _headings(markdown: str) -> list[str]:
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            lines.append(line)
    return lines


def _mermaid(markdown: str) -> str:
    return markdown.split("```mermaid\n", 1)[1].split("\n```", 1)[0]


def test_multiline_request_stays_in_its_quote_block() -> None:
    md = render_markdown(_design(request="Build a RAG bot\n# Ignore all this\n\n## And this\n```\ncode"))
    assert not any("Ignore" in h or "And this" in h for h in _headings(md))
    block = md.split("> **Request:**", 1)[1].split("\n\n**Workflow", 1)[0]
    assert all(line.startswith(">") for line in block.splitlines()[1:])
    assert "> \\# Ignore all this" in md and "> \\```" in md


@pytest.mark.parametrize("char", ['"', "[", "]", "|", "<", ">", "{", "}", ";", "`", "\n", "#"])
def test_component_and_flow_labels_are_escaped_in_the_diagram(char: str) -> None:
    name = f"Query {char} service"
    components = [Component(name=name, responsibility="r"), Component(name="Store", responsibility="s")]
    flows = [DataFlow(source=name, target="Store", description=f"reads {char} chunks")]
    chart = build_flowchart(components, flows)
    assert validate_flowchart(chart) == []
    labels = re.findall(r'"([^"]*)"', chart)
    assert len(labels) == 3 and len(chart.splitlines()) == 4
    assert all(char not in re.sub(r"#\w+;", "", label) for label in labels)
    md = render_markdown(_design(components=components, data_flows=flows, diagram_mermaid=chart))
    assert validate_flowchart(_mermaid(md)) == []


def test_quote_in_a_name_uses_entity_codes() -> None:
    assert escape_label('say "hi"') == "say #quot;hi#quot;"
    chart = build_flowchart([Component(name=NASTY, responsibility="r")], [])
    assert "#quot;" in chart and "#91;" in chart and "#124;" in chart and validate_flowchart(chart) == []


@pytest.mark.parametrize(
    ("diagram", "problem"),
    [
        ('graph LR\n  A["x"] --> B', "undefined node"),
        ('flowchart LR\n  A["a "quoted" b"] --> B["c"]', "brackets"),
        ('flowchart LR\n  A[Foo (bar)] --> B[c]', "contains"),
        ("sequenceDiagram\n  A->>B: hi", "header"),
        ('flowchart LR\n  end["x"]', "reserved"),
        ('flowchart LR\n  A["x"] -->|"a| B["y"]', "quotes"),
        ("flowchart LR\n  subgraph S\n  A[x]", "not closed"),
    ],
)
def test_validator_names_the_problem(diagram: str, problem: str) -> None:
    problems = validate_flowchart(diagram)
    assert problems and any(problem in p for p in problems), problems


def test_validator_accepts_common_flowchart_syntax() -> None:
    chart = ("flowchart TD\n  %% a comment\n  A[Client] -- calls --> B(Gateway)\n  B -.-> C{Cache?}\n"
             "  C -->|hit| A; C ==> D[(Store)]\n  subgraph S[\"Group\"]\n    E((Worker))\n  end\n"
             "  D --- E\n  classDef hot fill:#f96\n  class E hot\n")
    assert validate_flowchart(chart) == []


def test_invalid_written_diagram_is_rebuilt_with_a_note() -> None:
    components = [Component(name="Gateway", responsibility="r"), Component(name="Store", responsibility="s")]
    md = render_markdown(_design(components=components, data_flows=[DataFlow(source="Gateway", target="Store")],
                                 diagram_mermaid='flowchart LR\n  A["Gate "way"] --> B'))
    assert validate_flowchart(_mermaid(md)) == []
    assert '["Gateway"]' in _mermaid(md) and "rebuilt from the components" in md


def test_table_cells_escape_pipes_and_newlines() -> None:
    md = render_markdown(_design(
        risks=[Risk(risk="a | b\nc", mitigation="use x|y", severity="high")],
        sizing=[Calculation(name="n|m", value=3, unit="u", formula="1 | 2\n= 3")]))
    rows = [line for line in md.splitlines() if line.startswith("| ") and "---" not in line]
    assert "| a \\| b<br>c | high | use x\\|y |" in rows
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 4 for row in rows), rows


def test_handoff_headings_nest_under_the_agent_heading() -> None:
    contribution = "## Plan\ntext\n### Detail\n# Top\n```\n# not a heading\n```\nSetext\n---\n"
    md = render_markdown(_design(handoffs=[Handoff(agent="llm-ops", reason="why", contribution=contribution)]))
    section = md.split("## Contributions from sibling agents", 1)[1]
    assert [h.split()[0] for h in _headings(section)] == ["###", "#####", "######", "####", "#####"]
    assert "\n# not a heading\n" in section
    gaps = render_markdown(_design(handoffs=[Handoff(agent="a", reason="r", contribution="## Plan\n#### Part\n")]))
    assert "\n#### Plan\n" in gaps and "\n##### Part\n" in gaps


def test_numbers_are_for_people() -> None:
    assert [human_number(x) for x in (2e7, 20_000_000, 0.35, 1.2, 1234.5, 0.001325, 3.0, 0)] == [
        "20,000,000", "20,000,000", "0.35", "1.2", "1,234", "0.00133", "3", "0"]
    md = render_markdown(_design(
        sizing=[Calculation(name="Tokens", value=2e7, unit="tokens", formula="f"),
                Calculation(name="Share", value=0.35, unit="", formula="f")],
        cost_analysis=CostAnalysis(per_request_usd=0.001325, monthly_total_usd=1.2e5)))
    assert "e+" not in md and "20,000,000 tokens" in md and "| 0.35 " in md
    assert "$120,000.00" in md and "$0.00133" in md


def test_raw_html_is_escaped_and_code_fences_are_closed() -> None:
    md = render_markdown(_design(
        summary="Intro <script>alert(1)</script> and `<kept>` code\n<details>open",
        steps=[DesignStep(title="Step <b>", decisions=["Schema:\n```python\nx = 1"], notes=["n"])],
        notes=["<img src=x onerror=alert(1)>"]))
    assert "<script>" not in md and "<details>" not in md and "<img" not in md and "<b>" not in md
    assert "&lt;script>" in md and "`<kept>`" in md
    assert md.count("```") % 2 == 0


def test_pattern_notes_end_at_a_sentence_or_an_ellipsis() -> None:
    from mlarchitect.agents.offline.composer import _first_sentences

    text = ("Decide on these criteria, in order: 1. Vector count and growth. 2. Filtering needs. "
            "3. Operations budget.")
    assert _first_sentences(text, limit=70) == "Decide on these criteria, in order: 1. Vector count and growth."
    long = "word " * 100
    assert _first_sentences(long, limit=50).endswith("…") and len(_first_sentences(long, limit=50)) <= 50
    assert _first_sentences("## How it works\nSee below: 1.", limit=200).endswith(("…", "."))
    assert not _first_sentences("Steps: 1.", limit=200).endswith(": 1.")
