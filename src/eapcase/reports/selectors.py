"""Reads of the reports. Every query about cases starts from the access predicate
(`accounts.access.visible_cases_q`) and, for a Partner's clinical lead, the lead's own
Partners (`report_scope`): WPO sees every Partner, a lead their own, nobody else any.

The compliance figures come from `ObligationFact` (services.facts_catch_up keeps it equal to
the stored obligations), so a year of a national network is one GROUP BY."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from eapcase.accounts.choices import Role
from eapcase.accounts.models import User
from eapcase.accounts.standing import standing_of
from eapcase.cases.access import cases_visible_to, visible_cases_q
from eapcase.cases.choices import UNSATISFIED, Attendance, CaseType, Modality, Referral
from eapcase.cases.models import Finding, Participant, ParticipantQuery, Session
from eapcase.core.errors import PermissionDenied
from eapcase.organisations.models import ClientOrganisation, Partner
from eapcase.outreach.models import ContactAttempt, Email
from eapcase.policy import measures
from eapcase.policy.explain import RULE_TITLES
from eapcase.reports import histogram
from eapcase.reports.models import (
    ComplianceDay,
    ComplianceMonth,
    FrequentUserThresholds,
    ObligationFact,
)
from eapcase.reports.suppression import THRESHOLD, Published, suppress

#: The breakdowns a report may ask for, beside the rule (always there), in display order.
DIMENSIONS: dict[str, str] = {
    "partner": "partner_id",
    "client": "client_id",
    "clinician": "clinician_id",
    "month": "month",
}
DEFAULT_BY = ("partner", "month")

#: Figures a drill-down can list the cases of.
MEASURES: dict[str, str] = {
    "opened": "opened",
    "met": "met on time",
    "late": "met late",
    "breached": "breached",
    "open": "still open",
    "overdue": "overdue",
    "findings": "findings (breaches)",
    "warnings": "findings (warnings)",
}
CASES_PER_PAGE = 50


@dataclass(frozen=True)
class Scope:
    """Which Partners' figures a user may see: None means every Partner (WPO)."""

    user: Any
    partner_ids: frozenset[int] | None

    def facts(self) -> QuerySet[ObligationFact]:
        if self.partner_ids is None:
            return ObligationFact.objects.all()
        return ObligationFact.objects.filter(
            visible_cases_q(self.user, "case__"), partner_id__in=self.partner_ids
        )

    def findings(self) -> QuerySet[Finding]:
        if self.partner_ids is None:
            return Finding.objects.all()
        return Finding.objects.filter(
            visible_cases_q(self.user, "case__"), partner_id__in=self.partner_ids
        )

    def partners(self) -> QuerySet[Partner]:
        found = Partner.objects.order_by("name")
        return found if self.partner_ids is None else found.filter(pk__in=self.partner_ids)


def report_scope(*, user: Any) -> Scope:
    """WPO: every Partner; a Partner's clinical lead: the Partners they lead; anyone else:
    PermissionDenied."""
    standing = standing_of(user)
    if standing.is_wpo:
        return Scope(user, None)
    led = frozenset(
        partner_id
        for partner_id, roles in standing.partner_roles.items()
        if Role.PARTNER_LEAD in roles
    )
    if not led:
        raise PermissionDenied("Reports are for WPO and Partners' clinical leads.", field="user")
    return Scope(user, led)


def wpo_only(*, user: Any) -> None:
    if not standing_of(user).is_wpo:
        raise PermissionDenied("This report is for WPO.", field="user")


