"""Admin for the reference data: organisations, calendars, client organisations, access
lines and procedures."""

from django.contrib import admin

from eapcase.accounts.admin import (
    WpoAdminModelAdmin,
    WpoAdminStackedInline,
    WpoAdminTabularInline,
)
from eapcase.organisations import models


class ClosedDateInline(WpoAdminTabularInline):
    model = models.PartnerClosedDate
    extra = 0


class BenefitInline(WpoAdminTabularInline):
    model = models.Benefit
    extra = 0


class AccessLineInline(WpoAdminTabularInline):
    model = models.AccessLine
    extra = 0


class ProcedureInline(WpoAdminStackedInline):
    model = models.ClientProcedure
    extra = 0


@admin.register(models.Operator)
class OperatorAdmin(WpoAdminModelAdmin):
    list_display = ("name", "escalation_email")


@admin.register(models.Partner)
class PartnerAdmin(WpoAdminModelAdmin):
    list_display = (
        "code",
        "name",
        "timezone",
        "country",
        "subdivision",
        "opening",
        "closing",
        "workdays",
    )
    inlines = [ClosedDateInline]


@admin.register(models.ProviderPractice)
class ProviderPracticeAdmin(WpoAdminModelAdmin):
    list_display = ("name", "country")


@admin.register(models.Provider)
class ProviderAdmin(WpoAdminModelAdmin):
    list_display = ("code", "name", "practice", "country", "active")
    filter_horizontal = ("partners",)


@admin.register(models.ClientOrganisation)
class ClientOrganisationAdmin(WpoAdminModelAdmin):
    list_display = ("code", "name", "countries", "active")
    inlines = [BenefitInline, AccessLineInline, ProcedureInline]


@admin.register(models.PartnerRoute)
class PartnerRouteAdmin(WpoAdminModelAdmin):
    """WPO's table proposing the Partner of a new case (cases opened at /cases/new/)."""

    list_display = ("country", "region", "client", "partner")
    list_filter = ("country", "partner")
