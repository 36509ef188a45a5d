"""Intake: turn a request (and follow-up turns) into typed :class:`Requirements`
with provenance: every value quotes the span of text it was read from."""
