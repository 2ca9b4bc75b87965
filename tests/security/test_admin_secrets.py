"""The admin site shows no authenticator secret and no case content: django-otp's config and
QR code pages are refused outright (ADR 0037's matrix found them giving a 500 for a missing
device)."""

from __future__ import annotations

import pytest
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.security.services import mfa_enrolment_start
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def test_no_admin_page_shows_a_totp_secret() -> None:
    device = mfa_enrolment_start(user=user_with_role(Role.PARTNER_CLINICIAN))
    admin = Client()
    admin.force_login(user_with_role(Role.WPO_ADMIN))
    base = "/admin/otp_totp/totpdevice"
    for page in ("config", "qrcode"):
        assert admin.get(f"{base}/{device.pk}/{page}/").status_code == 403
        assert admin.get(f"{base}/987654/{page}/").status_code == 403


def test_the_delete_page_of_reference_data_names_no_case_content() -> None:
    """A client's delete page counts its participants and cases; it names none of them."""
    from tests.factories import ClientOrganisationFactory, ParticipantFactory, open_case

    client_org = ClientOrganisationFactory()
    participant = ParticipantFactory(client=client_org, full_name="Quillon Marsh")
    open_case(participant=participant, client=client_org)
    admin = Client()
    admin.force_login(user_with_role(Role.WPO_ADMIN))
    url = f"/admin/organisations/clientorganisation/{client_org.pk}/delete/"
    page = admin.get(url).content.decode()
    assert client_org.name in page
    assert "Quillon Marsh" not in page
