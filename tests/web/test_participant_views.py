"""The participant page (/participants/<id>/) and the WPO admin's merge page
(/participants/merge/). Access: clinical reading through the cases the viewer reads; a Partner
never reads or finds another Partner's participant (by id, phone or email); providers and
plain WPO admins get what they get for case content (ADR 0010); only WPO admins merge, and the
merge page shows no case content (ADR 0029)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.cases.models import Participant
from eapcase.cases.services import (
    case_refer,
    participant_create,
    participant_details_update,
    risk_set,
)
from tests.factories import (
    OPENED,
    PartnerFactory,
    ProviderFactory,
    db_state,
    open_case,
    user_with_role,
)

pytestmark = pytest.mark.django_db
NOW = OPENED + timedelta(days=2)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def cheap_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world() -> dict[str, Any]:
    ours, theirs = PartnerFactory(name="Partner Ours"), PartnerFactory(name="Partner Theirs")
    wpo = user_with_role(Role.WPO_CLINICIAN)
    person = participant_create(
        actor=wpo,
        full_name="Jordan Blake",
        date_of_birth=date(1979, 2, 3),
        phone="+44 7700 900321",
        email="jordan@example.test",
        now=OPENED - timedelta(days=1),
    )
    open_case(partner=ours, participant=person, reference="EAP-20001")
    urgent = open_case(partner=ours, participant=person, reference="EAP-20002")
    risk_set(actor=wpo, case=urgent, level="high", reason="Said they feel unsafe", now=OPENED)
    elsewhere = open_case(
        partner=theirs,
        participant=person,
        reference="EAP-20003",
        presenting_issue="Bereavement at the other Partner",
    )
    provider = ProviderFactory()
    provider.partners.add(theirs)
    case_refer(actor=wpo, case=elsewhere, provider=provider, now=OPENED)
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=ours)
    participant_details_update(
        actor=clinician,
        participant=person,
        details={"phone": "+44 7700 900999"},
        preferences={"voicemail_ok": False},
        source="participant",
        now=OPENED + timedelta(hours=1),
    )
    # Only at the other Partner: ours never reads or finds them.
    stranger = participant_create(
        actor=wpo,
        full_name="Casey Other",
        phone="+44 7700 900777",
        email="casey@example.test",
        now=OPENED,
    )
    open_case(partner=theirs, participant=stranger, reference="EAP-20004")
    return {
        "ours": ours,
        "theirs": theirs,
        "wpo": wpo,
        "clinician": clinician,
        "person": person,
        "stranger": stranger,
        "provider": provider,
    }


def test_a_partner_clinician_reads_the_page_with_their_cases_risk_first(
    world: dict[str, Any],
) -> None:
    response = as_user(world["clinician"]).get(f"/participants/{world['person'].pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Jordan Blake" in html
    # Their Partner's cases, the high-risk one first; never the other Partner's.
    assert html.index("EAP-20002") < html.index("EAP-20001")
    assert "EAP-20003" not in html and "Bereavement" not in html
    # The history: what changed, who, when, why.
    history = html[html.index('id="participant-history"') :]
    assert "Voicemail messages allowed: no" in history
    assert "Changed phone number" in history
    assert "said by the participant" in history
    who = world["clinician"].get_full_name() or world["clinician"].username
    assert who in history


@pytest.mark.parametrize("role", [Role.PARTNER_LEAD, Role.PARTNER_ADMIN])
def test_the_partners_leads_and_admins_read_it(world: dict[str, Any], role: str) -> None:
    user = user_with_role(role, partner=world["ours"])
    assert as_user(user).get(f"/participants/{world['person'].pk}/").status_code == 200


def test_wpo_clinicians_read_every_case(world: dict[str, Any]) -> None:
    html = as_user(world["wpo"]).get(f"/participants/{world['person'].pk}/").content.decode()
    assert all(ref in html for ref in ("EAP-20001", "EAP-20002", "EAP-20003"))
    assert html.index("EAP-20002") < html.index("EAP-20001")


def test_another_partners_participant_is_a_404_like_a_missing_one(world: dict[str, Any]) -> None:
    client = as_user(world["clinician"])
    assert client.get(f"/participants/{world['stranger'].pk}/").status_code == 404
    assert client.get("/participants/999999/").status_code == 404


def test_nor_is_found_by_phone_or_email_on_the_new_case_page(world: dict[str, Any]) -> None:
    client = as_user(world["clinician"])
    for query in ("phone=%2B44%207700%20900777", "email=casey%40example.test", "name=Casey"):
        html = client.get(f"/cases/new/?{query}").content.decode()
        assert "Casey Other" not in html
        assert f"/participants/{world['stranger'].pk}/" not in html


def test_plain_wpo_admins_and_providers_read_no_participant(world: dict[str, Any]) -> None:
    admin = user_with_role(Role.WPO_ADMIN)
    assert as_user(admin).get(f"/participants/{world['person'].pk}/").status_code == 404
    # The provider of one of the cases knows the person (their side of the referral) but not
    # the record: 403, as for the case page; any other provider: 404.
    referred = user_with_role(Role.PROVIDER, provider=world["provider"])
    assert as_user(referred).get(f"/participants/{world['person'].pk}/").status_code == 403
    other = user_with_role(Role.PROVIDER)
    assert as_user(other).get(f"/participants/{world['person'].pk}/").status_code == 404


def test_the_case_page_and_the_participant_search_link_to_it(world: dict[str, Any]) -> None:
    client = as_user(world["clinician"])
    link = f'href="/participants/{world["person"].pk}/"'
    assert link in client.get("/cases/EAP-20001/").content.decode()
    assert link in client.get("/cases/new/?name=Jordan").content.decode()


def test_a_merged_record_leads_to_the_record_kept(world: dict[str, Any]) -> None:
    from eapcase.cases.merging import participant_merge

    twin = participant_create(
        actor=world["wpo"], full_name="Jordan Blake", date_of_birth=date(1979, 2, 3), now=NOW
    )
    open_case(partner=world["ours"], participant=twin, reference="EAP-20005")
    participant_merge(
        actor=user_with_role(Role.WPO_ADMIN),
        keep=world["person"],
        merge=twin,
        reason="Same name and date of birth",
        now=NOW,
    )
    client = as_user(world["clinician"])
    response = client.get(f"/participants/{twin.pk}/")
    assert (response.status_code, response["Location"]) == (
        302,
        f"/participants/{world['person'].pk}/",
    )
    html = client.get(response["Location"]).content.decode()
    assert "EAP-20005" in html and "Same name and date of birth" in html
    assert f"Record no. {twin.pk} merged into this one" in html


# --- /participants/merge/ --------------------------------------------------------------------


@pytest.fixture
def twins(world: dict[str, Any]) -> tuple[Participant, Participant]:
    twin = participant_create(
        actor=world["wpo"],
        full_name="Jordan Blake",
        date_of_birth=date(1979, 2, 3),
        email="j.blake@work.example.test",
        now=NOW,
    )
    open_case(partner=world["ours"], participant=twin, reference="EAP-20006")
    return world["person"], twin


def test_the_participant_page_offers_the_merge_to_whoever_may(
    world: dict[str, Any], twins: tuple[Participant, Participant]
) -> None:
    keep, twin = twins
    offer = f"/participants/merge/?keep={keep.pk}&amp;merge={twin.pk}"
    clinician_html = as_user(world["clinician"]).get(f"/participants/{keep.pk}/").content
    assert b"Likely the same person" in clinician_html and offer.encode() not in clinician_html
    both = user_with_role(Role.WPO_CLINICIAN)
    both.memberships.create(role=Role.WPO_ADMIN, active=True)
    assert offer.encode() in as_user(both).get(f"/participants/{keep.pk}/").content


def test_a_wpo_admin_finds_likely_duplicates_and_merges_them(
    world: dict[str, Any], twins: tuple[Participant, Participant]
) -> None:
    keep, twin = twins
    client = as_user(user_with_role(Role.WPO_ADMIN))
    html = client.get("/participants/merge/?name=Jordan+Blake").content.decode()
    assert f"?keep={keep.pk}&amp;merge={twin.pk}" in html
    compare = client.get(f"/participants/merge/?keep={keep.pk}&merge={twin.pk}")
    assert compare.status_code == 200
    # Identifying details only: no case reference, no presenting issue, no risk.
    text = compare.content.decode()
    assert "j.blake@work.example.test" in text
    assert "EAP-2000" not in text and "unsafe" not in text
    response = client.post(
        "/participants/merge/",
        {"keep": keep.pk, "merge": twin.pk, "reason": "Same name, DOB; confirmed by phone"},
    )
    assert (response.status_code, response["Location"]) == (302, "/participants/merge/")
    twin.refresh_from_db()
    assert twin.merged_into == keep
    assert set(keep.cases.values_list("reference", flat=True)) >= {"EAP-20006", "EAP-20001"}


def test_a_merge_without_a_reason_comes_back_with_the_error_beside_it(
    world: dict[str, Any], twins: tuple[Participant, Participant]
) -> None:
    keep, twin = twins
    client = as_user(user_with_role(Role.WPO_ADMIN))
    before = db_state()
    response = client.post(
        "/participants/merge/", {"keep": keep.pk, "merge": twin.pk, "reason": ""}
    )
    assert response.status_code == 400
    assert b'id="reason-error"' in response.content
    assert db_state() == before


@pytest.mark.parametrize("role", [Role.WPO_CLINICIAN, Role.PARTNER_LEAD, Role.PROVIDER])
def test_only_wpo_admins_reach_the_merge_page(
    world: dict[str, Any], twins: tuple[Participant, Participant], role: str
) -> None:
    keep, twin = twins
    user = (
        user_with_role(role, partner=world["ours"])
        if role == Role.PARTNER_LEAD
        else (user_with_role(role))
    )
    client = as_user(user)
    assert client.get("/participants/merge/").status_code == 403
    before = db_state()
    response = client.post(
        "/participants/merge/", {"keep": keep.pk, "merge": twin.pk, "reason": "same"}
    )
    assert response.status_code == 403
    assert db_state() == before
