"""Planning one case's history: a list of timed steps, made before anything is written.

A story follows the EAP case flow (domain background, section 2): intake, a call back, an
email or an outreach, contact attempts, an assessment note, referral to a provider, sessions and
the first-session review, side events (provider contacts, queries, emails, dissatisfaction),
the end of the intervention, case notes and their review, closure and the client's check-in.
Times are placed in the Partner's business hours; some steps are late or missing, as they are
in real services. Steps later than the reference time are dropped, so recent cases are open.

A *stalled* story stops at a named point (a call back not yet attempted, an email not yet
acknowledged...) so that each demo login has overdue and open work at the reference time."""

from __future__ import annotations

import contextlib
import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from eapcase.web.demo import texts
from eapcase.web.demo.clock import PartnerClock
from eapcase.web.demo.people import ParticipantSpec

REVIEW_TYPES = frozenset({"couples", "family", "minor", "transitional_support", "assessment_only"})
# Stall points whose work is under a deadline (overdue at the reference time) and the others
# (open work with no deadline).
DEADLINE_STALLS = frozenset({"callback", "provider_contact", "checkin"})
EMAIL_STALLS = frozenset({"email_ack", "email_action"})
PROVIDER_STALLS = frozenset({"provider_contact", "review", "notes_review", "notes_upload"})


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str
    by: str | None  # username of the actor; None for the mailbox
    args: dict[str, Any]


@dataclass
class CaseSpec:
    number: int
    participant: ParticipantSpec
    partner: str
    client: str
    case_type: str
    referral: str
    benefit: int
    provider: str | None
    provider_name: str
    clinician: str
    intake: str
    opened_at: datetime
    issue: str
    checkins: bool
    stall: str | None = None
    seed: str = ""

    @property
    def provider_user(self) -> str:
        return f"provider-{self.provider.split('-')[1]}" if self.provider else ""


@dataclass
class Plan:
    spec: CaseSpec
    steps: list[Step]
    prefs: dict[str, bool]  # the participant's preferences after the story
    closed_at: datetime | None
    stall_at: datetime | None
    sessions: int
    counts: dict[str, int] = field(default_factory=dict)


class _Stop(Exception):
    """The story reached its stall point."""


def plan_case(spec: CaseSpec, clock: PartnerClock, now: datetime, prefs: dict[str, bool]) -> Plan:
    story = _Story(spec, clock, now, prefs)
    with contextlib.suppress(_Stop):  # the story reached its stall point
        story.main()
    return story.plan()


