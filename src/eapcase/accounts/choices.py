"""Roles a user can hold in the network."""

from django.db import models


class Role(models.TextChoices):
    WPO_CLINICIAN = "wpo_clinician", "WPO clinician"
    WPO_ADMIN = "wpo_admin", "WPO admin"
    PARTNER_CLINICIAN = "partner_clinician", "Partner clinician"
    PARTNER_LEAD = "partner_lead", "Partner clinical lead"
    PARTNER_ADMIN = "partner_admin", "Partner admin"
    PROVIDER = "provider", "Provider"


WPO_ROLES = frozenset({Role.WPO_CLINICIAN, Role.WPO_ADMIN})
PARTNER_ROLES = frozenset({Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD, Role.PARTNER_ADMIN})