@dataclass(frozen=True)
class ReportQuery:
    """A report's period (days in each Partner's zone, both included), its filters and the
    breakdown; built from the URL by forms.ReportForm or from the command's options."""

    date_from: date
    date_to: date
    partner_id: int | None = None
    client_id: int | None = None
    clinician_id: int | None = None
    rule: str = ""
    by: tuple[str, ...] = DEFAULT_BY

    def filter_facts(self, facts: QuerySet[ObligationFact]) -> QuerySet[ObligationFact]:
        facts = facts.filter(opened_day__gte=self.date_from, opened_day__lte=self.date_to)
        if self.partner_id is not None:
            facts = facts.filter(partner_id=self.partner_id)
        if self.client_id is not None:
            facts = facts.filter(client_id=self.client_id)
        if self.clinician_id is not None:
            facts = facts.filter(clinician_id=self.clinician_id)
        if self.rule:
            facts = facts.filter(rule=self.rule)
        return facts

    def filter_findings(self, findings: QuerySet[Finding]) -> QuerySet[Finding]:
        # A finding's day is taken in UTC: findings have no stored local day.
        start = datetime.combine(self.date_from, time(0), tzinfo=UTC)
        end = datetime.combine(self.date_to + timedelta(days=1), time(0), tzinfo=UTC)
        findings = findings.filter(at__gte=start, at__lt=end)
        if self.partner_id is not None:
            findings = findings.filter(partner_id=self.partner_id)
        if self.client_id is not None:
            findings = findings.filter(case__client_id=self.client_id)
        if self.clinician_id is not None:
            findings = findings.filter(case__assigned_clinician_id=self.clinician_id)
        if self.rule:
            findings = findings.filter(rule=self.rule)
        return findings


# --- figures ----------------------------------------------------------------------------------


@dataclass
class Figures:
    """One row of the report: a rule and the chosen breakdown, and its counts."""

    rule: str
    keys: dict[str, Any]
    opened: int = 0
    met: int = 0
    late: int = 0
    breached: int = 0
    open: int = 0
    overdue: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    labels: dict[str, str] = field(default_factory=dict)
    histogram: dict[int, int] = field(default_factory=dict, repr=False)

    @property
    def judged(self) -> int:
        """The on-time rate's denominator: obligations whose outcome is known (met, late,
        breached) or already lost (overdue)."""
        return self.met + self.late + self.breached + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        return self.met / self.judged if self.judged else None

    @property
    def rule_title(self) -> str:
        return RULE_TITLES.get(self.rule, self.rule)

    @property
    def business_time(self) -> bool:
        return measures.counts_business_time(self.rule)


