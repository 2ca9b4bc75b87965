"""The crash campaign: does an acknowledged write survive `kill -9`? (issue #14, item 6;
figures in docs/reliability.md). Not part of CI's default run.

    .venv/bin/python bench/crash.py [--trials 30] [--pg] [--sqlite/--no-sqlite] [--seed S]
                                    [--markdown FILE]

For each database (a fresh SQLite file; with --pg a fresh PostgreSQL database on 127.0.0.1,
when reachable) it migrates, loads a small demo, then starts gunicorn on a free loopback port
and `eapcase worker`, each in a process group of its own. Each trial: two client threads write
notes through the JSON API (`POST /api/v1/cases/REF/events/`), each with a fresh
`Idempotency-Key` and the key in the note's summary; after a random 0.3 to 2 s the server (and,
every other trial on average, the worker, which may be taking its backup) is killed with
SIGKILL. Both are started again and every request that got no answer is sent again with the
same key until it is answered. At the end, in a separate process, it counts:

    lost        acknowledged (201) writes whose event is not in the database
    unaudited   acknowledged writes without the audit row naming their event
    duplicated  keys whose note was applied more than once (the summary appears twice)

and checks the whole audit chain (`audit_verify`). Everything runs on 127.0.0.1; every loop is
bounded (trials, retries, start-up waits).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serving import EAPCASE, Gunicorn, free_port, stop_group

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
RETRIES = 40

SETUP = """
import json
from eapcase.accounts.models import User
from eapcase.cases.models import Case
from eapcase.core import clock
from eapcase.security.services import token_issue
user = User.objects.get(username="wpo")
_token, key = token_issue(user=user, name="crash campaign", read_only=False, at=clock.now())
refs = list(Case.objects.filter(closed_at__isnull=True).order_by("id")
            .values_list("reference", flat=True)[:6])
print(json.dumps({"token": key, "cases": refs}))
"""

COUNT = """
import json, os
from collections import Counter
from eapcase.audit.models import AuditEvent
from eapcase.audit.services import audit_verify
from eapcase.cases.models import CaseEvent
acked = json.load(open(os.environ["CRASH_ACKED"]))
events = {}
summaries = Counter()
for case_ref, event_id, summary in CaseEvent.objects.filter(type="note").values_list(
        "case__reference", "event_id", "fields__summary"):
    events[(case_ref, event_id)] = summary
    if summary and summary.startswith("crash-"):
        summaries[summary] += 1
audited = set()
for case_ref, data in AuditEvent.objects.filter(case__isnull=False).values_list(
        "case__reference", "data"):
    for event_id in (data or {}).get("events", []):
        audited.add((case_ref, event_id))
lost = [a for a in acked if events.get((a["case"], a["event"])) != a["key"]]
unaudited = [a for a in acked if (a["case"], a["event"]) not in audited]
report = audit_verify()
print(json.dumps({
    "acked": len(acked),
    "lost": len(lost),
    "unaudited": len(unaudited),
    "duplicated": sum(1 for n in summaries.values() if n > 1),
    "applied": sum(summaries.values()),
    "chain_intact": report.intact,
    "chain_rows": report.checked,
}))
"""


@dataclass
class Site:
    label: str
    url: str
    var: Path
    port: int = field(default_factory=free_port)
    server: Gunicorn | None = None
    worker: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {**os.environ, "DATABASE_URL": self.url, "EAPCASE_VAR_DIR": str(self.var)}
        env["SECRET_KEY"] = "crash-campaign-" + "k" * 40
        env["EAPCASE_AUDIT_KEY"] = "crash-campaign-audit-" + "a" * 40
        env["EAPCASE_BACKUP_KEEP"] = "2"
        return env

    def run(self, *args: str, **extra: str) -> str:
        env = {**self.env, **extra}
        done = subprocess.run([EAPCASE, *args], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"eapcase {' '.join(args[:2])} failed: {done.stderr[-2000:]}")
        return done.stdout

    def start_server(self) -> None:
        """gunicorn (2 sync workers) on the site's port; bench/serving.py waits until it
        answers."""
        self.server = Gunicorn(env=self.env, log=self.var / "gunicorn.log", port=self.port)
        self.server.start()

    def start_worker(self) -> None:
        log = (self.var / "worker.log").open("ab")
        self.worker = subprocess.Popen(
            [EAPCASE, "worker", "--interval", "1"],
            env=self.env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip

    @staticmethod
    def kill(process: Gunicorn | subprocess.Popen[bytes] | None) -> None:
        if isinstance(process, Gunicorn):
            process.kill()  # the master and its workers at once
            return
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    @staticmethod
    def stop(process: Gunicorn | subprocess.Popen[bytes] | None) -> None:
        if isinstance(process, Gunicorn):
            process.stop()
        else:
            stop_group(process)


class Client:
    """Writes notes with idempotency keys; remembers what was acknowledged and what is owed."""

    def __init__(self, site: Site, token: str, cases: list[str], rng: random.Random) -> None:
        self.site, self.token, self.cases, self.rng = site, token, list(cases), rng
        self.acked: list[dict[str, str]] = []
        # (case, key, body) sent without an answer: a retry sends the very same request.
        self.pending: list[tuple[str, str, bytes]] = []
        self.refused = 0
        self.resent = 0  # requests cut by a kill, sent again with their key
        self.lock = threading.Lock()

    def post(self, case: str, key: str, body: bytes) -> str:
        """'ok', 'refused' or 'down'."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.site.port}/api/v1/cases/{case}/events/",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Token {self.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http, loopback)
                data = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                return "down"
            with self.lock:
                self.refused += 1
            return "refused"
        except OSError:
            return "down"
        with self.lock:
            for event in data["events"]:
                self.acked.append({"case": case, "event": event["id"], "key": key})
        return "ok"

    def write_until(self, stop: threading.Event) -> None:
        while not stop.is_set():
            case = self.rng.choice(self.cases)
            key = f"crash-{uuid.uuid4().hex}"
            body = json.dumps({
                "type": "note",
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "summary": key,
                "next_step": "none",
            }).encode()  # fmt: skip
            if self.post(case, key, body) == "down":
                with self.lock:
                    self.pending.append((case, key, body))
                return

    def settle(self) -> None:
        """Send again, with the same key, every request that got no answer."""
        with self.lock:
            owed, self.pending = self.pending, []
            self.resent += len(owed)
        for case, key, body in owed:
            for _ in range(RETRIES):
                if self.post(case, key, body) in ("ok", "refused"):
                    break
                time.sleep(0.5)
            else:
                raise RuntimeError("a request was never answered after the restart")


