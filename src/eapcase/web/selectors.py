"""Reads for the pages, always starting from the access predicate.

The work queue ("My work") lists the engine's unsatisfied obligations (stored `open` or
`overdue`) of the cases a clinician may manage and that are theirs; a Partner clinical lead
also sees the whole team's list (`scope="team"`). Everything a row shows comes from one SQL
query, whatever the size of the list, read as plain values and compiled once per process
(core.prepared): at 1,000,000 cases the database answers it in about a millisecond, and
building model instances and compiling the query cost several times that."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Subquery

from eapcase.accounts.choices import Role
from eapcase.accounts.models import Membership, User
from eapcase.accounts.standing import standing_of
from eapcase.cases.access import Action, may, visible_partner_ids
from eapcase.cases.choices import RISK_ORDER
from eapcase.cases.models import CaseEvent, Obligation
from eapcase.core.lists import Sort, WindowPage, page_number
from eapcase.core.localtime import local_text
from eapcase.core.prepared import PreparedQuery
from eapcase.notifications.selectors import house_target_of, house_targets_by_case
from eapcase.organisations.calendar import calendar_with_closed_dates
from eapcase.organisations.models import Partner, PartnerClosedDate
from eapcase.outreach.models import ContactAttempt, Email
from eapcase.policy.explain import RULE_FAMILIES, RULE_TITLES

UNSATISFIED = ("open", "overdue")
EMAIL_FAMILY = "email"
#: The families of the filter, in the order the issue lists the work.
FAMILIES: tuple[tuple[str, str], ...] = (
    ("email", "Emails"),
    ("callback", "Call backs"),
    ("outreach", "Outreach and check-ins"),
    ("review", "Reviews"),
    ("notes", "Case notes"),
    ("provider", "Provider contacts"),
    ("query", "Queries"),
    ("escalation", "Escalations"),
)
FAMILY_NAMES = dict(FAMILIES)
#: Rows on a page of the queue (`?page=`); the filters and the sort are kept in the URL.
WORK_PER_PAGE = 50
#: The queue's sortable columns (`?sort=`, core.lists.Sort; the values name the sort keys of
#: `_WORK_KEYS`). "priority", the default with no column of its own, is `work_order`.
WORK_SORTS: dict[str, tuple[str, ...]] = {
    "priority": ("priority",),
    "due": ("due",),
    "todo": ("todo",),
    "case": ("case",),
    "clinician": ("clinician",),
}
WORK_DEFAULT_SORT = "priority"
#: The sorts offered where the table's headers are hidden (a narrow window).
WORK_SORT_LABELS = (("due", "due"), ("todo", "to do"), ("case", "case"), ("clinician", "clinician"))


# --- time in words -----------------------------------------------------------------------------


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d"


def countdown(due_at: datetime, now: datetime) -> str:
    """`in 3 h`, `2 h late`, `due now` (within a minute either side)."""
    delta = due_at - now
    if abs(delta) < timedelta(minutes=1):
        return "due now"
    return f"in {_span(delta)}" if delta > timedelta(0) else f"{_span(-delta)} late"


def local_time(at: datetime, zone: str) -> str:
    """`Mon 23 Nov 2026 14:05 GMT` in the Partner's zone (the notices use the same words)."""
    return local_text(at, zone)


# --- the work queue ----------------------------------------------------------------------------


class QueueParticipant:
    """What a row shows of the case's participant."""

    __slots__ = ("full_name", "preferred_name")

    def __init__(self, full_name: str, preferred_name: str) -> None:
        self.full_name = full_name
        self.preferred_name = preferred_name


