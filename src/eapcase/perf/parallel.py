"""Build in several processes, write in order: the benchmark generator's loader on both cores.

Tasks are numbered in the order their rows must reach the database. Each worker process (forked,
so it inherits whatever its `build` and `write` need) takes the next task, builds its rows, waits
for its turn (the task before it written) and writes them on its own connection; one worker
writes while the others build. Writing in task order keeps every id the database gives the same
as a single process would have given, and SQLite has one writer at a time anyway. A failing
worker stops the others and its traceback is raised here."""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Callable, Iterable
from typing import Any

#: How long a process waits for a message or its turn before checking that the others live.
POLL_SECONDS = 1.0


class WorkerFailed(RuntimeError):
    """A worker process raised or died; the data written so far is incomplete."""


class _Stopped(Exception):
    """Another worker failed: this one stops without writing."""


def run(
    tasks: Iterable[Any],
    *,
    workers: int,
    connect: Callable[[], Any],
    build: Callable[[Any], Any],
    write: Callable[[Any, Any], dict[str, int]],
    done: Callable[[int], None],
) -> dict[str, int]:
    """Run each task of `tasks` (an iterable of (number, ...) tuples numbered 0, 1, 2... in
    order) as `write(connection, build(task))` in one of `workers` processes, each with its
    own `connect()`; `build` returns (cases, rows). `done(cases)` is called here as each task is
    written. Returns the rows written by table (the sums of what `write` returned)."""
    ctx = multiprocessing.get_context("fork")
    todo: Any = ctx.Queue(maxsize=2 * workers)
    results: Any = ctx.Queue()
    turn = ctx.Value("q", 0)
    failed = ctx.Value("b", 0)
    change = ctx.Condition()
    procs = [
        ctx.Process(
            target=_work,
            args=(todo, results, turn, failed, change, connect, build, write),
            name=f"bench-generate-{n}",
            daemon=True,
        )
        for n in range(workers)
    ]
    for p in procs:
        p.start()
    written: dict[str, int] = {}
    sent = finished = 0
    try:
        for task in tasks:
            while True:
                finished += _collect(results, written, done, procs, wait=False)
                try:
                    todo.put(task, timeout=POLL_SECONDS)
                    break
                except queue.Full:
                    continue
            sent += 1
        for _ in procs:
            todo.put(None)
        while finished < sent:
            finished += _collect(results, written, done, procs, wait=True)
        for p in procs:
            p.join()
    except BaseException:
        with change:
            failed.value = 1
            change.notify_all()
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
        raise
    return written


def _collect(
    results: Any, written: dict[str, int], done: Callable[[int], None], procs: list[Any], wait: bool
) -> int:
    """Handle the workers' messages waiting (or the next one, if `wait`): the number of tasks
    they report written."""
    count = 0
    while True:
        try:
            message = results.get(timeout=POLL_SECONDS) if wait else results.get_nowait()
        except queue.Empty:
            dead = [p for p in procs if p.exitcode not in (None, 0)]
            if dead:
                raise WorkerFailed(f"{dead[0].name} exited with {dead[0].exitcode}") from None
            return count
        kind, value = message
        if kind == "error":
            raise WorkerFailed(value)
        cases, rows = value
        for name, n in rows.items():
            written[name] = written.get(name, 0) + n
        done(cases)
        count += 1
        wait = False


def _work(
    todo: Any,
    results: Any,
    turn: Any,
    failed: Any,
    change: Any,
    connect: Callable[[], Any],
    build: Callable[[Any], Any],
    write: Callable[[Any, Any], dict[str, int]],
) -> None:
    try:
        connection = connect()
        try:
            while (task := todo.get()) is not None:
                cases, rows = build(task)
                with change:
                    while turn.value != task[0]:
                        if failed.value:
                            raise _Stopped
                        change.wait(POLL_SECONDS)
                counts = write(connection, rows)  # on failure the turn stays: all stop
                with change:
                    turn.value += 1
                    change.notify_all()
                results.put(("done", (cases, counts)))
        finally:
            connection.close()
    except _Stopped:
        return
    except BaseException:
        with change:
            failed.value = 1
            change.notify_all()
        results.put(("error", traceback.format_exc()))
