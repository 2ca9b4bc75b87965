"""Load through a real server (issue #16 item 5): gunicorn serving the project's WSGI
application on the loopback, driven by simulated clinicians as a browser would drive it.

    .venv/bin/python bench/load.py --database-url URL [--users 8] [--seconds 60]
        [--warmup 5] [--workers 2] [--threads 4] [--worker-class gthread|sync]
        [--conn-max-age SECONDS] [--rate R] [--copy | --in-place] [--seed S]
        [--markdown FILE] [--quick]

The database is benchmark data (`eapcase bench generate`). The run writes to it (contact
attempts, notes, audit rows, the clinicians' passwords): a SQLite file is copied first (its
online backup, into a temporary folder) unless `--in-place`; a PostgreSQL database is copied
with `createdb -T` only with `--copy` (the template must have no one connected), else used
as it is: give it a copy.

Before the clock starts it migrates the database, gives N Partner clinicians of the data (the
`bench-*-cNNNN` users with the most open cases) a password, as the demo gives its logins one,
and lists each one's open cases. Each clinician then logs in through the login form and, in
its own thread with its own keep-alive connection and cookies, repeats a clinicians' mix
until the time is up:

    work queue      GET /work/                                            25%
    case page       GET /cases/REF/ (one of their own open cases)         35%
    email queue     GET /email/                                           20%
    attempt         GET /cases/REF/attempt/, POST the form as shown
                    (CSRF token, the case's version, the defaults the
                    page ticks), follow the redirect to the case page      10%
    note            GET /cases/REF/note/, POST, follow the redirect        10%

A form the service answers with "give a reason to go ahead" is posted again with a reason, as
a clinician would. `--rate R` paces the clinicians to R requests a second in all (an open
loop); without it each sends its next request as soon as the last is answered (a closed loop,
the server saturated). Requests in the first `--warmup` seconds are not counted.

It reports requests/s, p50/p95/p99 per kind of request and overall, and errors: any answer
that is not 2xx/3xx, any request that failed, any form the service refused, and every
traceback gunicorn's log gained during the run. It also reports the CPU time a request cost
the server (gunicorn's processes), PostgreSQL's server processes for this database, and this
load generator itself, which shares the machine's cores with the server.

Target (issue #16): on PostgreSQL at least 100 requests/s with p95 <= 100 ms and no errors on
the 2-core machine. `--quick` (CI) runs 2 s on the quick data and asserts nothing about speed,
only that every request succeeded.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import resource
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from serving import EAPCASE, Gunicorn, PostgresMeter

TARGET_RATE = 100.0  # requests/s, on PostgreSQL
TARGET_P95_MS = 100.0
REQUEST_TIMEOUT = 30.0
MIX = (("work queue", 25), ("case page", 35), ("email queue", 20), ("attempt", 10), ("note", 10))
KINDS = (
    "work queue", "case page", "email queue", "attempt form", "attempt post", "note form",
    "note post",
)  # fmt: skip
CASES_EACH = 40  # open cases listed for each clinician

SETUP = """
import json, os
from django.db.models import Count, Q
from eapcase.accounts.models import User
from eapcase.cases.models import Case
users = list(
    User.objects.filter(
        username__startswith="bench-", memberships__role="partner_clinician",
        memberships__active=True,
    )
    .annotate(open_cases=Count("assigned_cases", filter=Q(assigned_cases__status="open")))
    .filter(open_cases__gt=0)
    .order_by("-open_cases", "pk")[: int(os.environ["LOAD_USERS"])]
)
out = []
for user in users:
    # As the demo gives its logins a password (web/demo/reference.py).
    user.set_password(os.environ["LOAD_PASSWORD"])
    user.save(update_fields=["password"])
    cases = list(
        Case.objects.filter(assigned_clinician=user, status="open")
        .order_by("pk").values_list("reference", flat=True)[: int(os.environ["LOAD_CASES"])]
    )
    out.append({"username": user.username, "cases": cases})
print(json.dumps(out))
"""


# --- the simulated browser -----------------------------------------------------------------------


class FormParser(HTMLParser):
    """The fields a browser would submit for one form: hidden and text inputs, the ticked
    radios and checkboxes, textareas, the selected option of each select."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "reset", "image"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text).strip("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected] or [
                v for v, _ in self._options[:1]
            ]
            if chosen:
                self.fields.append((self._select, chosen[0]))
            self._select = None


