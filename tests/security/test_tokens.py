"""API tokens at /accounts/tokens/: issued and revoked by their user, the key shown once and
stored as a digest, 90 days by default, read-only or read-write, last-used time; the API takes
them as `Authorization: Token <key>`. Issue and revoke are audited."""

from __future__ import annotations

import hashlib
import importlib
import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from eapcase.accounts.choices import Role
from eapcase.audit.models import AuditEvent
from eapcase.security.models import ApiToken
from tests.factories import clinician_of, open_case, user_with_role, utc

pytestmark = pytest.mark.django_db

NOW = utc(2, 9)
KEY = re.compile(r'id="new-token" type="text" value="([A-Za-z0-9_-]{43})" readonly')


def _page_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _issue(client: Client, *, name: str = "Reporting", access: str = "read") -> str:
    response = client.post("/accounts/tokens/", {"name": name, "access": access})
    assert response.status_code == 200
    found = KEY.search(response.content.decode())
    assert found is not None
    return found.group(1)


def _api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_page_issues_a_token_shown_once_and_kept_as_a_digest() -> None:
    case = open_case()
    user = clinician_of(case)
    client = _page_client(user)
    page = client.get("/accounts/tokens/").content.decode()
    assert '<label class="form-label" for="id_name">Name</label>' in page
    assert '<legend class="form-label fs-6">Access</legend>' in page
    with time_machine.travel(NOW, tick=False):
        key = _issue(client, access="write")
    token = ApiToken.objects.get(user=user)
    assert (token.digest, token.prefix, token.read_only) == (
        hashlib.sha256(key.encode()).hexdigest(),
        key[:8],
        False,
    )
    assert (token.created_at, token.expires_at) == (NOW, NOW + timedelta(days=90))
    assert key not in client.get("/accounts/tokens/").content.decode()
    row = AuditEvent.objects.get(action="token.issued")
    assert (row.actor_id, row.object_type, row.object_id, row.data) == (
        user.pk,
        "ApiToken",
        str(token.pk),
        {"read_only": False, "expires_at": "2026-05-31T09:00:00+00:00"},
    )
    assert key not in str(row.data)


def test_the_key_works_on_the_api_and_its_last_use_is_recorded() -> None:
    case = open_case()
    client = _page_client(clinician_of(case))
    with time_machine.travel(NOW, tick=False):
        key = _issue(client)
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        response = _api(key).get(f"/api/v1/cases/{case.reference}/")
    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at == NOW + timedelta(hours=2)
    assert "Mon 2 Mar 2026 11:00" in client.get("/accounts/tokens/").content.decode()


def test_a_read_only_token_cannot_write() -> None:
    case = open_case()
    client = _page_client(clinician_of(case))
    key = _issue(client, access="read")
    api = _api(key)
    assert api.get("/api/v1/cases/").status_code == 200
    for method in ("post", "patch", "delete"):
        response = getattr(api, method)(
            f"/api/v1/cases/{case.reference}/events/", {}, format="json"
        )
        assert (method, response.status_code, response.json()) == (
            method,
            403,
            {"errors": [{"field": None, "message": "This token is read-only."}]},
        )


def test_a_read_write_token_can_write() -> None:
    case = open_case()
    key = _issue(_page_client(clinician_of(case)), access="write")
    response = _api(key).post(f"/api/v1/cases/{case.reference}/events/", {}, format="json")
    assert response.status_code == 400  # past authentication: the event itself is refused


def test_an_expired_token_is_refused() -> None:
    case = open_case()
    with time_machine.travel(NOW, tick=False):
        key = _issue(_page_client(clinician_of(case)))
    with time_machine.travel(NOW + timedelta(days=90), tick=False):
        response = _api(key).get("/api/v1/cases/")
    assert (response.status_code, response.json()["errors"][0]["message"]) == (
        401,
        "This token has expired: issue a new one at /accounts/tokens/.",
    )


def test_a_revoked_token_is_refused_and_the_revocation_audited() -> None:
    case = open_case()
    user = clinician_of(case)
    client = _page_client(user)
    key = _issue(client)
    token = ApiToken.objects.get()
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert (response.status_code, response["Location"]) == (303, "/accounts/tokens/")
    answer = _api(key).get("/api/v1/cases/")
    assert (answer.status_code, answer.json()["errors"][0]["message"]) == (
        401,
        "This token was revoked.",
    )
    assert "Revoked" in client.get("/accounts/tokens/").content.decode()
    rows = AuditEvent.objects.filter(action__startswith="token.").order_by("id")
    assert list(rows.values_list("action", "actor_id")) == [
        ("token.issued", user.pk),
        ("token.revoked", user.pk),
    ]


def test_nobody_revokes_or_sees_another_users_token() -> None:
    owner = user_with_role(Role.PARTNER_CLINICIAN)
    other = user_with_role(Role.PARTNER_CLINICIAN)
    _issue(_page_client(owner), name="Owner's")
    token = ApiToken.objects.get()
    stranger = _page_client(other)
    assert "Owner&#x27;s" not in stranger.get("/accounts/tokens/").content.decode()
    stranger.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_needs_a_name() -> None:
    client = _page_client(user_with_role(Role.PARTNER_CLINICIAN))
    response = client.post("/accounts/tokens/", {"name": "  ", "access": "read"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_tokens_kept_in_the_clear_by_drf_are_hashed_and_deleted() -> None:
    migration = importlib.import_module("eapcase.security.migrations.0002_hash_drf_tokens")
    user = user_with_role(Role.PARTNER_CLINICIAN)
    clear = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        # The table DRF's authtoken app made in databases from before this change.
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, "
            "created timestamp)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, %s)",
            [clear, user.pk, "2026-01-01 00:00:00"],
        )
        migration.hash_drf_tokens(apps, SimpleNamespace(connection=connection))
        cursor.execute("SELECT count(*) FROM authtoken_token")
        left = cursor.fetchone()[0]
        cursor.execute("DROP TABLE authtoken_token")
    token = ApiToken.objects.get()
    assert left == 0
    assert (token.user_id, token.read_only, token.prefix, token.digest) == (
        user.pk,
        False,
        "01234567",
        hashlib.sha256(clear.encode()).hexdigest(),
    )
    assert _api(clear).get("/api/v1/cases/").status_code == 200
