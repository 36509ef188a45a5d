"""Opening the knowledge base for a design, possibly in the background.

Opening it (the Chroma client and its collections, the bundled embedder, the BM25 index, a
warm-up search) takes a few hundred milliseconds, partly in Chroma's Rust core and in file
reads that release the GIL; the rest of a design's set-up (the model, the tools) does not need
it. :class:`KnowledgeBaseOpening` starts it at once; :meth:`~KnowledgeBaseOpening.result` waits
for it when the design needs the knowledge base.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlarchitect.background import Background
from mlarchitect.events import Note, StepStarted

if TYPE_CHECKING:
    from mlarchitect.config import Settings
    from mlarchitect.knowledge.base import KnowledgeBase
    from mlarchitect.knowledge.models import BuildReport
    from mlarchitect.skills.registry import SkillCatalog

EventCallback = Callable[[Any], None]


class KnowledgeBaseOpening:
    """The process's shared knowledge base for ``settings`` (``kb_dir``, or the Chroma server of
    ``chroma_host``/``chroma_port``), built on first use, being opened in a background thread."""

    def __init__(self, settings: Settings) -> None:
        from mlarchitect.knowledge.base import knowledge_base_for

        self.kb: KnowledgeBase = knowledge_base_for(settings)
        self._opening = Background(self._open, name="design-kb-open")

    def _open(self) -> BuildReport | None:
        report = self.kb.ensure_built()
        # load the embedder and open the store before the parallel tool threads race for it
        self.kb.search("warm up", k=1)
        return report

    def result(self, skills: SkillCatalog, emit: EventCallback) -> KnowledgeBase:
        """The opened knowledge base (an error of the opening is raised here); what the opening
        is worth telling goes to ``emit``; users' skill packs become searchable text."""
        report = self._opening.result()
        kb = self.kb
        knowledge_base_events(report, emit)
        for lost in kb.lost_user_documents():
            emit(Note(level="warning", message=f"user document lost (its saved text is gone; add it again): {lost}"))
        user_skills = [s for s in skills.skills.values() if not s.builtin]
        if user_skills:
            kb.add_texts([(f"skill:{s.name}", f"# {s.name}\n\n{s.description}\n\n{s.body}",
                           {"title": s.name, "skills": s.name}) for s in user_skills])
        return kb


def open_knowledge_base(settings: Settings, skills: SkillCatalog, emit: EventCallback) -> KnowledgeBase:
    """The knowledge base, opened now (see :class:`KnowledgeBaseOpening`)."""
    return KnowledgeBaseOpening(settings).result(skills, emit)


def knowledge_base_events(report: BuildReport | None, emit: EventCallback) -> None:
    """What building or updating the knowledge base is worth telling."""
    if report is not None and (report.added or report.updated or report.removed):
        emit(StepStarted(step="loading", message=f"knowledge base indexed ({report.chunks} chunks)"))
    if report is not None and report.rebuilt and report.reason not in (None, "no index yet", "forced"):
        emit(Note(level="warning", message=f"knowledge base rebuilt: {report.reason}"))