_COUNTS = {
    "opened": Count("id"),
    "met": Count("id", filter=Q(status="met")),
    "late": Count("id", filter=Q(status="late")),
    "breached": Count("id", filter=Q(status="breached")),
    "open": Count("id", filter=Q(status__in=UNSATISFIED)),
}
_ROLLUP_FIELDS = {"partner": "partner_id", "client": "client_id", "month": "month"}
_DAY_FIELDS = {**_ROLLUP_FIELDS, "month": "day"}


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first and last day of the run of whole months within [start, end], if any."""
    first = start if start.day == 1 else _month_after(start)
    last = _month_after(end) - timedelta(days=1)
    last = end if end == last else end.replace(day=1) - timedelta(days=1)
    return (first, last) if first <= last else None


def compliance_figures(*, scope: Scope, query: ReportQuery, now: datetime) -> list[Figures]:
    """The report's rows, by rule then the breakdown. Whole months come from the monthly
    rollup (ComplianceMonth), the days at either end and any breakdown by clinician from the
    facts; the overdue count, which depends on `now`, from the unsatisfied facts."""
    found: dict[tuple[Any, ...], Figures] = {}

    def row(rule: str, keys: dict[str, Any]) -> Figures:
        key = (rule, *(keys[d] for d in query.by))
        figures = found.get(key)
        if figures is None:
            figures = found[key] = Figures(rule=rule, keys=keys)
        return figures

    if "clinician" in query.by or query.clinician_id is not None:
        _add_facts(scope, query, row)
    else:
        months = whole_months(query.date_from, query.date_to)
        if months is None:
            _add_rollup(scope, query, ComplianceDay, "day", (query.date_from, query.date_to), row)
        else:
            _add_rollup(scope, query, ComplianceMonth, "month", months, row)
            for start, end in (
                (query.date_from, months[0] - timedelta(days=1)),
                (months[1] + timedelta(days=1), query.date_to),
            ):
                if start <= end:
                    _add_rollup(scope, query, ComplianceDay, "day", (start, end), row)
    columns = ["rule", *(DIMENSIONS[d] for d in query.by)]
    overdue = (
        query.filter_facts(scope.facts())
        .filter(status__in=UNSATISFIED, due_at__lte=now)
        .values(*columns)
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in overdue:
        row(r["rule"], {d: r[DIMENSIONS[d]] for d in query.by}).overdue += r["n"]
    figures = [found[key] for key in sorted(found, key=_sort_key)]
    for f in figures:
        f.median_seconds = histogram.percentile(f.histogram, 0.5)
        f.p90_seconds = histogram.percentile(f.histogram, 0.9)
    _label(figures, query.by)
    return figures


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, value) for value in key)


def _add_rollup(
    scope: Scope,
    query: ReportQuery,
    model: type[ComplianceMonth] | type[ComplianceDay],
    period: str,
    span: tuple[date, date],
    row: Any,
) -> None:
    manager: Any = model.objects
    rows = manager.filter(**{f"{period}__gte": span[0], f"{period}__lte": span[1]})
    if scope.partner_ids is not None:
        rows = rows.filter(partner_id__in=scope.partner_ids)
    if query.partner_id is not None:
        rows = rows.filter(partner_id=query.partner_id)
    if query.client_id is not None:
        rows = rows.filter(client_id=query.client_id)
    if query.rule:
        rows = rows.filter(rule=query.rule)
    names = [(_ROLLUP_FIELDS if period == "month" else _DAY_FIELDS)[d] for d in query.by]
    for values in rows.values_list(
        "rule", *names, "opened", "met", "late", "breached", "unsatisfied", "histogram"
    ).iterator(chunk_size=5000):
        rule, keys = values[0], dict(zip(query.by, values[1 : 1 + len(names)], strict=True))
        if period == "day" and "month" in keys:
            keys["month"] = keys["month"].replace(day=1)
        opened, met, late, breached, unsatisfied, hist = values[1 + len(names) :]
        f = row(rule, keys)
        f.opened += opened
        f.met += met
        f.late += late
        f.breached += breached
        f.open += unsatisfied
        for index, n in hist.items():
            f.histogram[int(index)] = f.histogram.get(int(index), 0) + n


def _add_facts(scope: Scope, query: ReportQuery, row: Any) -> None:
    columns = ["rule", *(DIMENSIONS[d] for d in query.by)]
    facts = query.filter_facts(scope.facts())
    for r in facts.values(*columns).annotate(**_COUNTS).order_by():
        f = row(r["rule"], {d: r[DIMENSIONS[d]] for d in query.by})
        for name in _COUNTS:
            setattr(f, name, getattr(f, name) + r[name])
    buckets = (
        facts.filter(satisfy_bucket__isnull=False)
        .values(*columns, "satisfy_bucket")
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in buckets:
        f = row(r["rule"], {d: r[DIMENSIONS[d]] for d in query.by})
        index = r["satisfy_bucket"]
        f.histogram[index] = f.histogram.get(index, 0) + r["n"]


def _label(figures: Iterable[Figures], by: Sequence[str]) -> None:
    figures = list(figures)
    names: dict[str, dict[Any, str]] = {}
    if "partner" in by:
        ids = {f.keys["partner"] for f in figures}
        names["partner"] = dict(Partner.objects.filter(pk__in=ids).values_list("pk", "name"))
    if "client" in by:
        ids = {f.keys["client"] for f in figures}
        names["client"] = dict(
            ClientOrganisation.objects.filter(pk__in=ids).values_list("pk", "name")
        )
        names["client"][None] = "No client organisation"
    if "clinician" in by:
        ids = {f.keys["clinician"] for f in figures}
        names["clinician"] = {
            u.pk: u.get_full_name() or u.username for u in User.objects.filter(pk__in=ids)
        }
        names["clinician"][None] = "Not assigned"
    for f in figures:
        for d in by:
            value = f.keys[d]
            if d == "month":
                f.labels[d] = f"{value:%b %Y}"
            else:
                f.labels[d] = names[d].get(value, str(value))


@dataclass(frozen=True)
class FindingCount:
    rule: str
    breaches: int
    warnings: int

    @property
    def rule_title(self) -> str:
        return RULE_TITLES.get(self.rule, self.rule)


def finding_counts(*, scope: Scope, query: ReportQuery) -> list[FindingCount]:
    rows = (
        query.filter_findings(scope.findings())
        .values("rule")
        .annotate(
            breaches=Count("id", filter=Q(severity="breach")),
            warnings=Count("id", filter=Q(severity="warning")),
        )
        .order_by("rule")
    )
    return [FindingCount(r["rule"], r["breaches"], r["warnings"]) for r in rows]


@dataclass(frozen=True)
class Trend:
    """One rule's months: the chart and the table beside it."""

    rule: str
    months: list[Figures]

    @property
    def rule_title(self) -> str:
        return RULE_TITLES.get(self.rule, self.rule)

    def chart_data(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.rule_title,
            "labels": [f"{m.keys['month']:%b %Y}" for m in self.months],
            "opened": [m.opened for m in self.months],
            "missed": [m.late + m.breached + m.overdue for m in self.months],
            "rate": [
                None if m.on_time_rate is None else round(100 * m.on_time_rate, 1)
                for m in self.months
            ],
        }


