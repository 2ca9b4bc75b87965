"""WPO sets the frequent-user thresholds in the admin."""

from django.contrib import admin

from eapcase.accounts.admin import AuditedAdmin
from eapcase.reports.models import FrequentUserThresholds


@admin.register(FrequentUserThresholds)
class FrequentUserThresholdsAdmin(AuditedAdmin, admin.ModelAdmin[FrequentUserThresholds]):
    list_display = ("cases", "contacts")