def action_form(html: str) -> dict[str, str] | None:
    """The case action form of a page (the POST form carrying the case's version)."""
    at = html.find('name="version"')
    if at < 0:
        return None
    start = html.rfind("<form", 0, at)
    end = html.find("</form>", at)
    if start < 0 or end < 0:
        return None
    parser = FormParser()
    parser.feed(html[start:end])
    return dict(parser.fields)


LOGIN_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_ERROR = re.compile(r'class="invalid-feedback[^"]*"[^>]*>\s*([^<]+)<|role="alert">\s*([^<]+)<')


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int  # 0: no answer


class Refused(Exception):
    """The service refused a form (a 200 with the form again): not an HTTP error, but no
    write either."""


class Browser:
    """One clinician's browser: a keep-alive connection, the cookies, the redirects."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict[str, str] | None = None) -> Any:
        headers = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "eapcase-load"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed a kept-alive connection between two requests (gunicorn's
                # keep-alive timeout): a browser opens a new one and sends again.
                self.connection.close()
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, response.getheader("Location", ""), content.decode()


class Clinician:
    """Logs in, then repeats the mix, recording each request."""

    def __init__(
        self, port: int, username: str, password: str, cases: list[str], rng: random.Random,
        pacer: Pacer | None,
    ) -> None:  # fmt: skip
        self.browser = Browser(port)
        self.username, self.password, self.cases, self.rng = username, password, cases, rng
        self.pacer = pacer
        self.samples: list[Sample] = []
        self.recording = False
        self.failures: list[str] = []
        self.refused: list[str] = []
        self.confirmed = 0
        self.writes = 0

    def login(self) -> None:
        status, _, html = self.browser.request("GET", "/accounts/login/")
        match = LOGIN_TOKEN.search(html)
        if status != 200 or match is None:
            raise RuntimeError(f"the login page answered {status}")
        status, _, _ = self.browser.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": match.group(1), "username": self.username,
             "password": self.password, "next": ""},
        )  # fmt: skip
        if status != 302:
            raise RuntimeError(f"{self.username} could not log in ({status})")

    def timed(self, kind: str, method: str, path: str, data: dict[str, str] | None = None) -> Any:
        if self.pacer is not None:
            self.pacer.wait()
        started = time.perf_counter()
        try:
            status, location, html = self.browser.request(method, path, data)
        except (OSError, http.client.HTTPException) as exc:
            self._record(kind, time.perf_counter() - started, 0)
            self.failures.append(f"{method} {kind}: {type(exc).__name__}")
            raise
        self._record(kind, time.perf_counter() - started, status)
        if not 200 <= status < 400:
            self.failures.append(f"{method} {kind}: {status}")
        return status, location, html

    def _record(self, kind: str, seconds: float, status: int) -> None:
        if self.recording:
            self.samples.append(Sample(kind, seconds, status))

    def run(self, until: float) -> None:
        names = [name for name, _ in MIX]
        weights = [weight for _, weight in MIX]
        while time.monotonic() < until:
            action = self.rng.choices(names, weights)[0]
            try:
                getattr(self, action.replace(" ", "_"))()
            except (OSError, http.client.HTTPException):
                self.browser.connection.close()
            except Refused as exc:
                if self.recording:
                    self.refused.append(str(exc))

    def work_queue(self) -> None:
        self.timed("work queue", "GET", "/work/")

    def case_page(self) -> None:
        self.timed("case page", "GET", f"/cases/{self.rng.choice(self.cases)}/")

    def email_queue(self) -> None:
        self.timed("email queue", "GET", "/email/")

    def attempt(self) -> None:
        self.write(
            "attempt",
            "attempt",
            {"summary": "Called the participant (load test)."},
        )

    def note(self) -> None:
        self.write(
            "note",
            "note",
            {"summary": "Reviewed the case (load test).", "next_step": "Call again tomorrow."},
        )

    def write(self, kind: str, page: str, fill: dict[str, str]) -> None:
        ref = self.rng.choice(self.cases)
        path = f"/cases/{ref}/{page}/"
        status, _, html = self.timed(f"{kind} form", "GET", path)
        if status != 200:
            return
        form = action_form(html)
        if form is None:
            raise Refused(f"{kind}: no form on {path}")
        form.update(fill)
        for _ in range(2):  # the second time with a reason to go ahead, when asked for one
            status, location, html = self.timed(f"{kind} post", "POST", path, form)
            if status in (301, 302, 303):
                if self.recording:
                    self.writes += 1
                self.timed("case page", "GET", urlsplit(location).path)
                return
            if status != 200:
                return
            again = action_form(html)
            if again is None or "confirm" not in again or form.get("confirm"):
                break
            form = {**again, **fill, "confirm": "Going ahead: load test."}
            if self.recording:
                self.confirmed += 1
        errors = [a or b for a, b in FORM_ERROR.findall(html)]
        raise Refused(f"{kind}: {(errors or ['the form came back'])[0].strip()[:120]}")


class Pacer:
    """Hands out send times R a second to all the clinicians (an open loop): a clinician
    waits for its turn; one that is late goes at once."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            slot = max(self.next, now - self.interval)  # no burst to catch up a backlog
            self.next = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)


