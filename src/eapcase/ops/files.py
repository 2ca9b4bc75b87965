"""The orphan sweep: files under MEDIA_ROOT that no row names. The services delete what they
wrote when their own transaction rolls back (`core.files`); what a killed process or a rolled
back enclosing transaction left behind is removed here, once it is old enough that no
transaction still writing could be about to commit its row."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from eapcase.ops.backup import files_named

# Far longer than any transaction lives: a file this old with no row will never get one.
GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class OrphanReport:
    removed: int
    bytes: int

    def __str__(self) -> str:
        return f"{self.removed} orphaned files removed ({self.bytes:,} bytes)"


def orphans_find(*, now: datetime, grace: timedelta = GRACE) -> list[Path]:
    media = Path(settings.MEDIA_ROOT)
    if not media.is_dir():
        return []
    named = files_named()
    cutoff = (now - grace).timestamp()
    found = []
    for folder, _dirs, names in os.walk(media):
        for name in names:
            path = Path(folder) / name
            if path.relative_to(media).as_posix() in named:
                continue
            if path.stat().st_mtime <= cutoff:
                found.append(path)
    return sorted(found)


def orphans_remove(*, now: datetime, grace: timedelta = GRACE) -> OrphanReport:
    removed = size = 0
    named_before = orphans_find(now=now, grace=grace)
    # Read the rows again after listing, so a row committed in between keeps its file.
    named = files_named()
    media = Path(settings.MEDIA_ROOT)
    for path in named_before:
        if path.relative_to(media).as_posix() in named:
            continue
        size += path.stat().st_size
        path.unlink(missing_ok=True)
        removed += 1
    return OrphanReport(removed=removed, bytes=size)
