"""Throughput of `eapcase import` (issue #14): generate a realistic history of N lines, import it
with `eapcase import` into a fresh, migrated SQLite database, and print the data size, the
seconds and lines per second beside the target (50,000 lines in 60 s on SQLite).

    .venv/bin/python bench/import_throughput.py [--lines N] [--seed S] [--profile FILE]

The history is the one bench/check_throughput.py generates (its `case_lines` stories), cached
under bench/data/ (git-ignored) by size and seed. The database lives in a temporary directory
and is dropped afterwards: never the application's, the demo's or the benchmark's own. Only
the import is timed (a subprocess, as an operator runs it); migrating the fresh database is
not. `--profile FILE` runs the import under cProfile instead and writes its statistics.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_throughput import DATA, PARTNERS, case_lines

TARGET_LINES = 50_000
TARGET_SECONDS = 60.0
EAPCASE = str(Path(sys.executable).parent / "eapcase")


def generate(path: Path, lines: int, seed: int) -> tuple[int, int]:
    """Write a history of at least `lines` lines (partner, case and event lines); returns
    (lines, cases)."""
    import random

    rng = random.Random(seed)
    written = cases = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for partner in PARTNERS:
            out.write(json.dumps(partner) + "\n")
        written = len(PARTNERS)
        while written < lines:
            cases += 1
            case = case_lines(rng, cases)
            written += len(case)
            out.write("".join(json.dumps(line) + "\n" for line in case))
    tmp.replace(path)
    return written, cases


def history(lines: int, seed: int) -> tuple[Path, int, int, int]:
    """The cached history file: (path, lines, cases, events)."""
    path = DATA / f"import-{lines}-{seed}.jsonl"
    if not path.exists():
        generate(path, lines, seed)
    total = cases = 0
    with path.open("rb") as stream:
        for line in stream:
            total += 1
            if b'"type": "case"' in line:
                cases += 1
    return path, total, cases, total - cases - len(PARTNERS)


def run_import(path: Path, profile: Path | None) -> dict[str, Any]:
    """Migrate a fresh SQLite database, then time `eapcase import` into it."""
    with tempfile.TemporaryDirectory(prefix="eapcase-import-bench-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'import.sqlite3'}",
            "EAPCASE_VAR_DIR": os.environ.get("EAPCASE_VAR_DIR", str(Path(tmp) / "var")),
        }
        subprocess.run(
            [EAPCASE, "migrate", "--noinput", "--verbosity", "0"],
            env=env,
            check=True,
            stderr=subprocess.DEVNULL,  # SQLite's warnings about constraints it cannot keep
        )
        command = [EAPCASE, "import", str(path)]
        if profile is not None:
            command = [sys.executable, "-m", "cProfile", "-o", str(profile), *command]
        before = os.times()
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        after = os.times()
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-4000:])
            raise SystemExit(f"eapcase import failed with exit {done.returncode}")
        match = re.search(r"imported (\d+) case\(s\) with (\d+) event\(s\)", done.stdout)
        assert match is not None, done.stdout
        return {
            "seconds": seconds,
            "cpu": (after.children_user + after.children_system)
            - (before.children_user + before.children_system),
            "cases": int(match.group(1)),
            "events": int(match.group(2)),
        }


def verdict(lines: int, seconds: float) -> str:
    """The figure beside the target; a smaller or larger file is judged at the target's rate."""
    rate = lines / seconds if seconds else 0.0
    needed = TARGET_LINES / TARGET_SECONDS
    ok = "met" if rate >= needed else "missed"
    at_target = TARGET_LINES / rate if rate else float("inf")
    return (
        f"{rate:,.0f} lines/s, {seconds:.1f} s for {lines:,} lines "
        f"({at_target:.0f} s at {TARGET_LINES:,} lines; target {TARGET_SECONDS:.0f} s: {ok})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=TARGET_LINES)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=Path, help="write cProfile statistics to this file")
    args = parser.parse_args()
    path, lines, cases, events = history(args.lines, args.seed)
    size = path.stat().st_size / 2**20
    print(
        f"history: {path.name}: {lines:,} lines ({cases:,} cases, {events:,} events, "
        f"{len(PARTNERS)} partners), {size:.1f} MiB; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    result = run_import(path, args.profile)
    assert result["cases"] == cases and result["events"] == events, result
    # On a shared machine the CPU time is the steadier figure: wall time waits for the cores.
    per_cpu = lines / result["cpu"] if result["cpu"] else 0.0
    at_target = TARGET_LINES / per_cpu if per_cpu else 0.0
    print(
        f"import (SQLite, fresh database): {verdict(lines, result['seconds'])}; "
        f"CPU {result['cpu']:.1f} s ({per_cpu:,.0f} lines per CPU second; "
        f"{at_target:.0f} CPU s at {TARGET_LINES:,} lines)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
