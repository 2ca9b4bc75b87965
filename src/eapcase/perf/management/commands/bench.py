"""`eapcase bench generate --cases N [--seed S] [--database-url URL]`: benchmark data in the
benchmark's own database (var/bench.sqlite3 unless a URL is given), recreated each time."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from eapcase.perf import database
from eapcase.perf.generator import TASK, generate


class Command(BaseCommand):
    help = "Benchmark data: `bench generate --cases N` (see docs/performance.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        gen = sub.add_parser("generate", help="recreate the benchmark database with N cases")
        gen.add_argument("--cases", type=int, default=1_000_000)
        gen.add_argument("--seed", type=int, default=7)
        gen.add_argument(
            "--database-url",
            default=os.environ.get("BENCH_DATABASE_URL") or "",
            help="the benchmark's database (default: sqlite var/bench.sqlite3); it is recreated",
        )
        gen.add_argument("--no-progress", action="store_true")
        gen.add_argument(
            "--workers",
            type=int,
            help="processes that build and write the cases (default: one a CPU, at least two;"
            " none for small data sets); 0 builds them in this process",
        )
        gen.add_argument(
            "--task-cases",
            type=int,
            default=TASK,
            help=f"cases a worker builds, then writes in one transaction (default {TASK})",
        )
        gen.add_argument(
            "--now",
            type=datetime.fromisoformat,
            help="the data's reference time, ISO 8601 with its offset (default: this hour)",
        )
        gen.add_argument(
            "--fingerprint",
            action="store_true",
            help="then print a digest of the rows by natural keys (small data sets: it reads them)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate":
            self.generate(options)

    def generate(self, options: dict[str, Any]) -> None:
        url = options["database_url"] or database.default_url()
        database.refuse_application_database(url)
        database.manifest_clear(url)
        database.recreate(url)
        database.use(url)
        call_command("migrate", verbosity=0, interactive=False)
        self.stdout.write(f"generating {options['cases']:,} cases into {url}")
        result = generate(
            cases=options["cases"],
            seed=options["seed"],
            now=options["now"],
            progress=not options["no_progress"],
            workers=options["workers"],
            task_cases=options["task_cases"],
        )
        data = result.as_json()
        data["url"] = url
        path = database.manifest_write(url, data)
        rows = ", ".join(f"{name} {count:,}" for name, count in sorted(result.rows.items()))
        steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in result.steps.items())
        self.stdout.write(f"done in {result.seconds:.0f} s ({steps}): {rows}")
        self.stdout.write(f"recorded in {path}")
        if options["fingerprint"]:
            from eapcase.perf.fingerprint import fingerprint

            self.stdout.write("fingerprint " + json.dumps(fingerprint(), sort_keys=True))
