"""What every answer carries: a Content Security Policy without 'unsafe-inline' (and pages
with nothing inline for it to refuse), `Cache-Control: no-store` on pages and API answers, and
the production profile under which `check --deploy` has nothing to say."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.cases.services import case_refer
from tests.factories import (
    ProviderFactory,
    clinician_of,
    open_case,
    user_with_role,
    utc,
)

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style[\s>]|\sstyle\s*=", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


# (who, path) of every kind of page: each role's pages, the account pages, the API's docs.
PAGES = [
    ("nobody", "/accounts/login/"),
    ("nobody", "/accounts/password/reset/"),
    ("nobody", "/accounts/password/reset/done/"),
    ("nobody", "/accounts/reset/done/"),
    ("clinician", "/work/"),
    ("clinician", "/cases/"),
    ("clinician", "/cases/EAP-70001/"),
    ("clinician", "/cases/EAP-70001/handover/"),
    ("clinician", "/email/"),
    ("clinician", "/email/triage/"),
    ("clinician", "/notifications/"),
    ("clinician", "/accounts/mfa/"),
    ("clinician", "/accounts/tokens/"),
    ("clinician", "/accounts/password/change/"),
    ("clinician", "/api/v1/docs/"),
    ("provider", "/provider/"),
    ("wpo", "/escalations/"),
    ("admin", "/admin/"),
]


def _people() -> dict[str, Any]:
    case = open_case(reference="EAP-70001")
    provider = ProviderFactory(partners=[case.partner])
    clinician = clinician_of(case)
    case_refer(actor=clinician, case=case, provider=provider, now=utc(2, 9, 40))
    return {
        "nobody": None,
        "clinician": clinician,
        "provider": user_with_role(Role.PROVIDER, provider=provider),
        "wpo": user_with_role(Role.WPO_CLINICIAN),
        "admin": user_with_role(Role.WPO_ADMIN),
    }


@pytest.mark.django_db
def test_every_main_page_has_the_policy_and_nothing_inline() -> None:
    people = _people()
    seen = []
    for who, path in PAGES:
        client = Client()
        if people[who] is not None:
            client.force_login(people[who])
        response = client.get(path)
        body = response.content.decode()
        policy = response.headers.get("Content-Security-Policy", "")
        seen.append(
            (
                path,
                response.status_code,
                "script-src 'self'" in policy and "style-src 'self'" in policy,
                "unsafe-inline" in policy or "unsafe-eval" in policy,
                INLINE_SCRIPT.findall(body),
                INLINE_STYLE.findall(body),
                EVENT_HANDLER.findall(body),
                JS_URL.findall(body),
            )
        )
    assert seen == [(path, 200, True, False, [], [], [], []) for _, path in PAGES]


@pytest.mark.django_db
def test_the_policy_allows_only_this_site() -> None:
    policy = Client().get("/accounts/login/").headers["Content-Security-Policy"]
    assert sorted(part.strip() for part in policy.split(";")) == [
        "base-uri 'self'",
        "connect-src 'self'",
        "default-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "img-src 'self' data:",
        "object-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
    ]


def test_htmx_is_told_not_to_inject_styles_and_site_css_has_its_rules() -> None:
    root = Path(__file__).resolve().parents[2] / "src" / "eapcase" / "web"
    base = (root / "templates" / "web" / "base.html").read_text()
    css = (root / "static" / "web" / "site.css").read_text()
    assert '"includeIndicatorStyles": false' in base
    assert ".htmx-indicator { opacity: 0;" in css


NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.django_db
def test_a_case_page_is_not_stored() -> None:
    case = open_case()
    client = Client()
    client.force_login(clinician_of(case))
    response = client.get(f"/cases/{case.reference}/")
    assert (response.status_code, response["Cache-Control"]) == (200, NO_STORE)


@pytest.mark.django_db
def test_an_api_answer_is_not_stored() -> None:
    from tests.api.conftest import client_for

    case = open_case()
    response = client_for(clinician_of(case)).get(f"/api/v1/cases/{case.reference}/")
    assert (response.status_code, response["Cache-Control"]) == (200, NO_STORE)


def _check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: nothing of this test run (the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE
    # would be reported) and nothing of the machine's eapcase settings.
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("EAPCASE_", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC")
        )
    }
    environment.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "check",
            "--deploy",
            "--fail-level",
            "DEBUG",
            "--settings=eapcase.config.settings",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION = {
    "EAPCASE_HTTPS": "true",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "DEBUG": "false",
    "ALLOWED_HOSTS": "eapcase.example.org",
}


def test_check_deploy_reports_nothing_under_the_production_profile(tmp_path: Path) -> None:
    result = _check_deploy(EAPCASE_VAR_DIR=str(tmp_path), **PRODUCTION)
    assert (result.returncode, result.stdout.strip()) == (
        0,
        "System check identified no issues (0 silenced).",
    ), result.stderr


def test_without_the_profile_check_deploy_does_complain(tmp_path: Path) -> None:
    result = _check_deploy(
        EAPCASE_VAR_DIR=str(tmp_path), **{**PRODUCTION, "EAPCASE_HTTPS": "false"}
    )
    assert result.returncode == 1
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout
