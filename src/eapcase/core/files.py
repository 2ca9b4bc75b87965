"""Files that services write inside a transaction: made durable before the transaction commits,
and removed again when it rolls back, so a refused or failed write leaves no file behind.

A rollback of an enclosing transaction after the service's own one succeeded, or a process
killed mid-write, can still leave a file with no row: the worker's daily orphan sweep
(`eapcase.ops.files`) removes those (ADR 0016)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.files.base import File
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile

log = logging.getLogger(__name__)


def _fsync(path: str) -> None:
    """Flush the file and its directory entry to disk, as the database does for its rows."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    folder = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


class WrittenFiles:
    """The files saved during one service call, in the order they were written."""

    def __init__(self) -> None:
        self.files: list[tuple[Storage, str]] = []

    def save(self, field_file: FieldFile, name: str, content: File[Any]) -> None:
        field_file.save(name, content, save=False)
        self.files.append((field_file.storage, field_file.name or ""))
        try:
            path = field_file.storage.path(field_file.name or "")
        except NotImplementedError:
            return  # a remote store keeps its own durability promise
        _fsync(path)

    def remove(self) -> None:
        failed = 0
        for storage, name in reversed(self.files):
            try:
                storage.delete(name)
            except OSError:
                failed += 1
        if failed:
            # No names: an attachment's name may be a person's. The orphan sweep takes them.
            log.warning("could not remove %d uncommitted file(s)", failed)
        self.files.clear()


@contextmanager
def removed_on_error() -> Iterator[WrittenFiles]:
    """Yield a `WrittenFiles`; when anything escapes the block (put `transaction.atomic()`
    inside it, so the rollback has happened), delete the files it saved."""
    written = WrittenFiles()
    try:
        yield written
    except BaseException:
        written.remove()
        raise
