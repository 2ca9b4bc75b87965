"""The benchmark loader's worker processes: tasks are written in their order whichever worker
builds them, and a worker's failure stops the run with its traceback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from eapcase.perf import parallel

pytestmark = pytest.mark.nodb


class _File:
    """A connection stand-in: appends each write to a file shared by the processes."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("a")

    def close(self) -> None:
        self.handle.close()


def _run(tmp_path: Path, tasks: int, build: Any) -> tuple[dict[str, int], list[int], list[int]]:
    path = tmp_path / "written"
    seen: list[int] = []

    def write(conn: _File, rows: int) -> dict[str, int]:
        conn.handle.write(f"{rows}\n")
        conn.handle.flush()
        return {"rows": 1}

    written = parallel.run(
        ((n, n) for n in range(tasks)),
        workers=3,
        connect=lambda: _File(path),
        build=build,
        write=write,
        done=seen.append,
    )
    order = [int(x) for x in path.read_text().split()] if path.exists() else []
    return written, order, seen


def test_tasks_are_written_in_order_whoever_builds_them(tmp_path: Path) -> None:
    def build(task: tuple[int, int]) -> tuple[int, int]:
        time.sleep(0.02 * ((task[0] * 7) % 5))  # later tasks often finish building first
        return 10, task[1]

    written, order, seen = _run(tmp_path, 20, build)
    assert order == list(range(20))
    assert written == {"rows": 20}
    assert seen == [10] * 20


def test_a_failing_worker_stops_the_run_with_its_error(tmp_path: Path) -> None:
    def build(task: tuple[int, int]) -> tuple[int, int]:
        if task[0] == 5:
            raise ValueError("task five cannot be built")
        return 1, task[1]

    with pytest.raises(parallel.WorkerFailed, match="task five cannot be built"):
        _run(tmp_path, 40, build)
    order = [int(x) for x in (tmp_path / "written").read_text().split()]
    # What was written is the tasks' own order from the first, and nothing from the failed
    # task on. How many of the tasks before it got written depends on the moment: a worker
    # still waiting for its turn when the failure is announced stops without writing.
    assert order == list(range(len(order)))
    assert len(order) <= 5


def test_a_baton_passes_from_each_task_to_the_next_in_order(tmp_path: Path) -> None:
    """Each build takes the baton its predecessor gave and gives its successor's: the chain
    is the one a single process would make, whichever worker builds which task."""
    path = tmp_path / "written"

    def build(task: tuple[int, int], take: Any, give: Any) -> tuple[int, int]:
        time.sleep(0.01 * ((task[0] * 7) % 5))
        got = int(take().decode())
        give(str(got * 3 + task[0]).encode())
        time.sleep(0.01 * ((task[0] * 3) % 4))  # the rest of the build, after the hand-over
        return 1, got

    def write(conn: _File, rows: int) -> dict[str, int]:
        conn.handle.write(f"{rows}\n")
        conn.handle.flush()
        return {"rows": 1}

    parallel.run(
        ((n, n) for n in range(15)),
        workers=3,
        connect=lambda: _File(path),
        build=build,
        write=write,
        done=lambda _cases: None,
        baton=b"1",
    )
    expected, value = [], 1
    for n in range(15):
        expected.append(value)
        value = value * 3 + n
    assert [int(x) for x in path.read_text().split()] == expected


def test_a_failing_build_stops_workers_waiting_for_its_baton(tmp_path: Path) -> None:
    def build(task: tuple[int, int], take: Any, give: Any) -> tuple[int, int]:
        take()
        if task[0] == 3:
            raise ValueError("task three lost the baton")
        give(b"x")
        return 1, task[1]

    # Eight tasks nearly fill the queue: the run may be queueing the workers' stop marks, which
    # stopped workers never take, when the failure comes; it must report it, not wait (a run
    # in CI once hung there, at a blocking put).
    with pytest.raises(parallel.WorkerFailed, match="task three lost the baton"):
        parallel.run(
            ((n, n) for n in range(8)),
            workers=3,
            connect=lambda: _File(tmp_path / "written"),
            build=build,
            write=lambda conn, rows: {"rows": 1},
            done=lambda _cases: None,
            baton=b"x",
        )
