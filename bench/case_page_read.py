"""What auditing the case page's read costs (ADR 0035): GET /cases/<ref>/ of the demo's case
with the most events, as a WPO clinician, timed with the read's audit row written (as shipped)
and with `read_record` stubbed out (as before), in alternating blocks on the same database.

    .venv/bin/python bench/case_page_read.py [--iterations 60]

Uses the configured database (DATABASE_URL, or var/eapcase.sqlite3 after `make run`'s demo)."""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=60)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eapcase.config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from eapcase.accounts.choices import Role
    from eapcase.accounts.models import User
    from eapcase.cases.models import Case
    from eapcase.web import case_views

    settings.ALLOWED_HOSTS = ["*"]
    settings.EAPCASE_REQUIRE_MFA = False
    case = Case.objects.order_by("-event_seq").first()
    user = User.objects.filter(memberships__role=Role.WPO_CLINICIAN, is_active=True).first()
    if case is None or user is None:
        raise SystemExit("no demo data: run `make run` (or `eapcase demo`) first")
    client = Client()
    client.force_login(user)
    url = f"/cases/{case.reference}/"
    shipped = case_views.read_record
    timings: dict[str, list[float]] = {"with the read audited": [], "without (before)": []}

    def off(*a: Any, **k: Any) -> bool:
        return False

    for _ in range(3):
        client.get(url)  # warm
    block = 10
    for start in range(0, args.iterations, block):
        for label, fn in (("with the read audited", shipped), ("without (before)", off)):
            case_views.read_record = fn  # type: ignore[assignment]
            for _ in range(min(block, args.iterations - start)):
                t = time.perf_counter()
                response = client.get(url)
                timings[label].append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200
    case_views.read_record = shipped  # type: ignore[assignment]
    vendor = django.db.connection.vendor
    print(f"case page {case.reference} ({case.event_seq} events), {vendor}, {args.iterations} each")
    for label, values in timings.items():
        ordered = sorted(values)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(f"  {label:24} median {statistics.median(values):7.1f} ms   p95 {p95:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
