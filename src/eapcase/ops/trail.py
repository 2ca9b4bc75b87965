"""The whole trail verified (ADR 0035): the audit chain from its first row, then the case
history against the hashes the chain names, and, when one is given, the end of the chain
against a checkpoint kept elsewhere (`eapcase audit checkpoint`). Used by `eapcase audit
verify`, by the worker's daily duty and by `eapcase restore`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from eapcase.audit.services import AuditHead, audit_verify
from eapcase.cases.seal import history_verify


@dataclass(frozen=True)
class TrailReport:
    checked: int  # audit rows that hold
    broken_at: int | None  # first audit row that does not (-1: the end; 0: the history)
    problem: str  # in words, "" when intact

    @property
    def intact(self) -> bool:
        return not self.problem


def checkpoint_read(path: Path) -> AuditHead:
    """A checkpoint as `eapcase audit checkpoint` printed it ({"count": ..., "hash": ...})."""
    try:
        data = json.loads(Path(path).read_text())
        head = AuditHead(count=int(data["count"]), hash=str(data["hash"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"{path} is not a checkpoint written by `eapcase audit checkpoint`"
        ) from exc
    if head.count < 0 or len(head.hash) != 64:
        raise ValueError(f"{path} is not a checkpoint written by `eapcase audit checkpoint`")
    return head


def trail_verify(checkpoint: AuditHead | None = None) -> TrailReport:
    report = audit_verify(checkpoint)
    if not report.intact:
        return TrailReport(report.checked, report.broken_at, report.problem)
    problem = history_verify(report.events)
    if problem:
        return TrailReport(report.checked, 0, problem)
    return TrailReport(report.checked, None, "")
