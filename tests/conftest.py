"""Shared test setup: markers by folder; the worker's operations hooks off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

POLICY_TESTS = Path(__file__).parent / "policy"


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
