"""What a clinician reads instead of ids: a rule's title for its id (`CM-CALLBACK` -> "Call
back") and an event's kind and time for its id (`cb1` -> "the call back of Thu 3 Dec 10:24").

The pages (through the template filters of `web.templatetags.eapcase_words`), the reminder mails
and the in-app notifications all use these functions, so an event is named the same way
everywhere. The ids stay in the data and in small print for support (ADR 0009). The engine's
own sentences (obligation reasons, finding details) name events by id; `CaseWords.text`
rewrites them for display and leaves the engine untouched."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Final, Protocol

from eapcase.cases.models import Case, CaseEvent
from eapcase.policy.explain import RULE_TITLES, format_instant
from eapcase.policy.types import EventType

#: Each event type as a noun, for "the <noun> of <time>".
EVENT_NOUNS: Final[dict[str, str]] = {
    EventType.PARTICIPANT_UPDATED: "change of contact preferences",
    EventType.RISK_SET: "risk assessment",
    EventType.CALLBACK_REQUESTED: "call back",
    EventType.OUTREACH_REQUESTED: "outreach request",
    EventType.OUTREACH_CLOSED: "closing of the outreach",
    EventType.CONTACT_ATTEMPT: "contact attempt",
    EventType.EMAIL_RECEIVED: "email",
    EventType.EMAIL_ACKNOWLEDGED: "acknowledgement of the email",
    EventType.EMAIL_ACTIONED: "action on the email",
    EventType.ESCALATED_TO_WPO: "escalation to WPO",
    EventType.DISSATISFACTION_NOTED: "dissatisfaction",
    EventType.PARTICIPANT_QUERY: "query",
    EventType.PARTICIPANT_QUERY_RESOLVED: "resolution of the query",
    EventType.PROVIDER_CONTACT: "provider contact",
    EventType.PROVIDER_RESPONDED: "answer to the provider",
    EventType.SESSION_HELD: "session",
    EventType.REVIEW_COMPLETED: "first-session review",
    EventType.INTERVENTION_ENDED: "end of the intervention",
    EventType.CASE_NOTES_UPLOADED: "case notes",
    EventType.CASE_NOTES_REVIEWED: "review of the case notes",
    EventType.NOTE: "note",
    EventType.CASE_CLOSED: "closure",
    EventType.CASE_REOPENED: "reopening",
}

#: An outreach request is named by its purpose (a check-in is not "an outreach" to a clinician).
_OUTREACH_NOUNS: Final[dict[str, str]] = {
    "general": "outreach request",
    "complaint": "outreach after a complaint",
    "checkin": "clinical check-in",
    "callback": "call back",
}

#: A rule id as the engine writes it (`CM-` and capitals, digits, hyphens).
_RULE_ID: Final = re.compile(r"\bCM-[A-Z0-9]+(?:-[A-Z0-9]+)*\b")


def refused_rule(message: str) -> str | None:
    """The rule a refusal starts with ("CM-REVIEW-DECISION: authorises 6 sessions..."), if any."""
    found = _RULE_ID.match(message)
    return found.group(0) if found else None


def rule_title(rule: str) -> str:
    """The rule's title ("Call back"); an unknown id is returned as it is."""
    return RULE_TITLES.get(rule, rule)


def short_time(at: datetime, zone: str) -> str:
    """`Thu 3 Dec 10:24` in the Partner's zone. No year: a label is read beside the case, whose
    dates carry it."""
    # The engine's own format ("Thu 3 Dec 2026 10:24 Europe/London") without year and zone,
    # so the pages and the engine's sentences spell days and months alike.
    day, date, month, _year, clock, _zone = format_instant(at, zone).split(" ")
    return f"{day} {date} {month} {clock}"


def event_noun(kind: str, fields: dict[str, Any] | None = None) -> str:
    """The event type as a noun ("call back"); an outreach request by its purpose."""
    if kind == EventType.OUTREACH_REQUESTED and fields:
        purpose = str(fields.get("purpose") or "general")
        return _OUTREACH_NOUNS.get(purpose, EVENT_NOUNS[kind])
    return EVENT_NOUNS.get(kind, kind.replace("_", " "))


def event_label(kind: str, at: datetime, zone: str, fields: dict[str, Any] | None = None) -> str:
    """`the call back of Thu 3 Dec 10:24`: the kind and the time of an event."""
    return f"the {event_noun(kind, fields)} of {short_time(at, zone)}"


class NamedEvent(Protocol):
    """What naming an event reads: a `CaseEvent`, or the case page's row of one."""

    @property
    def event_id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def fields(self) -> Any: ...


@dataclass(frozen=True)
class CaseWords:
    """The labels of one case's events, to name them and to rewrite the engine's sentences."""

    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_events(cls, events: Iterable[NamedEvent], zone: str) -> CaseWords:
        return cls({e.event_id: event_label(e.type, e.at, zone, e.fields) for e in events})

    @classmethod
    def for_case(cls, case: Case, event_ids: Iterable[str] | None = None) -> CaseWords:
        """The labels of the case's events (of `event_ids` only, when given): one query."""
        rows = CaseEvent.objects.filter(case=case)
        if event_ids is not None:
            rows = rows.filter(event_id__in=list(event_ids))
        events = rows.only("event_id", "type", "at", "fields")
        return cls.of_events(events, case.partner.timezone)

    def event(self, event_id: str) -> str:
        """The event's label; an id the case does not hold is returned as it is."""
        return self.labels.get(event_id, event_id)

    def text(self, sentence: str) -> str:
        """The sentence with every rule id replaced by its title and every event id of the case
        by its label: "met by a1 on ..." -> "met by the contact attempt of Mon 2 Mar 10:00 on
        ...". Ids are matched whole, so `a1` never rewrites a part of `a12`."""
        sentence = _RULE_ID.sub(lambda m: rule_title(m.group(0)), sentence)
        pattern = self._pattern
        if pattern is None:
            return sentence
        return pattern.sub(lambda m: self.labels[m.group(0)], sentence)

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        # Only ids with a digit are rewritten in free text (a1, cb1, L12, E1): a history may
        # name an event with a plain word, which must not replace that word in a sentence.
        ids = sorted((i for i in self.labels if any(c.isdigit() for c in i)), key=len, reverse=True)
        if not ids:
            return None
        return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, ids)) + r")(?![\w-])")
