"""Template context for every page: what the navigation shows the user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from eapcase.accounts.choices import Role
from eapcase.accounts.standing import standing_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    standing = standing_of(user)
    partner_roles = (
        set().union(*standing.partner_roles.values()) if standing.partner_roles else set()
    )
    return {
        "nav": {
            "work": bool(partner_roles & {Role.PARTNER_CLINICIAN, Role.PARTNER_LEAD})
            or Role.WPO_CLINICIAN in standing.wpo_roles,
            "cases": standing.is_wpo or bool(standing.partner_roles),
            "provider": bool(standing.provider_ids),
            "escalations": standing.is_wpo,
            "admin": Role.WPO_ADMIN in standing.wpo_roles,
            "audit": bool(standing.wpo_roles & {Role.WPO_CLINICIAN, Role.WPO_ADMIN}),
            "reports": standing.is_wpo or Role.PARTNER_LEAD in partner_roles,
            "policy": standing.is_wpo or bool(standing.partner_roles),
        }
    }
