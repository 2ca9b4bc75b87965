"""Views of the web application: they read through selectors and write through services."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from eapcase.accounts.access import standing_of
from eapcase.core import clock
from eapcase.web import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's starting page: the open work of the cases the user may see."""
    now = clock.now()
    context = {
        "standing": standing_of(request.user),
        "summary": selectors.home_summary(user=request.user, now=now),
        "now": now,
    }
    return render(request, "web/home.html", context)
