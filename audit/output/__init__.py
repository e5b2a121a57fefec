"""Output formats for a scan: ``text`` (rich, for people) and ``json`` (for tools)."""