class QueueCase:
    """What the queue needs of a case, read as plain values (no model instance: building
    instances was a third of the queue's time). `partner_id` and `provider_id` are what the
    access gate (`cases.access.may`) asks."""

    __slots__ = (
        "assigned_clinician_id",
        "client_id",
        "participant",
        "partner_id",
        "pk",
        "provider_id",
        "reference",
        "risk_level",
        "status",
        "zone",
    )

    def __init__(self, row: tuple[Any, ...]) -> None:
        (
            self.pk,
            self.reference,
            self.risk_level,
            self.status,
            self.partner_id,
            self.provider_id,
            self.client_id,
            self.assigned_clinician_id,
            full_name,
            preferred_name,
            self.zone,
        ) = row
        self.participant = QueueParticipant(full_name, preferred_name)

    @property
    def id(self) -> int:
        return int(self.pk)


class QueueObligation:
    """An unsatisfied obligation as the queue reads it, with what the row shows from other
    tables (see `_queue_rows`)."""

    __slots__ = (
        "attempts_made",
        "attempts_required",
        "case",
        "due_at",
        "last_attempt_at",
        "last_attempt_channel",
        "last_attempt_outcome",
        "opened_at",
        "pk",
        "position",
        "reason",
        "rule",
        "trigger",
        "trigger_at",
        "trigger_urgent",
    )

    def __init__(self, row: tuple[Any, ...], case: QueueCase) -> None:
        (
            self.pk,
            self.rule,
            self.trigger,
            self.opened_at,
            self.due_at,
            self.reason,
            self.position,
            self.attempts_made,
            self.attempts_required,
            self.trigger_urgent,
            self.trigger_at,
            self.last_attempt_at,
            self.last_attempt_channel,
            self.last_attempt_outcome,
        ) = row
        self.case = case

    @property
    def id(self) -> int:
        return int(self.pk)


@dataclass(frozen=True)
class WorkItem:
    """One row of the work queue: an unsatisfied obligation and what to show about it."""

    obligation: QueueObligation
    case: QueueCase
    rule: str
    title: str
    family: str
    overdue: bool
    due_at: datetime | None
    due_local: str
    opened_local: str  # "" when the row has a deadline or a house target (not shown then)
    countdown: str
    reason: str
    urgent: bool
    received_at: datetime | None
    attempts: str  # "1 of 2 attempts made", or ""
    last_attempt: str  # "Mon 23 Nov 2026 14:05 GMT, phone, not reached", or ""
    assignee: Any
    #: For work the policy gives no deadline: the Partner's house target (the instant the
    #: reminders are planned against), in words and as a countdown. It orders the work; it
    #: never makes the work overdue (rules.md: house targets are no breach).
    target_at: datetime | None = None
    target_local: str = ""
    target_countdown: str = ""

    @property
    def zone(self) -> str:
        return str(self.case.zone)


@dataclass
class WorkQueue:
    items: list[WorkItem]  # the page shown, after the filters
    page: WindowPage  # the page (its number, how many pages)
    total: int  # rows after the filters
    overdue: int  # overdue rows of the whole queue (before the filters)
    all_count: int  # rows of the whole queue
    cases: list[str]  # references of the whole queue, for the case filter
    families: list[tuple[str, str, int]]  # (family, name, rows) present in the whole queue
    scope: str
    can_team: bool
    workload: list[tuple[Any, int, int]] = field(default_factory=list)  # (clinician, rows, late)


def lead_partner_ids(user: Any) -> list[int]:
    """The Partners whose team the user leads (the team scope of the work queue)."""
    standing = standing_of(user)
    return sorted(
        pid for pid, roles in standing.partner_roles.items() if Role.PARTNER_LEAD in roles
    )


#: The columns of a queue row: the obligation's, then what the row shows from other tables,
#: then the case's (`QueueObligation`, `QueueCase`), then its Partner's calendar.
_OBLIGATION_COLUMNS = (
    "id",
    "rule",
    "trigger",
    "opened_at",
    "due_at",
    "reason",
    "position",
    "attempts_made",
    "attempts_required",
    "trigger_urgent",
    "trigger_at",
    "last_attempt_at",
    "last_attempt_channel",
    "last_attempt_outcome",
)
_CASE_COLUMNS = (
    "case_id",
    "case__reference",
    "case__risk_level",
    "case__status",
    "case__partner_id",
    "case__provider_id",
    "case__client_id",
    "case__assigned_clinician_id",
    "case__participant__full_name",
    "case__participant__preferred_name",
    "case__partner__timezone",
)
_CALENDAR_COLUMNS = (
    "case__partner__country",
    "case__partner__subdivision",
    "case__partner__opening",
    "case__partner__closing",
    "case__partner__workdays",
)

