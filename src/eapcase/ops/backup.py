"""Backups and restores of a whole installation: the database, the uploaded files (MEDIA_ROOT)
and the audit checkpoint, described by a manifest with the size and SHA-256 of every file.

A backup is a folder:

    manifest.json       format, date, database vendor, checkpoint, every file's size and hash
    database.sqlite3    SQLite, copied through the online backup API (consistent while the
                        application writes), or
    database.pgdump     PostgreSQL, `pg_dump --format=custom` (one snapshot)
    media/...           the uploaded files

It is written under `<DEST>.partial` and renamed to DEST when complete and verified, so a
folder named like a backup is always a whole one. `backup_create` re-opens the copy: SQLite's
`integrity_check`, and in both databases the audit chain must hold the head read from the live
database before the copy, and the checkpoint is the head of the copy itself.
`backup_restore` checks the manifest, refuses a database that has any table, loads the copy
(SQLite's backup API the other way round; `pg_restore` in one transaction), copies the files
back, then walks the audit chain and the case history (`ops.trail.trail_verify`) against the
checkpoint.

The HMAC key of the audit chain (EAPCASE_AUDIT_KEY or its file, ADR 0035) is not in the
backup: the manifest holds a fingerprint of it so that a restore with another key says so
plainly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.models import FileField

from eapcase.audit.keys import audit_key
from eapcase.audit.services import GENESIS, AuditHead, audit_head
from eapcase.core.errors import ServiceError
from eapcase.ops.trail import trail_verify

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA = "media"
PREFIX = "eapcase-"
CHUNK = 1024 * 1024
LOCKED_LIMIT = 60  # seconds
SQLITE_BUSY, SQLITE_LOCKED = 5, 6


class BackupError(ServiceError):
    """A backup or restore that could not be made or did not verify."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    vendor: str
    checkpoint: AuditHead
    files: int
    bytes: int

    def __str__(self) -> str:
        return (
            f"backup {self.path}: {self.vendor}, audit checkpoint {self.checkpoint.count} rows, "
            f"{self.files} files, {self.bytes:,} bytes; verified"
        )


@dataclass(frozen=True)
class RestoreReport:
    vendor: str
    checkpoint: AuditHead
    media_files: int

    def __str__(self) -> str:
        return (
            f"restored {self.vendor} database: audit chain intact, {self.checkpoint.count} rows, "
            f"head matches the checkpoint; {self.media_files} uploaded files"
        )


# --- helpers ---------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, names in os.walk(root):
        for name in names:
            fd = os.open(Path(folder) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def secret_fingerprint() -> str:
    """Names the audit key without revealing it."""
    return hmac.new(audit_key(), b"eapcase backup", hashlib.sha256).hexdigest()


def file_references() -> Iterable[tuple[str, str]]:
    """(table, column) of every FileField in the project: where rows name stored files."""
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, FileField):
                yield model._meta.db_table, field.column


def _head_of_rows(rows: Iterable[tuple[int, str]]) -> tuple[AuditHead, set[str]]:
    count, last_id, last_hash, hashes = 0, -1, GENESIS, set()
    for row_id, row_hash in rows:
        count += 1
        hashes.add(row_hash)
        if row_id > last_id:
            last_id, last_hash = row_id, row_hash
    return AuditHead(count=count, hash=last_hash), hashes


def _check_holds(copy: AuditHead, hashes: set[str], before: AuditHead) -> None:
    """The copy's chain must reach at least as far as the live chain did before the copy."""
    if copy.count < before.count or (before.count and before.hash not in hashes):
        raise BackupError(
            f"the copy's audit chain ({copy.count} rows) does not hold the head read before "
            f"the copy ({before.count} rows): the copy is not of this database"
        )


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_copy(alias: str, target: Path) -> None:
    # A connection of its own: Django's may be inside a transaction, which the backup would
    # wait on for ever.
    name = str(connections[alias].settings_dict["NAME"])
    source = sqlite3.connect(name, uri=name.startswith("file:"), timeout=20)
    copy = sqlite3.connect(target)
    deadline = time.monotonic() + LOCKED_LIMIT

    def progress(status: int, remaining: int, total: int) -> None:
        # The standard library retries a locked source for ever; give up after a while.
        if status in (SQLITE_BUSY, SQLITE_LOCKED) and time.monotonic() > deadline:
            raise BackupError(f"the database stayed locked for {LOCKED_LIMIT} s: try again")

    try:
        # One step (pages=-1) inside one read transaction of the source: a consistent image
        # even while other connections write (a WAL reader sees one snapshot).
        source.backup(copy, pages=-1, progress=progress)
        # A single self-contained file: no -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source.close()