def compliance_trends(*, scope: Scope, query: ReportQuery, now: datetime) -> list[Trend]:
    """Per rule, its figures month by month for the period."""
    monthly = replace(query, by=("month",))
    per_rule: dict[str, list[Figures]] = defaultdict(list)
    for f in compliance_figures(scope=scope, query=monthly, now=now):
        per_rule[f.rule].append(f)
    return [Trend(rule, months) for rule, months in per_rule.items()]


# --- drill-down ---------------------------------------------------------------------------------


def drilldown_cases(
    *,
    scope: Scope,
    query: ReportQuery,
    keys: dict[str, Any],
    measure: str,
    now: datetime,
    page: Any,
) -> Page[Any]:
    """The cases behind one figure: case references (with their Partner), a page at a time."""
    cases: QuerySet[Any, Any]
    if measure in ("findings", "warnings"):
        findings = query.filter_findings(scope.findings()).filter(
            severity="breach" if measure == "findings" else "warning"
        )
        cases = findings.values("case__reference", "case__partner__name")
    else:
        facts = query.filter_facts(scope.facts()).filter(
            **{DIMENSIONS[d]: keys[d] for d in keys if d in DIMENSIONS}
        )
        facts = facts.filter(_measure_q(measure, now))
        cases = facts.values("case__reference", "case__partner__name")
    rows = cases.distinct().order_by("case__reference")
    return Paginator(rows, CASES_PER_PAGE).get_page(page)


def _measure_q(measure: str, now: datetime) -> Q:
    if measure in ("met", "late", "breached"):
        return Q(status=measure)
    if measure == "open":
        return Q(status__in=UNSATISFIED)
    if measure == "overdue":
        return Q(status__in=UNSATISFIED, due_at__lte=now)
    return Q()


# --- email order ------------------------------------------------------------------------------


@dataclass
class EmailOrderRow:
    partner: Partner
    month: date
    actioned: int = 0
    out_of_order: int = 0
    cases: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.out_of_order / self.actioned if self.actioned else None


