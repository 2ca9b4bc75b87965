"""The worker loop behind `eapcase worker`: every `interval` seconds, one sweep, then every
queued django-tasks job. Jobs are taken from django-tasks-db's table the way its own
`db_worker` takes them (a row lock that skips locked rows, then `claim`) and run by its
`Worker.run_task`, so several workers on several machines share one queue on PostgreSQL.

SIGTERM and SIGINT stop the loop after the current sweep or job; a second signal stops at
once."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from types import FrameType
from typing import Any

from django.db import close_old_connections, transaction
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, task_backends
from django_tasks.utils import get_random_id
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker as DBWorker
from django_tasks_db.models import DBTaskResult

from eapcase.compliance.sweep import SweepReport, sweep
from eapcase.core import clock
from eapcase.notifications.sending import LEASE

logger = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        *,
        interval: float = 30.0,
        worker_id: str | None = None,
        backend_name: str = DEFAULT_TASK_BACKEND_ALIAS,
        queue_name: str = DEFAULT_TASK_QUEUE_NAME,
        lease: timedelta = LEASE,
        say: Callable[[str], Any] = logger.info,
    ) -> None:
        self.interval = interval
        self.worker_id = worker_id or get_random_id()
        self.backend_name = backend_name
        self.queue_name = queue_name
        self.lease = lease
        self.say = say
        self.stopping = threading.Event()
        self._runner = DBWorker(
            queue_names=[queue_name],
            interval=0,
            batch=True,
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
        )

    # --- signals ---------------------------------------------------------------------------

    def handle_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping.is_set():
            self.say(f"{signal.strsignal(signum)} again: stopping now")
            sys.exit(1)
        self.say(f"{signal.strsignal(signum)}: stopping after the current step")
        self.stopping.set()

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self.handle_signal)
        signal.signal(signal.SIGINT, self.handle_signal)

    # --- the loop --------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> None:
        while not self.stopping.is_set():
            try:
                report, jobs = self.run_once()
                if once or jobs or report.anything():
                    self.say(f"sweep: {report}; jobs run {jobs}")
            except Exception:
                if once:
                    raise
                logger.exception("worker %s: the sweep failed; trying again", self.worker_id)
            if once:
                return
            self.stopping.wait(self.interval)
            # As Django does between requests: drop connections past their age or broken.
            close_old_connections()

    def run_once(self) -> tuple[SweepReport, int]:
        """One sweep at the current time, then the queued jobs."""
        report = sweep(now=clock.now(), lease=self.lease)
        return report, self.run_jobs()

    def run_jobs(self, limit: int | None = None) -> int:
        """Run the ready jobs of the queue until none is left (or `limit`)."""
        if not isinstance(task_backends[self.backend_name], DatabaseBackend):
            return 0  # another backend runs its jobs itself (the immediate backend in tests)
        ran = 0
        while not self.stopping.is_set() and (limit is None or ran < limit):
            ready = DBTaskResult.objects.ready().filter(
                backend_name=self.backend_name, queue_name=self.queue_name
            )
            with transaction.atomic():
                job = ready.get_locked()
                if job is not None:
                    job.claim(self.worker_id)
            if job is None:
                break
            self._runner.run_task(job)
            ran += 1
        return ran
