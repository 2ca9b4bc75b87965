"""Background jobs of the reports (django-tasks, run by `eapcase worker`): the "what if"
replay of a draft policy pack. A job is the edge: it reads the clock and passes `now` down."""

from __future__ import annotations

from django_tasks import task

from eapcase.core import clock
from eapcase.reports import whatif


@task()
def what_if_run(run_id: int) -> str:
    """Replay the run's period under its draft pack; returns the run's final state."""
    return whatif.what_if_replay(run_id=run_id, now=clock.now())
