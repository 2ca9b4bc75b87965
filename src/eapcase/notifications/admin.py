"""House settings are reference data, edited in the admin by WPO admins (the admin site's
permissions follow the WPO admin role, accounts/admin.py); deliveries are shown read-only,
their keys and times only (no message text: ADR 0010)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from eapcase.accounts.admin import WpoAdminModelAdmin
from eapcase.notifications.models import ClientHouseSettings, Delivery, HouseSettings


@admin.register(HouseSettings)
class HouseSettingsAdmin(WpoAdminModelAdmin):
    list_display = (
        "partner",
        "reminder_share",
        "review_days",
        "notes_upload_days",
        "notes_review_days",
        "query_days",
        "outreach_spacing_days",
        "escalation_reminder_hours",
    )


@admin.register(ClientHouseSettings)
class ClientHouseSettingsAdmin(WpoAdminModelAdmin):
    list_display = (
        "client",
        "reminder_share",
        "review_days",
        "notes_upload_days",
        "notes_review_days",
        "query_days",
        "outreach_spacing_days",
    )


@admin.register(Delivery)
class DeliveryAdmin(WpoAdminModelAdmin):
    list_display = ("key", "due_at", "claimed_at", "sent_at", "attempts", "last_error")
    list_filter = ("level",)
    search_fields = ("key",)
    fields = (
        "key",
        "level",
        "urgent",
        "due_at",
        "claimed_at",
        "enqueued_at",
        "sent_at",
        "attempts",
        "last_error",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
