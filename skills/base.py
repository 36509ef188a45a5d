"""What every skill shares: the tool result type, the context tools run in,
and the factory that turns a typed function into a LangChain tool."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from mlarchitect.tool_result import PatternHit, ToolResult

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from mlarchitect.skills.cost_analysis.pricing import PricingTable


class SkillContext(BaseModel):
    """Run-time dependencies of skill tools (no globals)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any = None
    pricing: Any = None
    default_model: str = "gpt-5-mini"

    def search(self, query: str, *, skill: str | None, k: int = 4) -> list[PatternHit]:
        """The ``k`` most relevant documents for ``query``.

        The skill's own patterns and the whole knowledge base (other patterns and the
        user's documents, which carry no skill tags) are searched and fused by
        reciprocal rank, so a user document about exactly the topic competes with the
        skill's patterns instead of being seen only when the skill has too few.
        Excerpts of users' documents (``kb add``, skill packs) are untrusted text and
        arrive delimited as data (see :func:`_excerpt`).
        """
        if self.retriever is None:
            return []
        from mlarchitect.knowledge.fusion import reciprocal_rank_fusion

        rankings = [self.retriever.search(query, k=k, dedupe=True)]
        if skill:
            rankings.insert(0, self.retriever.search(query, k=k, skill=skill, dedupe=True))
        best: dict[str, Any] = {}
        for ranking in rankings:
            for hit in ranking:
                best.setdefault(hit.doc_id, hit)
        fused = reciprocal_rank_fusion([[h.doc_id for h in ranking] for ranking in rankings])
        log.debug("search %r (skill %s): %s", query, skill, [doc_id for doc_id, _ in fused[:k]])
        return [
            PatternHit(doc_id=h.doc_id, title=_one_line_data(h.title),
                       excerpt=_excerpt(h.chunk, h.title, untrusted=getattr(h, "kind", "user") != "pattern"),
                       score=score)
            for doc_id, score in fused[:k]
            for h in (best[doc_id],)
        ]

    def pricing_table(self) -> PricingTable:
        from mlarchitect.skills.cost_analysis.pricing import load_pricing

        if self.pricing is None:
            self.pricing = load_pricing()
        return self.pricing


DATA_OPEN, DATA_CLOSE = "[document]", "[/document]"
# Things that could forge the data boundary or a chat turn inside quoted text.
_FORGERY = re.compile(r"\[/?document\]|<\|[^|>]{0,40}\|>|</?(?:system|assistant|user|tool)>", re.IGNORECASE)


def _one_line_data(text: str) -> str:
    return _FORGERY.sub(" ", " ".join(text.split()))


def _excerpt(chunk: str, title: str = "", limit: int = 600, *, untrusted: bool = False) -> str:
    """A one-paragraph excerpt. ``untrusted`` text (users' documents) is delimited as data,
    ``[document] ... [/document]``, with anything inside that could fake the delimiter or a
    chat turn removed; the prompts tell the model never to follow instructions found there."""
    first, _, rest = chunk.partition("\n")
    if title and first.startswith(title) and rest.strip():  # drop the "Title — Section" header line
        chunk = rest
    text = " ".join(line for line in chunk.splitlines() if not line.lstrip().startswith("#"))  # no headings
    text = _one_line_data(text)
    text = text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return f"{DATA_OPEN} {text} {DATA_CLOSE}" if untrusted else text


A = TypeVar("A", bound=BaseModel)


def skill_tool(
    skill_id: str,
    name: str,
    description: str,
    args_schema: type[A],
    run: Callable[[A], ToolResult],
) -> BaseTool:
    """A tool whose content is the result's JSON and whose artifact is its dict."""
    from langchain_core.tools import StructuredTool

    def call(**kwargs: Any) -> tuple[str, dict[str, Any]]:
        result = run(args_schema(**kwargs))
        return result.model_dump_json(exclude_defaults=True), result.model_dump()

    return StructuredTool.from_function(
        func=call,
        name=name,
        description=description,
        args_schema=args_schema,
        response_format="content_and_artifact",
        metadata={"skill": skill_id},
    )


class SearchArgs(BaseModel):
    query: str = Field(description="What to look up, in a few words.")
    k: int = Field(default=4, ge=1, le=10, description="How many patterns to return.")


def search_tool(skill_id: str, prefix: str, ctx: SkillContext, topic: str) -> BaseTool:
    def run(args: SearchArgs) -> ToolResult:
        hits = ctx.search(args.query, skill=skill_id, k=args.k)
        return ToolResult(
            skill=skill_id,
            tool=f"{prefix}_search_patterns",
            summary=f"{len(hits)} pattern(s) for '{args.query}'",
            patterns=hits,
        )

    return skill_tool(
        skill_id,
        f"{prefix}_search_patterns",
        f"Search the knowledge base of design patterns about {topic}. "
        "Returns pattern documents (id, title, excerpt) to cite in the design.",
        SearchArgs,
        run,
    )
