"""The email queue's rows as `{% email_queue_rows %}` draws them (intake/templatetags/
eapcase_email.py): the links are the routes' own, the forms carry the page's CSRF token and
post, every value from the email is escaped and neutralised, a long body is cut as
`truncatechars:4000` cut it, and who may not manage sees no button."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.text import Truncator

from eapcase.accounts.choices import Role
from eapcase.intake.templatetags.eapcase_email import _body
from eapcase.outreach.models import Email
from eapcase.outreach.services import email_receive
from tests.factories import clinician_of, user_with_role, utc
from tests.intake.conftest import World

pytestmark = pytest.mark.django_db

NOW = utc(2, 14)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _receive(world: World, **fields: Any) -> Email:
    fields.setdefault("sender_kind", "participant")
    return email_receive(actor=clinician_of(world.case), case=world.case, now=utc(2, 10), **fields)


def _row(content: str, email: Email) -> str:
    match = re.search(rf'<tr id="email-{email.pk}".*?</tr>', content, re.S)
    assert match is not None
    return match.group()


def test_the_links_and_forms_are_the_routes_own_and_post_with_the_pages_token(
    world: World,
) -> None:
    wpo = _receive(world, sender_kind="wpo", from_address="wpo@example.org", subject="WPO")
    mail = _receive(world, from_address="pat@example.org", subject="Participant")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.clinician)
    content = client.get("/email/").content.decode()
    ref = world.case.reference

    wpo_row = _row(content, wpo)
    assert f'action="{reverse("intake:acknowledge", args=[wpo.pk])}"' in wpo_row
    assert f'action="{reverse("intake:action", args=[wpo.pk])}"' in wpo_row
    assert f'href="{reverse("cases:detail", args=[ref])}"' in wpo_row
    assert "Send a detailed message" not in wpo_row  # only for a participant's email

    row = _row(content, mail)
    assert f'href="{reverse("cases:email-acknowledge", args=[ref, mail.pk])}"' in row
    assert f'href="{reverse("cases:detailed-email", args=[ref])}"' in row
    assert f'action="{reverse("intake:action", args=[mail.pk])}"' in row

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', wpo_row)
    assert token is not None
    response = client.post(
        reverse("intake:acknowledge", args=[wpo.pk]), {"csrfmiddlewaretoken": token.group(1)}
    )
    assert (response.status_code, response["Location"]) == (302, "/email/")
    wpo.refresh_from_db()
    assert wpo.acknowledged_at == NOW
    row = _row(client.get("/email/").content.decode(), wpo)
    assert "Acknowledged <time" in row and "Acknowledge</button>" not in row


def test_every_value_is_escaped_and_neutralised(world: World) -> None:
    email = _receive(
        world,
        from_address="pat@example.org",
        subject="<b>Hi</b> \u202eevil",
        body="<script>alert(1)</script>",
    )
    client = Client()
    client.force_login(world.clinician)
    row = _row(client.get("/email/").content.decode(), email)
    assert "&lt;b&gt;Hi&lt;/b&gt; \ufffdevil" in row
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in row
    assert "<script>" not in row and "<b>" not in row


def test_a_long_body_is_cut_as_truncatechars_cut_it(world: World) -> None:
    body = "e\u0301" * 3000 + "x" * 2000  # 5,000 characters in NFC (e + accent is one)
    email = _receive(world, body=body)
    client = Client()
    client.force_login(world.clinician)
    row = _row(client.get("/email/").content.decode(), email)
    assert Truncator(body).chars(4000) in row
    assert "\u00e9" * 3000 + "x" * 999 + "…</div>" in row  # 3,999 characters and the ellipsis
    for text in ["", "short", "a\u0301" * 4000, "\u0958" * 2500, "y" * 4000, "y" * 4001]:
        assert _body(text) == Truncator(text).chars(4000)


def test_who_may_not_manage_sees_the_row_without_its_buttons(world: World) -> None:
    email = _receive(world, from_address="pat@example.org")
    client = Client()
    client.force_login(user_with_role(Role.PARTNER_ADMIN, partner=world.partner))
    row = _row(client.get("/email/").content.decode(), email)
    assert "<form" not in row and "Acknowledge and reply" not in row
    assert "Send a detailed message" not in row


def test_an_empty_queue_says_so(world: World) -> None:
    client = Client()
    client.force_login(world.clinician)
    assert (
        '<tr><td colspan="6">No email is waiting.</td></tr>'
        in client.get("/email/").content.decode()
    )