def email_order(
    *, scope: Scope, date_from: date, date_to: date, partner_id: int | None = None
) -> list[EmailOrderRow]:
    """Per Partner and month (of the action, in the Partner's zone): emails actioned, how
    many out of the queue's order (policy.measures.emails_out_of_order), and their cases.
    Emails received before the period but waiting in it are part of each queue."""
    start = datetime.combine(date_from - timedelta(days=1), time(0), tzinfo=UTC)
    end = datetime.combine(date_to + timedelta(days=2), time(0), tzinfo=UTC)
    emails = (
        Email.objects.filter(visible_cases_q(scope.user, "case__"), case__isnull=False)
        .filter(received_at__lt=end)
        .filter(Q(actioned_at__isnull=True) | Q(actioned_at__gte=start))
    )
    if scope.partner_ids is not None:
        emails = emails.filter(case__partner_id__in=scope.partner_ids)
    if partner_id is not None:
        emails = emails.filter(case__partner_id=partner_id)
    queues: dict[int, list[measures.EmailHandling]] = defaultdict(list)
    refs: dict[int, str] = {}
    for pk, partner_id, ref, received, urgent, actioned in emails.values_list(
        "pk", "case__partner_id", "case__reference", "received_at", "urgent", "actioned_at"
    ).order_by("received_at", "pk"):
        queues[partner_id].append(measures.EmailHandling(pk, received, urgent, actioned))
        refs[pk] = ref
    partners = {p.pk: p for p in Partner.objects.filter(pk__in=list(queues))}
    rows: dict[tuple[int, date], EmailOrderRow] = {}
    for partner_id, queue in queues.items():
        partner = partners[partner_id]
        zone = ZoneInfo(partner.timezone)
        late = measures.emails_out_of_order(queue)
        for email in queue:
            if email.actioned_at is None:
                continue
            day = email.actioned_at.astimezone(zone).date()
            if not date_from <= day <= date_to:
                continue
            row = rows.setdefault(
                (partner_id, day.replace(day=1)), EmailOrderRow(partner, day.replace(day=1))
            )
            row.actioned += 1
            if email.key in late:
                row.out_of_order += 1
                if refs[int(str(email.key))] not in row.cases:
                    row.cases.append(refs[int(str(email.key))])
    return sorted(rows.values(), key=lambda r: (r.partner.name, r.month))


# --- the client organisation's report -----------------------------------------------------------


@dataclass(frozen=True)
class CountTable:
    """A table of counts (rows x the quarter's months) as published, suppressed cells None."""

    title: str
    row_labels: list[str]
    column_labels: list[str]
    published: Published


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int
    tables: list[CountTable]

    @property
    def label(self) -> str:
        return f"Q{self.number} {self.year}"


#: The row of sessions whose modality was not recorded (those imported from a history).
NOT_RECORDED = "Not recorded"

#: A presenting issue named in fewer cases than this in the year is counted as "Other".
ISSUE_MIN = THRESHOLD


def client_report(*, user: Any, client: ClientOrganisation, year: int) -> list[Quarter]:
    """The client's year, quarter by quarter (months in UTC): cases opened by case type, by
    referral and by presenting issue, and sessions held by case type and by modality; counts
    only, small
    counts suppressed (suppression.suppress). WPO only."""
    wpo_only(user=user)
    cases = cases_visible_to(user).filter(client=client)
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    opened = list(
        cases.filter(opened_at__gte=start, opened_at__lt=end).values_list(
            "opened_at", "case_type", "referral", "presenting_issue"
        )
    )
    sessions = list(
        # Sessions held only: one not attended or cancelled late is not a session (ADR 0028).
        Session.objects.filter(
            case__in=cases, held_at__gte=start, held_at__lt=end, attendance=Attendance.ATTENDED
        ).values_list("held_at", "case__case_type", "modality")
    )
    issues_in_year: dict[str, int] = defaultdict(int)
    for _at, _type, _ref, issue in opened:
        issues_in_year[_issue_key(issue)] += 1
    named = sorted(k for k, n in issues_in_year.items() if n >= ISSUE_MIN and k)
    issue_rows = [*named, "Other or not recorded"]

    def issue_row(issue: str) -> str:
        key = _issue_key(issue)
        return key if key in named else "Other or not recorded"

    type_rows = [label for _value, label in CaseType.choices]
    referral_rows = [label for _value, label in Referral.choices]
    modality_rows = [str(label).capitalize() for _value, label in Modality.choices]
    modality_rows.append(NOT_RECORDED)
    modality_label = {value: str(label).capitalize() for value, label in Modality.choices}
    type_label = dict(CaseType.choices)
    referral_label = dict(Referral.choices)
    quarters = []
    for number in range(1, 5):
        months = [3 * (number - 1) + m for m in (1, 2, 3)]
        table = partial(_count_table, year=year, months=months)

        quarters.append(
            Quarter(
                year,
                number,
                [
                    table(
                        "Cases opened, by type of case",
                        type_rows,
                        [(at, type_label[t]) for at, t, _r, _i in opened],
                    ),
                    table(
                        "Cases opened, by referral",
                        referral_rows,
                        [(at, referral_label[r]) for at, _t, r, _i in opened],
                    ),
                    table(
                        "Cases opened, by presenting issue",
                        issue_rows,
                        [(at, issue_row(i)) for at, _t, _r, i in opened],
                    ),
                    table(
                        "Sessions held, by type of case",
                        type_rows,
                        [(at, type_label[t]) for at, t, _m in sessions],
                    ),
                    table(
                        "Sessions held, by modality",
                        modality_rows,
                        [(at, modality_label.get(m, NOT_RECORDED)) for at, _t, m in sessions],
                    ),
                ],
            )
        )
    return quarters


