"""The built-in offline engine: a deterministic chat model that needs no network.

Reached only through the model factory (``mlarchitect.agents.models``); the
graph never imports it.
"""
