"""Analysis over loaded snapshots (trace: packet walks; check: intent and pitfalls): data in, data out."""
