"""What a sweep costs on a benchmark database (issue #16 item 3, ADR 0042): the sweep with
nothing due (its wall time and its queries) and a sweep that works (its CPU time per notice),
beside the targets and helpdesk's figures. Runs on a copy of the SQLite file: the working
sweep claims deliveries and queues their mail.

    .venv/bin/python bench/sweep_timing.py --database-url sqlite:///var/bench.sqlite3 [-k 5]

1. Every obligation is planned once (`obligation_notices_replan`, what the migration's first
   sweep or a house-settings change does; the generator writes no instants).
2. The working sweep at the data's `now`: every notice due by then (the generated histories
   hold no deliveries, so every overdue obligation's deadline notice and every reminder due).
3. The idle sweep at the same instant, K times: nothing is due any more.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

IDLE_TARGET_S = 0.5  # at 1,000,000 cases on SQLite
HELPDESK_IDLE_S = 0.85  # helpdesk's idle scan, with start-up
HELPDESK_MS_PER_ITEM = 8.0  # helpdesk's CPU a ticket
BEFORE = "1.5-1.9 s idle at 100,000 cases; 14.4 ms of CPU a notice"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()
    assert args.database_url.startswith("sqlite:///"), "SQLite only: the sweep writes"
    source = Path(args.database_url.removeprefix("sqlite:///"))
    work = Path(tempfile.mkdtemp(prefix="eapcase-sweep-")) / "sweep.sqlite3"
    shutil.copyfile(source, work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eapcase.config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from eapcase.cases.models import Case, Obligation
    from eapcase.cases.notices import obligation_notices_replan
    from eapcase.compliance.sweep import sweep
    from eapcase.notifications.models import Delivery
    from eapcase.perf import database

    try:
        database.use(f"sqlite:///{work}")
        manifest = database.manifest_read(args.database_url) or {}
        now = datetime.fromisoformat(manifest["now"])
        cases = Case.objects.count()
        print(f"{cases:,} cases, {Obligation.objects.count():,} obligations; now {now}")

        start = time.perf_counter()
        planned = obligation_notices_replan(Case.objects.all())
        print(f"planning every obligation once: {planned:,} instants in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        due = Obligation.objects.filter(next_notice_at__lte=now).count()
        print(f"obligations with a notice due at now: {due:,}")

        wall, cpu = time.perf_counter(), time.process_time()
        report = sweep(now=now)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        notices = (
            report.reminders + report.deadlines + report.escalated + report.escalation_reminders
        )
        per = cpu * 1000 / notices if notices else 0.0
        print(f"working sweep: {report}")
        print(
            f"  {wall:.1f} s, {cpu:.1f} s CPU, {notices:,} notices: {per:.1f} ms of CPU a "
            f"notice (helpdesk {HELPDESK_MS_PER_ITEM} ms a ticket; before: {BEFORE})"
        )
        print(f"  deliveries claimed {Delivery.objects.count():,}")

        timings, counts = [], []
        for _ in range(args.k):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                idle = sweep(now=now)
                timings.append(time.perf_counter() - start)
            assert not idle.anything(), idle
            counts.append(len(queries))
        print(f"idle sweep: median {statistics.median(timings) * 1000:.1f} ms, worst "
              f"{max(timings) * 1000:.1f} ms, {max(counts)} queries (target {IDLE_TARGET_S} s "
              f"at 1,000,000 cases; helpdesk {HELPDESK_IDLE_S} s with start-up; before: "
              f"{BEFORE})")  # fmt: skip
    finally:
        connection.close()
        shutil.rmtree(work.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
