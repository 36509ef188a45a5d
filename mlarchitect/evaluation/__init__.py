"""Evaluation of the design assistant: versioned case sets, pure metrics, a
runner over the public ``design()`` entry point, reports and ``design eval``.

Importing this package is cheap; the runner imports the agents and the
knowledge base only when a run starts.
"""
