"""Reads for the case pages, always starting from the access predicate.

The case page's state is what the engine derived at the case's last refresh
(`Case.engine_state`, written by `cases.record.compliance_refresh`); obligations and
findings are the rows the engine stored. A plain view never replays the history: only the
close form asks the engine what closing would breach. Every function here runs a fixed number
of queries whatever the size of the case."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Min, Q, QuerySet, prefetch_related_objects

from eapcase.accounts.models import User
from eapcase.cases import bridge
from eapcase.cases.access import cases_visible_to
from eapcase.cases.choices import UNSATISFIED, Attendance, ObligationStatus
from eapcase.cases.models import (
    Case,
    CaseAssignment,
    CaseEvent,
    Dissatisfaction,
    Escalation,
    Finding,
    Obligation,
    Override,
    ParticipantQuery,
    Review,
    RiskRecord,
    Session,
)
from eapcase.cases.words import CaseWords
from eapcase.core.lists import Sort
from eapcase.core.prepared import PreparedObjects, PreparedQuery
from eapcase.core.searchkeys import name_key
from eapcase.organisations.calendar import partner_calendar
from eapcase.organisations.choices import CheckinTrigger, WindowZone
from eapcase.organisations.models import AccessLine, ClientProcedure, Partner
from eapcase.organisations.procedures import procedure_in_force
from eapcase.outreach.messages import access_line_for
from eapcase.outreach.models import Email, EmailUrgencyChange, OutboundMessage, OutreachRequest
from eapcase.policy import closing_would_breach as policy_closing_would_breach
from eapcase.policy import sessions_remaining
from eapcase.policy.explain import RULE_TITLES, format_instant
from eapcase.policy.procedures import (
    CheckinTimes,
    ContactWindow,
    checkin_after_closure,
    in_contact_window,
)
from eapcase.policy.types import Evaluation, OutreachProgress, ParticipantPrefs
from eapcase.policy.types import Obligation as EngineObligation
from eapcase.providers.models import CaseNotesUpload, ProviderContact

PAGE_SIZE = 25
#: Timeline entries the case page shows unless asked for the whole history.
TIMELINE_LIMIT = 50

#: Short names of the rules, for headings and tables: the engine's own (policy.explain).
RULE_LABELS = RULE_TITLES

#: What each event type is, in words.
EVENT_LABELS = {
    "participant_updated": "Contact preferences changed",
    "risk_set": "Risk set",
    "callback_requested": "Call back requested",
    "outreach_requested": "Outreach requested",
    "outreach_closed": "Outreach closed",
    "contact_attempt": "Contact attempt",
    "email_received": "Email received",
    "email_acknowledged": "Email acknowledged",
    "email_actioned": "Email actioned",
    "escalated_to_wpo": "Escalated to WPO",
    "dissatisfaction_noted": "Dissatisfaction noted",
    "participant_query": "Participant query",
    "participant_query_resolved": "Query resolved",
    "provider_contact": "Provider contact",
    "provider_responded": "Provider answered",
    "session_held": "Session held",
    "review_completed": "First-session review",
    "intervention_ended": "Intervention ended",
    "case_notes_uploaded": "Case notes uploaded",
    "case_notes_reviewed": "Case notes reviewed",
    "note": "Note",
    "case_closed": "Case closed",
}

_PURPOSE_WORDS = {
    "general": "outreach",
    "complaint": "outreach after a complaint",
    "checkin": "clinical check-in",
    "callback": "call back",
}
_DECISION_WORDS = {
    "authorise_remaining": "authorise sessions",
    "transition_session": "one transition session",
    "deny": "no further sessions",
}


# --- the list ------------------------------------------------------------------------------------


#: The case list's sortable columns (`?sort=`, core.lists.Sort): the whitelist is all that
#: reaches ORDER BY. "urgency" (the default, no column of its own) puts open cases first and
#: the most overdue first, then the nearest deadline, then the newest.
CASE_LIST_SORTS: dict[str, tuple[str, ...]] = {
    "urgency": ("-status", "-overdue", "next_due", "-opened_at"),
    "case": ("reference",),
    "participant": ("participant__full_name",),
    "partner": ("partner__code",),
    "client": ("client__name",),
    "type": ("case_type",),
    "status": ("status",),
    "overdue": ("overdue",),
    "next": ("next_due",),
    "clinician": ("assigned_clinician__last_name", "assigned_clinician__first_name"),
}
CASE_LIST_DEFAULT_SORT = "urgency"


def _ordering(fields: list[str]) -> list[Any]:
    """`Sort.order_by` with a case without a deadline always after those with one, on SQLite
    (where NULL sorts first) as on PostgreSQL."""
    found: list[Any] = []
    for name in fields:
        if name.removeprefix("-") == "next_due":
            expression = F("next_due")
            found.append(
                expression.desc(nulls_last=True)
                if name.startswith("-")
                else expression.asc(nulls_last=True)
            )
        else:
            found.append(name)
    return found


def case_list(
    *,
    user: Any,
    now: datetime,
    query: str = "",
    status: str = "",
    partner: int | None = None,
    case_type: str = "",
    route: str = "",
    sort: Sort | None = None,
) -> QuerySet[Case]:
    """The cases the user may see, searched by reference or participant name and filtered,
    with their number of deadlines passed and next deadline, in the order `sort` asks (one
    query per page)."""
    cases = cases_visible_to(user)
    query = query.strip()
    if query:
        # The name through its search key (ADR 0039): any case, any accent.
        words = Q()
        for word in name_key(query).split():
            words &= Q(participant__name_key__contains=word)
        cases = cases.filter(
            Q(reference__icontains=query) | (words if len(words) else Q(pk__in=[]))
        )
    if status:
        cases = cases.filter(status=status)
    if partner:
        cases = cases.filter(partner_id=partner)
    if case_type:
        cases = cases.filter(case_type=case_type)
    if route:
        # Referral routes recorded outside the policy (management referrals...) are listed
        # for WPO by route: /cases/?route=management_referral.
        cases = cases.filter(referral=route)
    sort = sort or Sort.from_query(None, CASE_LIST_SORTS, CASE_LIST_DEFAULT_SORT)
    unsatisfied = Q(obligations__status__in=UNSATISFIED, obligations__due_at__isnull=False)
    return (
        cases.select_related("participant", "partner", "client", "assigned_clinician")
        .annotate(
            overdue=Count("obligations", filter=unsatisfied & Q(obligations__due_at__lte=now)),
            next_due=Min("obligations__due_at", filter=unsatisfied),
        )
        .order_by(*_ordering(sort.order_by))
    )


def case_list_page(cases: QuerySet[Case], number: Any, size: int = PAGE_SIZE) -> Page[Case]:
    return Paginator(cases, size).get_page(number)


def case_list_partners(*, user: Any) -> list[Partner]:
    """The Partners whose cases the user may see (for the list's filter)."""
    return list(
        Partner.objects.filter(pk__in=cases_visible_to(user).values("partner_id")).order_by("name")
    )


# --- the case page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    benefit: int
    authorised: int
    held: int

    @property
    def available(self) -> int:
        """Sessions of the benefit not yet authorised (never below zero)."""
        return max(self.benefit - self.authorised, 0)

    @property
    def remaining(self) -> int:
        """Sessions of the benefit not yet held: the most a review can still authorise."""
        return sessions_remaining(self.benefit, self.held)


@dataclass(frozen=True, slots=True)
class ObligationRow:
    """What the case pages show of a stored obligation, read as values (no model instance:
    a case of 200 events has some 90)."""

    rule: str
    trigger: str
    status: str
    reason: str
    due_at: datetime | None


@dataclass
class ObligationLine:
    row: ObligationRow
    overdue: bool

    @property
    def label(self) -> str:
        return RULE_LABELS.get(self.row.rule, self.row.rule)


@dataclass(frozen=True, slots=True)
class EventRow:
    """An event of the case's history as the case pages show it, read as values (a case page
    reads up to hundreds: no model instances). The timeline's lines for what is kept beside
    the history (allocations, mail, WPO's answers...) have `seq` 0 and no `event_id`."""

    seq: int
    event_id: str
    type: str
    at: datetime
    by: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class TimelineEntry:
    event: EventRow
    who: str
    what: str
    summary: str
    next_step: str
    findings: list[Finding]
    overrides: list[Override]
    #: an email we sent (with its delivery status) or one received (with its attachments)
    mail_out: OutboundMessage | None = None
    mail_in: Any = None
    anchor: str = ""


@dataclass
class OpenOutreach:
    progress: OutreachProgress
    request: OutreachRequest | None

    @property
    def label(self) -> str:
        return _PURPOSE_WORDS.get(self.progress.purpose, self.progress.purpose)


@dataclass
class CasePage:
    case: Case
    now: datetime
    events: list[EventRow]
    evaluation: bridge.StoredEvaluation
    ledger: Ledger
    obligations: list[ObligationLine]
    settled: list[ObligationLine]
    findings: list[Finding]
    timeline: list[TimelineEntry]
    procedure: ClientProcedure | None
    access_line: AccessLine | None
    last_contact: EventRow | None
    attempts_since: int
    open_outreach: list[OpenOutreach]
    open_queries: list[ParticipantQuery]
    open_emails: list[Email]
    open_provider_contacts: list[ProviderContact]
    open_uploads: list[CaseNotesUpload]
    recent_contacts: list[TimelineEntry] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    #: the case's events in words, for the template filters `event_label` and `in_words`
    words: CaseWords = field(default_factory=CaseWords)

    @property
    def prefs(self) -> ParticipantPrefs:
        return self.evaluation.state.participant

    @property
    def risk(self) -> str:
        """The case's risk: the stored column every page reads (ADR 0025)."""
        return str(self.case.risk_level)

    @property
    def consent_badges(self) -> list[str]:
        return consent_badges(self.prefs)

    @property
    def timeline_truncated(self) -> bool:
        """Whether the timeline shows only the latest events of a longer history."""
        return len(self.timeline) < len(self.events)

    @property
    def deadlines(self) -> list[ObligationLine]:
        """Unsatisfied obligations with a deadline, soonest first."""
        return sorted(
            (o for o in self.obligations if o.row.due_at is not None),
            key=lambda o: o.row.due_at or self.now,
        )

    @property
    def undated(self) -> list[ObligationLine]:
        """Unsatisfied obligations without a deadline."""
        return [o for o in self.obligations if o.row.due_at is None]

    @property
    def overdue_count(self) -> int:
        return sum(1 for o in self.obligations if o.overdue)


def consent_badges(prefs: ParticipantPrefs) -> list[str]:
    """The participant's contact limits, as the engine has them now."""
    limits = [
        (prefs.email_only, "Email only"),
        (not prefs.voicemail_ok, "No voicemail"),
        (not prefs.email_messages_ok, "No email messages"),
        (not prefs.email_consent, "No email consent"),
        (not prefs.phone, "No phone number"),
        (not prefs.email, "No email address"),
    ]
    return [label for applies, label in limits if applies]


def _prefetched_partner(case: Case) -> None:
    # The engine's calendar reads the Partner's closed dates; read them once per request.
    prefetch_related_objects([case.partner], "closed_dates")


def case_events(case: Case) -> list[CaseEvent]:
    """The case's history in the engine's order (instant, then recording)."""
    events: list[CaseEvent] = _EVENTS.objects(case=case.pk)
    return events


# The case page reads a dozen tables by case: each query is compiled once per process
# (core.prepared; compiling them was about a quarter of the page's CPU, issue #16).
_EVENTS = PreparedObjects(lambda case: CaseEvent.objects.filter(case_id=case).order_by("at", "seq"))


def case_evaluate(case: Case, events: list[CaseEvent], now: datetime) -> Evaluation:
    _prefetched_partner(case)
    return bridge.evaluate_case(case, events, now)


def open_deadlines(case: Case) -> list[Obligation]:
    """The case's stored obligations with a deadline still to meet (closing does not end
    them: they stay due after closure)."""
    return list(
        Obligation.objects.filter(case=case, due_at__isnull=False, satisfied_at__isnull=True)
        .exclude(status=ObligationStatus.BREACHED)
        .order_by("position")
    )


def ledger_of(case: Case, evaluation: bridge.StoredEvaluation) -> Ledger:
    """The benefit ledger as the policy counted it at the last write: the one place pages
    read sessions authorised, held, available and remaining from."""
    state = evaluation.state
    return Ledger(case.benefit_sessions, state.sessions_authorised, state.sessions_held)


def closing_would_breach(
    case: Case, events: list[CaseEvent], now: datetime, *, outreach: str | None = None
) -> list[EngineObligation]:
    """What closing the case (or, with `outreach`, that outreach or call back) now would
    breach: a what-if, the one question a page puts to the engine (ADR 0004)."""
    _prefetched_partner(case)
    return list(
        policy_closing_would_breach(
            bridge.case_info(case),
            [bridge.engine_event(case, row) for row in events],
            bridge.policy_packs(),
            partner_calendar(case.partner),
            now,
            outreach=outreach,
        )
    )


def procedure_for(case: Case, now: datetime) -> ClientProcedure | None:
    """The client organisation's procedures in force today (the latest version)."""
    today = now.astimezone(ZoneInfo(case.partner.timezone)).date()
    return procedure_in_force(case.client_id, today)


@dataclass(frozen=True)
class WindowView:
    """A client's contact-time window as the attempt form shows it."""

    window: ContactWindow
    words: str

    def outside(self, at: datetime) -> str:
        """The warning for an attempt at `at`, or "" when it falls in the window."""
        if in_contact_window(self.window, at):
            return ""
        local = format_instant(at, self.window.zone)
        return f"{local} is outside the client's contact hours ({self.words})."


def contact_window_for(case: Case, now: datetime) -> WindowView | None:
    """The contact-time window of the client's procedures in force, on the clock the procedure
    names: the Partner's, or the participant's (their zone when recorded, else the Partner's,
    said so)."""
    procedure = procedure_for(case, now)
    if procedure is None or procedure.contact_window_start is None:
        return None
    start, end = procedure.contact_window_start, procedure.contact_window_end
    assert end is not None  # the model's constraint: both ends or neither
    partner_zone = case.partner.timezone
    if procedure.contact_window_zone == WindowZone.PARTICIPANT:
        known = case.participant.timezone if _known_zone(case.participant.timezone) else ""
        zone = known or partner_zone
        whose = (
            f"the participant's time, {zone}"
            if known
            else f"the participant's time; their zone is not recorded, so {zone}"
        )
    else:
        zone, whose = partner_zone, f"the Partner's time, {zone}"
    words = f"{start:%H:%M} to {end:%H:%M}, {whose}"
    return WindowView(ContactWindow(start=start, end=end, zone=zone), words)


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return bool(name)


def checkin_on_closure(case: Case, now: datetime) -> CheckinTimes | None:
    """The check-in closing the case now would request (outreach.services
    .case_close_with_checkin does the same on the closing write), for the close page."""
    procedure = procedure_for(case, now)
    if (
        procedure is None
        or not procedure.checkin_required
        or procedure.checkin_trigger != CheckinTrigger.CASE_CLOSED
    ):
        return None
    return checkin_after_closure(
        partner_calendar(case.partner),
        now,
        procedure.checkin_after_business_days,
        procedure.checkin_due_business_days,
    )


def case_stored_evaluation(
    case: Case, events: list[CaseEvent] | None, now: datetime
) -> bridge.StoredEvaluation:
    """The engine's derived state as the last refresh stored it on the case row (read afresh:
    the instance may predate the last write). A case never refreshed (no stored state) is
    asked of the engine instead, with `events` (read here when not given)."""
    found = _STORED_STATE.rows(case=case.pk)
    row = found[0] if found else None
    data = None
    if row is not None:
        # The risk the pages show is the stored column (ADR 0025), read with the state.
        data, case.risk_level, case.risk_reason = row
    stored = bridge.stored_evaluation(data)
    if stored is None:
        history = case_events(case) if events is None else events
        stored = bridge.stored_from_evaluation(case_evaluate(case, history, now))
    return stored


_EVENT_ROWS = PreparedQuery(
    lambda case: (
        CaseEvent.objects.filter(case_id=case)
        .order_by("at", "seq")
        .values_list("seq", "event_id", "type", "at", "by", "fields")
    )
)
_STORED_STATE = PreparedQuery(
    lambda case: Case.objects.filter(pk=case).values_list(
        "engine_state", "risk_level", "risk_reason"
    )
)


def _by_case(
    model: Any, *order: str, related: tuple[str, ...] = (), defer: tuple[str, ...] = ()
) -> PreparedObjects:
    """A case's rows of `model`, in `order` (else the model's own), with `related` joined and
    without the `defer`red columns: compiled once."""

    def build(case: int) -> QuerySet[Any]:
        rows: QuerySet[Any] = model.objects.filter(case_id=case)
        if order:
            rows = rows.order_by(*order)
        if defer:
            rows = rows.defer(*defer)
        return rows.select_related(*related) if related else rows

    return PreparedObjects(build)


_OBLIGATIONS = PreparedQuery(
    lambda case: (
        Obligation.objects.filter(case_id=case)
        .order_by("position")
        .values_list("rule", "trigger", "status", "reason", "due_at")
    )
)
_FINDINGS = _by_case(Finding, "position")
_OVERRIDES = _by_case(Override, "at", "pk")
_OUTREACH = _by_case(OutreachRequest)
_REVIEWS = _by_case(Review)
_QUERIES = _by_case(ParticipantQuery, "received_at", "pk")
_DISSATISFACTIONS = _by_case(Dissatisfaction)
_ESCALATIONS = _by_case(Escalation, related=("acknowledged_by",))
_EMAILS = _by_case(Email, "received_at", "pk")
_CONTACTS = _by_case(ProviderContact, "received_at", "pk", related=("provider",))
_UPLOADS = _by_case(CaseNotesUpload, "uploaded_at", "pk")
_SESSIONS = _by_case(Session, "held_at", "pk", related=("provider", "recorded_by"))
_RISKS = _by_case(RiskRecord)
_ASSIGNMENTS = _by_case(CaseAssignment, "at", "pk", related=("clinician", "assigned_by"))
_OUTBOUND = _by_case(OutboundMessage, "created_at", "pk", related=("delivery",))
# The model of intake's InboundMessage through its relation: web does not import intake
# (layers). The raw message is not read.
_INBOUND_MODEL: Any = Case.inbound_messages.rel.related_model
_INBOUND = _by_case(_INBOUND_MODEL, "received_at", "pk", related=("email",), defer=("raw",))
_URGENCY_CHANGES = PreparedObjects(
    lambda case: (
        EmailUrgencyChange.objects.filter(email__case_id=case)
        .select_related("email", "by")
        .order_by("at", "pk")
    )
)


def case_page_get(
    *, case: Case, now: datetime, timeline_limit: int | None = TIMELINE_LIMIT
) -> CasePage:
    """Everything the case page and the handover page show, in a fixed number of queries.
    The timeline holds the latest `timeline_limit` events (None: all of them), newest first."""
    events = [EventRow(*values) for values in _EVENT_ROWS.rows(case=case.pk)]
    evaluation = case_stored_evaluation(case, None, now)
    state = evaluation.state
    ledger = ledger_of(case, evaluation)

    words = CaseWords.of_events(events, case.partner.timezone)
    obligation_rows = [ObligationRow(*values) for values in _OBLIGATIONS.rows(case=case.pk)]
    open_lines, settled = [], []
    for row in obligation_rows:
        if row.status in UNSATISFIED:
            overdue = row.status == ObligationStatus.OVERDUE or (
                row.due_at is not None and row.due_at <= now
            )
            open_lines.append(ObligationLine(row, overdue))
        else:
            settled.append(ObligationLine(row, False))
    findings: list[Finding] = _FINDINGS.objects(case=case.pk)
    by_event: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_event[finding.event_id].append(finding)
    overrides_by_event: dict[str, list[Override]] = defaultdict(list)
    for override in _OVERRIDES.objects(case=case.pk):
        for event_id in override.event_ids:
            overrides_by_event[event_id].append(override)

    outreach = {r.event_id: r for r in _OUTREACH.objects(case=case.pk)}
    reviews = {r.event_id: r for r in _REVIEWS.objects(case=case.pk)}
    queries: list[ParticipantQuery] = _QUERIES.objects(case=case.pk)
    dissatisfactions = {d.event_id: d for d in _DISSATISFACTIONS.objects(case=case.pk)}
    escalations = {e.event_id: e for e in _ESCALATIONS.objects(case=case.pk)}
    emails: list[Email] = _EMAILS.objects(case=case.pk)
    contacts: list[ProviderContact] = _CONTACTS.objects(case=case.pk)
    uploads: list[CaseNotesUpload] = _UPLOADS.objects(case=case.pk)
    sessions: list[Session] = _SESSIONS.objects(case=case.pk)

    rows = _Rows(
        zone=case.partner.timezone,
        words=words,
        outreach=outreach,
        reviews=reviews,
        queries={q.event_id: q for q in queries},
        resolutions={q.resolution_event_id: q for q in queries if q.resolution_event_id},
        dissatisfactions=dissatisfactions,
        escalations=escalations,
        emails={e.event_id: e for e in emails},
        contacts={c.event_id: c for c in contacts},
        responses={c.event_id: c for c in contacts},
        uploads={u.event_id: u for u in uploads},
        reviews_of_notes={u.review_event_id: u for u in uploads if u.review_event_id},
        risks={r.event_id: r for r in _RISKS.objects(case=case.pk)},
        sessions={s.event_id: s for s in sessions if s.attendance == Attendance.ATTENDED},
    )
    usernames = {e.by for e in events if e.by}
    names = {
        u.username: (u.get_full_name() or u.username)
        for u in User.objects.filter(username__in=usernames)
    }
    attempts = [
        e
        for e in events
        if e.type == "contact_attempt" and e.fields.get("target", "participant") == "participant"
    ]
    # Only the events shown are described: the latest ones, and the last five attempts to
    # contact the participant (the handover page's list), wherever they fall.
    first_shown = 0 if timeline_limit is None else max(len(events) - timeline_limit, 0)
    recent_ids = {id(e) for e in attempts[-5:]}
    session_number = 0
    entries: list[TimelineEntry] = []
    recent: list[TimelineEntry] = []
    for index, event in enumerate(events):
        if event.type == "session_held":
            session_number += 1
        shown = index >= first_shown
        if not shown and id(event) not in recent_ids:
            continue
        summary, next_step = _describe(event, rows, session_number)
        entry = TimelineEntry(
            event=event,
            who=names.get(event.by, event.by) if event.by else "",
            what=EVENT_LABELS.get(event.type, event.type),
            summary=summary,
            next_step=next_step,
            findings=by_event.get(event.event_id, []),
            overrides=overrides_by_event.get(event.event_id, []),
        )
        if shown:
            entries.append(entry)
        if id(event) in recent_ids:
            recent.append(entry)
    entries.extend(_assignment_entries(case, first_shown, events))
    entries.extend(_mail_entries(case, first_shown, events, entries))
    # The case's words are built once (about 600 instants formatted a page before).
    entries.extend(_wpo_answer_entries(case, first_shown, events, escalations, words))
    entries.extend(_urgency_entries(case, first_shown, events, words))
    entries.extend(_missed_session_entries(case, first_shown, events, sessions))
    entries.sort(key=lambda e: (e.event.at, e.event.seq or 0))
    entries.reverse()
    recent.reverse()

    reached = [e for e in attempts if e.fields.get("outcome") == "reached"]
    last_contact = reached[-1] if reached else None
    since = (last_contact.at, last_contact.seq) if last_contact is not None else None
    attempts_since = sum(1 for e in attempts if since is None or (e.at, e.seq) > since)
    open_outreach = [OpenOutreach(p, outreach.get(p.id)) for p in state.open_outreach]
    return CasePage(
        case=case,
        now=now,
        events=events,
        evaluation=evaluation,
        ledger=ledger,
        obligations=open_lines,
        settled=settled,
        findings=findings,
        timeline=entries,
        procedure=procedure_for(case, now),
        access_line=access_line_for(case),
        last_contact=last_contact,
        attempts_since=attempts_since,
        open_outreach=open_outreach,
        open_queries=[q for q in queries if q.resolved_at is None],
        open_emails=[e for e in emails if e.acknowledged_at is None or e.actioned_at is None],
        open_provider_contacts=[c for c in contacts if c.responded_at is None],
        open_uploads=[u for u in uploads if u.reviewed_at is None],
        recent_contacts=recent,
        names=names,
        words=words,
    )


def _assignment_entries(
    case: Case, first_shown: int, events: list[EventRow]
) -> list[TimelineEntry]:
    """Allocations and reassignments, as timeline lines beside the events (they are not
    history events: the policy does not judge them). With a truncated timeline only those
    since its first event shown."""
    since = events[first_shown].at if first_shown and events else None
    entries = []
    for row in _ASSIGNMENTS.objects(case=case.pk):
        if since is not None and row.at < since:
            continue
        to = _person_name(row.clinician) if row.clinician else "the unallocated list"
        pseudo = EventRow(0, "", "case_assigned", row.at)
        entries.append(
            TimelineEntry(
                event=pseudo,
                who=_person_name(row.assigned_by) if row.assigned_by else "",
                what="Allocated" if row.clinician else "Returned to the unallocated list",
                summary=f"to {to}" + (f": {row.reason}" if row.reason else ""),
                next_step="",
                findings=[],
                overrides=[],
            )
        )
    return entries


_OUTBOUND_WORDS: dict[str, str] = {
    OutboundMessage.Kind.ACKNOWLEDGEMENT: "Reply acknowledging the participant's email",
    OutboundMessage.Kind.DETAILED: "Detailed message to the participant",
    OutboundMessage.Kind.ESCALATION: "Escalation notice to WPO",
}


def _mail_entries(
    case: Case, first_shown: int, events: list[EventRow], entries: list[TimelineEntry]
) -> list[TimelineEntry]:
    """The case's emails in the timeline: each one we sent, at its sending, with its delivery
    status; the attachments of each one received beside its `email_received` event; mail on
    the case with no email rules (a provider's, an auto-reply) as lines of its own."""
    since = events[first_shown].at if first_shown and events else None
    inbound: list[Any] = _INBOUND.objects(case=case.pk)
    prefetch_related_objects(inbound, "attachments")
    by_event = {m.email.event_id: m for m in inbound if m.email is not None}
    for entry in entries:
        if entry.event.type == "email_received":
            entry.mail_in = by_event.get(entry.event.event_id)
    extra: list[TimelineEntry] = []
    for row in _OUTBOUND.objects(case=case.pk):
        if since is not None and row.created_at < since:
            continue
        pseudo = EventRow(0, "", "email_sent", row.created_at)
        what = {"sent": "Email sent", "queued": "Email queued", "failed": "Email not sent yet"}
        extra.append(
            TimelineEntry(
                event=pseudo,
                who="",
                what=what[row.status],
                summary=f"{_OUTBOUND_WORDS.get(row.kind, row.kind)} to {row.to}: {row.subject}",
                next_step="",
                findings=[],
                overrides=[],
                mail_out=row,
                anchor=f"mail-out-{row.pk}",
            )
        )
    for message in inbound:
        if message.email_id is not None or (since is not None and message.received_at < since):
            continue
        pseudo = EventRow(0, "", "email_filed", message.received_at)
        sender = message.from_address or "an unknown sender"
        extra.append(
            TimelineEntry(
                event=pseudo,
                who="",
                what=f"Email received ({message.get_status_display()})",
                summary=f"from {sender}: {message.subject or '(no subject)'}",
                next_step="",
                findings=[],
                overrides=[],
                mail_in=message,
                anchor=f"mail-in-{message.pk}",
            )
        )
    return extra


def _since(first_shown: int, events: list[EventRow]) -> datetime | None:
    return events[first_shown].at if first_shown and events else None


def _side_entry(case: Case, at: datetime, who: str, what: str, summary: str) -> TimelineEntry:
    """A timeline line for what is kept beside the history (the policy does not judge it)."""
    pseudo = EventRow(0, "", "", at)
    return TimelineEntry(
        event=pseudo, who=who, what=what, summary=summary, next_step="", findings=[], overrides=[]
    )


def _wpo_answer_entries(
    case: Case,
    first_shown: int,
    events: list[EventRow],
    escalations: dict[str, Escalation],
    words: CaseWords,
) -> list[TimelineEntry]:
    """WPO's acknowledgements of the case's escalations, with their notes (not history
    events: WPO's answer is not judged by the policy)."""
    since = _since(first_shown, events)
    entries = []
    for escalation in escalations.values():
        at = escalation.acknowledged_at
        if at is None or (since is not None and at < since):
            continue
        who = escalation.acknowledged_by
        note = escalation.acknowledgement_note
        summary = words.event(escalation.event_id) + (f": {note}" if note else "")
        entries.append(
            _side_entry(case, at, _person_name(who) if who else "WPO", "WPO acknowledged", summary)
        )
    return entries


def _urgency_entries(
    case: Case, first_shown: int, events: list[EventRow], words: CaseWords
) -> list[TimelineEntry]:
    """Changes of an email's urgency, with their reasons."""
    since = _since(first_shown, events)
    entries = []
    for row in _URGENCY_CHANGES.objects(case=case.pk):
        if since is not None and row.at < since:
            continue
        said = "urgent" if row.urgent else "not urgent"
        summary = f"{words.event(row.email.event_id)} is now {said}: {row.reason}"
        who = _person_name(row.by) if row.by else ""
        entries.append(_side_entry(case, row.at, who, "Email urgency changed", summary))
    return entries


def _missed_session_entries(
    case: Case, first_shown: int, events: list[EventRow], sessions: list[Session]
) -> list[TimelineEntry]:
    """Sessions not attended or cancelled late, as timeline lines beside the events: they are
    not sessions held and not history events (ADR 0028). With a truncated timeline only those
    since its first event shown."""
    since = events[first_shown].at if first_shown and events else None
    entries = []
    for row in sessions:
        if row.attendance == Attendance.ATTENDED or (since is not None and row.held_at < since):
            continue
        pseudo = EventRow(0, "", "session_missed", row.held_at)
        parts = [p for p in (_session_how(row), row.note) if p]
        entries.append(
            TimelineEntry(
                event=pseudo,
                who=_person_name(row.recorded_by) if row.recorded_by else "",
                what=f"Session {_MISSED_WORDS.get(row.attendance, str(row.attendance))}",
                summary="; ".join(["not a session held", *parts]),
                next_step="",
                findings=[],
                overrides=[],
            )
        )
    return entries


_MISSED_WORDS: dict[str, str] = {
    Attendance.DID_NOT_ATTEND: "not attended",
    Attendance.LATE_CANCELLATION: "cancelled late",
}


def _session_how(row: Session) -> str:
    """`video, 50 minutes`, with the provider: what the session record adds to the event."""
    parts = []
    if row.modality:
        parts.append(row.get_modality_display())
    if row.duration_minutes:
        parts.append(f"{row.duration_minutes} minutes")
    if row.provider is not None:
        parts.append(f"with {row.provider.name}")
    return ", ".join(parts)


def _person_name(user: Any) -> str:
    return str(user.get_full_name() or user.username)


@dataclass
class _Rows:
    zone: str
    words: CaseWords
    outreach: dict[str, OutreachRequest]
    reviews: dict[str, Review]
    queries: dict[str, ParticipantQuery]
    resolutions: dict[str, ParticipantQuery]
    dissatisfactions: dict[str, Dissatisfaction]
    escalations: dict[str, Escalation]
    emails: dict[str, Email]
    contacts: dict[str, ProviderContact]
    responses: dict[str, ProviderContact]
    uploads: dict[str, CaseNotesUpload]
    reviews_of_notes: dict[str, CaseNotesUpload]
    risks: dict[str, RiskRecord] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)


