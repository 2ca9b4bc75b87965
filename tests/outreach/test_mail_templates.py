"""Mail templates per client organisation (ADR 0031): placeholders from a fixed list, rendered
as text; unknown ones refused on save; edited in the admin by WPO admins only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.outreach.mail_templates import DEFAULTS, placeholders_check, render
from eapcase.outreach.models import MailTemplate
from tests.factories import ClientOrganisationFactory, PartnerFactory, user_with_role


@pytest.mark.nodb
def test_placeholders_are_replaced_by_text_and_nothing_else_is_evaluated() -> None:
    values = {"preferred_name": "{{ reference }}", "reference": "EAP-1"}
    # A value is inserted as is: a placeholder inside a value is not rendered again.
    assert render("Hi {{preferred_name}} ({{ reference }})", values) == (
        "Hi {{ reference }} (EAP-1)"
    )


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("kind", "subject", "body", "field"),
    [
        ("detailed", "Hello", "{{ participant.full_name }}", "body"),
        ("detailed", "Hello", "{{ risk_level }}", "body"),
        ("detailed", "Re: {{ their_subject }}", "ok", "subject"),  # replies only
        ("acknowledgement", "Hi", "{% if x %}{% endif %}", "body"),
        ("acknowledgement", "Hi {{ name", "ok", "subject"),
    ],
)
def test_unknown_placeholders_and_template_syntax_are_refused(
    kind: str, subject: str, body: str, field: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        placeholders_check(kind, subject=subject, body=body)
    assert list(exc.value.message_dict) == [field]


@pytest.mark.nodb
@pytest.mark.parametrize("kind", sorted(DEFAULTS))
def test_the_defaults_are_valid(kind: str) -> None:
    subject, body = DEFAULTS[kind]
    placeholders_check(kind, subject=subject, body=body)


@pytest.mark.django_db
def test_a_wpo_admin_adds_a_clients_template_in_the_admin(client: Client) -> None:
    org = ClientOrganisationFactory()
    client.force_login(user_with_role(Role.WPO_ADMIN))
    url = "/admin/outreach/mailtemplate/add/"
    assert client.get(url).status_code == 200
    refused = client.post(
        url, {"client": org.pk, "kind": "detailed", "subject": "Hi", "body": "{{ summary }}"}
    )
    assert refused.status_code == 200 and "unknown placeholder summary" in refused.content.decode()
    client.post(
        url,
        {"client": org.pk, "kind": "detailed", "subject": "Hi", "body": "Call {{ access_line }}"},
    )
    assert MailTemplate.objects.get().body == "Call {{ access_line }}"


@pytest.mark.django_db
def test_a_partner_clinician_may_not_edit_templates(client: Client) -> None:
    client.force_login(user_with_role(Role.PARTNER_CLINICIAN, partner=PartnerFactory()))
    assert client.get("/admin/outreach/mailtemplate/").status_code == 302