# --- the run -------------------------------------------------------------------------------------


def percentile(ordered: list[float], share: float) -> float:
    """Nearest rank on a sorted list."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


@dataclass
class Options:
    url: str
    users: int
    seconds: float
    warmup: float
    workers: int
    threads: int
    worker_class: str
    conn_max_age: int | None
    rate: float | None
    seed: int
    label: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)


def copy_database(url: str, folder: Path) -> tuple[str, str | None]:
    """(the URL to load, the PostgreSQL database to drop after)."""
    if url.startswith("sqlite"):
        source = url.removeprefix("sqlite:///")
        target = folder / "load.sqlite3"
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        return f"sqlite:///{target}", None
    base, name = url.rsplit("/", 1)
    copy = f"{name}_load_{secrets.token_hex(3)}"
    parts = urlsplit(url)
    subprocess.run(
        ["createdb", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
         "-U", parts.username or "postgres", "-T", name, copy],
        check=True,
    )  # fmt: skip
    return f"{base}/{copy}", copy


def drop_database(url: str, name: str) -> None:
    parts = urlsplit(url)
    subprocess.run(
        ["dropdb", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
         "-U", parts.username or "postgres", "--force", "--if-exists", name],
        check=True,
    )  # fmt: skip


def site_env(url: str, var: Path, conn_max_age: int | None) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "EAPCASE_VAR_DIR": str(var),
        "SECRET_KEY": "load-test-" + "k" * 50,
        "EAPCASE_AUDIT_KEY": "load-test-audit-" + "a" * 40,
        # The simulated clinicians log in with a password alone (no authenticator app).
        "EAPCASE_REQUIRE_MFA": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "eapcase.config.settings",
    }
    if conn_max_age is not None:
        env["EAPCASE_CONN_MAX_AGE"] = str(conn_max_age)
    return env


def setup(env: dict[str, str], users: int, password: str) -> list[dict[str, Any]]:
    migrated = subprocess.run(
        [EAPCASE, "migrate", "--noinput", "-v", "0"], env=env, capture_output=True, text=True
    )
    if migrated.returncode != 0:
        raise RuntimeError(f"migrate failed: {migrated.stderr[-2000:]}")
    done = subprocess.run(
        [EAPCASE, "shell", "-c", SETUP],
        env={**env, "LOAD_USERS": str(users), "LOAD_PASSWORD": password,
             "LOAD_CASES": str(CASES_EACH)},
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"setting up the clinicians failed: {done.stderr[-2000:]}")
    found: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    if not found:
        raise RuntimeError("no Partner clinician of the benchmark data has an open case")
    return found


def tracebacks(log: Path, offset: int) -> list[str]:
    text = log.read_bytes()[offset:].decode(errors="replace")
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            # The exception's own line closes the traceback.
            end = next((j for j in range(i + 1, len(lines)) if not lines[j].startswith(" ")), i)
            found.append(lines[end][:200])
    return found


def run(o: Options) -> dict[str, Any]:
    """One load run against `o.url` (already the copy to write to)."""
    with tempfile.TemporaryDirectory(prefix="eapcase-load-") as tmp:
        var = Path(tmp)
        env = site_env(o.url, var, o.conn_max_age)
        env.update(o.extra_env)
        password = secrets.token_urlsafe(16)
        people = setup(env, o.users, password)
        server = Gunicorn(
            env=env, log=var / "gunicorn.log", workers=o.workers, threads=o.threads,
            worker_class=o.worker_class,
        )  # fmt: skip
        server.start()
        try:
            return drive(o, server, people, password)
        finally:
            server.stop()


def drive(o: Options, server: Gunicorn, people: list[dict[str, Any]], password: str) -> Any:
    rng = random.Random(o.seed)
    pacer = Pacer(o.rate) if o.rate else None
    # Several clinicians when there are fewer of them than users: each logs in on its own.
    clinicians = [
        Clinician(
            server.port, p["username"], password, p["cases"], random.Random(rng.random()), pacer
        )
        for p in (people * o.users)[: o.users]
    ]
    for c in clinicians:
        c.login()
    database = o.url.rsplit("/", 1)[1] if o.url.startswith("postgres") else ""
    log_offset = server.log.stat().st_size
    started = time.monotonic()
    counting = started + o.warmup
    until = counting + o.seconds
    threads = [threading.Thread(target=c.run, args=(until,)) for c in clinicians]
    for t in threads:
        t.start()
    time.sleep(max(0.0, counting - time.monotonic()))
    for c in clinicians:
        c.recording = True
    meter = PostgresMeter(database) if database else None
    if meter is not None:
        meter.start()
    cpu0 = (server.cpu_seconds(), 0.0, _own_cpu(), time.monotonic())
    load_start = os.getloadavg()
    for t in threads:
        t.join(timeout=o.seconds + o.warmup + REQUEST_TIMEOUT + 30)
    for c in clinicians:
        c.recording = False
    cpu1 = (server.cpu_seconds(), meter.stop() if meter else 0.0, _own_cpu(), time.monotonic())
    # The last requests may end after `until`: the window is until the last one came back.
    elapsed = cpu1[3] - cpu0[3]
    samples = [s for c in clinicians for s in c.samples]
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    rows = []
    for kind in (*KINDS, "all"):
        group = samples if kind == "all" else by_kind.get(kind, [])
        ordered = sorted(s.seconds * 1000 for s in group)
        rows.append({
            "kind": kind,
            "requests": len(group),
            "rate": len(group) / elapsed if elapsed else 0.0,
            "p50": percentile(ordered, 0.50),
            "p95": percentile(ordered, 0.95),
            "p99": percentile(ordered, 0.99),
            "errors": sum(1 for s in group if not 200 <= s.status < 400),
        })  # fmt: skip
    n = len(samples) or 1
    failures = [f for c in clinicians for f in c.failures]
    return {
        "label": o.label,
        "url": o.url.split("@")[-1],
        "users": o.users,
        "clinicians": len(people),
        "seconds": elapsed,
        "workers": o.workers,
        "threads": o.threads,
        "worker_class": o.worker_class,
        "conn_max_age": o.conn_max_age,
        "rate_asked": o.rate,
        "rows": rows,
        "server_ms": (cpu1[0] - cpu0[0]) * 1000 / n,
        "database_ms": (cpu1[1] - cpu0[1]) * 1000 / n,
        "client_ms": (cpu1[2] - cpu0[2]) * 1000 / n,
        "cpu_share": (cpu1[0] - cpu0[0] + cpu1[1] - cpu0[1] + cpu1[2] - cpu0[2]) / elapsed,
        "client_share": (cpu1[2] - cpu0[2]) / elapsed,
        "writes": sum(c.writes for c in clinicians),
        "confirmed": sum(c.confirmed for c in clinicians),
        "refused": [r for c in clinicians for r in c.refused],
        "failures": failures,
        "tracebacks": tracebacks(server.log, log_offset),
        "load_start": load_start,
        "load_end": os.getloadavg(),
    }


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(result: dict[str, Any], *, verdict: bool) -> str:
    r = result
    deployment = (
        f"gunicorn {r['workers']} {r['worker_class']} workers x {r['threads']} threads, "
        f"CONN_MAX_AGE {'default' if r['conn_max_age'] is None else r['conn_max_age']}"
    )
    pacing = f"paced to {r['rate_asked']:.0f}/s" if r["rate_asked"] else "closed loop"
    lines = [
        f"{r['label']}: {r['users']} clinicians ({r['clinicians']} logins), {pacing}, "
        f"{r['seconds']:.0f} s counted; {deployment}; load average "
        f"{r['load_start'][0]:.1f} at the start, {r['load_end'][0]:.1f} at the end",
        "",
        "| request | count | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in r["rows"]:
        if not row["requests"] and row["kind"] != "all":
            continue
        name = "**all**" if row["kind"] == "all" else row["kind"]
        lines.append(
            f"| {name} | {row['requests']:,} | {row['rate']:.1f} | {row['p50']:.1f} | "
            f"{row['p95']:.1f} | {row['p99']:.1f} | {row['errors']} |"
        )
    lines.append("")
    lines.append(
        f"CPU a request: server {r['server_ms']:.1f} ms, PostgreSQL {r['database_ms']:.1f} ms, "
        f"load generator {r['client_ms']:.1f} ms; the cores busy {r['cpu_share']:.2f} of 2 "
        f"(the load generator {r['client_share']:.2f})"
    )
    lines.append(
        f"writes: {r['writes']} (of which {r['confirmed']} asked for a reason to go ahead); "
        f"refused forms: {len(r['refused'])}; failed requests: {len(r['failures'])}; "
        f"tracebacks in gunicorn's log: {len(r['tracebacks'])}"
    )
    for what, items in (("refused", r["refused"]), ("failed", r["failures"]),
                        ("traceback", r["tracebacks"])):  # fmt: skip
        for text, count in sorted(_counts(items).items(), key=lambda kv: -kv[1])[:5]:
            lines.append(f"  {what} x{count}: {text}")
    if verdict:
        lines.append(verdict_line(r))
    return "\n".join(lines)


def verdict_line(r: dict[str, Any]) -> str:
    total = r["rows"][-1]
    errors = total["errors"] + len(r["failures"]) + len(r["tracebacks"]) + len(r["refused"])
    met = total["rate"] >= TARGET_RATE and total["p95"] <= TARGET_P95_MS and errors == 0
    return (
        f"{r['label']}: {total['rate']:.1f} requests/s (target >= {TARGET_RATE:.0f}), p95 "
        f"{total['p95']:.1f} ms (target <= {TARGET_P95_MS:.0f}), {errors} errors (target 0): "
        f"{'met' if met else 'missed'}"
    )


def _counts(items: list[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item] += 1
    return counts


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}"


def cases_of(url: str, env: dict[str, str]) -> int:
    code = "from eapcase.cases.models import Case; print(Case.objects.count())"
    done = subprocess.run(
        [EAPCASE, "shell", "-c", code], env={**env, "DATABASE_URL": url},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="benchmark data (see above)")
    parser.add_argument("--users", type=int, default=8, help="simulated clinicians (8)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time counted (60)")
    parser.add_argument("--warmup", type=float, default=5.0, help="time not counted (5)")
    # The deployment the README assumes (ADR 0046): 2 gthread workers of 4 threads.
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="gthread")
    parser.add_argument(
        "--conn-max-age", type=int, default=None, help="EAPCASE_CONN_MAX_AGE for the server"
    )
    parser.add_argument("--rate", type=float, default=None, help="pace to R requests/s in all")
    parser.add_argument("--copy", action="store_true", help="copy a PostgreSQL database first")
    parser.add_argument("--in-place", action="store_true", help="write to a SQLite file itself")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="2 s, 2 clinicians: the harness runs")
    parser.add_argument("--label", default="")
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup, args.users = 2.0, 0.5, min(args.users, 2)
    url = args.database_url
    vendor = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="eapcase-load-copy-") as tmp:
        target, drop = url, None
        if (vendor == "SQLite" and not args.in_place) or (vendor == "PostgreSQL" and args.copy):
            print(f"copying {url.split('@')[-1]} ...", flush=True)
            target, drop = copy_database(url, Path(tmp))
        try:
            env = site_env(target, Path(tmp), None)
            cases = cases_of(target, env)
            label = args.label or f"{vendor}, {cases:,} cases"
            options = Options(
                url=target, users=args.users, seconds=args.seconds, warmup=args.warmup,
                workers=args.workers, threads=args.threads, worker_class=args.worker_class,
                conn_max_age=args.conn_max_age, rate=args.rate, seed=args.seed, label=label,
            )  # fmt: skip
            result = run(options)
        finally:
            if drop is not None:
                drop_database(url, drop)
    head = f"date: {started:%Y-%m-%d %H:%M} UTC; machine: {machine()}"
    text = head + "\n" + report(result, verdict=vendor == "PostgreSQL" and not args.quick)
    print(text, flush=True)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    if args.quick:
        bad = result["rows"][-1]["errors"] or result["failures"] or result["tracebacks"]
        return 1 if bad or not result["rows"][-1]["requests"] else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
