"""The generated access matrix (issue #13 item 10, ADR 0037): every URL pattern x every
actor (anonymous, WPO, Partner A and B staff, providers referred or not, API tokens
read-only and read-write) x every object it names (of Partner A, of Partner B, missing) x
every id form x GET/POST/PATCH/DELETE, against tests/access/rules.py. Never a 500, never a
canary of a Partner in a response to someone outside it.

One world per module (per xdist worker), made once in a transaction rolled back at the end;
one logged-in client per actor; each attempt's writes rolled back. Marked `matrix`."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction

from tests.access.matrix import (
    Clients,
    Run,
    forbidden_canaries,
    outcome_of,
    run_patterns,
    send,
    url_patterns,
)
from tests.access.rules import ACTORS
from tests.access.world import CASE_PARTNER, NOW, REFERENCES, World, build_world
from tests.notifications import conftest as notifications
from tests.notifications.conftest import Inbox
from tests.notifications.helpers import run_worker

smtp = notifications.smtp  # the real SMTP server (aiosmtpd) of the notification tests

A_REFERENCES = [ref for key, ref in REFERENCES.items() if CASE_PARTNER[key] == "A"]

pytestmark = [pytest.mark.matrix, pytest.mark.django_db]

MINIMUM_ATTEMPTS = 100_000


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from django.test.utils import override_settings

    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("matrix-media")):
        yield


@pytest.fixture(scope="module")
def world(media: Any, django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with (
        time_machine.travel(NOW, tick=False),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def clients(world: World, django_db_blocker: Any) -> Iterator[Clients]:
    """The clients, with the test runner's template instrumentation off: it copies every
    context of every template rendered, for assertions this matrix does not make, and
    would double its time."""
    from django.template import Template

    instrumented = Template._render
    Template._render = getattr(Template, "_original_render", instrumented)
    # Every refusal would log a warning with its traceback: a 500 still logs (ERROR).
    quiet = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        with django_db_blocker.unblock():
            yield Clients(world)
    finally:
        Template._render = instrumented
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


def _group(prefixes: tuple[str, ...]) -> list[str]:
    return [p.name for p in url_patterns() if p.name.startswith(prefixes)]


GROUPS = {
    "case pages": ("cases:",),
    "work and provider portal": ("web:", "providers:"),
    "API": ("api:",),
    "email, escalations, notifications": ("intake:", "compliance:", "notifications:"),
    "reports, policy, account, operations": ("reports:", "policy:", "security:", "ops:"),
    "admin site": ("admin:",),
}


def _names(group: str) -> list[str]:
    """A group's patterns; "other" takes every pattern of a namespace no group names (a new
    app's URLs are tried without anyone adding them here)."""
    if group != "other":
        return _group(GROUPS[group])
    grouped = {name for prefixes in GROUPS.values() for name in _group(prefixes)}
    return [p.name for p in url_patterns() if p.name not in grouped]


def test_the_matrix(world: World, clients: Clients) -> None:
    """One test for the whole matrix, so that it stays on one xdist worker and the count is
    of the attempts actually made; failures are listed by URL group, the first 40 of each."""
    runs = {}
    for group in [*GROUPS, "other"]:
        runs[group] = run = Run()
        run_patterns(_names(group), world, clients, run)
        print(f"{group}: {run.attempts} attempts, {run.seconds:.1f} s CPU", file=sys.stderr)
    attempts = sum(r.attempts for r in runs.values())
    seconds = sum(r.seconds for r in runs.values())
    print(f"access matrix: {attempts} attempts, {seconds:.1f} s CPU", file=sys.stderr)
    failed = [f"--- {group}: {run.report()}" for group, run in runs.items() if run.failures]
    assert not failed, "\n".join(failed)
    assert attempts >= MINIMUM_ATTEMPTS


# --- links in mail ---------------------------------------------------------------------------

LINK = re.compile(r"(?:https?://[^\s/]+)?(/[A-Za-z0-9_\-./%?=&]*)")
REFERENCE = re.compile(r"\bEAP-\d+\b")
OUTSIDERS = (
    "anonymous",
    "wpo_admin",
    "partner_clinician_b",
    "partner_lead_b",
    "provider_x",
    "token_partner_lead_b_rw",
    "token_wpo_admin_rw",
)


def _links(text: str) -> set[str]:
    """The links of a mail: its paths and URLs, and for each case reference it names the
    pages a reader would type (the case page, the provider portal's, the API's)."""
    links = {m.group(1).rstrip(".") for m in LINK.finditer(text) if len(m.group(1)) > 1}
    for ref in REFERENCE.findall(text):
        links |= {f"/cases/{ref}/", f"/provider/cases/{ref}/", f"/api/v1/cases/{ref}/"}
    return links


def test_links_in_partner_a_mail_are_denied_to_everyone_outside_it(
    world: World, clients: Clients, smtp: Inbox
) -> None:
    """The worker sends the reminders, deadline notices, escalations and provider flags of a
    week later through a real SMTP server; every link of every mail about Partner A's cases,
    followed by Partner B's staff, a provider without the referral, a WPO admin, tokens and
    nobody, is refused and carries none of Partner A's canaries. Partner A's clinician follows
    the same links to the case (the links are real)."""
    with transaction.atomic():
        run_worker(NOW + timedelta(days=8))
        about_a = [
            m
            for _, m in smtp.received
            if any(ref in str(m["Subject"]) + m.get_payload() for ref in A_REFERENCES)
        ]
        assert len(about_a) >= 4, [str(m["Subject"]) for _, m in smtp.received]
        links = set().union(*(_links(m.get_payload()) for m in about_a))
        case_pages = {f"/cases/{ref}/" for ref in A_REFERENCES} & links
        assert case_pages, links
        failures = []
        for actor_key in OUTSIDERS:
            actor = ACTORS[actor_key]
            for link in sorted(links):
                response, body = send(clients.by_actor[actor_key], "GET", link)
                got = outcome_of(response)
                names_a_case = any(ref in link for ref in A_REFERENCES)
                if names_a_case and got not in {"404", "403", "login", "401"}:
                    failures.append(f"{link} as {actor_key}: {response.status_code}")
                if any(mark.encode() in body.lower() for mark in forbidden_canaries(actor)):
                    failures.append(f"{link} as {actor_key}: a canary in the response")
        insider = clients.by_actor["partner_clinician_a"]
        for link in sorted(case_pages):
            assert send(insider, "GET", link)[0].status_code == 200, link
        transaction.set_rollback(True)
    assert not failures, failures
