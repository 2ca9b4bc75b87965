"""Shared test setup: markers by folder."""

from __future__ import annotations

from pathlib import Path

import pytest

POLICY_TESTS = Path(__file__).parent / "policy"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if POLICY_TESTS in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.nodb)
