"""The one place where the services' `NotFound` and `PermissionDenied` become the pages' 404
and 403 (ADR 0008).

Views call `access_case(...)` and the selectors directly and let those errors rise; this
middleware hands them to Django's own 404 and 403 handling, which renders `404.html` and
`403.html` inside the site's layout. The JSON API never reaches it: DRF's views catch every
exception first and answer through `api.errors.api_exception_handler`, which maps the same
errors to the same statuses (`ServiceError.http_status`)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from eapcase.core.errors import NotFound, PermissionDenied

#: Said on the 404 page whatever the cause, so that a case of another Partner and a case that
#: does not exist answer alike (the message never reaches the page; it is for DEBUG only).
NOT_FOUND = "No such page."


class ServiceErrorPages:
    """Django middleware: `core.errors.NotFound` -> 404, `core.errors.PermissionDenied` -> 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # Raising Django's own exceptions (rather than rendering here) keeps one path for every
        # 404 and 403 of the site: the URLconf's handlers, their templates, their logging.
        if isinstance(exception, NotFound):
            raise Http404(NOT_FOUND) from exception
        if isinstance(exception, PermissionDenied):
            raise DjangoPermissionDenied(exception.message) from exception
