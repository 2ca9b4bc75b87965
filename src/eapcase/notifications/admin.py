"""House settings are reference data, edited in the admin; deliveries are shown read-only."""

from django.contrib import admin

from eapcase.accounts.admin import AuditedAdmin
from eapcase.notifications.models import ClientHouseSettings, Delivery, HouseSettings


@admin.register(HouseSettings)
class HouseSettingsAdmin(AuditedAdmin, admin.ModelAdmin[HouseSettings]):
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
class ClientHouseSettingsAdmin(AuditedAdmin, admin.ModelAdmin[ClientHouseSettings]):
    list_display = ("client", "reminder_share", "review_days", "notes_upload_days")


@admin.register(Delivery)
class DeliveryAdmin(AuditedAdmin, admin.ModelAdmin[Delivery]):
    list_display = ("key", "due_at", "claimed_at", "sent_at", "attempts")
    list_filter = ("level",)
    search_fields = ("key",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