_CLINICIAN_COLUMNS = (
    "case__assigned_clinician__username",
    "case__assigned_clinician__first_name",
    "case__assigned_clinician__last_name",
)


def _queue_query(
    clinician: int | None = None,
    leads: list[int] | None = None,
    visible: list[int] | None = None,
) -> Any:
    """The queue's one query: the unsatisfied obligations of `clinician` (their own queue) or
    of the cases of the Partners in `leads` (a lead's team), among the cases of the Partners
    in `visible` (the access predicate, `cases.access.visible_partner_ids`; absent for WPO,
    who read every case), with, as subqueries: whether the trigger event is marked urgent,
    when it happened, and the last contact attempt to the target since the obligation opened
    (for outreach and check-ins)."""
    obligations = Obligation.objects.filter(status__in=UNSATISFIED)
    if clinician is not None:
        # The clinician is denormalised on the obligation (index obligation_my_queue), so the
        # queue does not walk every case the clinician ever had.
        obligations = obligations.filter(assigned_clinician_id=clinician)
    if leads is not None:
        obligations = obligations.filter(partner_id__in=leads)
    if visible is not None:
        obligations = obligations.filter(case__partner_id__in=visible)
    trigger = CaseEvent.objects.filter(case_id=OuterRef("case_id"), event_id=OuterRef("trigger"))
    last = ContactAttempt.objects.filter(
        case_id=OuterRef("case_id"),
        target=OuterRef("target"),
        attempted_at__gte=OuterRef("opened_at"),
    ).order_by("-attempted_at", "-id")
    return obligations.annotate(
        # A provider's contact is urgent as recorded; an email as it is now (its urgency may
        # have been changed since it arrived, ADR 0033).
        trigger_urgent=Exists(trigger.filter(type="provider_contact", fields__urgent=True))
        | Exists(
            Email.objects.filter(
                case_id=OuterRef("case_id"), event_id=OuterRef("trigger"), urgent=True
            )
        ),
        trigger_at=Subquery(trigger.values("at")[:1]),
        last_attempt_at=Subquery(last.values("attempted_at")[:1]),
        last_attempt_channel=Subquery(last.values("channel")[:1]),
        last_attempt_outcome=Subquery(last.values("outcome")[:1]),
    ).values_list(
        *_OBLIGATION_COLUMNS,
        *_CASE_COLUMNS,
        *_CALENDAR_COLUMNS,
        # A lead's team view names each case's clinician.
        *(_CLINICIAN_COLUMNS if leads is not None else ()),
    )


_QUEUE_QUERY = PreparedQuery(_queue_query)


def _queue_rows(
    user: Any, *, clinician: int | None = None, leads: list[int] | None = None
) -> list[tuple[QueueObligation, tuple[Any, ...]]]:
    """The obligations of the queue, each with the rest of its row: its Partner's calendar
    columns, then (team view) its clinician's names."""
    visible = visible_partner_ids(user)
    if visible is not None and not visible:
        return []
    params: dict[str, Any] = {}
    if clinician is not None:
        params["clinician"] = clinician
    if leads is not None:
        params["leads"] = leads
    if visible is not None:
        params["visible"] = visible
    split = len(_OBLIGATION_COLUMNS)
    case_end = split + len(_CASE_COLUMNS)
    cases: dict[int, QueueCase] = {}
    found = []
    for row in _QUEUE_QUERY.rows(**params):
        case = cases.get(row[split])
        if case is None:
            case = cases[row[split]] = QueueCase(row[split:case_end])
        found.append((QueueObligation(row[:split], case), row[case_end:]))
    return found


