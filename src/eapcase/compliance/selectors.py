"""Reads of the compliance app for WPO: escalations, every Partner's overdue work, and whether
the policy is due for revision. Every query about cases starts from the access predicate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from eapcase.accounts.models import User
from eapcase.cases import bridge
from eapcase.cases.access import visible_cases_q
from eapcase.cases.choices import UNSATISFIED, risk_rank
from eapcase.cases.models import Escalation, Obligation
from eapcase.core.errors import NotFound
from eapcase.core.lists import OpenPage, Sort, WindowPage, open_page, window_page
from eapcase.organisations.models import Partner
from eapcase.policy.explain import RULE_TITLES
from eapcase.policy.pack import PolicyPack

ACKNOWLEDGED_PER_PAGE = 50
WAITING_PER_PAGE = 25

#: How the waiting escalations may be sorted (`?sort=`); the longest waiting first by default.
WAITING_SORTS = {
    "raised": ("raised_at",),
    "case": ("case__reference",),
    "partner": ("case__partner__name", "raised_at"),
    "reason": ("reason", "raised_at"),
}
WAITING_DEFAULT_SORT = "raised"

#: How one Partner's overdue work may be sorted; the most late first by default.
OVERDUE_SORTS = {
    "due": ("due_at", "case__reference", "position"),
    "case": ("case__reference", "due_at", "position"),
    "rule": ("rule", "due_at"),
    "clinician": ("case__assigned_clinician__last_name", "case__assigned_clinician__username"),
}
OVERDUE_DEFAULT_SORT = "due"


def _escalations(user: Any) -> Any:
    return Escalation.objects.filter(visible_cases_q(user, "case__")).select_related(
        "case", "case__partner", "case__assigned_clinician", "raised_by", "acknowledged_by"
    )


def escalation_list_unacknowledged(*, user: Any) -> list[Escalation]:
    """Escalations waiting for WPO: cases with risk identified first (the highest first), then
    the longest waiting first."""
    return list(
        _escalations(user)
        .filter(acknowledged_at__isnull=True)
        .order_by(risk_rank("case__risk_level"), "raised_at", "id")
    )


# What the escalations page draws of each escalation, and no more: the whole rows of the case
# (its engine state, a JSON document decoded a row), of its Partner and of three users cost
# more than the rest of the lists' reading (ADR 0045). A column left out would be read a row
# at a time when drawn, which the page's fixed number of queries (tests) would show.
_SHOWN = (
    "reason",
    "summary",
    "raised_at",
    "acknowledged_at",
    "acknowledgement_note",
    "case__reference",
    "case__risk_level",
    "case__partner__code",
    "case__partner__name",
    "case__partner__timezone",
)
_NAMES = ("username", "first_name", "last_name")


def escalation_page_unacknowledged(*, user: Any, sort: Sort, page: Any = 1) -> WindowPage:
    """Escalations waiting for WPO, a page at a time, in the order asked for (one query)."""
    rows = (
        Escalation.objects.filter(visible_cases_q(user, "case__"), acknowledged_at__isnull=True)
        .select_related("case__partner", "raised_by")
        .only(*_SHOWN, *(f"raised_by__{name}" for name in _NAMES))
        .order_by(*sort.order_by)
    )
    return window_page(rows, page, WAITING_PER_PAGE)


def escalation_list_acknowledged(*, user: Any, page: int | str | None = 1) -> OpenPage:
    """Acknowledged escalations, the latest acknowledged first, a page at a time (one query).
    Not counted: they only grow (152,858 at 1,000,000 cases), and counting them at each view
    of the escalations page cost more than the rest of its lists (ADR 0045)."""
    rows = (
        Escalation.objects.filter(visible_cases_q(user, "case__"), acknowledged_at__isnull=False)
        .select_related("case__partner", "acknowledged_by")
        .only(*_SHOWN, *(f"acknowledged_by__{name}" for name in _NAMES))
        .order_by("-acknowledged_at", "-id")
    )
    return open_page(rows, page, ACKNOWLEDGED_PER_PAGE)


def escalation_get(*, user: Any, escalation_id: int) -> Escalation:
    """An escalation of a case the user sees; NotFound otherwise (missing and invisible alike)."""
    found: Escalation | None = _escalations(user).filter(pk=escalation_id).first()
    if found is None:
        raise NotFound("No such escalation.", field="escalation")
    return found


@dataclass(frozen=True)
class OverdueItem:
    obligation: Any
    case: Any
    title: str


@dataclass(frozen=True)
class PartnerOverdue:
    partner: Any
    items: list[OverdueItem]  # the most late first, at most OVERDUE_PER_PARTNER
    total: int = 0  # all of the Partner's overdue work


#: Overdue rows shown per Partner on the escalations page; the rest is one link away, paged.
OVERDUE_PER_PARTNER = 25
OVERDUE_PAGE_SIZE = 100


def _overdue(user: Any, now: datetime) -> Any:
    return Obligation.objects.filter(
        visible_cases_q(user, "case__"), status__in=UNSATISFIED, due_at__lte=now
    )


def _overdue_item(ob: Obligation) -> OverdueItem:
    return OverdueItem(obligation=ob, case=ob.case, title=RULE_TITLES.get(ob.rule, ob.rule))


class _Row:
    """What a row of the escalations page shows of an obligation or of its case, read as
    values (the names are the models', so the same template draws model instances)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


_ROW_COLUMNS = (
    "partner_id",
    "id",
    "rule",
    "due_at",
    "reason",
    "position",
    "case__reference",
    "case__assigned_clinician_id",
    "case__assigned_clinician__username",
    "case__assigned_clinician__first_name",
    "case__assigned_clinician__last_name",
)


def _overdue_row(row: tuple[Any, ...], partner: Partner) -> OverdueItem:
    _pid, pk, rule, due_at, reason, position, reference, who, username, first, last = row
    clinician = (
        User(pk=who, username=username, first_name=first, last_name=last)
        if who is not None
        else None
    )
    return OverdueItem(
        obligation=_Row(pk=pk, rule=rule, due_at=due_at, reason=reason, position=position),
        case=_Row(reference=reference, assigned_clinician=clinician, partner=partner),
        title=RULE_TITLES.get(rule, rule),
    )


def overdue_list_by_partner(
    *, user: Any, now: datetime, per_partner: int = OVERDUE_PER_PARTNER
) -> list[PartnerOverdue]:
    """Every Partner's overdue work (unsatisfied obligations whose deadline has passed): the
    count, and the `per_partner` most late rows, grouped by Partner in name order. Two
    queries whatever the size.

    Neither query reads every overdue row: the first reads, for each Partner, its count and
    the deadline of its `per_partner`-th most late row (`cutoff`), both from the index on
    (partner, status, due_at); the second reads only the rows due by their Partner's cutoff
    (`per_partner` a Partner, a few more on a tie), which are put in order and trimmed here.
    Ranking every overdue row with a window function, as before, cost about half a second at
    1,000,000 cases (issue #16)."""
    mine = _overdue(user, now).filter(partner_id=OuterRef("pk")).order_by()
    partners = list(
        Partner.objects.annotate(
            overdue=Coalesce(
                Subquery(mine.values("partner_id").annotate(n=Count("*")).values("n")[:1]),
                0,
            ),
            cutoff=Subquery(
                mine.order_by("due_at").values("due_at")[per_partner - 1 : per_partner]
            ),
        )
        .filter(Q(active=True) | Q(overdue__gt=0))
        .order_by("name")
    )
    late = [p for p in partners if p.overdue]
    grouped: dict[int, list[OverdueItem]] = {}
    if late:
        # Each Partner's rows due by its cutoff (all of them when it has no more than
        # `per_partner`): a superset of its most late rows in the page's order.
        # Each term whole (status, Partner, deadline), so that each is a range of the index.
        due_by = Q()
        for p in late:
            cutoff = p.cutoff or now
            due_by |= Q(status__in=UNSATISFIED, partner_id=p.pk, due_at__lte=cutoff)
        by_id = {p.pk: p for p in late}
        rows = (
            Obligation.objects.filter(visible_cases_q(user, "case__"), due_by)
            .order_by("due_at", "case__reference", "position")
            .values_list(*_ROW_COLUMNS)
        )
        for row in rows:
            items = grouped.setdefault(row[0], [])
            if len(items) < per_partner:
                items.append(_overdue_row(row, by_id[row[0]]))
    return [
        PartnerOverdue(partner=p, items=grouped.get(p.pk, []), total=p.overdue) for p in partners
    ]


def overdue_page_for_partner(
    *, user: Any, now: datetime, partner_code: str, page: Any, sort: Sort | None = None
) -> Any:
    """One Partner's overdue work, most late first (or as `sort` asks), a page of
    OVERDUE_PAGE_SIZE rows; NotFound for a Partner the user sees nothing of."""
    partner = Partner.objects.filter(code=partner_code).first()
    if partner is None:
        raise NotFound("No such Partner.", field="partner")
    rows = (
        _overdue(user, now)
        .filter(partner=partner)
        .select_related("case", "case__partner", "case__assigned_clinician")
        .order_by(*(sort.order_by if sort else ("due_at", "case__reference", "position")))
    )
    found = Paginator(rows, OVERDUE_PAGE_SIZE).get_page(page)
    found.object_list = [_overdue_item(ob) for ob in found.object_list]
    found.partner = partner  # type: ignore[attr-defined]
    return found


def policy_revision_overdue(*, now: datetime) -> PolicyPack | None:
    """The latest revision of the policy when its next-revision date has passed, else None."""
    latest = bridge.policy_packs().packs[-1]
    return latest if latest.review_overdue(now) else None
