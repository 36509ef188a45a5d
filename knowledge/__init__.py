"""Knowledge base (placeholder until the KB module lands)."""
