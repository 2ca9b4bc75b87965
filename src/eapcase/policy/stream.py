"""`eapcase check`'s streaming reader: judges a history case by case as the file is read, so
that memory holds the cases being read rather than the whole history (issue #16 item 1).

A history written case by case (as `eapcase export` and the benchmark write it) is read once
(ADR 0044): each case is judged when the next case line comes. At the first line that shows
otherwise (a line of a case already judged or not yet opened) or any invalid line, that pass
is dropped and the file is read with two passes (standard input is spooled to a temporary
file first, so it can be read again):

1. The partner and case lines are read and checked, and for every other line only its `case`
   is looked at, to know the line on which each case's last line comes.
2. Every other line is read exactly as `read_history` reads it (policy/history.py's
   `LineReader`, the same code), and a case is finished, judged and rendered as soon as its
   last line has been read; its events are then dropped.

Nothing may be printed before the whole file is known to be valid (every invalid line is
reported, and then nothing else), so the rendered document goes to a temporary file first and
is copied out at the end. Cases are rendered in the order of their case lines, as
`read_history` gives them; a case finished before an earlier one waits, rendered, until the
earlier one is done. A history written case by case (as `eapcase export` and the benchmark
write it) therefore holds about one case at a time; one sorted by time across cases holds
the cases that are open at once."""

from __future__ import annotations

import codecs
import io
import json
import shutil
import sys
import tempfile
from datetime import datetime
from typing import IO, Any, Final, TextIO

import msgspec

from eapcase.policy.engine import verdict
from eapcase.policy.fastread import decode_event
from eapcase.policy.history import HistoryError, LineError, LineReader
from eapcase.policy.pack import PackSet
from eapcase.policy.report import JsonWriter
from eapcase.policy.types import Verdict

__all__ = ["decode_line", "stream_check"]


class _Head(msgspec.Struct):
    """The two keys the first pass looks at; every other key is passed over."""

    type: Any = None
    case: Any = None


_HEAD: Final = msgspec.json.Decoder(_Head).decode
_REFERENCE_KINDS: Final = frozenset({"partner", "case"})


def decode_line(raw: bytes, number: int, errors: list[LineError]) -> str:
    """Line `number` of a UTF-8 history as text: a line that is not UTF-8 is reported in
    `errors` and read as blank (so that the reader still counts it); line 1 loses its
    byte-order mark."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append(LineError(number, f"not UTF-8 text (byte {exc.start + 1})"))
        return ""
    if number == 1 and line.startswith("\ufeff"):
        line = line[1:]
    return line


def stream_check(stream: IO[bytes], pack_set: PackSet, now: datetime, out: IO[str]) -> bool:
    """Judge the history in `stream` (seekable, UTF-8, lines split on \\n only) and write
    `eapcase check`'s JSON document to `out`. Returns whether any case is failing. Raises
    HistoryError (nothing written)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        failing = _one_pass(stream, pack_set, now, spool)
        if failing is None:
            spool.seek(0)
            spool.truncate()
            stream.seek(0)
            failing = _two_passes(stream, pack_set, now, spool)
        spool.seek(0)
        _copy(spool, out)
    return failing


def _copy(spool: TextIO, out: IO[str]) -> None:
    """Copy the spooled document to `out`. When `out` writes UTF-8 to a binary buffer (standard
    output, as a rule), the spool's bytes are copied as they are: decoding 100 MB of text and
    encoding it again gave the same bytes at a cost (both sides translate "\n" the same way,
    and the document's only newline is its last character)."""
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if (
        isinstance(spool, io.TextIOWrapper)
        and isinstance(buffer, io.BufferedIOBase)
        and isinstance(encoding, str)
        and codecs.lookup(encoding).name == "utf-8"
    ):
        out.flush()
        shutil.copyfileobj(spool.buffer, buffer, 1 << 20)
        buffer.flush()
        return
    shutil.copyfileobj(spool, out, 1 << 20)


def _one_pass(stream: IO[bytes], pack_set: PackSet, now: datetime, spool: TextIO) -> bool | None:
    """The document of a valid history whose cases come one after another (as `eapcase
    export` and the benchmark write them), read once: each case is judged when the next case
    line comes, or at the end. Returns whether any case is failing, or None (what was written
    to `spool` is then to be dropped) at the first line that shows the history is not of that
    kind: a line naming a case already judged or not yet opened, or any invalid line. The two
    passes then read it from the start and word every error exactly as before."""
    reader = LineReader()
    cases = reader.cases
    writer = JsonWriter(spool, pack_set, now)
    unjudged: list[str] = []  # the case read since the last case line
    failing = False
    # The case of the previous event line and its events' append, while no other line came
    # between: a case's lines follow one another, and comparing the id spares hashing it.
    last_case: str | None = None
    append_to_last: Any = None
    for number, raw in enumerate(stream, 1):
        if raw.isascii():
            event = decode_event(raw, number)
            if event is not None:
                case_id = event.case
                if case_id == last_case:
                    append_to_last(event)
                    continue
                # `LineReader._add` inlined (once per line). A case already judged has its
                # line set past the end of any file (see _judge), so its lines are refused
                # here too.
                build = cases.get(case_id)
                if build is None or build.line >= number:
                    return None
                last_case, append_to_last = case_id, build.events.append
                append_to_last(event)
                continue
            opened = len(cases)
            reader.ascii_case_line(raw, number)
        else:
            opened = len(cases)
            errors: list[LineError] = []
            text = decode_line(raw, number, errors)
            if errors:
                return None
            reader.line(text, number)
        # Any other line may open or judge a case: the next event line looks its case up.
        last_case = None
        # An orphan is an event of a case not yet open, or of one already judged.
        if reader.errors or reader.orphans:
            return None
        if len(cases) > opened:
            judging = _judge(reader, unjudged, pack_set, now, writer)
            if judging is None:
                return None
            failing = failing or judging
            unjudged = [next(reversed(cases))]
    judging = _judge(reader, unjudged, pack_set, now, writer)
    if judging is None:
        return None
    writer.close()
    return failing or judging


