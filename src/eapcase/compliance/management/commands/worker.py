"""`eapcase worker`: run the reminders-and-escalations sweep every 30 seconds and the queued
background jobs (mail), until SIGTERM or Ctrl-C. `--once` runs one sweep and its jobs, then
exits (for cron and tests). Several workers may run against one PostgreSQL database.

    eapcase worker                 embedded (started by `make run` beside the web server)
    eapcase worker --once          one sweep, for cron
    eapcase worker --interval 10
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eapcase.compliance.worker import Worker


class Command(BaseCommand):
    help = "Run the sweep (reminders, escalations) and the queued background jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one sweep and its jobs, then exit")
        parser.add_argument(
            "--interval", type=float, default=30.0, help="seconds between sweeps (default 30)"
        )
        parser.add_argument(
            "--worker-id", default=None, help="name in the job table (default: random)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0:
            raise CommandError("--interval must be more than 0 seconds")
        verbosity = int(options["verbosity"])

        def say(text: str) -> None:
            if verbosity >= 1:
                self.stdout.write(text)

        worker = Worker(interval=options["interval"], worker_id=options["worker_id"], say=say)
        if not options["once"]:
            worker.install_signals()
            say(
                f"worker {worker.worker_id}: a sweep every {options['interval']:g} s (Ctrl-C stops)"
            )
        worker.run(once=options["once"])
