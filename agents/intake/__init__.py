"""Intake: what a request asks for (extraction), and what a design assumes where it is silent."""