def _count_table(
    title: str,
    labels: list[str],
    keyed: list[tuple[datetime, str]],
    *,
    year: int,
    months: list[int],
) -> CountTable:
    counts = [[0] * len(months) for _ in labels]
    position = {label: k for k, label in enumerate(labels)}
    for at, label in keyed:
        if at.month in months:
            counts[position[label]][months.index(at.month)] += 1
    columns = [f"{date(year, m, 1):%b}" for m in months]
    return CountTable(title, labels, columns, suppress(counts))


def _issue_key(issue: str) -> str:
    return " ".join(issue.split()).capitalize()


# --- frequent users ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FrequentUser:
    participant_id: int
    name: str
    cases: int
    contacts: int
    references: list[str]


def frequent_users(
    *, user: Any, now: datetime
) -> tuple[FrequentUserThresholds, list[FrequentUser]]:
    """Participants with at least the thresholds' cases opened, or contacts (attempts to
    them, their emails, their queries), in the 12 months before `now`. WPO only."""
    wpo_only(user=user)
    thresholds = FrequentUserThresholds.objects.first() or FrequentUserThresholds()
    since = now - timedelta(days=365)
    cases = cases_visible_to(user)
    opened = dict(
        cases.filter(opened_at__gte=since, opened_at__lte=now)
        .values("participant_id")
        .annotate(n=Count("id"))
        .values_list("participant_id", "n")
    )
    contacts: dict[int, int] = defaultdict(int)
    for model, at in (
        (ContactAttempt, "attempted_at"),
        (Email, "received_at"),
        (ParticipantQuery, "received_at"),
    ):
        extra = {"target": "participant"} if model is ContactAttempt else {}
        if model is Email:
            extra = {"sender_kind": "participant"}
        rows = (
            model.objects.filter(
                case__in=cases, **{f"{at}__gte": since, f"{at}__lte": now}, **extra
            )
            .values("case__participant_id")
            .annotate(n=Count("id"))
            .values_list("case__participant_id", "n")
        )
        for participant_id, n in rows:
            contacts[participant_id] += n
    chosen = {
        pid
        for pid in set(opened) | set(contacts)
        if opened.get(pid, 0) >= thresholds.cases or contacts.get(pid, 0) >= thresholds.contacts
    }
    references: dict[int, list[str]] = defaultdict(list)
    for pid, ref in (
        cases.filter(participant_id__in=chosen, opened_at__gte=since)
        .order_by("opened_at")
        .values_list("participant_id", "reference")
    ):
        references[pid].append(ref)
    names = dict(Participant.objects.filter(pk__in=chosen).values_list("pk", "full_name"))
    found = [
        FrequentUser(pid, names[pid], opened.get(pid, 0), contacts.get(pid, 0), references[pid])
        for pid in chosen
    ]
    found.sort(key=lambda f: (-f.cases, -f.contacts, f.name))
    return thresholds, found
