"""The architect for ``langgraph dev`` / LangGraph Server (see ``langgraph.json``).

``graph`` is :func:`mlarchitect.api.create_architect` with the settings of the
environment (``OPENAI_API_KEY``, ``MLARCHITECT_*``): input ``{"request": str}``, output
``design`` (the deliverable as JSON) plus ``request``, ``route``, ``stated``,
``requirements``, ``notes``, ``llm_calls``, ``tokens`` and ``fallback_used``. It is compiled without a checkpointer:
the server brings its own persistence.
"""

from __future__ import annotations

from mlarchitect.api import create_architect

graph = create_architect()
