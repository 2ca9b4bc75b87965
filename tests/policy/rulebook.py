"""Small helpers for the spec-driven policy tests (shared/spec/rules.md, history-format.md).

A history is built from Python dicts: one partner line (London by default), one case line
(``C1``, self-referred individual case with 6 sessions by default) and the events, each of
which gets ``"case": "C1"`` unless it names another case.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from eapcase.policy.check import check_history

PARTNER_UK = {
    "type": "partner",
    "id": "P-UK",
    "timezone": "Europe/London",
    "country": "GB",
    "subdivision": "ENG",
}
PARTNER_NY = {
    "type": "partner",
    "id": "P-NY",
    "timezone": "America/New_York",
    "country": "US",
    "subdivision": "NY",
}
CASE = {
    "type": "case",
    "case": "C1",
    "at": "2026-01-05T09:00:00+00:00",
    "partner": "P-UK",
    "referral": "self",
    "case_type": "individual",
    "benefit_sessions": 6,
}
SUMMARY = "Called; agreed next step."


def ev(type_: str, at: str, id_: str | None = None, **fields: Any) -> dict[str, Any]:
    """One event line of case C1 (``id_`` omitted when None)."""
    line: dict[str, Any] = {"type": type_, "case": "C1", "at": at}
    if id_ is not None:
        line["id"] = id_
    line.update(fields)
    return line


def attempt(at: str, id_: str | None = None, **fields: Any) -> dict[str, Any]:
    """A contact attempt; defaults: participant, phone, not reached, detailed, summarised."""
    line = {
        "target": "participant",
        "channel": "phone",
        "outcome": "not_reached",
        "message": "detailed",
        "summary": SUMMARY,
    }
    line.update(fields)
    return ev("contact_attempt", at, id_, **line)


def history(
    events: list[dict[str, Any]], partner: dict[str, Any] | None = None, **case: Any
) -> list[str]:
    """JSON lines: the partner, case C1 (``case`` overrides CASE's fields), then events."""
    partner = PARTNER_UK if partner is None else partner
    case_line = {**CASE, "partner": partner["id"], **case}
    return [json.dumps(line) for line in [partner, case_line, *events]]


def run(lines: list[str], now: str) -> dict[str, Any]:
    return check_history(lines, datetime.fromisoformat(now))


def run_case(
    events: list[dict[str, Any]], now: str, partner: dict[str, Any] | None = None, **case: Any
) -> dict[str, Any]:
    """Check a one-case history and return that case's entry of the document."""
    doc = run(history(events, partner, **case), now)
    assert [c["case"] for c in doc["cases"]] == ["C1"]
    return doc["cases"][0]


def instant(value: str | None) -> datetime | None:
    """An ISO 8601 instant with an offset, parsed for comparison as an instant."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None, f"instant without offset: {value}"
    return parsed


def Ob(
    rule: str, trigger: str, opened: str, due: str | None, satisfied: str | None, status: str
) -> tuple[Any, ...]:
    """An expected obligation, comparable with ``obligation_key``."""
    return (rule, trigger, instant(opened), instant(due), instant(satisfied), status)


def Fd(rule: str, event: str, severity: str) -> tuple[str, str, str]:
    """An expected finding (``detail`` is never compared)."""
    return (rule, event, severity)


def obligation_key(ob: dict[str, Any]) -> tuple[Any, ...]:
    return (
        ob["rule"],
        ob["trigger"],
        instant(ob["opened_at"]),
        instant(ob["due_at"]),
        instant(ob["satisfied_at"]),
        ob["status"],
    )


def finding_key(fd: dict[str, Any]) -> tuple[str, str, str]:
    return (fd["rule"], fd["event"], fd["severity"])


def obligations(case: dict[str, Any]) -> Counter[tuple[Any, ...]]:
    return Counter(obligation_key(ob) for ob in case["obligations"])


def findings(case: dict[str, Any]) -> Counter[tuple[str, str, str]]:
    return Counter(finding_key(fd) for fd in case["findings"])


def find_obligation(case: dict[str, Any], rule: str, trigger: str) -> dict[str, Any]:
    """The single obligation of ``rule`` opened by ``trigger``."""
    found = [ob for ob in case["obligations"] if (ob["rule"], ob["trigger"]) == (rule, trigger)]
    assert len(found) == 1, found
    return found[0]


def find_findings(case: dict[str, Any], rule: str, event: str) -> list[dict[str, Any]]:
    return [fd for fd in case["findings"] if (fd["rule"], fd["event"]) == (rule, event)]