def make_site(label: str, folder: Path) -> Site:
    var = folder / label
    var.mkdir(parents=True)
    if label == "SQLite":
        return Site(label, f"sqlite:///{var / 'eapcase.sqlite3'}", var)
    import psycopg

    name = f"eapcase_crash_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN.replace("postgres://", "postgresql://"), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return Site(label, f"postgres://postgres@127.0.0.1:5432/{name}", var)


def drop_site(site: Site) -> None:
    if site.label == "PostgreSQL":
        import psycopg

        name = site.url.rsplit("/", 1)[1]
        with psycopg.connect(
            PG_ADMIN.replace("postgres://", "postgresql://"), autocommit=True
        ) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def campaign(site: Site, trials: int, rng: random.Random) -> dict[str, Any]:
    site.run("migrate", "--noinput", "-v", "0")
    site.run("demo", "--cases", "10", "--seed", "1")
    setup = json.loads(site.run("shell", "-c", SETUP).strip().splitlines()[-1])
    client = Client(site, setup["token"], setup["cases"], rng)
    site.start_server()
    site.start_worker()
    worker_kills = 0
    started = time.monotonic()
    try:
        for trial in range(1, trials + 1):
            stop = threading.Event()
            threads = [threading.Thread(target=client.write_until, args=(stop,)) for _ in "ab"]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.3, 2.0))
            site.kill(site.server)
            kill_worker = rng.random() < 0.5
            if kill_worker:
                site.kill(site.worker)
                worker_kills += 1
            stop.set()
            for t in threads:
                t.join(timeout=60)
            site.start_server()
            if kill_worker:
                site.start_worker()
            client.settle()
            print(f"{site.label} trial {trial}/{trials}: {len(client.acked)} acknowledged so far",
                  flush=True)  # fmt: skip
    finally:
        site.stop(site.server)
        site.stop(site.worker)
    seconds = time.monotonic() - started
    acked_file = site.var / "acked.json"
    acked_file.write_text(json.dumps(client.acked))
    counts: dict[str, Any] = json.loads(
        site.run("shell", "-c", COUNT, CRASH_ACKED=str(acked_file)).strip().splitlines()[-1]
    )
    counts.update(
        trials=trials,
        worker_kills=worker_kills,
        refused=client.refused,
        resent=client.resent,
        seconds=round(seconds),
    )
    return counts


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def pg_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30, help="kills per database (default 30)")
    parser.add_argument("--pg", action="store_true", help="also PostgreSQL on 127.0.0.1:5432")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    rng = random.Random(seed)
    labels = [] if args.no_sqlite else ["SQLite"]
    if args.pg:
        if pg_reachable():
            labels.append("PostgreSQL")
        else:
            print("PostgreSQL is not reachable on 127.0.0.1:5432: skipped", file=sys.stderr)
    started = datetime.now(UTC)
    head = f"date: {started:%Y-%m-%d %H:%M} UTC; seed {seed}; machine: {machine()} at the start"
    print(head, flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="eapcase-crash-") as tmp:
        for label in labels:
            site = make_site(label, Path(tmp))
            try:
                rows.append((label, campaign(site, args.trials, rng)))
            finally:
                drop_site(site)
    lines = [
        head,
        f"load average at the end: {os.getloadavg()[0]:.1f}",
        "",
        "| database | trials (kill -9 of the server) | of the worker too | acknowledged writes "
        "| cut by a kill, sent again | refused (4xx) | lost | unaudited | duplicated "
        "| audit chain | minutes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, c in rows:
        lines.append(
            f"| {label} | {c['trials']} | {c['worker_kills']} | {c['acked']:,} | {c['resent']} | "
            f"{c['refused']} | {c['lost']} | "
            f"{c['unaudited']} | {c['duplicated']} | "
            f"{'intact' if c['chain_intact'] else 'BROKEN'} ({c['chain_rows']:,} rows) | "
            f"{c['seconds'] / 60:.1f} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    bad = any(c["lost"] or c["unaudited"] or c["duplicated"] or not c["chain_intact"]
              for _, c in rows)  # fmt: skip
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
