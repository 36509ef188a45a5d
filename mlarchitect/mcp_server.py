"""The architect as an MCP server: ``design mcp`` (stdio) or ``design mcp --http PORT``.

Tools: ``design`` (a request in, the deliverable out: structured content plus Markdown
or JSON text, with progress notifications from the run's events) and
``search_patterns`` (the knowledge base). Resources: every bundled pattern document
(``pattern://<doc id>``) and the deliverable's JSON Schema (``schema://deliverable``).
Prompt: ``design_review``.

Over stdio only the protocol goes to standard output: the SDK points file descriptor 1
at standard error while it serves, and logs go to standard error. A failing call
(empty or over-long request, unknown workflow, a model failure with fallback off)
answers with an error result (``isError``) and the server keeps serving; calls run
concurrently, each design in its own worker thread.

Client configuration (Claude Code, Claude Desktop, Cursor, ...)::

    {"mcpServers": {"mlarchitect": {"command": "design", "args": ["mcp"]}}}
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import click
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resources import FileResource
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from mlarchitect import __version__
from mlarchitect.agents.request import MAX_REQUEST_CHARS, validate_request
from mlarchitect.api import astream_design
from mlarchitect.config import Settings
from mlarchitect.deliverable import ArchitectureDesign, design_json_schema
from mlarchitect.errors import MLArchitectError
from mlarchitect.events import DeliverableReady, Token, describe
from mlarchitect.workflows import WorkflowId

INSTRUCTIONS = (
    "mlarchitect designs ML and LLM systems (RAG, evaluation, model serving, experiment "
    "tracking, data pipelines). Call `design` with the system to build and its figures (users, "
    "data sizes, latency, budget); it returns a structured architecture deliverable. "
    "`search_patterns` looks up the design-pattern knowledge base; pattern:// resources hold "
    "the full pattern documents; schema://deliverable is the deliverable's JSON Schema."
)
MAX_QUERY_CHARS = 2_000
EXCERPT_CHARS = 400


class PatternHit(BaseModel):
    """One knowledge-base hit (the best chunk of a document)."""

    doc_id: str
    title: str
    excerpt: str
    score: float
    uri: str = Field(description="pattern://<doc id> for bundled patterns (read it as a resource); "
                                 "empty for user documents")
    section: str | None = None
    workflow: str | None = None
    kind: str = "pattern"


class PatternHits(BaseModel):
    query: str
    hits: list[PatternHit]


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"


def _pattern_documents() -> list[tuple[str, str, Path]]:
    """(doc id, title, path) of each bundled pattern document."""
    from mlarchitect.knowledge.documents import BadFile, load_pattern
    from mlarchitect.knowledge.paths import default_patterns_dir

    found = []
    for path in sorted(default_patterns_dir().glob("*.md")):
        try:
            doc = load_pattern(path)
        except BadFile:  # pragma: no cover - the bundled files are checked by the KB tests
            continue
        found.append((doc.doc_id, doc.title, path.resolve()))
    return found


def build_server(settings: Settings | None = None) -> MCPServer:
    """The MCP server (not yet running): ``build_server().run()`` serves stdio."""
    base = settings if settings is not None else Settings()
    server = MCPServer("mlarchitect", title="mlarchitect: ML system architect", version=__version__,
                       instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(
        name="design",
        title="Design an ML/LLM system",
        description=("Design an ML or LLM system from a plain-language request: routes it to a workflow "
                     "(RAG, evaluation, model serving, experiment tracking, data pipeline), runs the "
                     "architect's skill tools and returns the deliverable (components, data flows, sizing "
                     "with arithmetic, costs, risks, steps, sources). Takes a few seconds offline."),
        annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False),
    )
    async def design(
        ctx: Context,
        request: Annotated[str, Field(description=f"The system to design, with its figures (at most "
                                                  f"{MAX_REQUEST_CHARS:,} characters).")],
        workflow: Annotated[WorkflowId | None, Field(description="Optional: the kind of design (skips "
                                                                 "routing).")] = None,
        model: Annotated[str | None, Field(description="Model name or tier (sonnet, opus, haiku) or "
                                                       "'offline'; default: the server's setting.")] = None,
        format: Annotated[Literal["md", "json"], Field(description="Text content: Markdown or JSON. "
                                                                   "Structured content is always the "
                                                                   "deliverable.")] = "md",
    ) -> Annotated[CallToolResult, ArchitectureDesign]:
        try:
            text = validate_request(request)
            overrides = {"model": model} if model else {}
            result: ArchitectureDesign | None = None
            step = 0
            async for event in astream_design(text, settings=base, workflow=workflow, **overrides):
                if isinstance(event, DeliverableReady):
                    result = event.design
                elif not isinstance(event, Token):
                    step += 1
                    await ctx.report_progress(step, None, describe(event))
        except MLArchitectError as exc:
            raise ToolError(str(exc)) from exc
        assert result is not None
        body = result.to_json() if format == "json" else result.to_markdown()
        return CallToolResult(content=[TextContent(type="text", text=body)],
                              structured_content=result.model_dump(mode="json"))

    @server.tool(
        name="search_patterns",
        title="Search design patterns",
        description=("Hybrid (dense + BM25) search of the design-pattern knowledge base. Returns the best "
                     "documents with an excerpt; read pattern://<doc_id> for a whole document."),
        annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False),
    )
    async def search_patterns(
        query: Annotated[str, Field(description="What to look up, e.g. 'hybrid search reranking'.",
                                    min_length=1, max_length=MAX_QUERY_CHARS)],
        k: Annotated[int, Field(description="How many documents.", ge=1, le=20)] = 5,
        workflow: Annotated[WorkflowId | None, Field(description="Only patterns of this workflow.")] = None,
    ) -> PatternHits:
        if not query.strip():
            raise ToolError("the query is empty")

        def search() -> list[Any]:
            from mlarchitect.knowledge.base import knowledge_base_for

            # the process's one knowledge base, the one the design runs use too
            return knowledge_base_for(base).search(query, k=k, workflow=workflow, dedupe=True)

        hits = await asyncio.to_thread(search)
        return PatternHits(query=query, hits=[
            PatternHit(doc_id=h.doc_id, title=h.title, excerpt=_excerpt(h.chunk), score=round(h.score, 6),
                       uri=f"pattern://{h.doc_id}" if h.kind == "pattern" else "", section=h.section,
                       workflow=h.workflow, kind=h.kind)
            for h in hits])

    for doc_id, title, path in _pattern_documents():
        server.add_resource(FileResource(uri=f"pattern://{doc_id}", name=doc_id, title=title, path=path,
                                         mime_type="text/markdown",
                                         description=f"Design pattern: {title}"))

    @server.resource("schema://deliverable", name="deliverable-schema", title="Deliverable JSON Schema",
                     mime_type="application/json",
                     description="JSON Schema of the design deliverable (the `design` tool's structured content).")
    def deliverable_schema() -> str:
        return json.dumps(design_json_schema(), indent=2)

    @server.prompt(name="design_review", title="Design and review an ML system",
                   description="Design a system with the `design` tool, then review the deliverable critically.")
    def design_review(request: str, focus: str = "") -> str:
        extra = f" Pay special attention to: {focus.strip()}." if focus.strip() else ""
        return (
            f"Design this system with the mlarchitect `design` tool:\n\n{request.strip()}\n\n"
            "Then review the deliverable as a senior ML architect would: check that every stated "
            "requirement (scale, latency, budget, compliance) is met by a component or a sizing "
            "calculation, re-check the arithmetic, name the riskiest assumption and what would "
            "break first at ten times the load, and list what to validate before building. "
            "Cite the pattern:// documents behind each recommendation." + extra
        )

    return server


@click.command("mcp")
@click.option("--http", "http_port", type=click.IntRange(1, 65535), metavar="PORT",
              help="Serve streamable HTTP on 127.0.0.1:PORT (path /mcp) instead of stdio.")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              default="WARNING", show_default=True, help="Server log level (logs go to stderr).")
def mcp_command(http_port: int | None, log_level: str) -> None:
    """Serve the architect over MCP (stdio; --http PORT for streamable HTTP on 127.0.0.1).

    \b
    Client configuration (Claude Code and other MCP clients):
      {"mcpServers": {"mlarchitect": {"command": "design", "args": ["mcp"]}}}
    """
    import logging

    server = build_server()
    root = logging.getLogger()
    root.setLevel(log_level.upper())
    for handler in root.handlers:  # libraries that set their own logger to DEBUG (bm25s) stay quiet too
        handler.setLevel(log_level.upper())
    if http_port is None:
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=http_port)


def main() -> None:
    """``python -m mlarchitect.mcp_server``: the same as ``design mcp``."""
    mcp_command.main(prog_name="design mcp")


if __name__ == "__main__":  # pragma: no cover
    main()
