"""The compliance app keeps no models of its own: the case history, obligations, findings,
overrides and escalations belong to the case record in `eapcase.cases` (ADR 0003), with
their tables unchanged."""
