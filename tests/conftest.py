"""Shared test setup: markers by folder; the second factor off unless a test asks for it; the
worker's operations hooks off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test.utils import override_settings

POLICY_TESTS = Path(__file__).parent / "policy"


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    # The tests' own audit key (ADR 0035): never the installation's var/keys/audit.key.
    from django.conf import settings

    settings.EAPCASE_AUDIT_KEY = "tests-own-audit-key-not-a-secret"
    config.addinivalue_line(
        "markers", "mfa: runs with EAPCASE_REQUIRE_MFA on (the production default)"
    )


@pytest.fixture(autouse=True)
def _second_factor(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Most tests log in with `force_login`, which gives no second factor. They run with
    EAPCASE_REQUIRE_MFA off; the tests of the second factor itself (marked `mfa`, in
    tests/security and tests/browser) run with it on, as production does (ADR 0012)."""
    with override_settings(EAPCASE_REQUIRE_MFA=request.node.get_closest_marker("mfa") is not None):
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if POLICY_TESTS in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.nodb)


@pytest.fixture(autouse=True, scope="session")
def _worker_hooks_off(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The sweep's tests make workers by the hundred: without this each would write a
    heartbeat and take the daily backup. tests/ops turns the hooks on where it tests them;
    backups made there go to a temporary folder, never var/backups."""
    backups = tmp_path_factory.mktemp("backups")
    with override_settings(EAPCASE_WORKER_HOOKS=[], EAPCASE_BACKUP_DIR=backups):
        yield
