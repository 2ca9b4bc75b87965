"""`{% notifications_badge %}`: the unread count in the page header (one query a page)."""

from __future__ import annotations

from typing import Any

from django import template

from eapcase.notifications.selectors import notification_unread_count

register = template.Library()


@register.inclusion_tag("notifications/partials/badge_link.html", takes_context=True)
def notifications_badge(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return {"unread": notification_unread_count(user=user), "oob": context.get("oob", False)}
