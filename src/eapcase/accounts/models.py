"""Users and their memberships: which organisation a person acts for, in which role."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from eapcase.accounts.choices import Role


class User(AbstractUser):
    """A person who logs in. What they may see follows from their memberships."""

    class Meta:
        db_table = "accounts_user"


class Membership(models.Model):
    """One role of a user: at WPO (no organisation), at a Partner, or as a provider."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    partner = models.ForeignKey(
        "organisations.Partner",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    provider = models.ForeignKey(
        "organisations.Provider",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            # The organisation a role needs, and no other.
            models.CheckConstraint(
                name="membership_organisation_fits_role",
                condition=(
                    Q(
                        role__in=["wpo_clinician", "wpo_admin"],
                        partner__isnull=True,
                        provider__isnull=True,
                    )
                    | Q(
                        role__in=["partner_clinician", "partner_lead", "partner_admin"],
                        partner__isnull=False,
                        provider__isnull=True,
                    )
                    | Q(role="provider", partner__isnull=True, provider__isnull=False)
                ),
            ),
            # NULLs are distinct in unique constraints, so each kind of role gets its own.
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(partner__isnull=True, provider__isnull=True),
                name="membership_wpo_once",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "partner"],
                condition=Q(partner__isnull=False),
                name="membership_partner_once",
            ),
            models.UniqueConstraint(
                fields=["user", "provider"],
                condition=Q(provider__isnull=False),
                name="membership_provider_once",
            ),
        ]

    def __str__(self) -> str:
        where = self.partner or self.provider or "WPO"
        return f"{self.user.username}: {self.get_role_display()} ({where})"