def _item(
    ob: QueueObligation, now: datetime, assignee: Any, target_at: datetime | None = None
) -> WorkItem:
    zone = ob.case.zone
    family = RULE_FAMILIES.get(ob.rule, "other")
    attempts = last_attempt = ""
    if ob.attempts_required is not None:
        made = ob.attempts_made or 0
        plural = "" if ob.attempts_required == 1 else "s"
        attempts = f"{made} of {ob.attempts_required} attempt{plural} made"
        if ob.last_attempt_at is not None:
            outcome = str(ob.last_attempt_outcome).replace("_", " ")
            last_attempt = (
                f"{local_time(ob.last_attempt_at, zone)}, {ob.last_attempt_channel}, {outcome}"
            )
    overdue = ob.due_at is not None and ob.due_at <= now
    return WorkItem(
        obligation=ob,
        case=ob.case,
        rule=ob.rule,
        title=RULE_TITLES.get(ob.rule, ob.rule),
        family=family,
        overdue=overdue,
        due_at=ob.due_at,
        due_local=local_time(ob.due_at, zone) if ob.due_at is not None else "",
        # Shown only for work with neither a deadline nor a house target.
        opened_local=local_time(ob.opened_at, zone)
        if ob.due_at is None and target_at is None
        else "",
        countdown=countdown(ob.due_at, now) if ob.due_at is not None else "",
        reason=ob.reason,
        urgent=bool(ob.trigger_urgent),
        received_at=ob.trigger_at if family == EMAIL_FAMILY else None,
        attempts=attempts,
        last_attempt=last_attempt,
        assignee=assignee,
        target_at=target_at,
        target_local=local_time(target_at, zone) if target_at is not None else "",
        target_countdown=countdown(target_at, now) if target_at is not None else "",
    )


def _band(item: WorkItem) -> int:
    if item.due_at is None:
        return 2
    return 0 if item.overdue else 1


def work_order(items: list[WorkItem]) -> list[WorkItem]:
    """The queue's order: cases with risk identified first (high, medium, low); within each,
    overdue first, most late first; then by due time; then the work without a deadline, by
    its house target (the one its reminder uses), earliest first. Among the emails of each of
    these groups, urgent ones come first, then by time received, oldest first (rules.md,
    "Email order"); the emails take the places emails have in the group, so other work keeps
    its place."""

    def by_due(i: WorkItem) -> tuple[Any, ...]:
        ob = i.obligation
        when = i.due_at or i.target_at or ob.opened_at
        return (_band(i), when, ob.opened_at, i.case.reference, ob.position)

    def by_email_order(i: WorkItem) -> tuple[Any, ...]:
        ob = i.obligation
        return (not i.urgent, i.received_at or ob.opened_at, *by_due(i))

    def group(i: WorkItem) -> tuple[int, int]:
        # Cases with risk identified come first, the highest first (ADR 0025).
        return (RISK_ORDER.get(i.case.risk_level, len(RISK_ORDER)), _band(i))

    ordered = sorted(items, key=lambda i: (group(i)[0], *by_due(i)))
    # Each email's slot in its group, in the queue's order (one pass, not one a group).
    slots_of: dict[tuple[int, int], list[int]] = {}
    for n, i in enumerate(ordered):
        if i.family == EMAIL_FAMILY:
            slots_of.setdefault(group(i), []).append(n)
    for _key, slots in sorted(slots_of.items()):
        emails = sorted((ordered[n] for n in slots), key=by_email_order)
        for n, email in zip(slots, emails, strict=True):
            ordered[n] = email
    return ordered


