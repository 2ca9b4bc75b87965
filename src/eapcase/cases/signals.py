"""Keeps `Obligation.next_notice_at` in step with the house settings: when a Partner's or a
client's settings are saved or removed (the admin), the open obligations they apply to are
recomputed in the same transaction (ADR 0042)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from eapcase.cases.models import Case
from eapcase.cases.notices import obligation_notices_replan
from eapcase.notifications.models import ClientHouseSettings, HouseSettings


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
