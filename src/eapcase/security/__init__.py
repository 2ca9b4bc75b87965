"""Security around the case record: login lockout, the second factor, sessions, API tokens,
the response headers every page carries, and files kept private at rest (ADRs 0012-0015)."""