class _Story:
    def __init__(
        self, spec: CaseSpec, clock: PartnerClock, now: datetime, prefs: dict[str, bool]
    ) -> None:
        self.spec = spec
        self.clock = clock
        self.now = now
        self.rng = random.Random(spec.seed)
        self.prefs = dict(prefs)
        self.t = spec.opened_at
        self.steps: list[Step] = []
        self.risk = "none"
        self.keys = itertools.count(1)
        self.stall_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.sessions = 0
        self.open_outreach: list[str] = []
        self.clin = spec.clinician
        self.prov = spec.provider_user

    # -- time and bookkeeping ------------------------------------------------------------

    def bh(self, lo: float, hi: float, base: datetime | None = None) -> datetime:
        """Between `lo` and `hi` business hours after `base` (default: the story's cursor)."""
        base = base or self.t
        at = self.clock.add_business_hours(base, self.rng.uniform(lo, hi))
        return max(at.replace(second=0, microsecond=0), base + timedelta(minutes=1))

    def minutes(self, lo: int, hi: int, base: datetime | None = None) -> datetime:
        return (base or self.t) + timedelta(minutes=self.rng.randint(lo, hi))

    def add(
        self, at: datetime, kind: str, by: str | None, advance: bool = True, **args: Any
    ) -> datetime:
        """Plan a step; `advance=False` for background steps (WPO acknowledging an escalation)
        that do not hold up the rest of the story."""
        self.steps.append(Step(at, kind, by, args))
        if advance:
            self.t = max(self.t, at)
        return at

    def stop_if(self, kind: str, at: datetime) -> None:
        if self.spec.stall == kind:
            self.stall_at = at
            raise _Stop

    def key(self, prefix: str) -> str:
        return f"{prefix}{next(self.keys)}"

    def pick(self, weights: Mapping[Any, float]) -> Any:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def plan(self) -> Plan:
        limit = self.stall_at or self.now
        steps = sorted((s for s in self.steps if s.at <= limit), key=lambda s: s.at)
        closed = self.closed_at if self.closed_at and self.closed_at <= limit else None
        return Plan(
            spec=self.spec,
            steps=steps,
            prefs=self.prefs,
            closed_at=closed,
            stall_at=self.stall_at,
            sessions=self.sessions,
        )

    # -- the flow ------------------------------------------------------------------------

    def main(self) -> None:
        s = self.spec
        entry = {
            "email_ack": "email",
            "email_action": "email",
            "callback": "callback",
            "outreach": "outreach",
        }.get(s.stall or "")
        entry = entry or self.pick({"callback": 55, "email": 20, "outreach": 25})
        if s.stall is None and self.rng.random() < 0.12:
            self.set_risk(
                self.minutes(1, 4), self.pick({"low": 5, "medium": 3, "high": 1}), s.intake
            )
        if entry == "callback":
            reached = self.callback_entry()
        elif entry == "email":
            reached = self.email(
                "wpo" if s.stall or self.rng.random() < 0.8 else "participant",
                needs_contact=True,
                entry=True,
            )
        else:
            reached = self.outreach_entry()
        if reached is None:
            self.note(self.bh(0.2, 4), texts.NO_CONTACT_NOTE, "Close case.")
            self.close("no_contact")
            self.checkin()
            return
        self.after_contact(reached)

    def callback_entry(self) -> datetime | None:
        s = self.spec
        at = self.minutes(2, 8)
        not_before = None
        if s.stall is None and self.rng.random() < 0.12:
            # "Please call me after lunch tomorrow."
            day = self.clock.next_open_day(self.clock.local(at).date() + timedelta(days=1))
            not_before = self.clock.at_local(day, self.rng.uniform(12.5, 15.0))
        self.add(
            at,
            "callback",
            s.intake,
            key="cb",
            not_before=not_before,
            reason=self.rng.choice(texts.CALLBACK_REASONS),
        )
        self.open_outreach.append("cb")
        self.stop_if("callback", at)
        base = not_before or at
        # Most call backs are attempted within the business day; some slip.
        first = self.bh(0.2, 7.0, base) if self.rng.random() < 0.85 else self.bh(8.5, 20, base)
        return self.contact(first, required=2)

    def outreach_entry(self) -> datetime | None:
        at = self.add(
            self.bh(0.1, 3.0),
            "outreach",
            self.clin,
            key="o1",
            purpose="general",
            target="participant",
            due=None,
            reason="First contact after intake.",
        )
        self.open_outreach.append("o1")
        return self.contact(self.bh(0.1, 4.0, at), required=2)

    def contact(self, first: datetime, required: int, hook: Any = None) -> datetime | None:
        """Attempts until the participant is reached or the required attempts are made; then,
        often, the participant gets back in touch through the access line."""
        s = self.spec
        t = first
        n = 0
        while True:
            n += 1
            reached = s.stall != "outreach" and self.rng.random() < (0.55 if n == 1 else 0.45)
            self.attempt(t, self.channel(n), reached)
            if n == 1 and hook is not None:
                hook(t)
            if reached:
                self.open_outreach.clear()
                return t
            self.stop_if("outreach", t)
            # With risk identified, further attempts are clinically appropriate.
            if n >= required and not (self.risk in ("medium", "high") and n < 4):
                break
            t = self.bh(4, 14, t)
        for key in self.open_outreach:
            self.add(
                self.bh(0.1, 2),
                "outreach_close",
                self.clin,
                key=key,
                reason="Required attempts made; waiting for the participant to call.",
            )
        self.open_outreach.clear()
        if s.stall is None and self.rng.random() > 0.6:
            return None
        callback = self.bh(4, 40)
        key = self.key("cb")
        self.add(
            callback,
            "callback",
            s.intake,
            key=key,
            not_before=None,
            reason="Participant returned our calls through the access line.",
        )
        at = self.bh(0.2, 6.0, callback)
        channel = "phone" if self.prefs["phone"] and not self.prefs["email_only"] else "email"
        self.attempt(at, channel, True, summary=self.rng.choice(texts.RETURNED[channel]))
        return at

    def channel(self, n: int) -> str:
        p = self.prefs
        can_phone = p["phone"] and not p["email_only"]
        can_email = p["email"] and p["email_consent"]
        if not can_phone:
            return "email" if p["email"] else "phone"
        if can_email and ((n >= 2 and self.rng.random() < 0.35) or self.rng.random() < 0.02):
            return "email"
        return "phone"

    def message(self, channel: str) -> str:
        """Mostly what the participant allows; now and then a realistic slip."""
        r = self.rng.random()
        if channel == "phone":
            if self.prefs["voicemail_ok"]:
                return "detailed" if r < 0.85 else "generic" if r < 0.95 else "none"
            return "none" if r < 0.7 else "generic" if r < 0.95 else "detailed"
        if self.prefs["email_messages_ok"]:
            return "detailed" if r < 0.92 else "generic"
        return "generic" if r < 0.93 else "detailed"

    def attempt(
        self,
        at: datetime,
        channel: str,
        reached: bool,
        summary: str | None = None,
        by: str | None = None,
    ) -> datetime:
        message = "none" if reached else self.message(channel)
        if summary is None:
            pool = texts.REACHED[channel] if reached else texts.NOT_REACHED[(channel, message)]
            summary = self.rng.choice(pool)
        return self.add(
            at,
            "attempt",
            by or self.clin,
            target="participant",
            channel=channel,
            outcome="reached" if reached else "not_reached",
            message=message,
            summary=summary.format(issue=self.spec.issue.lower()),
        )

    def email(self, sender: str, *, needs_contact: bool, entry: bool) -> datetime | None:
        s = self.spec
        if entry:
            received = self.minutes(3, 25)
        else:
            # Emails arrive at any hour, not only in business hours.
            received = self.bh(4, 30) + timedelta(minutes=self.rng.randint(-120, 300))
            received = max(received, self.t + timedelta(minutes=5))
        key = self.key("e")
        if not s.participant.email:
            sender = "wpo"
        if sender == "wpo":
            subject, body = self.rng.choice(
                texts.WPO_EMAILS if needs_contact else texts.WPO_INFO_EMAILS
            )
            address = "intake@wpo.example"
        else:
            subject, body = self.rng.choice(texts.PARTICIPANT_EMAILS)
            address = s.participant.email
        urgent = self.risk in ("medium", "high") or self.rng.random() < 0.08
        self.add(
            received,
            "email_in",
            None,
            key=key,
            sender=sender,
            urgent=urgent,
            needs_contact=needs_contact,
            subject=subject,
            body=body,
            address=address,
        )
        if entry:
            self.stop_if("email_ack", received)
        on_time = self.rng.random() < 0.85 or s.stall == "email_action"
        ack = self.bh(0.1, 4.0, received) if on_time else self.bh(9, 20, received)
        self.add(ack, "email_ack", self.clin, key=key)
        if entry:
            self.stop_if("email_action", ack)
        if not needs_contact:
            self.add(
                self.bh(0.05, 3, ack),
                "email_act",
                self.clin,
                key=key,
                summary=texts.EMAIL_ACTIONS[2],
            )
            return None

        def actioned(at: datetime) -> None:
            self.add(
                at + timedelta(minutes=3),
                "email_act",
                self.clin,
                key=key,
                summary=self.rng.choice(texts.EMAIL_ACTIONS[:2]),
            )

        reached = self.contact(self.bh(0.05, 1.5, ack), required=2 if entry else 1, hook=actioned)
        mark = received + timedelta(hours=24)
        if reached is None or reached > mark:
            # Not reached within 24 hours: WPO must be informed, usually promptly.
            r = self.rng.random()
            if r < 0.8:
                at = self.clock.business_start(mark + timedelta(minutes=self.rng.randint(5, 50)))
                self.escalate(
                    at.replace(second=0, microsecond=0), "no_contact", texts.INFORM_SUMMARY
                )
            elif r < 0.9:
                self.escalate(self.bh(4, 16, mark), "no_contact", texts.INFORM_SUMMARY)
        return reached

    def escalate(self, at: datetime, reason: str, summary: str) -> None:
        key = self.key("x")
        self.add(at, "escalate", self.clin, advance=False, key=key, reason=reason, summary=summary)
        self.wpo_acknowledges(key, at)

    def wpo_acknowledges(self, key: str, at: datetime) -> None:
        if self.rng.random() < 0.9:
            self.add(
                self.bh(0.5, 12, at),
                "escalation_ack",
                self.rng.choice(("wpo", "wpo-nrossi", "wpo-bcarter")),
                advance=False,
                key=key,
                note=texts.ESCALATION_ACK,
            )

    def after_contact(self, reached: datetime) -> None:
        s = self.spec
        if s.stall is None and self.rng.random() < 0.06:
            options = [
                c
                for c in texts.PREFERENCE_CHANGES
                if all(self.prefs[k] != v for k, v in c[0].items())
            ]
            if options:
                changes, why = self.rng.choice(options)
                self.add(self.minutes(2, 6, reached), "prefs", self.clin, changes=changes)
                self.prefs.update(changes)
                self.note(self.minutes(1, 4), why, "Respect the updated contact preferences.")
        if s.stall == "query":
            self.stop_if("query", self.query())
        if s.stall is None and self.rng.random() < 0.07:
            self.note(self.minutes(5, 20), texts.DECLINED_NOTE, "Close case.")
            self.close("declined")
            self.checkin()
            return
        assessment = self.rng.choice(texts.ASSESSMENT_NOTES).format(issue=s.issue)
        if s.provider is None:
            self.note(self.minutes(5, 25), assessment, texts.NEXT_BRIEF)
            for _ in range(self.rng.randint(0, 2)):
                channel = self.channel(1)
                self.attempt(
                    self.bh(24, 56),
                    channel,
                    True,
                    summary=self.rng.choice(texts.FOLLOW_UP[channel]),
                )
            if self.rng.random() < 0.1:
                self.query()
            self.note(
                self.bh(0.1, 4),
                "Brief support complete; participant knows how to return via the access line.",
                "Close case.",
            )
            self.close("brief")
            self.checkin()
            return
        next_step = texts.NEXT_REVIEW if s.case_type in REVIEW_TYPES else texts.NEXT_REFERRAL
        self.note(self.minutes(5, 25), assessment, next_step.format(provider=s.provider_name))
        self.referral()

    def session(self, at: datetime) -> datetime:
        self.sessions += 1
        return self.add(at, "session", self.prov)

    def referral(self) -> None:
        s = self.spec
        first = self.session(self.bh(16, 56))
        if s.stall == "provider_contact":
            self.provider_contact()
        outcome, destination, further = "completed", "", 0
        if s.case_type in REVIEW_TYPES:
            self.stop_if("review", first)
            if s.stall is None and self.rng.random() < 0.05:
                # A second session booked before the review was done: a CM-REVIEW breach.
                self.session(self.bh(30, 45))
            outcome, destination, further = self.review()
        else:
            total = self.pick({1: 1, 2: 2, 3: 3, 4: 3, 5: 2, 6: 2, 7: 1, 8: 1})
            further = max(0, min(total, s.benefit) - 1)
        sides = [
            kind
            for kind, p in (
                ("provider_contact", 0.3),
                ("query", 0.12),
                ("wpo_email", 0.12),
                ("participant_email", 0.08),
                ("dissatisfaction", 0.05),
            )
            if self.rng.random() < p
        ]
        slots = [self.rng.randint(0, further) for _ in sides]
        for k in range(further + 1):
            for kind, slot in zip(sides, slots, strict=True):
                if slot == k:
                    self.side(kind)
            if k < further:
                self.session(self.bh(30, 46))
        self.finish(outcome, destination)

    def review(self) -> tuple[str, str, int]:
        s = self.spec
        weights = {
            "assessment_only": {"authorise_remaining": 15, "transition_session": 35, "deny": 50},
            "transitional_support": {
                "authorise_remaining": 30,
                "transition_session": 50,
                "deny": 20,
            },
        }
        decision = self.pick(
            weights.get(
                s.case_type, {"authorise_remaining": 65, "transition_session": 15, "deny": 20}
            )
        )
        remaining = s.benefit - self.sessions
        if decision == "authorise_remaining" and remaining < 1:
            decision = "deny"
        destination, resources, sessions = "", [], 0
        if decision == "authorise_remaining":
            sessions = remaining if self.rng.random() < 0.7 else self.rng.randint(1, remaining)
        elif decision == "transition_session":
            sessions = 1
            destination = self.rng.choice(texts.TRANSITIONS[s.participant.country])
        else:
            resources = self.rng.sample(texts.RESOURCES, 2)
        summary, next_step = texts.REVIEW_NOTES[decision]
        at = self.add(
            self.bh(2, 24),
            "review",
            self.clin,
            decision=decision,
            sessions=sessions,
            resources=resources,
            destination=destination,
            rationale=summary,
        )
        self.note(self.minutes(2, 10, at), summary, next_step.format(destination=destination))
        if decision == "authorise_remaining":
            return "completed", "", self.rng.randint(max(1, sessions - 2), sessions)
        if decision == "transition_session":
            return "transition", destination, 1
        return "deny", "", 0

    def side(self, kind: str) -> None:
        if kind == "provider_contact":
            self.provider_contact()
        elif kind == "query":
            self.query()
        elif kind == "wpo_email":
            self.email("wpo", needs_contact=self.rng.random() < 0.6, entry=False)
        elif kind == "participant_email":
            self.email("participant", needs_contact=True, entry=False)
        else:
            self.dissatisfaction()

    def provider_contact(self) -> None:
        s = self.spec
        topic = self.pick({"query": 50, "goal_slip": 25, "risk": 25})
        key = self.key("p")
        at = self.add(
            self.bh(2, 30),
            "provider_contact",
            self.prov,
            key=key,
            topic=topic,
            text=self.rng.choice(texts.PROVIDER_CONTACTS[topic]),
        )
        self.stop_if("provider_contact", at)
        if topic == "risk":
            answered = self.bh(0.05, 1.5) if self.rng.random() < 0.9 else self.bh(8.5, 16)
        else:
            answered = self.bh(0.2, 7) if self.rng.random() < 0.85 else self.bh(8.5, 20)
        self.add(
            answered,
            "provider_respond",
            self.clin,
            key=key,
            response=self.rng.choice(texts.PROVIDER_RESPONSES[topic]),
        )
        if topic == "risk":
            self.set_risk(self.minutes(2, 8), self.pick({"medium": 2, "high": 1}), self.clin)
            if self.rng.random() < 0.5:
                self.escalate(self.minutes(5, 15), "risk", texts.RISK_ESCALATION)
            self.note(
                self.minutes(15, 40),
                self.rng.choice(texts.RISK_NOTES),
                "Review risk at the next session.",
            )
        elif topic == "goal_slip":
            self.note(
                self.bh(0.1, 8),
                self.rng.choice(texts.GOAL_SLIP_NOTES),
                f"{s.provider_name} to revisit goals at the next session.",
            )

    def query(self) -> datetime:
        key = self.key("q")
        at = self.add(
            self.bh(1, 30),
            "query",
            self.clin,
            key=key,
            text=self.rng.choice(texts.QUERIES),
            channel=self.pick({"phone": 3, "email": 1}),
        )
        if self.spec.stall == "query":
            return at
        resolved = self.bh(1, 24) if self.rng.random() < 0.8 else self.bh(24, 60)
        self.add(
            resolved,
            "query_resolve",
            self.clin,
            key=key,
            resolution=self.rng.choice(texts.QUERY_RESOLUTIONS),
        )
        return at

    def dissatisfaction(self) -> None:
        aspect, description = self.rng.choice(texts.DISSATISFACTION)
        key = self.key("d")
        at = self.add(
            self.bh(2, 30),
            "dissatisfaction",
            self.clin,
            key=key,
            aspect=aspect,
            description=description,
        )
        self.wpo_acknowledges(key, at)
        outreach = self.key("o")
        self.add(
            self.minutes(5, 20),
            "outreach",
            self.clin,
            key=outreach,
            purpose="complaint",
            target="participant",
            due=None,
            reason="Follow up the participant's concern.",
        )
        self.open_outreach.append(outreach)
        t = self.bh(0.5, 8)
        for n in range(1, 4):
            reached = self.rng.random() < 0.4
            channel = self.channel(n)
            self.attempt(
                t, channel, reached, summary=texts.COMPLAINT_REACHED[channel] if reached else None
            )
            if reached:
                break
            if n == 3:
                self.add(
                    self.bh(0.1, 2),
                    "outreach_close",
                    self.clin,
                    key=outreach,
                    reason="Three attempts made after the complaint; letter sent.",
                )
            t = self.bh(4, 16, t)
        self.open_outreach.clear()
        self.note(
            self.bh(0.1, 4),
            f"Participant dissatisfied: {aspect}. Escalated to WPO.",
            "Check the participant is happy with the plan at the next contact.",
        )

    def finish(self, outcome: str, destination: str) -> None:
        s = self.spec
        ended = self.add(self.bh(0.5, 16), "intervention_end", self.prov)
        self.stop_if("notes_upload", ended)
        if self.rng.random() < 0.95 or s.stall:
            key = self.key("n")
            uploaded = self.add(
                self.bh(4, 40), "notes_upload", self.prov, key=key, sessions=self.sessions
            )
            self.stop_if("notes_review", uploaded)
            issues = self.rng.random() < 0.1
            note = texts.NOTES_ISSUES if issues else self.rng.choice(texts.NOTES_REVIEW)
            self.add(self.bh(1, 30), "notes_review", self.clin, key=key, note=note, issues=issues)
        if self.risk != "none" and self.rng.random() < 0.7:
            self.set_risk(self.bh(0.1, 4), "none", self.clin)
        self.note(self.bh(0.1, 8), self.rng.choice(texts.CLOSING_NOTES), "Close case.")
        self.close(outcome, destination)
        self.checkin()

    def close(self, outcome: str, destination: str = "") -> None:
        at = self.bh(0.5, 16)
        reason = self.rng.choice(texts.CLOSE_REASONS[outcome]).format(destination=destination)
        self.add(at, "close", self.clin, reason=reason)
        self.closed_at = at

    def checkin(self) -> None:
        """The client's procedure: one clinical check-in 10 business days after closure."""
        if not self.spec.checkins or self.closed_at is None:
            return
        hours = self.clock.day_hours
        requested = self.bh(10 * hours, 10 * hours + 2, self.closed_at)
        due = self.clock.add_business_hours(requested, hours)
        self.add(
            requested,
            "outreach",
            self.clin,
            key="ci",
            purpose="checkin",
            target="participant",
            due=due,
            reason="Clinical check-in requested by the client organisation.",
        )
        self.stop_if("checkin", requested)
        at = self.bh(0.2, 7, requested) if self.rng.random() < 0.85 else self.bh(9, 24, requested)
        p = self.prefs
        can_email = p["email"] and p["email_consent"]
        if p["email"] and not p["email_consent"] and self.rng.random() < 0.15:
            channel = "email"  # the consent slip the procedure warns about
        elif can_email and (self.rng.random() < 0.4 or not p["phone"] or p["email_only"]):
            channel = "email"
        else:
            channel = "phone"
        reached = self.rng.random() < 0.55
        summary = texts.CHECKIN_REACHED if reached else texts.CHECKIN_MISSED[channel]
        self.attempt(at, channel, reached, summary=summary)
        if reached:
            return
        if self.rng.random() < 0.04:
            self.attempt(self.bh(8, 16), channel, False)  # a second try: CM-CHECKIN-SINGLE
        elif self.rng.random() < 0.7:
            self.add(
                self.bh(0.1, 2), "outreach_close", self.clin, key="ci", reason=texts.CHECKIN_CLOSED
            )

    def note(self, at: datetime, summary: str, next_step: str) -> None:
        self.add(at, "note", self.clin, summary=summary, next_step=next_step)

    def set_risk(self, at: datetime, level: str, by: str) -> None:
        self.risk = level
        self.add(at, "risk", by, level=level)
