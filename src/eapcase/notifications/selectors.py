"""Reads of the notifications app: the house settings that apply to a case, the house target
of an obligation (for the work queue's order), and a user's notifications."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from eapcase.accounts.standing import standing_of
from eapcase.core.lists import Sort
from eapcase.core.prepared import PreparedQuery
from eapcase.notifications import timing
from eapcase.notifications.models import ClientHouseSettings, HouseSettings, Notification
from eapcase.organisations.calendar import partner_calendar
from eapcase.organisations.models import Partner
from eapcase.policy import calendar as policy_calendar

_OVERRIDABLE = (
    "reminder_share",
    "review_days",
    "notes_upload_days",
    "notes_review_days",
    "query_days",
    "outreach_spacing_days",
)


def house_targets_get(
    *,
    partner_settings: HouseSettings | None,
    client_settings: ClientHouseSettings | None = None,
) -> timing.HouseTargets:
    """The Partner's house settings (defaults when it has none) with the client's overrides."""
    values: dict[str, Any] = {}
    if partner_settings is not None:
        values = {name: getattr(partner_settings, name) for name in _OVERRIDABLE}
        values["escalation_reminder_hours"] = partner_settings.escalation_reminder_hours
    if client_settings is not None:
        for name in _OVERRIDABLE:
            value = getattr(client_settings, name)
            if value is not None:
                values[name] = value
    if "reminder_share" in values:
        values["reminder_share"] = float(values["reminder_share"])
    return timing.HouseTargets(**values)


def house_targets_for_case(case: Any) -> timing.HouseTargets:
    """The house settings that apply to one case."""
    partner_settings = HouseSettings.objects.filter(partner_id=case.partner_id).first()
    client_settings = (
        ClientHouseSettings.objects.filter(client_id=case.client_id).first()
        if case.client_id
        else None
    )
    return house_targets_get(partner_settings=partner_settings, client_settings=client_settings)


_PARTNER_COLUMNS = (*_OVERRIDABLE, "escalation_reminder_hours")

# Compiled once per process and number of ids (core.prepared): the work queue reads them at
# every view, a write's notices at every refresh that needs them.
_PARTNER_SETTINGS = PreparedQuery(
    lambda partners: HouseSettings.objects.filter(partner_id__in=partners).values_list(
        "partner_id", *_PARTNER_COLUMNS
    )
)
_CLIENT_SETTINGS = PreparedQuery(
    lambda clients: ClientHouseSettings.objects.filter(client_id__in=clients).values_list(
        "client_id", *_OVERRIDABLE
    )
)


def house_targets_by_case(cases: list[Any]) -> dict[int, timing.HouseTargets]:
    """The house settings that apply to each of the cases, in two queries whatever their
    number (for the work queue)."""
    partner_ids = sorted({c.partner_id for c in cases})
    client_ids = sorted({c.client_id for c in cases if c.client_id})
    partners = {
        row[0]: HouseSettings(
            partner_id=row[0], **dict(zip(_PARTNER_COLUMNS, row[1:], strict=True))
        )
        for row in (_PARTNER_SETTINGS.rows(partners=partner_ids) if partner_ids else ())
    }
    clients = {
        row[0]: ClientHouseSettings(
            client_id=row[0], **dict(zip(_OVERRIDABLE, row[1:], strict=True))
        )
        for row in (_CLIENT_SETTINGS.rows(clients=client_ids) if client_ids else ())
    }
    return {
        c.pk: house_targets_get(
            partner_settings=partners.get(c.partner_id),
            client_settings=clients.get(c.client_id) if c.client_id else None,
        )
        for c in cases
    }


def house_target_of(
    obligation: Any, targets: timing.HouseTargets, cal: policy_calendar.BusinessCalendar
) -> Any:
    """The house target of an obligation without a policy deadline (None with a deadline, or
    for a rule with no target): the very figure the sweep's reminder uses (timing.plan)."""
    if obligation.due_at is not None:
        return None
    return timing.target_due_at(
        targets,
        cal,
        rule=obligation.rule,
        opened_at=obligation.opened_at,
        attempts_required=obligation.attempts_required,
    )


def target_due_at(obligation: Any, targets: timing.HouseTargets | None = None) -> Any:
    """When the work of an obligation should be done: its deadline, else the house target
    (None for rules with neither). For ordering the work queue and reminders only: the
    compliance status is the engine's."""
    if obligation.due_at is not None:
        return obligation.due_at
    case = obligation.case
    return timing.target_due_at(
        targets or house_targets_for_case(case),
        partner_calendar(case.partner),
        rule=obligation.rule,
        opened_at=obligation.opened_at,
        attempts_required=obligation.attempts_required,
    )


#: How the notifications may be sorted (`?sort=`): newest first by default.
NOTIFICATION_SORTS = {
    "created": ("created_at",),
    "urgent": ("urgent", "created_at"),
}
NOTIFICATION_DEFAULT_SORT = "-created"


def notification_list(
    *, user: Any, unread_only: bool = False, sort: Sort | None = None
) -> QuerySet[Notification]:
    """The user's own notifications, newest first (or as `sort` asks), with their case."""
    rows = Notification.objects.filter(recipient_id=user.pk).select_related("case__partner")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by(*sort.order_by) if sort is not None else rows


def _unread(recipient: int) -> QuerySet[Any, Any]:
    return (
        Notification.objects.filter(recipient_id=recipient, read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("*"))
        .values_list("n")
    )


#: Every page's header asks it: compiled once (core.prepared), not at each page.
_UNREAD = PreparedQuery(_unread)


def notification_unread_count(*, user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    found = _UNREAD.rows(recipient=user.pk)
    return int(found[0][0]) if found else 0


def notification_get(*, user: Any, notification_id: int) -> Notification | None:
    return (
        Notification.objects.filter(recipient_id=user.pk, pk=notification_id)
        .select_related("case__partner")
        .first()
    )


def viewer_partner(user: Any) -> Partner | None:
    """The Partner whose clock a user's own times (a notification without a case) are shown
    on: the Partner they work for (the first, if several); None (the active zone, named) for
    WPO staff and anyone else without one."""
    partner_ids = sorted(standing_of(user).partner_roles)
    if not partner_ids:
        return None
    return Partner.objects.filter(pk=partner_ids[0]).first()
