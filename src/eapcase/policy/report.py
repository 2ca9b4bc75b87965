"""The output of `eapcase check`: the JSON document (as data, and written straight to a
stream for large histories) and the human-readable text report."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Final, TextIO

from eapcase.policy.explain import case_standing, format_instant
from eapcase.policy.pack import PackSet, pack_summary
from eapcase.policy.types import Evaluation, Verdict

__all__ = ["JsonWriter", "document", "instant_literal", "text_report", "write_json"]


def document(pack_set: PackSet, evaluations: list[Evaluation], now: datetime) -> dict[str, Any]:
    iso: dict[datetime, str] = {}

    def text(at: datetime | None) -> str | None:
        # Many instants repeat (an event opens several obligations): format each once.
        if at is None:
            return None
        found = iso.get(at)
        if found is None:
            found = iso[at] = at.isoformat()
        return found

    cases = []
    for evaluation in evaluations:
        cases.append(
            {
                "case": evaluation.case,
                "in_scope": evaluation.in_scope,
                "obligations": [
                    {
                        "rule": ob.rule,
                        "trigger": ob.trigger,
                        "opened_at": text(ob.opened_at),
                        "due_at": text(ob.due_at),
                        "satisfied_at": text(ob.satisfied_at),
                        "status": ob.status,
                    }
                    for ob in evaluation.obligations
                ],
                "findings": [
                    {
                        "rule": fd.rule,
                        "event": fd.event,
                        "at": text(fd.at),
                        "severity": fd.severity,
                        "detail": fd.detail,
                    }
                    for fd in evaluation.findings
                ],
            }
        )
    return {"policy": pack_summary(pack_set.at(now), now), "now": now.isoformat(), "cases": cases}


def text_report(pack_set: PackSet, evaluations: list[Evaluation], now: datetime) -> str:
    pack = pack_set.at(now)
    overdue = "; the policy is overdue for review" if pack.review_overdue(now) else ""
    out = [
        f"Policy {pack.id} revision {pack.revision} (valid from {pack.valid_from}, next "
        f"revision {pack.next_revision}{overdue})",
        f"Judged at {format_instant(now, None)}",
    ]
    counts: dict[str, int] = {}
    for evaluation in evaluations:
        out.append("")
        if not evaluation.in_scope:
            out.append(f"Case {evaluation.case}: out of scope of this policy")
            continue
        standing = case_standing(evaluation.state)
        out.append(f"Case {evaluation.case}" + ("" if standing is None else f" ({standing})"))
        if not evaluation.obligations and not evaluation.findings:
            out.append("  nothing to judge")
        for ob in evaluation.obligations:
            counts[ob.status] = counts.get(ob.status, 0) + 1
            out.append(f"  {ob.status.upper():<8} {ob.rule} ({ob.trigger}): {ob.reason}")
        for fd in evaluation.findings:
            counts[fd.severity] = counts.get(fd.severity, 0) + 1
            out.append(
                f"  {fd.severity.upper():<8} {fd.rule} ({fd.event}, "
                f"{format_instant(fd.at, None)}): {fd.detail}"
            )
    summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "nothing"
    out.extend(["", f"{len(evaluations)} case(s): {summary}"])
    return "\n".join(out) + "\n"


class _Literals(dict[Any, str]):
    """JSON literals of values, each encoded once: most strings and instants of a document
    repeat (rule ids, statuses, an event's instant in every obligation it opens)."""

    def __init__(self, encode: Callable[[Any], str]) -> None:
        super().__init__({None: "null"})
        self.encode = encode

    def __missing__(self, value: Any) -> str:
        literal = self[value] = self.encode(value)
        return literal


_encode_string: Final[Callable[[str], str]] = json.encoder.encode_basestring


class _DayLiterals(dict[int, str]):
    """`"YYYY-MM-DDT` of each proleptic Gregorian ordinal, formatted once."""

    def __missing__(self, ordinal: int) -> str:
        literal = self[ordinal] = f'"{date.fromordinal(ordinal).isoformat()}T'
        return literal


class _ClockLiterals(dict[int, str]):
    """`HH:MM:SS+00:00"` of each second of a UTC day, formatted once."""

    def __missing__(self, second: int) -> str:
        hours, rest = divmod(second, 3600)
        literal = self[second] = '%02d:%02d:%02d+00:00"' % (hours, *divmod(rest, 60))  # noqa: UP031
        return literal


_DAYS: Final = _DayLiterals()
_CLOCKS: Final = _ClockLiterals()


def instant_literal(at: datetime) -> str:
    """The JSON literal of an instant: `json.dumps(at.isoformat())`. The engine's instants
    are UTC and mostly whole seconds; those are put together from their day and their second
    of the day, each formatted once (a history spans a few hundred days, and a day has 86,400
    seconds): about half the time of formatting each instant with `%`, which was itself about
    twice as fast as `datetime.isoformat`. Anything else (another zone, microseconds) goes
    through `isoformat` itself."""
    if at.tzinfo is UTC and not at.microsecond:
        return _DAYS[at.toordinal()] + _CLOCKS[at.hour * 3600 + at.minute * 60 + at.second]
    return f'"{at.isoformat()}"'


class _Affixes(dict[str, str]):
    """The constant JSON text around a value, for each value of a field (a rule, a status,
    a severity), put together once: `template % encoded value`."""

    def __init__(self, template: str) -> None:
        super().__init__()
        self.template = template

    def __missing__(self, value: str) -> str:
        literal = self[value] = self.template % _encode_string(value)
        return literal


class JsonWriter:
    """Writes `document(...)` as JSON text (one line) case by case, without building the
    document: the same JSON as json.dumps(document(...), ensure_ascii=False), in a third less
    time for a large history. `case` takes the evaluations in document order; `close` ends
    the document."""

    def __init__(self, out: TextIO, pack_set: PackSet, now: datetime) -> None:
        self.out = out
        # Every value looked up here is a str (ids, details, StrEnum members): for a str,
        # json.dumps(value, ensure_ascii=False) is exactly encode_basestring(value), the C
        # function it ends in, without the two Python calls and the encoder object before it.
        self.text = _Literals(_encode_string)
        # The keys and the rule, status and severity around each obligation and finding: a
        # handful of values, so each piece of constant text is looked up once, not formatted.
        self.obligation_head = _Affixes('{"rule": %s, "trigger": ')
        self.obligation_tail = _Affixes(', "status": %s}')
        self.finding_head = _Affixes('{"rule": %s, "event": ')
        self.finding_middle = _Affixes(', "severity": %s, "detail": ')
        head = json.dumps(
            {"policy": pack_summary(pack_set.at(now), now), "now": now.isoformat()},
            ensure_ascii=False,
        )
        self.parts = [head[:-1], ', "cases": [']
        self.first = True

    def case(self, evaluation: Evaluation | Verdict) -> None:
        # Instants are formatted inline from their day and second of the day (see
        # instant_literal): almost every instant of a case is new (an event's, a deadline's),
        # so a cache of instants misses far more than it hits, and a call per instant costs
        # as much as the formatting.
        text, days, clocks = self.text, _DAYS, _CLOCKS
        heads, tails = self.obligation_head, self.obligation_tail
        parts = [
            # A case id comes once: encoded as it is, not kept.
            f'{"" if self.first else ", "}{{"case": {_encode_string(evaluation.case)}, '
            f'"in_scope": {"true" if evaluation.in_scope else "false"}, "obligations": ['
        ]
        append = parts.append
        separator = ""
        for ob in evaluation.obligations:
            at = ob.opened_at
            if at.tzinfo is UTC and not at.microsecond:
                opened = days[at.toordinal()] + clocks[at.hour * 3600 + at.minute * 60 + at.second]
            else:
                opened = instant_literal(at)
            due_at = ob.due_at
            if due_at is None:
                due = "null"
            elif due_at.tzinfo is UTC and not due_at.microsecond:
                due = (
                    days[due_at.toordinal()]
                    + clocks[due_at.hour * 3600 + due_at.minute * 60 + due_at.second]
                )
            else:
                due = instant_literal(due_at)
            satisfied_at = ob.satisfied_at
            if satisfied_at is None:
                satisfied = "null"
            elif satisfied_at.tzinfo is UTC and not satisfied_at.microsecond:
                satisfied = (
                    days[satisfied_at.toordinal()]
                    + clocks[
                        satisfied_at.hour * 3600 + satisfied_at.minute * 60 + satisfied_at.second
                    ]
                )
            else:
                satisfied = instant_literal(satisfied_at)
            append(
                f'{separator}{heads[ob.rule]}{text[ob.trigger]}, "opened_at": {opened}, '
                f'"due_at": {due}, "satisfied_at": {satisfied}{tails[ob.status]}'
            )
            separator = ", "
        append('], "findings": [')
        heads, middles = self.finding_head, self.finding_middle
        separator = ""
        for fd in evaluation.findings:
            at = fd.at
            if at.tzinfo is UTC and not at.microsecond:
                found = days[at.toordinal()] + clocks[at.hour * 3600 + at.minute * 60 + at.second]
            else:
                found = instant_literal(at)
            append(
                f'{separator}{heads[fd.rule]}{text[fd.event]}, "at": {found}'
                f"{middles[fd.severity]}{text[fd.detail]}}}"
            )
            separator = ", "
        append("]}")
        self.parts.append("".join(parts))
        self.first = False
        if len(self.parts) > 4096:
            self.out.write("".join(self.parts))
            self.parts.clear()
        if len(self.text) > 65536:
            # Ids and details repeat within a case far more than across cases: keep the
            # cache small when cases stream through (policy/stream.py).
            self.text = _Literals(self.text.encode)

    def close(self) -> None:
        self.parts.append("]}\n")
        self.out.write("".join(self.parts))
        self.parts.clear()


def write_json(
    out: TextIO, pack_set: PackSet, evaluations: list[Evaluation], now: datetime
) -> None:
    """Write `document(...)` as JSON text (one line)."""
    writer = JsonWriter(out, pack_set, now)
    for evaluation in evaluations:
        writer.case(evaluation)
    writer.close()
