"""Benchmark data at scale: reference data (three Partners with their calendars, clients,
providers, clinicians), then cases with their events, the domain rows the pages read, and the
obligations and findings as the engine computes them, bulk-loaded in large transactions.

The engine judges each case in-process (`policy.engine.evaluate` with the bridge's calendar,
packs and reasons), exactly as `compliance_refresh` would after the case's last event; the
services are not called per event (far too slow for a million cases)."""

from __future__ import annotations

import json
import os
import pickle
import random
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import Max

from eapcase.accounts.choices import Role
from eapcase.accounts.models import Membership, User
from eapcase.cases import bridge
from eapcase.cases.models import (
    Case,
    CaseEvent,
    Escalation,
    Finding,
    Obligation,
    Participant,
    ParticipantQuery,
    Session,
)
from eapcase.cases.models import Note as CaseNote
from eapcase.core import searchkeys
from eapcase.organisations.calendar import partner_calendar
from eapcase.organisations.models import (
    AccessLine,
    Benefit,
    ClientOrganisation,
    ClientProcedure,
    Operator,
    Partner,
    PartnerClosedDate,
    Provider,
    ProviderPractice,
)
from eapcase.outreach.models import ContactAttempt, Email, OutreachRequest
from eapcase.perf import parallel
from eapcase.perf.stories import ISSUES, Story, case_story, long_story
from eapcase.policy import events as policy_events
from eapcase.policy import history
from eapcase.policy.engine import evaluate
from eapcase.policy.events import Event, Payload, parse_instant
from eapcase.policy.types import EventType

#: (code, name, zone, country, subdivision, opening, closing, share of the cases)
PARTNERS = (
    ("P-UK", "Thameside Wellbeing (England)", "Europe/London", "GB", "ENG",
     clock_time(9), clock_time(17), 0.45),
    ("P-NY", "Hudson Counselling Network (New York)", "America/New_York", "US", "NY",
     clock_time(9), clock_time(17), 0.30),
    ("P-NSW", "Harbourside EAP Services (New South Wales)", "Australia/Sydney", "AU", "NSW",
     clock_time(8, 30), clock_time(16, 30), 0.25),
)  # fmt: skip
CLIENTS = (("kestrel", "Kestrel Freight Group"), ("alder-bay", "Alder Bay Software"))
ACCESS_LINES = (("GB", "+44 20 7946 0018"), ("US", "+1 212 555 0147"), ("AU", "+61 2 5550 1234"))
#: Cases a year per clinician: the clinicians of a Partner grow with its cases.
CASES_PER_CLINICIAN = 1000
PROVIDERS_PER_PARTNER = 20
#: Cases open over this many days before the reference time.
WINDOW_DAYS = 365
LONG_EVENTS = 200
CHUNK = 500  # cases built and written at a time in this process
COMMIT_EVERY = 20_000  # cases per transaction in this process
TASK = 2000  # cases a worker process builds, then writes in one transaction


@dataclass
class Result:
    cases: int
    seed: int
    now: datetime
    seconds: float = 0.0
    #: Wall seconds of each step: reference data, cases (built and written), indexes (made
    #: again after a load by worker processes), statistics (ANALYZE).
    steps: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    long_cases: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "seed": self.seed,
            "now": self.now.isoformat(),
            "seconds": round(self.seconds, 1),
            "steps": {k: round(v, 1) for k, v in self.steps.items()},
            "rows": self.rows,
            "long_cases": self.long_cases,
            "vendor": connection.vendor,
        }


