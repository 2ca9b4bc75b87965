"""Clients and people for the API tests."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from eapcase.accounts.choices import Role
from eapcase.core import clock
from eapcase.security.services import token_issue
from tests.factories import user_with_role

MISSING_CASE = {"errors": [{"field": "case", "message": "No such case."}]}


def client_for(user: Any, *, read_only: bool = False) -> APIClient:
    """An API client that authenticates with a token of the user's, as an integration does.
    The token lasts a century, so that tests travelling in time never see it expire (expiry
    has its own tests, in tests/security)."""
    client = APIClient()
    if user is not None:
        _, key = token_issue(
            user=user, name="tests", read_only=read_only, at=clock.now(), days=36_500
        )
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def wpo_client() -> APIClient:
    return client_for(user_with_role(Role.WPO_CLINICIAN))