def _sqlite_verify(path: Path, before: AuditHead) -> AuditHead:
    copy = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise BackupError(f"the copy fails SQLite's integrity check: {'; '.join(result[:3])}")
        head, hashes = _head_of_rows(copy.execute("SELECT id, hash FROM audit_auditevent"))
    finally:
        copy.close()
    _check_holds(head, hashes, before)
    return head


def _sqlite_restore(alias: str, source: Path) -> None:
    connection = connections[alias]
    name = str(connection.settings_dict["NAME"])
    connection.close()
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target = sqlite3.connect(name)
    try:
        backup.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        backup.close()


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_env(alias: str) -> dict[str, str]:
    """libpq's variables for the database of `alias` (the password never on a command line)."""
    s = connections[alias].settings_dict
    env = {**os.environ}
    for key, value in (
        ("PGHOST", s.get("HOST")),
        ("PGPORT", s.get("PORT")),
        ("PGUSER", s.get("USER")),
        ("PGPASSWORD", s.get("PASSWORD")),
        ("PGDATABASE", s.get("NAME")),
    ):
        if value:
            env[key] = str(value)
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install PostgreSQL's client programs "
            "(Debian: apt-get install postgresql-client)"
        )
    return found


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    # The programs are found by shutil.which and every argument is ours: no shell, no input.
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def _pg_copy(alias: str, target: Path) -> None:
    _run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "-f", str(target)],
        _pg_env(alias),
        "pg_dump",
    )


def _copy_rows(text: str, table: str) -> Iterable[dict[str, str]]:
    """The rows of `table` in a plain-text COPY block of `pg_restore -f -` output."""
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith(f"COPY public.{table} (") and line.endswith("FROM stdin;"):
            columns = [c.strip() for c in line[line.index("(") + 1 : line.index(")")].split(",")]
            for row in lines:
                if row == "\\.":
                    return
                yield dict(zip(columns, row.split("\t"), strict=True))
    raise BackupError(f"the dump has no data for {table}")


def _pg_verify(alias: str, path: Path, before: AuditHead) -> AuditHead:
    env = _pg_env(alias)
    # Reads the whole archive's table of contents (a damaged file fails here)...
    _run([_tool("pg_restore"), "--list", str(path)], env, "pg_restore --list")
    # ...and the audit rows themselves, as the restore would load them.
    text = _run(
        [_tool("pg_restore"), "--data-only", "--table=audit_auditevent", "-f", "-", str(path)],
        env,
        "pg_restore of the audit rows",
    )
    head, hashes = _head_of_rows(
        (int(r["id"]), r["hash"]) for r in _copy_rows(text, "audit_auditevent")
    )
    _check_holds(head, hashes, before)
    return head


def _pg_restore(alias: str, source: Path) -> None:
    connections[alias].close()
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "-d",
            str(connections[alias].settings_dict["NAME"]),
            str(source),
        ],
        _pg_env(alias),
        "pg_restore",
    )


# --- backup ----------------------------------------------------------------------------------


def backup_name(now: datetime) -> str:
    return f"{PREFIX}{now:%Y%m%d-%H%M%S}"


def _copy_media(target: Path) -> None:
    media = Path(settings.MEDIA_ROOT)
    target.mkdir()
    if media.is_dir():
        shutil.copytree(media, target, dirs_exist_ok=True)


def backup_create(
    *, dest: Path, now: datetime, alias: str = "default", say: Callable[[str], Any] = print
) -> BackupReport:
    """Write a verified backup of database `alias` and MEDIA_ROOT to the new folder `dest`."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists and is not an empty folder: choose a new one")
    partial = dest.with_name(dest.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    vendor = connections[alias].vendor
    try:
        before = audit_head(using=alias)
        if vendor == "sqlite":
            database = partial / SQLITE_FILE
            say("copying the database (SQLite online backup)")
            _sqlite_copy(alias, database)
            checkpoint = _sqlite_verify(database, before)
        elif vendor == "postgresql":
            database = partial / PG_FILE
            say("copying the database (pg_dump)")
            _pg_copy(alias, database)
            checkpoint = _pg_verify(alias, database, before)
        else:
            raise BackupError(f"cannot back up a {vendor} database")
        # After the database: every file a copied row names was written before its row
        # committed, so it is already there; files newer than the copy are harmless extras.
        say("copying the uploaded files")
        _copy_media(partial / MEDIA)
        files: list[dict[str, Any]] = []
        for path in sorted(p for p in partial.rglob("*") if p.is_file()):
            files.append(
                {
                    "path": path.relative_to(partial).as_posix(),
                    "size": path.stat().st_size,
                    "sha256": _sha256(path),
                }
            )
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "vendor": vendor,
            "database": database.name,
            "checkpoint": checkpoint.as_json(),
            "secret_fingerprint": secret_fingerprint(),
            "files": files,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        _fsync_tree(partial)
        if dest.exists():
            dest.rmdir()
        partial.rename(dest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupReport(
        path=dest,
        vendor=vendor,
        checkpoint=checkpoint,
        files=len(files),
        bytes=sum(int(f["size"]) for f in files),
    )


def backups_prune(*, folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` complete backups in `folder` (and leftovers of
    interrupted ones); the deleted paths."""
    if not folder.is_dir():
        return []
    complete = sorted(
        p for p in folder.iterdir() if p.name.startswith(PREFIX) and (p / MANIFEST).is_file()
    )
    doomed = complete[: max(len(complete) - keep, 0)]
    doomed += [p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.suffix == ".partial"]
    for path in doomed:
        shutil.rmtree(path)
    return doomed


