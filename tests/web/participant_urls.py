"""The site's URLs plus a stand-in for the participant page (/participants/<id>/, built in its
own app), so that the search results' links to it can be tested before it is mounted."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from eapcase.config.urls import urlpatterns as site


def participant(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(f"participant {pk}")


urlpatterns = [path("participants/<int:pk>/", participant), *site]
