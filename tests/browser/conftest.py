"""Browser tests: Playwright (sync API) driving Debian's Chromium against a live server that
serves a small demo network.

Fixtures and helpers for every browser test:

- `browser_server`  (session) the live server's base URL (`browser_server.url`), serving a
  demo of 40 cases loaded at `DEMO_NOW`; `browser_server.db()` is a context manager in which the
  test's own ORM queries read and write that same database.
- `page`            (function) a fresh browser context and page, with time travelled to
  `TEST_NOW` (shortly after `DEMO_NOW`) for the length of the test, so that what is overdue and
  the countdowns are the same on every run.
- `login(page, username)` logs a demo user in; `screenshot(page, name)` saves a full-page PNG
  to `docs/screenshots/<name>.png`.

The whole folder is skipped, with the reason, when `/usr/bin/chromium` is missing (`.ci/run`
installs Debian's package; Playwright never downloads a browser here).

Why not pytest-django's `live_server` with `transactional_db`: the tables
`compliance_caseevent` and `audit_auditevent` are append-only, enforced by database triggers
that refuse DELETE. `transactional_db` empties the test database after each test with
`flush`, which on SQLite is a DELETE per table, so the teardown fails (PostgreSQL's TRUNCATE
would pass, SQLite's cannot). Dropping the triggers for the tests would test something other
than what runs in production. Instead the browser tests get their own database:

- one SQLite file per test session (per xdist worker), made under pytest's temporary
  directory by running the migrations (triggers included) and `eapcase demo` into it, and
  deleted at the end of the session. Nothing is ever flushed, so the triggers stay on;
- the live server is Django's `LiveServerThread` whose request threads each open their own
  connection to that file (`_BrowserServer`), so two requests never share a connection or a
  transaction;
- the test's own thread switches its `default` connection to that file only inside
  `browser_server.db()`, and restores it afterwards, so the rest of the suite (pytest-django's
  usual test database, on SQLite or PostgreSQL) is untouched;
- pytest-django's database blocker is lifted only while a browser test runs.

The demo is loaded once per session; the tests share it. A test that changes the data
(reassigning a case, acknowledging an escalation) therefore picks the row it changes by what
it finds on the page (the first unacknowledged escalation, say), never by a fixed position that
another test may already have changed.
"""

from __future__ import annotations

import copy
import io
import os
import shutil
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

#: The demo's reference instant (a Monday, 12:00 UTC) and the instant the tests run at.
DEMO_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TEST_NOW = DEMO_NOW + timedelta(minutes=30)
DEMO_CASES = 40
DEMO_PASSWORD = "browser-tests-demo-password"

# Playwright's sync API runs an event loop in the test's thread; Django refuses ORM calls from
# a thread with a running loop unless told that this is intended.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium; "
        ".ci/run installs it)",
        allow_module_level=True,
    )


def _sqlite_settings(path: Path) -> dict[str, Any]:
    """The default database's settings, pointed at a SQLite file with the project's options."""
    from django.db import connections

    settings_dict = copy.deepcopy(connections.settings["default"])
    settings_dict.update(
        ENGINE="django.db.backends.sqlite3",
        NAME=str(path),
        USER="",
        PASSWORD="",
        HOST="",
        PORT="",
        CONN_MAX_AGE=0,
        OPTIONS={
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        },
        TEST={"NAME": str(path)},
    )
    return settings_dict


def _connect(settings_dict: dict[str, Any]) -> Any:
    from django.db.utils import load_backend

    backend = load_backend(settings_dict["ENGINE"])
    return backend.DatabaseWrapper(settings_dict, "default")


@contextmanager
def _default_connection(settings_dict: dict[str, Any]) -> Iterator[None]:
    """This thread's `default` connection goes to `settings_dict` for the block."""
    from django.db import connections

    previous = connections["default"]
    connection = _connect(settings_dict)
    connections["default"] = connection
    try:
        yield
    finally:
        connection.close()
        connections["default"] = previous


def _server_classes(settings_dict: dict[str, Any]) -> Any:
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.db import connections
    from django.test.testcases import LiveServerThread

    class _BrowserServer(ThreadedWSGIServer):
        """Each request thread opens its own connection to the browser database; the server
        closes it when the request ends (`close_request`)."""

        def process_request_thread(self, request: Any, client_address: Any) -> None:
            connections["default"] = _connect(settings_dict)
            super().process_request_thread(request, client_address)

    class _BrowserServerThread(LiveServerThread):
        server_class = _BrowserServer

    return _BrowserServerThread


@dataclass
class BrowserServer:
    url: str
    settings_dict: dict[str, Any]

    @contextmanager
    def db(self) -> Iterator[None]:
        """ORM calls in the block read and write the live server's database."""
        with _default_connection(self.settings_dict):
            yield


@pytest.fixture(scope="session")
def browser_server(
    tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any
) -> Generator[BrowserServer]:
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.test.utils import override_settings

    folder = tmp_path_factory.mktemp("browser-db")
    settings_dict = _sqlite_settings(folder / "browser.sqlite3")
    previous_password = os.environ.get("EAPCASE_DEMO_PASSWORD")
    os.environ["EAPCASE_DEMO_PASSWORD"] = DEMO_PASSWORD
    cheap = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        VAR_DIR=folder / "var",
        MEDIA_ROOT=folder / "media",
        DEBUG=False,
    )
    cheap.enable()
    thread = None
    try:
        with django_db_blocker.unblock(), _default_connection(settings_dict):
            call_command("migrate", verbosity=0, interactive=False)
            call_command(
                "demo",
                "--now",
                DEMO_NOW.isoformat(),
                "--cases",
                str(DEMO_CASES),
                verbosity=0,
                stdout=io.StringIO(),
            )
        thread = _server_classes(settings_dict)("127.0.0.1", StaticFilesHandler, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        assert settings.PASSWORD_HASHERS[0].endswith("MD5PasswordHasher")
        yield BrowserServer(url=f"http://127.0.0.1:{thread.port}", settings_dict=settings_dict)
    finally:
        if thread is not None:
            thread.terminate()
        cheap.disable()
        if previous_password is None:
            os.environ.pop("EAPCASE_DEMO_PASSWORD", None)
        else:
            os.environ["EAPCASE_DEMO_PASSWORD"] = previous_password
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Generator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, browser_server: BrowserServer, django_db_blocker: Any) -> Generator[Any]:
    """A fresh page (no cookies) at `TEST_NOW`, with database access for the live server."""
    import time_machine

    context = browser.new_context(
        base_url=browser_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    with django_db_blocker.unblock(), time_machine.travel(TEST_NOW, tick=True):
        page = context.new_page()
        yield page
        context.close()


def login(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login form and wait for the home page it redirects to."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if "/accounts/login/" in page.url:
        raise AssertionError(f"{username} could not log in")


def screenshot(page: Any, name: str) -> Path:
    """A full-page PNG at docs/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
