"""Every example of shared/spec/examples gives exactly its expected result: all fields but
`detail`, instants compared as instants, order within a case irrelevant.

The shared folder is `<repo>/../shared`, or the folder named by EAPCASE_SHARED_DIR.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from eapcase.policy.check import check_history

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("EAPCASE_SHARED_DIR", REPO.parent / "shared"))
EXAMPLES = SHARED / "spec" / "examples"
NAMES = sorted(path.stem for path in EXAMPLES.glob("*.jsonl")) if EXAMPLES.is_dir() else []
INSTANT_KEYS = {"opened_at", "due_at", "satisfied_at", "at", "now"}

pytestmark = pytest.mark.skipif(
    not NAMES, reason=f"no spec examples in {EXAMPLES} (set EAPCASE_SHARED_DIR)"
)


def instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None, f"instant without an offset: {value}"
    return parsed


def entry(item: dict[str, Any]) -> frozenset[tuple[str, Any]]:
    """An obligation or finding as comparable data: no `detail`, instants as instants."""
    return frozenset(
        (key, instant(value) if key in INSTANT_KEYS else value)
        for key, value in item.items()
        if key != "detail"
    )


def normalised(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "policy": document["policy"],
        "now": instant(document["now"]),
        "keys": sorted(document),
        "cases": [
            {
                "case": case["case"],
                "in_scope": case["in_scope"],
                "keys": sorted(case),
                "obligations": Counter(entry(ob) for ob in case["obligations"]),
                "findings": Counter(entry(fd) for fd in case["findings"]),
            }
            for case in document["cases"]
        ],
    }


@pytest.mark.parametrize("name", NAMES or ["(none)"])
def test_example_gives_its_expected_result(name: str) -> None:
    expected = json.loads((EXAMPLES / f"{name}.expected.json").read_text(encoding="utf-8"))
    lines = (EXAMPLES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()

    result = check_history(lines, datetime.fromisoformat(expected["now"]))

    assert normalised(result) == normalised(expected["result"])
    for case in result["cases"]:
        assert all(fd["detail"].strip() for fd in case["findings"])


def test_every_example_has_an_expected_result() -> None:
    expected = sorted(
        p.name.removesuffix(".expected.json") for p in EXAMPLES.glob("*.expected.json")
    )
    assert expected == NAMES
