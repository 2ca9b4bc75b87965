"""The search page (/search/?q=): cases and participants the user may see, found by reference,
name, phone, email or employee number (cases.search, ADR 0039). The box in the header of every
clinical page sends its query here."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from eapcase.cases import search
from eapcase.core.lists import window_page

#: Cases per page; the participants are shown up to this many, with their total.
PER_PAGE = 25


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    if not search.search_allowed(request.user):
        raise PermissionDenied("Search finds case records, which this account does not read.")
    query = " ".join(str(request.GET.get("q", "")).split())[: search.MAX_LENGTH]
    reading = search.read_query(query)
    matched = search.matching_participants(reading)
    broad = len(matched) > search.MATCH_LIMIT
    cases = window_page(
        search.search_cases(request.user, reading, matched), request.GET.get("page"), PER_PAGE
    )
    people = window_page(search.search_participants(request.user, matched), 1, PER_PAGE)
    context = {
        "q": query,
        "reading": reading,
        "too_short": bool(query) and reading.empty,
        "broad": broad,
        "match_limit": search.MATCH_LIMIT,
        "cases": cases,
        "people": people,
        "min_length": search.MIN_LENGTH,
    }
    return render(request, "web/search.html", context)
