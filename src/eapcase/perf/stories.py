"""Case stories for benchmark data: a case line's values and its events in the history format,
built in memory in time order (the proportions of `bench/check_throughput.py`, the shapes of
`web/demo`). Pure Python: no database, no services."""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

CASE_TYPES = ["individual"] * 6 + [
    "couples",
    "family",
    "minor",
    "transitional_support",
    "assessment_only",
]
REFERRALS = ["self"] * 17 + ["management_referral", "critical_incident", "frequent_user"]
SUMMARIES = (
    "Called, no answer; detailed voicemail with the access line.",
    "Spoke to the participant; agreed a first session next week.",
    "Emailed the access line and times we can call.",
    "Left a generic message asking them to call the access line.",
)
NEXT_STEPS = ("Call again on Monday.", "Wait for the provider's notes.", "Check in next week.")
ISSUES = ("Work stress", "Bereavement", "Anxiety", "Relationship difficulties", "Low mood")
#: Share of the cases opened before the last STORY_DAYS whose story ends with a closure.
CLOSED_SHARE = 0.99


@dataclass(slots=True)
class Ev:
    """One event: its ordinal in the case (its `seq`), id, type, instant, author and fields."""

    seq: int
    id: str
    type: str
    at: datetime
    by: str
    fields: dict[str, Any]


@dataclass
class Story:
    number: int
    opened_at: datetime
    case_type: str
    referral: str
    benefit: int
    prefs: dict[str, bool]  # the participant's preferences now
    clinician: str
    events: list[Ev] = field(default_factory=list)
    opening: dict[str, bool] = field(default_factory=dict)  # those of the case line

    def __post_init__(self) -> None:
        self.opening = dict(self.prefs)


class _Script:
    def __init__(self, rng: random.Random, story: Story, now: datetime) -> None:
        self.rng, self.story, self.now = rng, story, story.opened_at
        self.limit = now

    def later(self, low_minutes: float, high_minutes: float) -> None:
        # random.uniform's own formula, without its call (a quarter of a million a second).
        minutes = low_minutes + (high_minutes - low_minutes) * self.rng.random()
        self.now += timedelta(minutes=minutes)

    def add(self, kind: str, **fields: Any) -> str:
        events = self.story.events
        seq = len(events) + 1
        event_id = f"E{seq}"
        at = self.now.replace(microsecond=0)
        if at > self.limit:
            raise _Stop
        events.append(Ev(seq, event_id, kind, at, self.story.clinician, fields))
        return event_id

    def attempts(self, count: int, target: str = "participant", reach_at_end: bool = False) -> None:
        rng = self.rng
        for index in range(count):
            self.later(30, 1800)
            reached = reach_at_end and index == count - 1
            prefs = self.story.prefs
            message = "none"
            if not reached:
                message = rng.choice(("detailed", "detailed", "generic", "none"))
                if message == "detailed" and not prefs.get("voicemail_ok", True):
                    message = "generic"
            self.add(
                "contact_attempt",
                target=target,
                channel=rng.choice(("phone", "phone", "email")),
                outcome="reached" if reached else "not_reached",
                message=message,
                summary=rng.choice(SUMMARIES),
            )


class _Stop(Exception):
    """The story reached the reference time: what follows has not happened yet."""


def case_story(
    rng: random.Random, number: int, opened_at: datetime, now: datetime, clinician: str
) -> Story:
    """A case and its events up to `now` (about 10): call backs, emails, outreach and
    check-ins, sessions and reviews, provider contacts, notes, queries, dissatisfaction,
    closure. Old cases are nearly all closed; recent ones are open, their story cut at `now`."""
    case_type = rng.choice(CASE_TYPES)
    prefs: dict[str, bool] = {}
    if rng.random() < 0.2:
        prefs = {"voicemail_ok": rng.random() < 0.5, "email_only": False}
    story = Story(
        number=number,
        opened_at=opened_at.replace(microsecond=0),
        case_type=case_type,
        referral=rng.choice(REFERRALS),
        benefit=rng.choice((3, 6, 6, 8)),
        prefs=prefs,
        clinician=clinician,
    )
    s = _Script(rng, story, now)
    with contextlib.suppress(_Stop):
        _main(rng, s, case_type)
    return story