# The line of a case once judged in the one pass: every later line naming it is then taken
# for one before its case line, which ends the one pass.
_JUDGED: Final = sys.maxsize


def _judge(
    reader: LineReader,
    case_ids: list[str],
    pack_set: PackSet,
    now: datetime,
    writer: JsonWriter,
) -> bool | None:
    """Finish, judge and write the cases `case_ids` (each read whole). Returns whether one is
    failing, or None when finishing one found an invalid line (a reference across events)."""
    failing = False
    for case_id in case_ids:
        build = reader.cases[case_id]
        history = reader.finish(build)
        build.events = []
        build.line = _JUDGED
        if reader.errors or history is None:
            return None
        calendar = reader.partners[history.case.partner].calendar
        judged = verdict(history.case, history.events, pack_set, calendar, now, in_order=True)
        failing = failing or judged.failing
        writer.case(judged)
    return failing


def _two_passes(stream: IO[bytes], pack_set: PackSet, now: datetime, spool: TextIO) -> bool:
    """Any history: the partner and case lines first, then each case judged at its last
    line (see the module's docstring). Returns whether any case is failing; raises
    HistoryError listing every invalid line."""
    reader = LineReader()
    read_first, last_line = _first_pass(stream, reader)
    # The line after which each case has been read whole: its last line, or its case line.
    finished_at: dict[int, list[str]] = {}
    order: dict[str, int] = {}
    for case_id, build in reader.cases.items():
        finished_at.setdefault(max(build.line, last_line.get(case_id, 0)), []).append(case_id)
        if build.info is not None:
            order[case_id] = len(order)
    del last_line
    failing = False
    calendars = {pid: partner.calendar for pid, partner in reader.partners.items()}
    writer = JsonWriter(spool, pack_set, now)
    waiting: dict[int, Verdict] = {}
    next_index = 0
    decode_errors: list[LineError] = []
    cases = reader.cases
    stream.seek(0)
    for number, raw in enumerate(stream, 1):
        if number in read_first:
            pass
        elif raw.isascii():
            # An ASCII line is its own UTF-8 text: the reader's fast path takes the bytes
            # as they are, sparing the decoding of almost every line. The usual outcome,
            # an event of a case already open, is `reader.ascii_line` inlined (once per
            # line); anything else goes through it.
            event = decode_event(raw, number)
            open_case = None if event is None else cases.get(event.case)
            if event is not None and open_case is not None and open_case.line < number:
                open_case.events.append(event)
            else:
                reader.ascii_line(raw, number)
        else:
            reader.line(decode_line(raw, number, decode_errors), number, references=False)
        done = finished_at.pop(number, None)
        if done is None:
            continue
        for case_id in done:
            build = reader.cases[case_id]
            history = reader.finish(build)
            build.events = []
            if history is None:
                continue
            if reader.errors or decode_errors:
                # The document will not be printed: judging would be wasted.
                continue
            judged = verdict(
                history.case,
                history.events,
                pack_set,
                calendars[history.case.partner],
                now,
                in_order=True,
            )
            failing = failing or judged.failing
            waiting[order[case_id]] = judged
            while next_index in waiting:
                writer.case(waiting.pop(next_index))
                next_index += 1
    reader.settle_orphans()
    if reader.errors or decode_errors:
        raise HistoryError([*reader.errors, *decode_errors])
    writer.close()
    return failing


def _first_pass(stream: IO[bytes], reader: LineReader) -> tuple[set[int], dict[str, int]]:
    """Read the partner and case lines into `reader`; returns their line numbers and, for
    every case named by another line, the number of the last such line."""
    read: set[int] = set()
    last_line: dict[str, int] = {}
    head = _HEAD
    for number, raw in enumerate(stream, 1):
        text: str | None = None
        if raw.isascii():
            # An ASCII line is its own UTF-8 text and has no byte-order mark: msgspec reads
            # the bytes as they are, and only the few lines kept are decoded (decoding every
            # line cost about a tenth of the run).
            try:
                found = head(raw)
                kind, case = found.type, found.case
            except (msgspec.DecodeError, msgspec.ValidationError):
                text = raw.decode("ascii")
                kind, case = _head_of(text)
        else:
            # Not UTF-8: read as blank here, reported in the second pass.
            text = decode_line(raw, number, [])
            kind, case = _head_of(text)
        if type(kind) is str and kind in _REFERENCE_KINDS:
            if text is not None:
                reader.line(text, number)
            elif kind == "case":
                reader.ascii_case_line(raw, number)
            else:
                reader.line(raw.decode("ascii"), number)
            read.add(number)
        elif type(case) is str:
            last_line[case] = number
    return read, last_line


def _head_of(text: str) -> tuple[object, object]:
    """The `type` and `case` of a line, or (None, None) when it is not a JSON object."""
    try:
        found = _HEAD(text)
        return found.type, found.case
    except (msgspec.DecodeError, msgspec.ValidationError):
        # Not an object msgspec takes (or not JSON at all): json decides, as the reader's
        # ordinary path does; what it cannot read either is reported in the second pass.
        try:
            obj = json.loads(text)
        except ValueError:
            return None, None
        if type(obj) is not dict:
            return None, None
        return obj.get("type"), obj.get("case")
