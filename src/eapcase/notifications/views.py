"""Pages of the notifications app: the user's notifications, marking them read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from eapcase.core import clock
from eapcase.core.lists import Sort
from eapcase.notifications import selectors, services

#: The orders offered above the list, as (the `sort` value, what the link says).
SORT_CHOICES = [
    ("-created", "newest first"),
    ("created", "oldest first"),
    ("-urgent", "urgent first"),
]


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    sort = Sort.from_query(
        request.GET.get("sort"), selectors.NOTIFICATION_SORTS, selectors.NOTIFICATION_DEFAULT_SORT
    )
    rows = selectors.notification_list(user=request.user, unread_only=unread_only, sort=sort)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "sort": sort,
        "sort_choices": [
            ("-created", "newest first"),
            ("created", "oldest first"),
            ("-urgent", "urgent first"),
        ],
        "unread_only": unread_only,
        # Read only if a notification without a case is on the page.
        "viewer_partner": SimpleLazyObject(lambda: selectors.viewer_partner(request.user)),
        "unread": selectors.notification_unread_count(user=request.user),
    }
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = services.notification_mark_read(
        actor=request.user, notification_id=notification_id, now=clock.now()
    )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    if request.htmx:  # type: ignore[attr-defined]
        # The row, and out of band every count the page shows (the header's badge, the
        # "Unread" tab, the "Mark all read" button), so the counts follow without a reload.
        context = {
            "n": notification,
            "unread": selectors.notification_unread_count(user=request.user),
            "oob": True,
            "viewer_partner": selectors.viewer_partner(request.user),
        }
        return render(request, "notifications/partials/read_response.html", context)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(actor=request.user, now=clock.now())
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("notifications:list")
