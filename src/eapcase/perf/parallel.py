"""Build in several processes, write in order: the benchmark generator's loader on both cores.

Tasks are numbered in the order their rows must reach the database. Each worker process (forked,
so it inherits whatever its `build` and `write` need) takes the next task, builds its rows, waits
for its turn (the task before it written) and writes them on its own connection; one worker
writes while the others build. Writing in task order keeps every id the database gives the same
as a single process would have given, and SQLite has one writer at a time anyway. A failing
worker stops the others and its traceback is raised here.

A run may also hand a baton from task to task (`baton=`): bytes that task N's build receives
and, once it has made them, passes on for task N+1 (the generator's random state after a
task's stories). Builds then overlap everywhere but in the part before the baton is passed
on. One shared slot carries it: baton N+1 can only be made once baton N has been taken."""

from __future__ import annotations

import functools
import multiprocessing
import queue
import traceback
from collections.abc import Callable, Iterable
from typing import Any

#: How long a process waits for a message or its turn before checking that the others live.
POLL_SECONDS = 1.0

#: The largest baton (a pickled `random.Random` state is about 3 KiB).
BATON_BYTES = 64 * 1024


class WorkerFailed(RuntimeError):
    """A worker process raised or died; the data written so far is incomplete."""


class _Stopped(Exception):
    """Another worker failed: this one stops without writing."""


def run(
    tasks: Iterable[Any],
    *,
    workers: int,
    connect: Callable[[], Any],
    build: Callable[..., Any],
    write: Callable[[Any, Any], dict[str, int]],
    done: Callable[[int], None],
    baton: bytes | None = None,
) -> dict[str, int]:
    """Run each task of `tasks` (an iterable of (number, ...) tuples numbered 0, 1, 2... in
    order) as `write(connection, build(task))` in one of `workers` processes, each with its
    own `connect()`; `build` returns (cases, rows). `done(cases)` is called here as each task is
    written. Returns the rows written by table (the sums of what `write` returned).

    With `baton` (task 0's), builds are called `build(task, take, give)`: `take()` waits for
    and returns this task's baton, `give(data)` passes the next task's on; a build must call
    each once, `take` first."""
    ctx = multiprocessing.get_context("fork")
    todo: Any = ctx.Queue(maxsize=2 * workers)
    results: Any = ctx.Queue()
    turn = ctx.Value("q", 0)
    failed = ctx.Value("b", 0)
    change = ctx.Condition()
    relay = None
    if baton is not None:
        if len(baton) > BATON_BYTES:
            raise ValueError(f"a baton holds at most {BATON_BYTES} bytes")
        relay = _Relay(ctx, change, failed)
        relay.put(0, baton)
    procs = [
        ctx.Process(
            target=_work,
            args=(todo, results, turn, failed, change, connect, build, write, relay),
            name=f"bench-generate-{n}",
            daemon=True,
        )
        for n in range(workers)
    ]
    for p in procs:
        p.start()
    written: dict[str, int] = {}
    sent = finished = 0

    def send(item: Any) -> None:
        """Queue `item`, reading the workers' messages while the queue is full: a worker that
        failed (and the others, stopped, no longer taking tasks) is reported, not waited for."""
        nonlocal finished
        while True:
            finished += _collect(results, written, done, procs, wait=False)
            try:
                todo.put(item, timeout=POLL_SECONDS)
                return
            except queue.Full:
                continue

    try:
        for task in tasks:
            send(task)
            sent += 1
        for _ in procs:
            send(None)
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


class _Relay:
    """The baton's one shared slot: which task it is for, its length and its bytes, guarded by
    the run's condition (also notified when a worker fails, so no one waits for ever)."""

    def __init__(self, ctx: Any, change: Any, failed: Any) -> None:
        self.change, self.failed = change, failed
        self.number = ctx.Value("q", -1, lock=False)
        self.size = ctx.Value("q", 0, lock=False)
        self.data = ctx.Array("c", BATON_BYTES, lock=False)

    def put(self, number: int, data: bytes) -> None:
        if len(data) > BATON_BYTES:
            raise ValueError(f"a baton holds at most {BATON_BYTES} bytes")
        with self.change:
            self.data[: len(data)] = data
            self.size.value = len(data)
            self.number.value = number
            self.change.notify_all()

    def take(self, number: int) -> bytes:
        with self.change:
            while self.number.value != number:
                if self.failed.value:
                    raise _Stopped
                self.change.wait(POLL_SECONDS)
            data: bytes = self.data[: self.size.value]
            return data


def _work(
    todo: Any,
    results: Any,
    turn: Any,
    failed: Any,
    change: Any,
    connect: Callable[[], Any],
    build: Callable[..., Any],
    write: Callable[[Any, Any], dict[str, int]],
    relay: _Relay | None,
) -> None:
    try:
        connection = connect()
        try:
            while (task := todo.get()) is not None:
                if relay is None:
                    cases, rows = build(task)
                else:
                    number = task[0]
                    cases, rows = build(
                        task,
                        functools.partial(relay.take, number),
                        functools.partial(relay.put, number + 1),
                    )
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