def work_queue(
    *,
    user: Any,
    now: datetime,
    scope: str = "mine",
    family: str = "",
    case_ref: str = "",
    sort: Sort | None = None,
    page: Any = 1,
) -> WorkQueue:
    """The user's work queue as of `now`. `scope="team"` (a Partner clinical lead) lists the
    work of every case of the Partners they lead, each row with its clinician. The filters
    (`family`, `case_ref`) narrow the rows; the counts are of the whole queue. The rows are in
    `sort`'s order (the queue's own, `work_order`, by default) and `page` is the page shown.
    The whole queue is read in one query whatever the page (its counts need every row), so
    paging here is slicing the list in memory."""
    leads = lead_partner_ids(user)
    can_team = bool(leads)
    if scope != "team" or not can_team:
        scope = "mine"
    if scope == "team":
        action = Action.ASSIGN
        rows = _queue_rows(user, leads=leads)
    else:
        action = Action.MANAGE
        rows = _queue_rows(user, clinician=user.pk)
    # The gate decides, row by row, from what the query already read (no further queries).
    # Its answer depends only on the case's Partner and provider: asked once for each pair.
    decided: dict[tuple[int, int | None], bool] = {}
    allowed = []
    for ob, calendar in rows:
        key = (ob.case.partner_id, ob.case.provider_id)
        if key not in decided:
            decided[key] = may(user, ob.case, action)
        if decided[key]:
            allowed.append((ob, calendar))
    targets = _house_targets(allowed)
    assignees = _assignees(user, allowed)
    everything = work_order(
        [
            _item(ob, now, assignees.get(ob.case.assigned_clinician_id), targets.get(ob.pk))
            for ob, _calendar in allowed
        ]
    )
    families = Counter(i.family for i in everything)
    shown = [
        i
        for i in everything
        if (not family or i.family == family) and (not case_ref or i.case.reference == case_ref)
    ]
    if sort is not None and sort.key != WORK_DEFAULT_SORT:
        # Stable: rows that tie keep the queue's own order.
        shown.sort(key=_WORK_KEYS[sort.key])
        if sort.descending:
            shown.reverse()
    elif sort is not None and sort.descending:
        shown.reverse()
    number = min(page_number(page), max(1, -(-len(shown) // WORK_PER_PAGE)))
    start = (number - 1) * WORK_PER_PAGE
    paged = WindowPage(
        object_list=shown[start : start + WORK_PER_PAGE],
        number=number,
        per_page=WORK_PER_PAGE,
        count=len(shown),
    )
    queue = WorkQueue(
        items=paged.object_list,
        page=paged,
        total=len(shown),
        overdue=sum(1 for i in everything if i.overdue),
        all_count=len(everything),
        cases=sorted({i.case.reference for i in everything}),
        families=[(key, name, families[key]) for key, name in FAMILIES if families[key]],
        scope=scope,
        can_team=can_team,
    )
    if scope == "team":
        per: dict[Any, list[int]] = {}
        for i in everything:
            counts = per.setdefault(i.assignee, [0, 0])
            counts[0] += 1
            counts[1] += int(i.overdue)
        queue.workload = sorted(
            ((who, n, late) for who, (n, late) in per.items()),
            key=lambda w: (w[0] is None, _person(w[0])),
        )
    return queue


_CLOSED_DATES = PreparedQuery(
    lambda partners: PartnerClosedDate.objects.filter(partner_id__in=partners).values_list(
        "partner_id", "date"
    )
)


def _house_targets(rows: list[tuple[QueueObligation, tuple[Any, ...]]]) -> dict[int, datetime]:
    """The house target of each obligation without a policy deadline: three queries (house
    settings of the Partners and clients, the Partners' closed dates), whatever the rows."""
    undated = [(ob, calendar) for ob, calendar in rows if ob.due_at is None]
    if not undated:
        return {}
    cases = list({ob.case.pk: ob.case for ob, _calendar in undated}.values())
    # The Partners' calendars from the columns the query read; their closed dates in one query.
    # One model instance a Partner, not a row (building one is most of the cost here).
    partners: dict[int, Partner] = {}
    for ob, (country, subdivision, opening, closing, workdays, *_names) in undated:
        if ob.case.partner_id not in partners:
            partners[ob.case.partner_id] = Partner(
                pk=ob.case.partner_id,
                timezone=ob.case.zone,
                country=country,
                subdivision=subdivision,
                opening=opening,
                closing=closing,
                workdays=workdays,
            )
    closed: dict[int, list[Any]] = {pid: [] for pid in partners}
    for partner_id, day in _CLOSED_DATES.rows(partners=sorted(partners)):
        closed[partner_id].append(day)
    calendars = {pid: calendar_with_closed_dates(p, closed[pid]) for pid, p in partners.items()}
    settings = house_targets_by_case(cases)
    found = {}
    for ob, _calendar in undated:
        at = house_target_of(ob, settings[ob.case.pk], calendars[ob.case.partner_id])
        if at is not None:
            found[ob.pk] = at
    return found


def _assignees(
    user: Any, rows: list[tuple[QueueObligation, tuple[Any, ...]]]
) -> dict[int | None, Any]:
    """The clinician of each case, as users: in the user's own queue that is the user; in a
    lead's team view, users made from the names the query read (no further query)."""
    found: dict[int | None, Any] = {user.pk: user, None: None}
    skip = len(_CALENDAR_COLUMNS)
    for ob, rest in rows:
        pk = ob.case.assigned_clinician_id
        if pk not in found and len(rest) > skip:
            username, first_name, last_name = rest[skip:]
            found[pk] = User(pk=pk, username=username, first_name=first_name, last_name=last_name)
    return found


def _by_due(item: WorkItem) -> tuple[Any, ...]:
    # Work without a deadline after all work with one, by its house target (the one its
    # reminder uses), then the oldest first.
    when = item.due_at or item.target_at or item.obligation.opened_at
    return (item.due_at is None, when, item.obligation.opened_at)


_WORK_KEYS: dict[str, Any] = {
    "due": _by_due,
    "todo": lambda i: (i.title.casefold(), *_by_due(i)),
    "case": lambda i: (i.case.reference, *_by_due(i)),
    "clinician": lambda i: (i.assignee is None, _person(i.assignee).casefold(), *_by_due(i)),
}


def _person(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.username)


# --- the team ----------------------------------------------------------------------------------


def clinician_list_for_partners(*, partner_ids: list[int]) -> dict[int, list[Any]]:
    """Active Partner clinicians and clinical leads of each Partner, by name: whom a case of
    that Partner may be given to. One query."""
    memberships = (
        Membership.objects.filter(
            active=True,
            user__is_active=True,
            role__in=[Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD],
            partner_id__in=partner_ids,
        )
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username", "id")
    )
    found: dict[int, list[Any]] = {pid: [] for pid in partner_ids}
    for m in memberships:
        people = found.setdefault(int(m.partner_id or 0), [])
        if all(u.pk != m.user_id for u in people):
            people.append(m.user)
    return found


def work_queue_allowed(user: Any) -> bool:
    """Whether the user has a work queue: Partner clinicians and leads, and WPO clinicians
    (for the cases given to them)."""
    standing = standing_of(user)
    partner_roles: set[str] = set().union(*standing.partner_roles.values())
    return bool(partner_roles & {Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD}) or (
        Role.WPO_CLINICIAN in standing.wpo_roles
    )


# --- home --------------------------------------------------------------------------------------


def home_path(user: Any) -> str | None:
    """Each role's starting page: Partner clinicians and leads their work, WPO clinicians the
    escalations, providers their referrals, Partner admins the cases, WPO admins the reference
    data (the admin site: they read no case); None for a user without an active role."""
    standing = standing_of(user)
    partner_roles: set[str] = set().union(*standing.partner_roles.values())
    if partner_roles & {Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD}:
        return "/work/"
    if standing.is_wpo:
        return "/escalations/"
    if standing.provider_ids:
        return "/provider/"
    if partner_roles:
        return "/cases/"
    if Role.WPO_ADMIN in standing.wpo_roles:
        return "/admin/"
    return None
