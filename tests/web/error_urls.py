"""The site's URLs plus one page that fails, to show the 500 page (tests only)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from eapcase.config.urls import urlpatterns as site


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a fault in a page")


urlpatterns = [path("broken/", broken), *site]
