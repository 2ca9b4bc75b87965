"""Benchmark data at scale: reference data (three Partners with their calendars, clients,
providers, clinicians), then cases with their events, the domain rows the pages read, and the
obligations and findings as the engine computes them, bulk-loaded in large transactions.

The engine judges each case in-process (`policy.engine.evaluate` with the bridge's calendar,
packs and reasons), exactly as `compliance_refresh` would after the case's last event; the
services are not called per event (far too slow for a million cases)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from django.db import connection, transaction
from django.db.models import Max

from eapcase.accounts.choices import Role
from eapcase.accounts.models import Membership, User
from eapcase.cases import bridge
from eapcase.cases.models import (
    Case,
    CaseEvent,
    Escalation,
    Finding,
    Note,
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
from eapcase.perf.stories import ISSUES, Story, case_story, long_story
from eapcase.policy import events as policy_events
from eapcase.policy import history
from eapcase.policy.engine import evaluate

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
CHUNK = 500  # cases built and written at a time
COMMIT_EVERY = 20_000  # cases per transaction


@dataclass
class Result:
    cases: int
    seed: int
    now: datetime
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    long_cases: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "seed": self.seed,
            "now": self.now.isoformat(),
            "seconds": round(self.seconds, 1),
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
        made = list(Provider.objects.filter(code__startswith=f"{partner.code.lower()}-prov-"))
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
    """Rows by table, written in bulk: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        self.columns: dict[str, tuple[str, ...]] = {}
        self.written: dict[str, int] = {}

    def table(self, model: Any, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
        name = model._meta.db_table
        self.columns[name] = tuple(model._meta.get_field(c).column for c in columns)
        return self.rows.setdefault(name, [])

    def flush(self) -> None:
        with connection.cursor() as cursor:
            for name, rows in self.rows.items():
                if not rows:
                    continue
                cols = self.columns[name]
                names = ", ".join(f'"{c}"' for c in cols)
                if self.vendor == "postgresql":
                    raw = cursor.cursor
                    with raw.copy(f'COPY "{name}" ({names}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" * len(cols))
                    sql = f'INSERT INTO "{name}" ({names}) VALUES ({marks})'  # noqa: S608
                    connection.connection.executemany(sql, rows)
                self.written[name] = self.written.get(name, 0) + len(rows)
                rows.clear()


def _sqlite_instant(value: datetime | None) -> str | None:
    """Django's SQLite format: naive UTC, `YYYY-MM-DD HH:MM:SS[.ffffff]`."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return str(value.replace(tzinfo=None))


def _pg_instant(value: datetime | None) -> datetime | None:
    return value


# --- the cases -----------------------------------------------------------------------------------


class Builder:
    """Turns stories into rows, judging each case with the engine."""

    def __init__(self, ref: Reference, now: datetime, sink: Sink, start_ids: dict[str, int]):
        self.ref, self.now, self.sink = ref, now, sink
        self.t: Callable[[datetime | None], Any] = (
            _pg_instant if sink.vendor == "postgresql" else _sqlite_instant
        )
        self.flag: Callable[[bool], Any] = bool if sink.vendor == "postgresql" else int
        self.ids = {k: v for k, v in start_ids.items()}
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
            "id", "case", "seq", "event_id", "type", "at", "by", "fields",
            "recorded_at", "hash"))  # fmt: skip
        self.attempts = sink.table(ContactAttempt, (
            "id", "case", "target", "channel", "outcome", "message", "summary", "attempted_at",
            "by", "event_id"))  # fmt: skip
        self.outreach = sink.table(OutreachRequest, (
            "id", "case", "kind", "purpose", "target", "requested_at", "reason",
            "requested_by", "close_reason", "event_id", "close_event_id"))  # fmt: skip
        self.emails = sink.table(Email, (
            "id", "case", "sender_kind", "from_address", "subject", "body", "message_id",
            "urgent", "needs_contact", "received_at", "acknowledged_at", "actioned_at",
            "action_summary", "event_id"))  # fmt: skip
        self.escalations = sink.table(Escalation, (
            "id", "case", "reason", "summary", "raised_at", "raised_by", "acknowledged_at",
            "acknowledged_by", "acknowledgement_note", "event_id"))  # fmt: skip
        self.notes = sink.table(CaseNote, (
            "id", "case", "author", "written_at", "summary", "next_step", "event_id"))  # fmt: skip
        self.sessions = sink.table(Session, (
            "id", "case", "provider", "number", "held_at", "event_id"))  # fmt: skip
        self.queries = sink.table(ParticipantQuery, (
            "id", "case", "received_at", "channel", "text", "resolved_at", "resolution",
            "event_id", "resolution_event_id"))  # fmt: skip
        self.obligations = sink.table(Obligation, (
            "id", "case", "partner", "assigned_clinician", "rule", "trigger", "opened_at",
            "due_at", "satisfied_at",
            "satisfied_by", "status", "target", "attempts_made", "attempts_required", "reason",
            "revision", "position", "evaluated_at"))  # fmt: skip
        self.findings = sink.table(Finding, (
            "id", "case", "partner", "rule", "event_id", "at", "severity", "detail",
            "position"))  # fmt: skip

    def next_id(self, table: str) -> int:
        value = self.ids.get(table, 1)
        self.ids[table] = value + 1
        return value

    def add(self, story: Story, partner_id: int, reference: str, rng: random.Random) -> None:
        t, flag, now = self.t, self.flag, self.now
        code = self.codes[partner_id]
        case_id = self.next_id("case")
        participant_id = self.next_id("participant")
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
        engine_events = [
            policy_events.make_event(
                case=reference, id=e.id, type=e.type, at=e.at, by=e.by, fields=e.fields, seq=e.seq
            )
            for e in story.events
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
        for e in story.events:
            at = t(e.at)
            fields = e.fields
            self.events.append((
                self.next_id("event"), case_id, e.seq, e.id, e.type, at, e.by,
                # Unsealed: generated beside the application, named by no audit row (ADR 0035).
                json.dumps(fields), at, "",
            ))  # fmt: skip
            kind = e.type
            if kind == "contact_attempt":
                self.attempts.append((
                    self.next_id("attempt"), case_id, fields["target"], fields["channel"],
                    fields["outcome"], fields["message"], fields["summary"], at, clinician_id,
                    e.id,
                ))  # fmt: skip
            elif kind in ("callback_requested", "outreach_requested"):
                self.outreach.append((
                    self.next_id("outreach"), case_id,
                    "callback" if kind == "callback_requested" else "outreach",
                    fields.get("purpose", "general"), fields.get("target", "participant"), at,
                    "", clinician_id, "", e.id, "",
                ))  # fmt: skip
            elif kind == "email_received":
                sender = fields.get("from", "participant")
                row = [
                    self.next_id("email"), case_id, sender,
                    "wpo@wpo.example" if sender == "wpo" else f"p{story.number}@example.org",
                    "Please call me back" if sender == "participant" else "Participant waiting",
                    "Could someone call me about my sessions?", "",
                    flag(bool(fields.get("urgent"))), flag(True), at, None, None, "", e.id,
                ]  # fmt: skip
                emails[e.id] = row
            elif kind == "email_acknowledged":
                emails[fields["email"]][10] = at
            elif kind == "email_actioned":
                emails[fields["email"]][11] = at
                emails[fields["email"]][12] = "Called the participant back."
            elif kind == "escalated_to_wpo":
                acknowledged = e.at < now - timedelta(days=2)
                self.escalations.append((
                    self.next_id("escalation"), case_id, fields["reason"],
                    "No contact within a day of the email." if fields["reason"] == "no_contact"
                    else "The participant is unhappy with the wait.", at, clinician_id,
                    t(e.at + timedelta(hours=3)) if acknowledged else None,
                    self.ref.wpo.pk if acknowledged else None,
                    "Noted." if acknowledged else "", e.id,
                ))  # fmt: skip
            elif kind == "note":
                self.notes.append((
                    self.next_id("note"), case_id, clinician_id, at, fields["summary"],
                    fields["next_step"], e.id,
                ))  # fmt: skip
            elif kind == "session_held":
                session_number += 1
                self.sessions.append((
                    self.next_id("session"), case_id, provider_id, session_number, at, e.id,
                ))  # fmt: skip
            elif kind == "participant_query":
                queries[e.id] = [
                    self.next_id("query"), case_id, at, "phone",
                    "When is my next session?", None, "", e.id, "",
                ]  # fmt: skip
            elif kind == "participant_query_resolved":
                q = queries[fields["query"]]
                q[5], q[6], q[8] = at, "Told them the date and time.", e.id
        self.emails.extend(tuple(row) for row in emails.values())
        self.queries.extend(tuple(row) for row in queries.values())

        evaluated = t(now)
        for i, o in enumerate(evaluation.obligations):
            self.obligations.append((
                self.next_id("obligation"), case_id, partner_id, clinician_id, o.rule, o.trigger,
                t(o.opened_at), t(o.due_at), t(o.satisfied_at), o.satisfied_by or "",
                str(o.status), str(o.target or ""), o.attempts_made, o.attempts_required,
                bridge.reason(o)[:500], o.revision, i, evaluated,
            ))  # fmt: skip
        for i, f in enumerate(evaluation.findings):
            self.findings.append((
                self.next_id("finding"), case_id, partner_id, f.rule, f.event, t(f.at),
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


def _start_ids() -> dict[str, int]:
    """The first free primary key of each table written in bulk."""
    models: dict[str, Any] = {
        "case": Case, "participant": Participant, "event": CaseEvent, "attempt": ContactAttempt,
        "outreach": OutreachRequest, "email": Email, "escalation": Escalation, "note": Note,
        "session": Session, "query": ParticipantQuery, "obligation": Obligation,
        "finding": Finding,
    }  # fmt: skip
    return {k: (m.objects.aggregate(m=Max("pk"))["m"] or 0) + 1 for k, m in models.items()}


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


def generate(
    *,
    cases: int,
    seed: int = 7,
    now: datetime | None = None,
    progress: bool = True,
    long_cases: int = 3,
) -> Result:
    """Write `cases` cases (the first `long_cases` of them with LONG_EVENTS events each) into
    the default database, with the reference data unless an earlier run made it (then the
    cases are added after those already there)."""
    from tqdm import tqdm

    started = time.perf_counter()
    now = now or reference_time()
    result = Result(cases=cases, seed=seed, now=now)
    with transaction.atomic():
        ref = load_reference() or create_reference(cases=cases, now=now)
    first = Case.objects.count() + 1
    long_cases += first - 1
    sink = Sink()
    builder = Builder(ref, now, sink, _start_ids())
    rng = random.Random(seed)
    window = WINDOW_DAYS * 24 * 60
    _bulk_mode(True)
    bar = tqdm(total=cases, unit="case", disable=not progress, smoothing=0.05)
    try:
        plan = _plan(first, cases, ref, seed)
        done = 0
        while done < cases:
            with transaction.atomic():
                stop = min(cases, done + COMMIT_EVERY)
                while done < stop:
                    upto = min(stop, done + CHUNK)
                    for number, partner_id, clinician in _take(plan, upto - done):
                        reference = f"BC{number:07d}"
                        if number <= long_cases:
                            story = long_story(rng, number, now, clinician, LONG_EVENTS)
                            result.long_cases.append(reference)
                        else:
                            opened = now - timedelta(minutes=rng.randrange(window))
                            story = case_story(rng, number, opened, now, clinician)
                        builder.add(story, partner_id, reference, rng)
                    sink.flush()
                    bar.update(upto - done)
                    done = upto
    finally:
        bar.close()
        _bulk_mode(False)
    _reset_sequences()
    _analyze()
    result.rows = dict(sink.written)
    result.seconds = time.perf_counter() - started
    return result


def _take(plan: Iterator[tuple[int, int, str]], n: int) -> list[tuple[int, int, str]]:
    return [next(plan) for _ in range(n)]
