"""The project's WSGI application under gunicorn on a free loopback port, for the benchmarks
that need a real server (bench/crash.py, bench/load.py): start it in a process group of its
own, wait until it answers, stop or kill the whole group, and read the CPU time its processes
(and, on PostgreSQL, the database's server processes) have used.

Everything here binds 127.0.0.1 only; every wait is bounded."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
EAPCASE = str(BIN / "eapcase")
GUNICORN = str(BIN / "gunicorn")
START_TIMEOUT = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Gunicorn:
    """One gunicorn master and its workers. `worker_class` "sync" serves one request a worker
    at a time; "gthread" serves `threads` at a time in each worker (and keeps connections
    alive between requests)."""

    env: dict[str, str]
    log: Path
    workers: int = 2
    threads: int = 1
    worker_class: str = "sync"
    timeout: int = 60
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            GUNICORN, "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
            "--worker-class", self.worker_class, "--threads", str(self.threads),
            "--timeout", str(self.timeout), "eapcase.config.wsgi:application",
        ]  # fmt: skip

    def start(self) -> None:
        """Start the server and wait (bounded) until it answers /healthz."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start: see {self.log}")
            try:
                urllib.request.urlopen(f"{self.url}/healthz", timeout=5)  # noqa: S310 (loopback)
                return
            except urllib.error.HTTPError:
                return  # 503 (no worker yet) still means the server answers
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def kill(self) -> None:
        """SIGKILL to the master and its workers at once."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM to the group (gunicorn finishes the requests under way), then SIGKILL after
        30 s."""
        stop_group(self.process)

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and the workers alive now (a worker's CPU is lost
        when it is replaced: gunicorn's --max-requests is not used here)."""
        if self.process is None:
            return 0.0
        return group_cpu_seconds(self.process.pid)


def stop_group(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _stat(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    return text[text.rindex(")") + 2 :].split()


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of the living processes of process group `pgid`."""
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fields = _stat(pid)
        # After the name: state, ppid, pgrp, ..., utime (index 11), stime (12).
        if fields is not None and int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


def postgres_cpu(database: str) -> dict[str, float]:
    """User + system CPU seconds of each PostgreSQL server process serving `database` now
    (their titles read "postgres: [CLUSTER: ]USER DATABASE HOST(PORT) STATE"), by pid, on this
    machine."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        parts = title.split()
        if parts[:1] == ["postgres:"] and database in parts[2:4]:
            fields = _stat(pid)
            if fields is not None:
                found[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return found


class PostgresMeter:
    """The CPU PostgreSQL's server processes for `database` use between `start()` and `stop()`,
    sampled every `interval` seconds from a thread: a connection Django closes (CONN_MAX_AGE)
    and reopens during the run ends its process, so two readings alone would lose its CPU.
    What a process uses after its last sample is lost (at most `interval` of it)."""

    def __init__(self, database: str, interval: float = 0.5) -> None:
        self.database, self.interval = database, interval
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, initial: bool = False) -> None:
        for pid, cpu in postgres_cpu(self.database).items():
            # A process first seen after the start began during the run: all its CPU counts.
            self.first.setdefault(pid, cpu if initial else 0.0)
            self.last[pid] = cpu

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            self._sample()

    def start(self) -> None:
        self._sample(initial=True)
        self._thread.start()

    def stop(self) -> float:
        self._done.set()
        self._thread.join(timeout=10)
        self._sample()
        return sum(self.last[pid] - self.first[pid] for pid in self.last)
