"""Every URL pattern Django resolves has a line in the access rules (tests/access/rules.py):
a new URL without one fails here, by name, until its rule (and so its negative tests in the
generated matrix) is written."""

from __future__ import annotations

import pytest

from tests.access.matrix import url_patterns
from tests.access.rules import ACTORS, RULES, rule_for

pytestmark = pytest.mark.nodb


def test_every_url_pattern_has_a_rule() -> None:
    missing = sorted({p.name for p in url_patterns() if rule_for(p.name) is None})
    assert not missing, (
        "These URL patterns have no access rule: add a line for each to RULES in "
        f"tests/access/rules.py: {', '.join(missing)}"
    )


def test_every_rule_names_a_pattern() -> None:
    """A rule left behind by a removed URL is dead weight that reads like protection."""
    names = {p.name for p in url_patterns()}
    namespaces = {n.split(":", 1)[0] for n in names}
    stale = [
        key
        for key in RULES
        if (key.endswith(":*") and key[:-2] not in namespaces)
        or (not key.endswith(":*") and key not in names)
    ]
    assert not stale


def test_a_pattern_without_a_rule_is_named() -> None:
    assert rule_for("cases:no-such-page") is None
    assert rule_for("nowhere") is None
    assert rule_for("admin:anything") is RULES["admin:*"]


def test_the_actors_cover_every_kind_of_user() -> None:
    kinds = {
        (a.wpo_clinician, a.wpo_admin, a.partner, a.partner_role, a.provider, a.token)
        for a in ACTORS.values()
    }
    assert len(kinds) == len(ACTORS)
    assert {a.token for a in ACTORS.values()} == {None, "ro", "rw"}
    assert {a.partner for a in ACTORS.values()} == {None, "A", "B"}