def _main(rng: random.Random, s: _Script, case_type: str) -> None:
    if rng.random() < 0.6:
        s.later(1, 30)
        not_before = None
        if rng.random() < 0.2:
            not_before = (s.now + timedelta(hours=rng.uniform(2, 30))).replace(microsecond=0)
        s.add(
            "callback_requested", **({"not_before": not_before.isoformat()} if not_before else {})
        )
        s.attempts(rng.choice((1, 1, 2, 3)), reach_at_end=rng.random() < 0.7)
    for _ in range(rng.choice((0, 0, 1, 2))):
        s.later(60, 3000)
        email = s.add(
            "email_received",
            **{"from": rng.choice(("wpo", "participant")), "urgent": rng.random() < 0.1},
        )
        s.later(10, 900)
        s.add("email_acknowledged", email=email)
        if rng.random() < 0.85:  # the participant is reached within the day
            s.later(10, 400)
            s.add("contact_attempt", target="participant", channel="phone", outcome="reached",
                  message="none", summary=rng.choice(SUMMARIES))  # fmt: skip
        elif rng.random() < 0.95:  # else WPO is told
            s.attempts(1)
            s.later(1440, 1600)
            s.add("escalated_to_wpo", reason="no_contact")
        s.later(10, 1200)
        s.add("email_actioned", email=email)
    if rng.random() < 0.4:
        s.later(60, 3000)
        purpose = rng.choice(("general", "general", "complaint", "checkin"))
        s.add("outreach_requested", purpose=purpose, target="participant")
        if rng.random() < 0.1:
            s.add("risk_set", level=rng.choice(("low", "medium", "high")))
        s.attempts(rng.choice((1, 2, 3)), reach_at_end=rng.random() < 0.6)
    if rng.random() < 0.1:
        s.later(60, 600)
        s.add("participant_updated", participant={"voicemail_ok": False})
        s.story.prefs = {**s.story.prefs, "voicemail_ok": False}
    sessions = rng.choice((0, 0, 1, 2, 3, 4))
    for index in range(sessions):
        s.later(5000, 12000)
        s.add("session_held")
        if index == 0 and case_type != "individual" and rng.random() < 0.9:
            s.later(60, 3000)
            decision = rng.choice(("authorise_remaining", "authorise_remaining", "deny"))
            sessions_ok = {"authorise_remaining": 2, "deny": 0}[decision]
            s.add(
                "review_completed",
                decision=decision,
                sessions=sessions_ok,
                resources=["community counselling"] if decision == "deny" else [],
            )
        if rng.random() < 0.15:
            s.later(60, 600)
            contact = s.add("provider_contact", topic=rng.choice(("query", "risk", "goal_slip")))
            s.later(30, 2500)
            s.add("provider_responded", contact=contact)
    if sessions and rng.random() < 0.8:
        s.later(600, 3000)
        s.add("intervention_ended", provider="PR-1")
        s.later(600, 8000)
        notes = s.add("case_notes_uploaded", provider="PR-1")
        s.later(600, 8000)
        s.add("case_notes_reviewed", notes=notes)
    if rng.random() < 0.2:
        s.later(60, 3000)
        query = s.add("participant_query")
        s.later(60, 5000)
        s.add("participant_query_resolved", query=query)
    if rng.random() < 0.05:
        s.later(60, 3000)
        s.add("dissatisfaction_noted")
        s.add("escalated_to_wpo", reason="dissatisfaction")
    for _ in range(rng.choice((0, 1, 1, 2))):
        s.later(30, 600)
        s.add("note", summary=rng.choice(SUMMARIES), next_step=rng.choice(NEXT_STEPS))
    if rng.random() < CLOSED_SHARE:
        s.later(600, 6000)
        s.add("case_closed", reason="completed")


def long_story(
    rng: random.Random, number: int, now: datetime, clinician: str, events: int = 200
) -> Story:
    """An open case with `events` events over the last months: repeated call backs, emails,
    check-ins, queries and notes (the case page's large case)."""
    story = Story(
        number=number,
        opened_at=(now - timedelta(days=200)).replace(microsecond=0),
        case_type="individual",
        referral="self",
        benefit=8,
        prefs={},
        clinician=clinician,
    )
    s = _Script(rng, story, now)
    with contextlib.suppress(_Stop):
        _long(rng, s, story, events)
    return story


def _long(rng: random.Random, s: _Script, story: Story, events: int) -> None:
    step = (200 * 24 * 60 - 2 * 24 * 60) / events  # minutes between events, ending ~2 days ago
    cycle = 0
    while len(story.events) < events - 4:
        cycle += 1
        s.later(step * 0.5, step * 1.5)
        kind = cycle % 5
        if kind == 0:
            email = s.add("email_received", **{"from": "participant"})
            s.later(10, 200)
            s.add("email_acknowledged", email=email)
            s.later(10, 200)
            s.add("contact_attempt", target="participant", channel="phone", outcome="reached",
                  message="none", summary=rng.choice(SUMMARIES))  # fmt: skip
            s.later(10, 200)
            s.add("email_actioned", email=email)
        elif kind == 1:
            s.add("callback_requested")
            s.attempts(2, reach_at_end=True)
        elif kind == 2:
            s.add("note", summary=rng.choice(SUMMARIES), next_step=rng.choice(NEXT_STEPS))
        elif kind == 3:
            query = s.add("participant_query")
            s.later(10, 300)
            s.add("participant_query_resolved", query=query)
        else:
            s.add("contact_attempt", target="participant", channel="phone", outcome="reached",
                  message="none", summary=rng.choice(SUMMARIES))  # fmt: skip
    s.later(10, 60)
    s.add("email_received", **{"from": "wpo", "urgent": True})  # waiting for acknowledgement
    while len(story.events) < events:
        s.later(10, 60)
        s.add("note", summary=rng.choice(SUMMARIES), next_step=rng.choice(NEXT_STEPS))
