"""`eapcase check HISTORY [--now INSTANT] [--policy PACK] [--format json|text]`: judge a case
history against the policy (history-format.md), as a command and as a library function."""

from __future__ import annotations

import argparse
import contextlib
import gc
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import IO, Any

from eapcase.policy.engine import evaluate
from eapcase.policy.events import parse_instant
from eapcase.policy.history import HistoryError, LineError, read_history
from eapcase.policy.pack import PackError, PackSet, PolicyPack, as_pack_set, load_pack
from eapcase.policy.report import document, text_report
from eapcase.policy.stream import decode_line, stream_check
from eapcase.policy.types import Evaluation

__all__ = ["check_history", "evaluate_history", "main"]

Packs = PolicyPack | PackSet | Sequence[PolicyPack] | None


def evaluate_history(
    lines: Iterable[str], now: datetime, packs: Packs = None
) -> tuple[PackSet, list[Evaluation]]:
    """Read a history and judge every case at `now`. Raises HistoryError."""
    with _no_cyclic_gc():
        history = read_history(lines)
        pack_set = as_pack_set(packs)
        return pack_set, [
            evaluate(
                case.case, case.events, pack_set, history.calendar(case.case), now, in_order=True
            )
            for case in history.cases
        ]


@contextlib.contextmanager
def _history_file(name: str) -> Iterator[IO[bytes]]:
    """The history as a seekable binary file: standard input is spooled to a temporary file
    (the streaming reader reads the history twice)."""
    if name != "-":
        with open(name, "rb") as stream:
            yield stream
        return
    with tempfile.TemporaryFile() as spool:
        shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
        spool.seek(0)
        yield spool


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: reading a history allocates millions of objects
    that all stay alive, and the collector would walk them again and again (about a third
    of the run time) to find no garbage. Reference counting still frees what is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_history(lines: Iterable[str], now: datetime, packs: Packs = None) -> dict[str, Any]:
    """The JSON document `eapcase check` prints for a history at `now`. Raises HistoryError."""
    now = _utc(now)
    with _no_cyclic_gc():
        pack_set, evaluations = evaluate_history(lines, now, packs)
        return document(pack_set, evaluations, now)


def _utc(now: datetime) -> datetime:
    if now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, not {now!r}")
    return now.astimezone(UTC)


def _decoded(stream: IO[bytes], errors: list[LineError]) -> Iterator[str]:
    """Lines of a UTF-8 stream (split on \\n only); a line that is not UTF-8 is reported and
    passed on blank so that the reader still counts it."""
    for number, raw in enumerate(stream, 1):
        yield decode_line(raw, number, errors)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eapcase check",
        description="Judge a case history (JSON Lines) against the case management policy.",
    )
    parser.add_argument("history", help="the history file, or - for standard input")
    parser.add_argument(
        "--now", help="the instant to judge at, ISO 8601 with an offset (default: now)"
    )
    parser.add_argument(
        "--policy",
        action="append",
        metavar="PACK",
        help="a policy pack (TOML) instead of the built-in revision 1; repeat for several "
        "revisions",
    )
    parser.add_argument("--format", choices=("json", "text"), default="json")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run `eapcase check`; returns the exit status (0 fine, 1 something failing, 2 invalid)."""
    args = _parser().parse_args(argv)
    with _no_cyclic_gc():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        now = datetime.now(UTC) if args.now is None else parse_instant(args.now)
    except ValueError as exc:
        print(f"eapcase check: --now: {exc}", file=sys.stderr)
        return 2
    try:
        packs = None if not args.policy else as_pack_set(load_pack(p) for p in args.policy)
    except PackError as exc:
        print(f"eapcase check: {exc}", file=sys.stderr)
        return 2
    pack_set = as_pack_set(packs)
    decode_errors: list[LineError] = []  # the text report's; the stream reports its own
    try:
        with _history_file(args.history) as stream:
            if args.format == "json":
                failing = stream_check(stream, pack_set, now, sys.stdout)
                return 1 if failing else 0
            _, evaluations = evaluate_history(_decoded(stream, decode_errors), now, pack_set)
            if decode_errors:
                raise HistoryError([])
    except OSError as exc:
        print(f"eapcase check: cannot read {args.history}: {exc.strerror}", file=sys.stderr)
        return 2
    except HistoryError as exc:
        errors = sorted([*exc.errors, *decode_errors], key=lambda error: error.line)
        sys.stderr.write("".join(f"{error}\n" for error in errors))
        return 2
    sys.stdout.write(text_report(pack_set, evaluations, now))
    return 1 if any(evaluation.failing for evaluation in evaluations) else 0


if __name__ == "__main__":
    sys.exit(main())