# --- restore ---------------------------------------------------------------------------------


def manifest_read(source: Path) -> dict[str, Any]:
    """The manifest of the backup in `source`, after checking every file it lists."""
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} is not a backup: it has no {MANIFEST}")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is a backup of format {manifest.get('format')}, not {FORMAT}")
    for entry in manifest["files"]:
        file = Path(source) / entry["path"]
        if not file.is_file():
            raise BackupError(f"the backup is incomplete: {entry['path']} is missing")
        if file.stat().st_size != entry["size"] or _sha256(file) != entry["sha256"]:
            raise BackupError(f"the backup is damaged: {entry['path']} does not match its hash")
    return manifest


def _tables(alias: str) -> list[str]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return list(connection.introspection.table_names(cursor))


def backup_restore(
    *, source: Path, alias: str = "default", say: Callable[[str], Any] = print
) -> RestoreReport:
    """Load the backup in `source` into the EMPTY database `alias` and MEDIA_ROOT, then verify
    the audit chain against the backup's checkpoint."""
    source = Path(source)
    say("checking the backup's files against its manifest")
    manifest = manifest_read(source)
    vendor = connections[alias].vendor
    if manifest["vendor"] != vendor:
        raise BackupError(
            f"this is a {manifest['vendor']} backup; the configured database is {vendor}"
        )
    if manifest["secret_fingerprint"] != secret_fingerprint():
        raise BackupError(
            "the audit key is not the one this backup was made with, so the audit chain could not "
            "be verified: set EAPCASE_AUDIT_KEY (or put the key file at EAPCASE_AUDIT_KEY_FILE) "
            "as in the original installation"
        )
    tables = _tables(alias)
    if tables:
        raise BackupError(
            f"the database is not empty ({len(tables)} tables): restore only into a new, empty "
            "database (drop and create it, or point DATABASE_URL at a new one), never over data"
        )
    media = Path(settings.MEDIA_ROOT)
    media_files = [e for e in manifest["files"] if e["path"].startswith(MEDIA + "/")]
    clashes = [
        e["path"]
        for e in media_files
        if (media / e["path"][len(MEDIA) + 1 :]).exists()
        and _sha256(media / e["path"][len(MEDIA) + 1 :]) != e["sha256"]
    ]
    if clashes:
        raise BackupError(
            f"MEDIA_ROOT ({media}) already holds {len(clashes)} different files of the same "
            "names: restore into an empty MEDIA_ROOT"
        )
    say("loading the database")
    database = source / manifest["database"]
    if vendor == "sqlite":
        _sqlite_restore(alias, database)
    else:
        _pg_restore(alias, database)
    say("copying the uploaded files")
    if (source / MEDIA).is_dir():
        shutil.copytree(source / MEDIA, media, dirs_exist_ok=True)
        _fsync_tree(media)
    say("verifying the audit chain against the checkpoint")
    checkpoint = AuditHead(**manifest["checkpoint"])
    report = trail_verify(checkpoint)
    head = audit_head(using=alias)
    if not report.intact:
        raise BackupError(
            f"the restored audit trail is broken: {report.problem}. Do not use this database; "
            "keep the backup and ask for help"
        )
    if head != checkpoint or report.checked != checkpoint.count:
        raise BackupError(
            f"the restored audit chain ends at {head.count} rows, the checkpoint says "
            f"{checkpoint.count}: do not use this database"
        )
    missing = files_missing(alias)
    if missing:
        raise BackupError(f"{len(missing)} files named by rows are not in MEDIA_ROOT")
    return RestoreReport(vendor=vendor, checkpoint=checkpoint, media_files=len(media_files))


def files_named(alias: str = "default") -> set[str]:
    """Every stored file name the database's rows refer to."""
    names: set[str] = set()
    connection = connections[alias]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in file_references():
            cursor.execute(
                f"SELECT {quote(column)} FROM {quote(table)} "  # noqa: S608 (names from models)
                f"WHERE {quote(column)} IS NOT NULL AND {quote(column)} <> ''"
            )
            names.update(row[0] for row in cursor.fetchall())
    return names


def files_missing(alias: str = "default") -> list[str]:
    media = Path(settings.MEDIA_ROOT)
    return sorted(name for name in files_named(alias) if not (media / name).is_file())
