"""The favicon (linked from every page, and at /favicon.ico for browsers that ask there) and the
one filter that prints an instant in a Partner's zone with the zone named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_favicon_ico_answers_with_an_icon() -> None:
    response = Client().get("/favicon.ico")
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert body[22:30] == b"\x89PNG\r\n\x1a\n"  # holding the 32 px PNG
    assert "max-age=604800" in response["Cache-Control"]


def test_every_page_links_the_svg_and_png_icons() -> None:
    html = Client().get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/web/favicon.svg" type="image/svg+xml">' in html
    assert 'href="/static/web/favicon-32.png" type="image/png" sizes="32x32"' in html


AT = datetime(2026, 12, 4, 10, 24, tzinfo=UTC)


def _render(source: str, **context: object) -> str:
    return Template("{% load eapcase_time %}" + source).render(Context(context))


class _Partner:
    timezone = "America/New_York"


def test_local_names_the_zone_of_the_partner_given() -> None:
    assert _render("{{ at|local:zone }}", at=AT, zone="Europe/London") == "Fri 4 Dec 2026 10:24 GMT"
    assert _render("{{ at|local:partner }}", at=AT, partner=_Partner()) == (
        "Fri 4 Dec 2026 05:24 EST"
    )


def test_local_without_a_partner_uses_the_active_zone_and_names_it() -> None:
    assert _render("{{ at|local:partner }}", at=AT, partner=None) == "Fri 4 Dec 2026 10:24 UTC"
    with timezone.override("Australia/Sydney"):
        assert _render("{{ at|local }}", at=AT) == "Fri 4 Dec 2026 21:24 AEDT"
    assert _render("{{ at|local }}", at=None) == ""
