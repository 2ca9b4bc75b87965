"""`eapcase demo`: load invented, realistic demo data into an empty database, written through
the services as months of backdated case history; or (`--logins`) print the demo logins.

    eapcase demo                 load (refused when cases exist)
    eapcase demo --if-empty      load only into an empty database, else say so and succeed
    eapcase demo --logins        print the logins and password (as `make run` does)
    eapcase demo --seed 7 --now 2026-03-02T12:00:00+00:00 --cases 30
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from eapcase.cases.models import Case
from eapcase.core import clock
from eapcase.policy.history import parse_instant
from eapcase.web.demo.execute import DemoRefused
from eapcase.web.demo.load import Summary, load
from eapcase.web.demo.password import demo_password
from eapcase.web.demo.reference import DEMO_URL, logins_table

DEFAULT_SEED = 20240601
MIN_CASES = 10  # enough for every demo login to have some work


class Command(BaseCommand):
    help = "Load invented demo data through the services, or print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the database holds cases",
        )
        parser.add_argument(
            "--logins", action="store_true", help="only print the demo logins and their password"
        )
        parser.add_argument(
            "--url",
            default=DEMO_URL,
            help=f"the address the logins are printed with (default {DEMO_URL}; "
            "`make run` passes its HOST and PORT)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="random seed; the same seed and --now give the same data",
        )
        parser.add_argument(
            "--now",
            help="reference instant (ISO 8601 with offset) the "
            "histories lead up to; default: the current time",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=200,
            help=f"how many cases to load (at least {MIN_CASES}; default 200)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = int(options["verbosity"])
        if options["logins"]:
            self.stdout.write(logins_table(demo_password(), options["url"]))
            return
        if options["cases"] < MIN_CASES:
            raise CommandError(f"--cases must be at least {MIN_CASES}")
        try:
            now: datetime = parse_instant(options["now"]) if options["now"] else clock.now()
        except ValueError as exc:
            raise CommandError(f"--now: {exc}") from exc
        if now > clock.now():
            raise CommandError("--now must not be in the future")
        started = time.monotonic()
        with transaction.atomic():
            # Checked inside the transaction so two loads cannot both find the database empty.
            if Case.objects.exists():
                if options["if_empty"]:
                    self.stdout.write("demo: the database already holds cases; nothing loaded")
                    return
                raise CommandError(
                    "the database already holds cases; demo data loads only into an empty "
                    "database (use --if-empty to skip quietly)"
                )
            password = demo_password()
            try:
                summary = load(
                    now=now,
                    seed=options["seed"],
                    cases=options["cases"],
                    password=password,
                    progress=self._progress,
                )
            except DemoRefused as exc:
                raise CommandError(
                    f"a service refused a demo event; nothing was loaded: {exc}"
                ) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(self._report(summary, now, elapsed))
        self.stdout.write("")
        self.stdout.write(logins_table(password, options["url"]))

    def _progress(self, line: str) -> None:
        if self.verbosity >= 1:
            self.stderr.write(f"demo: {line}")

    def _report(self, s: Summary, now: datetime, elapsed: float) -> str:
        def counts(counter: Any) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))

        lines = [
            f"Loaded {s.cases} cases ({counts(s.by_status)}) of {s.participants} participants, "
            f"{s.events} case events, up to {now.isoformat()} in {elapsed:.1f} s.",
            f"  by type:     {counts(s.by_type)}",
            f"  by referral: {counts(s.by_referral)}",
            f"  by partner:  {counts(s.by_partner)}",
            "  work at the reference time (overdue on cases seen / assigned; open):",
        ]
        lines += [
            f"    {login:<12} {overdue:>3} / {mine:>3}; {open_:>3}"
            for login, (overdue, mine, open_) in s.queues.items()
        ]
        return "\n".join(lines)
