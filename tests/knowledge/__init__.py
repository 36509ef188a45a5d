"""Tests of the knowledge base (a package, so its conftest does not shadow tests/conftest.py)."""