def reference_time() -> datetime:
    """The data's `now`: the current hour (pages compare deadlines with the wall clock)."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


# --- reference data ------------------------------------------------------------------------------


@dataclass
class Reference:
    partners: list[Partner]
    clients: list[ClientOrganisation]
    providers: dict[int, list[int]]  # partner id -> provider ids
    clinicians: dict[int, list[tuple[int, str]]]  # partner id -> (user id, username)
    wpo: User


def clinician_count(cases: int, share: float) -> int:
    return max(2, round(cases * share / CASES_PER_CLINICIAN))


def create_reference(*, cases: int, now: datetime) -> Reference:
    today = now.date()
    Operator.objects.create(
        name="WPO", escalation_email="escalations@wpo.example", staff_email_domains="wpo.example"
    )
    partners, clients = [], []
    for code, name, zone, country, sub, opening, closing, _share in PARTNERS:
        partner = Partner.objects.create(
            code=code,
            name=name,
            timezone=zone,
            country=country,
            subdivision=sub,
            opening=opening,
            closing=closing,
            email=f"cases@{code.lower()}.example",
        )
        PartnerClosedDate.objects.bulk_create(
            PartnerClosedDate(partner=partner, date=_weekday(today + timedelta(days=d)), reason=r)
            for d, r in ((-200, "Office move"), (-44, "Staff training day"), (23, "Away day"))
        )
        partners.append(partner)
    for code, name in CLIENTS:
        client = ClientOrganisation.objects.create(code=code, name=name, countries="GB,US,AU")
        Benefit.objects.create(
            client=client,
            sessions=6,
            unit="per_issue" if code == "kestrel" else "per_person",
            period="contract_year" if code == "kestrel" else "calendar_year",
            valid_from=today - timedelta(days=730),
        )
        AccessLine.objects.bulk_create(
            AccessLine(client=client, country=c, number=n) for c, n in ACCESS_LINES
        )
        ClientProcedure.objects.create(
            client=client,
            version=1,
            effective_from=today - timedelta(days=730),
            instructions=f"{name}: sessions per issue; call before 08:00 or after 18:00.",
        )
        clients.append(client)
    practice = ProviderPractice.objects.create(name="Bench Practice", country="GB")
    providers: dict[int, list[int]] = {}
    for partner in partners:
        made = Provider.objects.bulk_create(
            Provider(
                practice=practice,
                code=f"{partner.code.lower()}-prov-{n}",
                name=f"Provider {n} of {partner.code}",
                country=partner.country,
            )
            for n in range(1, PROVIDERS_PER_PARTNER + 1)
        )
        # In the order made, as load_reference reads them (unordered, PostgreSQL returned them
        # in the order of their codes, "prov-1", "prov-10"...: other providers for the cases).
        made = list(
            Provider.objects.filter(code__startswith=f"{partner.code.lower()}-prov-").order_by("pk")
        )
        for provider in made:
            provider.partners.add(partner)
        providers[partner.pk] = [p.pk for p in made]
    wpo = User(username="bench-wpo", first_name="Wendy", last_name="Price")
    wpo.set_unusable_password()
    wpo.save()
    Membership.objects.create(user=wpo, role=Role.WPO_CLINICIAN)
    clinicians: dict[int, list[tuple[int, str]]] = {}
    for partner, spec in zip(partners, PARTNERS, strict=True):
        prefix = f"bench-{partner.code.lower()}"
        count = clinician_count(cases, spec[7])
        users = [
            User(username=f"{prefix}-c{n:04d}", first_name="Clinician", last_name=f"{n:04d}")
            for n in range(1, count + 1)
        ]
        users.append(User(username=f"{prefix}-lead", first_name="Lead", last_name=partner.code))
        for user in users:
            user.set_unusable_password()  # the benchmark logs in with force_login
        User.objects.bulk_create(users, batch_size=1000)
        made_users = list(User.objects.filter(username__startswith=f"{prefix}-").order_by("pk"))
        Membership.objects.bulk_create(
            (
                Membership(
                    user=u,
                    role=Role.PARTNER_LEAD
                    if u.username.endswith("-lead")
                    else Role.PARTNER_CLINICIAN,
                    partner=partner,
                )
                for u in made_users
            ),
            batch_size=1000,
        )
        clinicians[partner.pk] = [
            (u.pk, u.username) for u in made_users if "-lead" not in u.username
        ]
    return Reference(partners, clients, providers, clinicians, wpo)


def load_reference() -> Reference | None:
    """The reference data an earlier run made, if any."""
    partners = list(Partner.objects.filter(code__in=[p[0] for p in PARTNERS]).order_by("pk"))
    wpo = User.objects.filter(username="bench-wpo").first()
    if len(partners) != len(PARTNERS) or wpo is None:
        return None
    clinicians: dict[int, list[tuple[int, str]]] = {}
    for m in (
        Membership.objects.filter(
            role=Role.PARTNER_CLINICIAN, partner__in=partners, user__username__startswith="bench-"
        )
        .select_related("user")
        .order_by("user_id")
    ):
        assert m.partner_id is not None
        clinicians.setdefault(m.partner_id, []).append((m.user_id, m.user.username))
    providers = {
        p.pk: list(
            Provider.objects.filter(partners=p, code__startswith=f"{p.code.lower()}-prov-")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for p in partners
    }
    clients = list(
        ClientOrganisation.objects.filter(code__in=[c for c, _n in CLIENTS]).order_by("pk")
    )
    return Reference(partners, clients, providers, clinicians, wpo)


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# --- writing rows --------------------------------------------------------------------------------


class Sink:
    """Rows by table, written in bulk on a DB-API connection: executemany on SQLite, COPY on
    PostgreSQL. Rows of the tables no generated row points at carry no id: the database numbers
    them in the order they are written, as it would have numbered them one by one."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        self.columns: dict[str, tuple[str, ...]] = {}
        self.written: dict[str, int] = {}
        self.statements: dict[str, str] = {}

    def table(self, model: Any, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
        name = model._meta.db_table
        cols = tuple(model._meta.get_field(c).column for c in columns)
        names = ", ".join(f'"{c}"' for c in cols)
        self.columns[name] = cols
        if self.vendor == "postgresql":
            self.statements[name] = f'COPY "{name}" ({names}) FROM STDIN'
        else:
            marks = ", ".join("?" * len(cols))
            self.statements[name] = f'INSERT INTO "{name}" ({names}) VALUES ({marks})'  # noqa: S608
        return self.rows.setdefault(name, [])

    def flush(self, raw: Any) -> dict[str, int]:
        """Write and forget the rows held, on `raw` (a sqlite3 or psycopg connection); return
        how many of each table."""
        counts = {}
        for name, rows in self.rows.items():
            if not rows:
                continue
            if self.vendor == "postgresql":
                with raw.cursor() as cursor, cursor.copy(self.statements[name]) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                raw.executemany(self.statements[name], rows)
            self.written[name] = self.written.get(name, 0) + len(rows)
            counts[name] = len(rows)
            rows.clear()
        return counts


def _sqlite_instant(value: datetime | None) -> str | None:
    """Django's SQLite format: naive UTC, `YYYY-MM-DD HH:MM:SS[.ffffff]` (the aware ISO form
    without its `+00:00`: one C call where `str(value.replace(tzinfo=None))` made two)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ")[:-6]


def _pg_instant(value: datetime | None) -> datetime | None:
    return value


# --- the cases -----------------------------------------------------------------------------------


class Builder:
    """Turns stories into rows, judging each case with the engine."""

    def __init__(self, ref: Reference, now: datetime, sink: Sink, first: int, ids: dict[str, int]):
        """`first`: the number of the first case; `ids`: the first free id of the cases and
        of the participants (case `first` gets them, the next case the next ones)."""
        self.ref, self.now, self.sink = ref, now, sink
        self.case_offset = ids["case"] - first
        self.participant_offset = ids["participant"] - first
        # Event fields as JSON, by their items: a few hundred distinct values among millions.
        self.json_fields: dict[tuple[Any, ...], tuple[str, EventType, Payload]] = {}
        self.t: Callable[[datetime | None], Any] = (
            _pg_instant if sink.vendor == "postgresql" else _sqlite_instant
        )
        self.flag: Callable[[bool], Any] = bool if sink.vendor == "postgresql" else int
        self.evaluated = self.t(now)  # every obligation's evaluated_at
        self.packs = bridge.policy_packs()
        self.calendars = {p.pk: partner_calendar(p) for p in ref.partners}
        self.codes = {p.pk: p.code for p in ref.partners}
        self.usernames = {name: uid for ids in ref.clinicians.values() for uid, name in ids}
        self.participants = sink.table(Participant, (
            "id", "client", "full_name", "preferred_name", "country", "phone", "email",
            "has_phone", "has_email", "voicemail_ok", "email_messages_ok", "email_only",
            "email_consent", "created_at", "name_key", "phone_digits", "phone_tail",
            "email_key"))  # fmt: skip
        # When the engine's verdict next changes by time alone (if the schema has it).
        self.reevaluate = any(f.name == "reevaluate_at" for f in Case._meta.get_fields())
        # The engine's derived state the case page reads (if the schema has it).
        self.engine_state = any(f.name == "engine_state" for f in Case._meta.get_fields())
        self.cases = sink.table(Case, (
            "id", "reference", "participant", "client", "partner", "provider",
            "assigned_clinician", "referral", "case_type", "status", "risk_level",
            "benefit_sessions", "presenting_issue", "opened_at", "closed_at", "closure_reason",
            "opening_preferences", "event_seq", "next_step", "last_summary",
            *(("reevaluate_at",) if self.reevaluate else ()),
            *(("engine_state",) if self.engine_state else ())))  # fmt: skip
        self.events = sink.table(CaseEvent, (
            "case", "seq", "event_id", "type", "at", "by", "fields",
            "recorded_at", "hash"))  # fmt: skip
        self.attempts = sink.table(ContactAttempt, (
            "case", "target", "channel", "outcome", "message", "summary", "attempted_at",
            "by", "event_id"))  # fmt: skip
        self.outreach = sink.table(OutreachRequest, (
            "case", "kind", "purpose", "target", "requested_at", "reason",
            "requested_by", "close_reason", "event_id", "close_event_id"))  # fmt: skip
        self.emails = sink.table(Email, (
            "case", "sender_kind", "from_address", "subject", "body", "message_id",
            "urgent", "needs_contact", "received_at", "acknowledged_at", "actioned_at",
            "action_summary", "event_id"))  # fmt: skip
        self.escalations = sink.table(Escalation, (
            "case", "reason", "summary", "raised_at", "raised_by", "acknowledged_at",
            "acknowledged_by", "acknowledgement_note", "event_id"))  # fmt: skip
        self.notes = sink.table(CaseNote, (
            "case", "author", "written_at", "summary", "next_step", "event_id"))  # fmt: skip
        self.sessions = sink.table(Session, (
            "case", "provider", "number", "held_at", "event_id"))  # fmt: skip
        self.queries = sink.table(ParticipantQuery, (
            "case", "received_at", "channel", "text", "resolved_at", "resolution",
            "event_id", "resolution_event_id"))  # fmt: skip
        self.obligations = sink.table(Obligation, (
            "case", "partner", "assigned_clinician", "rule", "trigger", "opened_at",
            "due_at", "satisfied_at",
            "satisfied_by", "status", "target", "attempts_made", "attempts_required", "reason",
            "revision", "position", "evaluated_at"))  # fmt: skip
        self.findings = sink.table(Finding, (
            "case", "partner", "rule", "event_id", "at", "severity", "detail",
            "position"))  # fmt: skip

    def fields_of(self, kind: str, fields: dict[str, Any]) -> tuple[str, EventType, Payload]:
        """An event's fields as JSON, its type and its payload as the engine parses them
        (`policy.events.parse_payload`), remembered by the fields' items and their types (True
        is not 1): a few hundred distinct values among millions, and payloads are frozen, so
        one parsed payload serves every event with the same fields."""
        try:
            key = (kind, *fields.items(), *map(type, fields.values()))
            known = self.json_fields.get(key)
        except TypeError:  # a list or a dict among the values
            event_type = policy_events.parse_event_type(kind)
            return json.dumps(fields), event_type, policy_events.parse_payload(event_type, fields)
        if known is None:
            event_type = policy_events.parse_event_type(kind)
            known = self.json_fields[key] = (
                json.dumps(fields),
                event_type,
                policy_events.parse_payload(event_type, fields),
            )
        return known

    def add(self, story: Story, partner_id: int, reference: str) -> None:
        t, flag, now = self.t, self.flag, self.now
        code = self.codes[partner_id]
        case_id = story.number + self.case_offset
        participant_id = story.number + self.participant_offset
        clinician_id = self.usernames[story.clinician]
        client_id = self.ref.clients[story.number % len(self.ref.clients)].pk
        has_sessions = any(e.type == "session_held" for e in story.events)
        providers = self.ref.providers[partner_id]
        provider_id = providers[story.number % len(providers)] if has_sessions else None
        country = {"P-UK": "GB", "P-NY": "US", "P-NSW": "AU"}.get(code, "")
        prefs = {
            "phone": True,
            "email": True,
            "voicemail_ok": True,
            "email_messages_ok": True,
            "email_only": False,
            "email_consent": True,
        }
        opening = story.opening
        # The participant row holds the current preferences; the case line the opening ones.
        current = {**prefs, **story.prefs}
        name = f"Participant {story.number:07d}"
        phone = f"+44 7700 {story.number % 1000000:06d}"
        email = f"p{story.number}@example.org"
        self.participants.append((
            participant_id, client_id, name, "", country, phone, email,
            flag(current["phone"]), flag(current["email"]), flag(current["voicemail_ok"]),
            flag(current["email_messages_ok"]), flag(current["email_only"]),
            flag(current["email_consent"]), t(story.opened_at),
            # The search keys Participant.save() would have filled (ADR 0039).
            searchkeys.name_key(name), searchkeys.phone_key(phone),
            searchkeys.phone_tail(phone), searchkeys.email_key(email),
        ))  # fmt: skip

        info = history.parse_case_line(
            {
                "type": "case",
                "case": reference,
                "at": story.opened_at,
                "partner": code,
                "referral": story.referral,
                "case_type": story.case_type,
                "benefit_sessions": story.benefit,
                "participant": opening,
            }
        )
        # What `policy_events.make_event` builds from a stored event, its payload parsed once
        # per distinct fields (a story's ids, authors and instants are well formed).
        parsed = [self.fields_of(e.type, e.fields) for e in story.events]
        engine_events = [
            Event(reference, e.id, kind, parse_instant(e.at), e.by, e.seq, payload)
            for e, (_text, kind, payload) in zip(story.events, parsed, strict=True)
        ]
        evaluation = evaluate(info, engine_events, self.packs, self.calendars[partner_id], now)
        state = evaluation.state
        closed_at = state.closed_at
        last_note = next((e for e in reversed(story.events) if e.type == "note"), None)
        extra: tuple[Any, ...] = (
            (t(getattr(evaluation, "next_change_at", None)),) if self.reevaluate else ()
        )
        if self.engine_state:
            extra += (json.dumps(bridge.engine_state_json(evaluation)),)
        self.cases.append((
            case_id, reference, participant_id, client_id, partner_id, provider_id,
            clinician_id, story.referral, story.case_type,
            "closed" if closed_at is not None else "open", str(state.risk), story.benefit,
            ISSUES[story.number % len(ISSUES)], t(story.opened_at), t(closed_at),
            "completed" if closed_at is not None else "", json.dumps(opening),
            len(story.events), last_note.fields["next_step"] if last_note else "",
            last_note.fields["summary"] if last_note else "", *extra,
        ))  # fmt: skip

        emails: dict[str, list[Any]] = {}
        queries: dict[str, list[Any]] = {}
        session_number = 0
        # The events' instants as written: most obligations open and are met at an event's.
        stamps: dict[datetime, Any] = {}
        for e, (text, _kind, _payload) in zip(story.events, parsed, strict=True):
            at = stamps[e.at] = t(e.at)
            fields = e.fields
            self.events.append((
                case_id, e.seq, e.id, e.type, at, e.by,
                # Unsealed: generated beside the application, named by no audit row (ADR 0035).
                text, at, "",
            ))  # fmt: skip
            kind = e.type
            if kind == "contact_attempt":
                self.attempts.append((
                    case_id, fields["target"], fields["channel"],
                    fields["outcome"], fields["message"], fields["summary"], at, clinician_id,
                    e.id,
                ))  # fmt: skip
            elif kind in ("callback_requested", "outreach_requested"):
                self.outreach.append((
                    case_id,
                    "callback" if kind == "callback_requested" else "outreach",
                    fields.get("purpose", "general"), fields.get("target", "participant"), at,
                    "", clinician_id, "", e.id, "",
                ))  # fmt: skip
            elif kind == "email_received":
                sender = fields.get("from", "participant")
                row = [
                    case_id, sender,
                    "wpo@wpo.example" if sender == "wpo" else f"p{story.number}@example.org",
                    "Please call me back" if sender == "participant" else "Participant waiting",
                    "Could someone call me about my sessions?", "",
                    flag(bool(fields.get("urgent"))), flag(True), at, None, None, "", e.id,
                ]  # fmt: skip
                emails[e.id] = row
            elif kind == "email_acknowledged":
                emails[fields["email"]][9] = at
            elif kind == "email_actioned":
                emails[fields["email"]][10] = at
                emails[fields["email"]][11] = "Called the participant back."
            elif kind == "escalated_to_wpo":
                acknowledged = e.at < now - timedelta(days=2)
                self.escalations.append((
                    case_id, fields["reason"],
                    "No contact within a day of the email." if fields["reason"] == "no_contact"
                    else "The participant is unhappy with the wait.", at, clinician_id,
                    t(e.at + timedelta(hours=3)) if acknowledged else None,
                    self.ref.wpo.pk if acknowledged else None,
                    "Noted." if acknowledged else "", e.id,
                ))  # fmt: skip
            elif kind == "note":
                self.notes.append((
                    case_id, clinician_id, at, fields["summary"],
                    fields["next_step"], e.id,
                ))  # fmt: skip
            elif kind == "session_held":
                session_number += 1
                self.sessions.append((
                    case_id, provider_id, session_number, at, e.id,
                ))  # fmt: skip
            elif kind == "participant_query":
                queries[e.id] = [
                    case_id, at, "phone",
                    "When is my next session?", None, "", e.id, "",
                ]  # fmt: skip
            elif kind == "participant_query_resolved":
                q = queries[fields["query"]]
                q[4], q[5], q[7] = at, "Told them the date and time.", e.id
        self.emails.extend(tuple(row) for row in emails.values())
        self.queries.extend(tuple(row) for row in queries.values())

        evaluated = self.evaluated
        for i, o in enumerate(evaluation.obligations):
            opened, satisfied = o.opened_at, o.satisfied_at
            self.obligations.append((
                case_id, partner_id, clinician_id, o.rule, o.trigger,
                stamps[opened] if opened in stamps else t(opened), t(o.due_at),
                stamps[satisfied] if satisfied in stamps else t(satisfied),
                o.satisfied_by or "",
                str(o.status), str(o.target or ""), o.attempts_made, o.attempts_required,
                bridge.reason(o)[:500], o.revision, i, evaluated,
            ))  # fmt: skip
        for i, f in enumerate(evaluation.findings):
            self.findings.append((
                case_id, partner_id, f.rule, f.event, t(f.at),
                str(f.severity), f.detail[:500], i,
            ))  # fmt: skip


def _plan(first: int, cases: int, ref: Reference, seed: int) -> Iterator[tuple[int, int, str]]:
    """(number, partner id, clinician username) of each case, in order."""
    rng = random.Random(f"{seed}-plan-{first}")
    weights = [spec[7] for spec in PARTNERS]
    for number in range(first, first + cases):
        partner = rng.choices(ref.partners, weights)[0]
        _uid, username = rng.choice(ref.clinicians[partner.pk])
        yield number, partner.pk, username


def _stories(
    rng: random.Random, rows: list[tuple[int, int, str]], now: datetime, long_upto: int
) -> Iterator[tuple[Story, int]]:
    """(story, partner id) of each planned case, drawing on `rng` in order: the first cases
    (numbers up to `long_upto`) are the long ones, the others open over the last year."""
    window = WINDOW_DAYS * 24 * 60
    for number, partner_id, clinician in rows:
        if number <= long_upto:
            story = long_story(rng, number, now, clinician, LONG_EVENTS)
        else:
            opened = now - timedelta(minutes=rng.randrange(window))
            story = case_story(rng, number, opened, now, clinician)
        yield story, partner_id


#: A worker's task: (its place in the write order, the planned cases).
Task = tuple[int, list[tuple[int, int, str]]]


def _tasks(plan: Iterator[tuple[int, int, str]], cases: int, size: int) -> Iterator[Task]:
    """The cases in tasks of `size` cases. The stories share one random generator, so each task
    starts where the previous one's stories left it: the worker that makes a task's stories
    passes the generator's state on to the next task's (`parallel.run`'s baton) before it
    judges them, which is most of a task's work."""
    for index, done in enumerate(range(0, cases, size)):
        yield index, _take(plan, min(size, cases - done))


def _start_ids() -> dict[str, int]:
    """The first free primary key of the tables whose rows others point at."""
    return {
        "case": (Case.objects.aggregate(m=Max("pk"))["m"] or 0) + 1,
        "participant": (Participant.objects.aggregate(m=Max("pk"))["m"] or 0) + 1,
    }


def _bulk_mode(on: bool) -> None:
    """SQLite: no fsync and no foreign-key checks while loading (rows are consistent by
    construction); PostgreSQL: commits do not wait for the WAL flush. Not inside a caller's
    transaction (a test)."""
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if on:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA foreign_keys=OFF")
                cursor.execute("PRAGMA cache_size=-400000")
                cursor.execute("PRAGMA temp_store=MEMORY")
            else:
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA foreign_keys=ON")
        elif connection.vendor == "postgresql":
            cursor.execute(f"SET synchronous_commit TO {'OFF' if on else 'ON'}")


def _analyze() -> None:
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("ANALYZE")


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    from django.apps import apps
    from django.core.management.color import no_style

    models = [m for app in ("cases", "outreach") for m in apps.get_app_config(app).get_models()]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def _workers(workers: int | None, cases: int) -> int:
    """How many processes build the cases: none (this process does) inside a transaction (a
    test's: other processes could not see its rows) or on a database in memory, for a few
    tasks' worth of cases, or on another database; else one a CPU (at least two: one builds
    while the other writes)."""
    if connection.in_atomic_block or connection.vendor not in ("sqlite", "postgresql"):
        return 0
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        return 0
    if workers is None:
        workers = 0 if cases < 4 * TASK else max(2, os.cpu_count() or 1)
    return workers


def generate(
    *,
    cases: int,
    seed: int = 7,
    now: datetime | None = None,
    progress: bool = True,
    long_cases: int = 3,
    workers: int | None = None,
    task_cases: int = TASK,
) -> Result:
    """Write `cases` cases (the first `long_cases` of them with LONG_EVENTS events each) into
    the default database, with the reference data unless an earlier run made it (then the
    cases are added after those already there). `workers` processes build and write them
    (default: see `_workers`), `task_cases` at a time; the rows are the same however many
    there are."""
    from tqdm import tqdm

    started = time.perf_counter()
    now = now or reference_time()
    result = Result(cases=cases, seed=seed, now=now)
    with transaction.atomic():
        ref = load_reference() or create_reference(cases=cases, now=now)
    result.steps["reference"] = time.perf_counter() - started
    first = Case.objects.count() + 1
    long_upto = first - 1 + long_cases
    result.long_cases = [f"BC{n:07d}" for n in range(first, min(long_upto, first + cases - 1) + 1)]
    sink = Sink(connection.vendor)
    builder = Builder(ref, now, sink, first, _start_ids())
    plan = _plan(first, cases, ref, seed)
    workers = _workers(workers, cases)
    bar = tqdm(total=cases, unit="case", disable=not progress, smoothing=0.05)
    try:
        if workers:
            tasks = _tasks(plan, cases, task_cases)
            result.rows = _load_in_workers(
                builder, tasks, seed, long_upto, workers, bar.update, result.steps
            )
        else:
            _load_here(builder, plan, cases, seed, now, long_upto, bar.update)
            result.rows = dict(sink.written)
    finally:
        bar.close()
    result.steps["cases"] = time.perf_counter() - started - sum(result.steps.values())
    _reset_sequences()
    _analyze()
    result.steps["statistics"] = time.perf_counter() - started - sum(result.steps.values())
    result.seconds = time.perf_counter() - started
    return result


def _load_here(
    builder: Builder,
    plan: Iterator[tuple[int, int, str]],
    cases: int,
    seed: int,
    now: datetime,
    long_upto: int,
    done: Callable[[int], None],
) -> None:
    """Build and write every case in this process, COMMIT_EVERY cases a transaction."""
    rng = random.Random(seed)
    count = 0
    _bulk_mode(True)
    try:
        while count < cases:
            with transaction.atomic():
                stop = min(cases, count + COMMIT_EVERY)
                while count < stop:
                    rows = _take(plan, min(stop - count, CHUNK))
                    for story, partner_id in _stories(rng, rows, now, long_upto):
                        builder.add(story, partner_id, f"BC{story.number:07d}")
                    builder.sink.flush(connection.connection)
                    done(len(rows))
                    count += len(rows)
    finally:
        _bulk_mode(False)


def _load_in_workers(
    builder: Builder,
    tasks: Iterator[Task],
    seed: int,
    long_upto: int,
    workers: int,
    done: Callable[[int], None],
    steps: dict[str, float],
) -> dict[str, int]:
    """Build and write the tasks in `workers` processes, each on its own connection, without
    the secondary indexes of the tables loaded (made again after the load, from their own
    definitions: cheaper than keeping them up to date row by row)."""
    sink, vendor = builder.sink, builder.sink.vendor
    settings = dict(connection.settings_dict)
    tables = list(sink.rows)
    indexes = _drop_indexes(tables)
    if vendor == "sqlite":
        with connection.cursor() as cursor:
            # Out of WAL mode (which needs no other connection open) for the workers' no-journal
            # writes: every page is written once, into the database file.
            cursor.execute("PRAGMA journal_mode=DELETE")
    connections.close_all()  # the workers must not share this process's connection

    def connect() -> Any:
        return _connect(vendor, settings)

    def build(
        task: Task, take: Callable[[], bytes], give: Callable[[bytes], None]
    ) -> tuple[int, None]:
        _index, rows = task
        rng = random.Random()
        rng.setstate(pickle.loads(take()))  # noqa: S301 (our own workers' bytes)
        stories = list(_stories(rng, rows, builder.now, long_upto))
        give(pickle.dumps(rng.getstate()))
        for story, partner_id in stories:
            builder.add(story, partner_id, f"BC{story.number:07d}")
        return len(rows), None

    def write(raw: Any, _rows: None) -> dict[str, int]:
        if vendor == "sqlite":
            raw.execute("BEGIN IMMEDIATE")
            counts = sink.flush(raw)
            raw.execute("COMMIT")
        else:
            counts = sink.flush(raw)
            raw.commit()
        return counts

    try:
        return parallel.run(
            tasks,
            workers=workers,
            connect=connect,
            build=build,
            write=write,
            done=done,
            baton=pickle.dumps(random.Random(seed).getstate()),
        )
    finally:
        started = time.perf_counter()
        raw = _connect(vendor, settings)
        try:
            _create_indexes(raw, vendor, indexes)
        finally:
            raw.close()
        steps["indexes"] = time.perf_counter() - started


def _connect(vendor: str, settings: dict[str, Any]) -> Any:
    """A connection of its own to the database of `settings`, for bulk writes: on SQLite no
    journal and no fsync (a failed load leaves a database to recreate, as any failed run does)."""
    if vendor == "sqlite":
        lite = sqlite3.connect(settings["NAME"], isolation_level=None, timeout=60)
        lite.execute("PRAGMA journal_mode=OFF")
        lite.execute("PRAGMA synchronous=OFF")
        lite.execute("PRAGMA cache_size=-200000")
        lite.execute("PRAGMA temp_store=MEMORY")
        return lite
    import psycopg

    given = {
        "host": settings.get("HOST") or None,
        "port": settings.get("PORT") or None,
        "user": settings.get("USER") or None,
        "password": settings.get("PASSWORD") or None,
        "dbname": settings["NAME"],
    }
    raw = psycopg.connect(**{k: v for k, v in given.items() if v is not None})
    raw.execute("SET synchronous_commit TO OFF")
    raw.commit()
    return raw


#: An index whose first column is the case: rows are written case by case, so it grows at its
#: end, as cheaply as a table does, and the workers keep it up to date during the load.
_GROWS_AT_ITS_END = re.compile(r'\(\s*"?case_id"?\s*[,)]')


def _drop_indexes(tables: list[str]) -> list[str]:
    """Drop the indexes of `tables` that no constraint needs and that do not grow at their end
    (rows land all over them: made again after the load, in one sorted pass each); return their
    definitions, in order."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            marks = ", ".join("%s" for _ in tables)
            query = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY rowid"  # noqa: E501, S608
            cursor.execute(query, tables)
        else:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)"
                " ORDER BY tablename, indexname",
                [tables],
            )
        found = [(n, sql) for n, sql in cursor.fetchall() if not _GROWS_AT_ITS_END.search(sql)]
        for name, _sql in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def _create_indexes(raw: Any, vendor: str, indexes: list[str]) -> None:
    if vendor == "sqlite":
        # A small page cache: SQLite's sorter then merges sorted runs instead of inserting
        # into a large cached b-tree, 20-30% less CPU an index (ADR 0047; measured on the
        # events' (case, at, seq) index at 1,000,000 cases: 7.3-8.7 s with 200 MB, 5.9-6.2
        # with 16 MB). `PRAGMA threads` gave the sorter no helper thread here: not set.
        raw.execute("PRAGMA cache_size=-16000")
    else:
        raw.execute("SET maintenance_work_mem TO '512MB'")
    for sql in indexes:
        raw.execute(sql)
    if vendor != "sqlite":
        raw.commit()


def _take(plan: Iterator[tuple[int, int, str]], n: int) -> list[tuple[int, int, str]]:
    return [next(plan) for _ in range(n)]
