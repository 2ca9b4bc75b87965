"""WPO sets the frequent-user thresholds in the admin."""

from django.contrib import admin

from eapcase.reports.models import FrequentUserThresholds


@admin.register(FrequentUserThresholds)
class FrequentUserThresholdsAdmin(admin.ModelAdmin[FrequentUserThresholds]):
    list_display = ("cases", "contacts")
