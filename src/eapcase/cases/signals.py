"""Keeps the stored verdicts in step with what they were computed from (ADR 0042).

- House settings: when a Partner's or a client's settings are saved or removed (the admin),
  the next-notice instants of the open obligations they apply to are recomputed in the same
  transaction.
- A Partner's calendar (opening hours, working days, time zone, holidays' country, closed
  dates): business-time deadlines and the reminders before them move with it, so the
  Partner's cases with open work are marked for re-judging now (`Case.reevaluate_at`); the
  sweep's first step re-judges them within a minute, each in its own short transaction, as
  it re-judges any case whose verdict time has come. Closed work is not judged again: a
  calendar edited today does not rewrite how last month's deadlines were counted."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from eapcase.cases.choices import UNSATISFIED
from eapcase.cases.models import Case
from eapcase.cases.notices import obligation_notices_replan
from eapcase.core import clock
from eapcase.notifications.models import ClientHouseSettings, HouseSettings
from eapcase.organisations.models import Partner, PartnerClosedDate

#: The Partner's fields the engine's calendar is built from (organisations.calendar).
CALENDAR_FIELDS = ("timezone", "country", "subdivision", "opening", "closing", "workdays")


def _open_work(**filters: Any) -> Any:
    return Case.objects.filter(obligations__next_notice_at__isnull=False, **filters).distinct()


@receiver(post_save, sender=HouseSettings, dispatch_uid="cases.house_settings_saved")
@receiver(post_delete, sender=HouseSettings, dispatch_uid="cases.house_settings_deleted")
def house_settings_changed(sender: Any, instance: HouseSettings, **kwargs: Any) -> None:
    obligation_notices_replan(_open_work(partner_id=instance.partner_id))


@receiver(post_save, sender=ClientHouseSettings, dispatch_uid="cases.client_settings_saved")
@receiver(post_delete, sender=ClientHouseSettings, dispatch_uid="cases.client_settings_deleted")
def client_settings_changed(sender: Any, instance: ClientHouseSettings, **kwargs: Any) -> None:
    obligation_notices_replan(_open_work(client_id=instance.client_id))


def partner_cases_rejudge(partner_id: int) -> int:
    """Mark the Partner's cases with open work for re-judging now; returns how many. One
    UPDATE in the caller's transaction: the judging itself is the sweep's."""
    now = clock.now()
    open_work = (
        Case.objects.filter(partner_id=partner_id, obligations__status__in=UNSATISFIED)
        .values("pk")
        .distinct()
    )
    return (
        Case.objects.filter(pk__in=open_work)
        .exclude(reevaluate_at__lte=now)
        .update(reevaluate_at=now)
    )


@receiver(post_save, sender=PartnerClosedDate, dispatch_uid="cases.closed_date_saved")
@receiver(post_delete, sender=PartnerClosedDate, dispatch_uid="cases.closed_date_deleted")
def closed_date_changed(sender: Any, instance: PartnerClosedDate, **kwargs: Any) -> None:
    partner_cases_rejudge(instance.partner_id)


@receiver(pre_save, sender=Partner, dispatch_uid="cases.partner_calendar_before")
def partner_calendar_before(sender: Any, instance: Partner, **kwargs: Any) -> None:
    # What the calendar was, to tell after the save whether it changed (a rename does not
    # move any deadline and should not re-judge a whole Partner's cases).
    if instance.pk is None or kwargs.get("raw"):
        return
    before = Partner.objects.filter(pk=instance.pk).values(*CALENDAR_FIELDS).first()
    instance._calendar_before = before  # type: ignore[attr-defined]


@receiver(post_save, sender=Partner, dispatch_uid="cases.partner_calendar_saved")
def partner_calendar_saved(sender: Any, instance: Partner, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_calendar_before", None)
    if created or before is None:
        return
    if any(before[name] != getattr(instance, name) for name in CALENDAR_FIELDS):
        partner_cases_rejudge(instance.pk)