def _describe(event: EventRow, rows: _Rows, session_number: int) -> tuple[str, str]:
    """(summary, next step) of one event, from its fields and the domain row it wrote."""
    f = event.fields
    kind = event.type
    if kind == "note":
        return str(f.get("summary") or ""), str(f.get("next_step") or "")
    if kind == "contact_attempt":
        how = (
            f"{f.get('channel', 'phone')} to the {f.get('target', 'participant')}, "
            f"{str(f.get('outcome', '')).replace('_', ' ')}, "
            f"{_MESSAGE_WORDS.get(str(f.get('message', 'none')), '')}"
        )
        return f"{how}: {f.get('summary') or ''}".rstrip(": "), ""
    if kind == "participant_updated":
        changes = f.get("participant") or {}
        words = (f"{k.replace('_', ' ')} {'yes' if v else 'no'}" for k, v in changes.items())
        return ", ".join(words), ""
    if kind == "risk_set":
        risk = rows.risks.get(event.event_id)
        level = str(f.get("level"))
        said = "none identified" if level == "none" else level
        return (f"{said}: {risk.reason}" if risk is not None and risk.reason else said), ""
    if kind in ("callback_requested", "outreach_requested"):
        request = rows.outreach.get(event.event_id)
        parts = []
        if kind == "outreach_requested":
            purpose = str(f.get("purpose", "general"))
            target = " to the provider" if f.get("target") == "provider" else ""
            parts.append(f"{_PURPOSE_WORDS.get(purpose, purpose)}{target}")
        if request is not None and request.not_before is not None:
            # A call back's requested time; a check-in's earliest day (ADR 0027).
            word = "not before" if kind == "callback_requested" else "from"
            parts.append(f"{word} {format_instant(request.not_before, rows.zone)}")
        if request is not None and request.due is not None:
            parts.append(f"due by {format_instant(request.due, rows.zone)}")
        if request is not None and request.reason:
            parts.append(request.reason)
        return "; ".join(parts), ""
    if kind == "outreach_closed":
        named = rows.words.event(str(f.get("outreach")))
        return f"{named}: {f.get('reason') or ''}".rstrip(": "), ""
    if kind == "email_received":
        email = rows.emails.get(event.event_id)
        sender = "WPO" if f.get("from") == "wpo" else "the participant"
        text = f"from {sender}{', urgent' if f.get('urgent') else ''}"
        if f.get("needs_contact") is False:
            text += ", information only (no contact with the participant needed)"
        if email is not None and email.subject:
            text += f": {email.subject}"
        return text, ""
    if kind == "email_acknowledged":
        return rows.words.event(str(f.get("email"))), ""
    if kind == "email_actioned":
        email = rows.emails.get(str(f.get("email")))
        named = rows.words.event(str(f.get("email")))
        return (email.action_summary if email is not None else "") or named, ""
    if kind == "escalated_to_wpo":
        escalation = rows.escalations.get(event.event_id)
        reason = str(f.get("reason", "")).replace("_", " ")
        return f"{reason}: {escalation.summary}" if escalation else reason, ""
    if kind == "dissatisfaction_noted":
        d = rows.dissatisfactions.get(event.event_id)
        return (f"{d.aspect}{': ' + d.description if d.description else ''}" if d else ""), ""
    if kind == "participant_query":
        q = rows.queries.get(event.event_id)
        return (q.text if q else ""), ""
    if kind == "participant_query_resolved":
        q = rows.resolutions.get(event.event_id)
        return (q.resolution if q else rows.words.event(str(f.get("query")))), ""
    if kind == "provider_contact":
        c = rows.contacts.get(event.event_id)
        topic = str(f.get("topic", "")).replace("_", " ")
        text = f"{topic}{', urgent' if f.get('urgent') else ''}"
        return (f"{text}: {c.text}" if c and c.text else text), ""
    if kind == "provider_responded":
        c = rows.responses.get(str(f.get("contact")))
        return (c.response if c else rows.words.event(str(f.get("contact")))), ""
    if kind == "session_held":
        session = rows.sessions.get(event.event_id)
        how = _session_how(session) if session is not None else ""
        return f"session {session_number}{': ' + how if how else ''}", ""
    if kind == "review_completed":
        review = rows.reviews.get(event.event_id)
        decision = str(f.get("decision", ""))
        parts = [_DECISION_WORDS.get(decision, decision)]
        if decision == "authorise_remaining":
            parts.append(f"{f.get('sessions', 0)} further session(s)")
        if review is not None and review.transition_destination:
            parts.append(f"then {review.transition_destination}")
        resources = f.get("resources") or []
        if resources:
            parts.append("resources: " + ", ".join(str(r) for r in resources))
        if review is not None and review.rationale:
            parts.append(review.rationale)
        return "; ".join(parts), ""
    if kind in ("intervention_ended", "case_notes_uploaded"):
        upload = rows.uploads.get(event.event_id) if kind == "case_notes_uploaded" else None
        text = f"provider {f.get('provider')}"
        if upload is not None and upload.original_name:
            text += f": {upload.original_name}"
        return text, ""
    if kind == "case_notes_reviewed":
        upload = rows.reviews_of_notes.get(event.event_id)
        if upload is None:
            return rows.words.event(str(f.get("notes"))), ""
        return f"{'issues found; ' if upload.issues_found else ''}{upload.review_note}", ""
    if kind == "case_closed":
        return str(f.get("reason") or ""), ""
    return "", ""


_MESSAGE_WORDS = {
    "detailed": "detailed message",
    "generic": "generic message",
    "none": "no message",
}
