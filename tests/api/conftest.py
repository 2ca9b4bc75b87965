"""Clients and people for the API tests."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from eapcase.accounts.choices import Role
from tests.factories import user_with_role

MISSING_CASE = {"errors": [{"field": "case", "message": "No such case."}]}


def client_for(user: Any) -> APIClient:
    """An API client that authenticates with the user's token, as an integration does."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def wpo_client() -> APIClient:
    return client_for(user_with_role(Role.WPO_CLINICIAN))
