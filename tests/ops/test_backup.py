"""Restore drills: a real installation (migrated, demo data, uploaded files) is backed up with
`eapcase backup` and restored with `eapcase restore` into a new, empty database, on SQLite and
on PostgreSQL, each command in its own process as an operator would run it. PostgreSQL is
skipped unless DATABASE_URL points at it (`.ci/run` does)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

EAPCASE = str(Path(sys.executable).parent / "eapcase")
SECRET = "drill-secret-" + "x" * 40
COUNTS = (
    "import json; from django.apps import apps; "
    "print(json.dumps({m._meta.label: m._default_manager.count() for m in apps.get_models()}))"
)
ON_POSTGRES = connection.vendor == "postgresql"


@dataclass
class Site:
    """One installation: its var folder (MEDIA_ROOT is var/media) and its database."""

    var: Path
    url: str

    def run(self, *args: str, secret: str = SECRET) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "EAPCASE_VAR_DIR": str(self.var), "DATABASE_URL": self.url}
        env["SECRET_KEY"] = secret
        # The audit key goes with the installation, apart from its database (ADR 0035).
        env["EAPCASE_AUDIT_KEY"] = "audit-" + secret
        return subprocess.run(
            [EAPCASE, *args], env=env, capture_output=True, text=True, check=False, timeout=600
        )

    def counts(self) -> dict[str, int]:
        done = self.run("shell", "-c", COUNTS)
        assert done.returncode == 0, done.stderr
        counts: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
        return counts

    def media(self) -> dict[str, bytes]:
        root = self.var / "media"
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }


class Databases:
    """Makes fresh databases of one vendor and drops them afterwards."""

    def __init__(self, vendor: str, folder: Path) -> None:
        self.vendor, self.folder, self.made = vendor, folder, []  # type: list[str]

    def new(self, label: str) -> Site:
        var = self.folder / f"{label}-var"
        var.mkdir()
        if self.vendor == "sqlite":
            return Site(var=var, url=f"sqlite:///{var / 'eapcase.sqlite3'}")
        name = f"eapcase_drill_{label}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return Site(var=var, url=_url_for(name))

    def drop(self) -> None:
        with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
            for name in self.made:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_dsn() -> str:
    s = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname="postgres", host=s["HOST"] or "", port=str(s["PORT"] or ""), user=s["USER"] or "",
        password=s["PASSWORD"] or "",
    )  # fmt: skip


def _url_for(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT'] or 5432}/{name}"


VENDORS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(
                not ON_POSTGRES,
                reason="needs PostgreSQL: DATABASE_URL=postgres://... (.ci/run sets it)",
            ),
        ],
    ),
]


@dataclass
class Drill:
    databases: Databases
    source: Site
    backup: Path
    backup_output: str


@pytest.fixture(scope="module", params=VENDORS)
def drill(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drill]:
    folder = tmp_path_factory.mktemp(f"drill-{request.param}")
    databases = Databases(request.param, folder)
    try:
        source = databases.new("source")
        for command in (
            ["migrate", "--noinput", "-v", "0"],
            ["demo", "--cases", "10", "--seed", "7", "--now", "2026-11-30T12:00:00+00:00"],
        ):
            done = source.run(*command)
            assert done.returncode == 0, done.stderr
        made = source.run("backup", str(folder / "backup"))
        assert made.returncode == 0, made.stderr
        yield Drill(databases, source, folder / "backup", made.stdout)
    finally:
        if request.param == "postgresql":
            databases.drop()


def test_the_backup_holds_the_database_the_files_and_the_checkpoint(drill: Drill) -> None:
    manifest = json.loads((drill.backup / "manifest.json").read_text())
    files = {f["path"] for f in manifest["files"]}
    database = "database.sqlite3" if drill.databases.vendor == "sqlite" else "database.pgdump"
    assert manifest["database"] == database
    assert files == {database, *(f"media/{name}" for name in drill.source.media())}
    assert len(drill.source.media()) >= 1
    audit_rows = drill.source.counts()["audit.AuditEvent"]
    assert manifest["checkpoint"]["count"] == audit_rows
    assert f"audit checkpoint {audit_rows} rows" in drill.backup_output
    assert "verified" in drill.backup_output


def test_a_restore_into_an_empty_database_gives_back_everything(drill: Drill) -> None:
    target = drill.databases.new("target")
    done = target.run("restore", str(drill.backup))
    assert done.returncode == 0, done.stderr
    assert "audit chain intact" in done.stdout
    assert "head matches the checkpoint" in done.stdout
    assert target.counts() == drill.source.counts()
    assert target.media() == drill.source.media()
    # The restored installation is a working one: its schema is current.
    assert target.run("migrate", "--check").returncode == 0


def test_a_restore_over_data_is_refused_and_changes_nothing(drill: Drill) -> None:
    before = drill.source.counts()
    done = drill.source.run("restore", str(drill.backup))
    assert done.returncode == 1
    assert "the database is not empty" in done.stderr
    assert "restore only into a new, empty database" in done.stderr
    assert drill.source.counts() == before


def test_a_damaged_backup_is_refused_before_anything_is_loaded(
    drill: Drill, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(drill.backup, damaged)
    victim = next(p for p in (damaged / "media").rglob("*") if p.is_file())
    victim.write_bytes(victim.read_bytes() + b"!")
    target = drill.databases.new("damaged")
    done = target.run("restore", str(damaged))
    assert done.returncode == 1
    assert "does not match its hash" in done.stderr
    assert not (target.var / "media").exists()
    assert target.run("migrate", "--check").returncode == 1  # still empty: nothing migrated


def test_a_restore_with_another_audit_key_says_so(drill: Drill) -> None:
    target = drill.databases.new("secret")
    done = target.run("restore", str(drill.backup), secret="another-" + "y" * 40)
    assert done.returncode == 1
    assert "the audit key is not the one this backup was made with" in done.stderr


def test_a_backup_is_never_written_over_another(drill: Drill) -> None:
    done = drill.source.run("backup", str(drill.backup))
    assert done.returncode == 1
    assert "already exists and is not an empty folder" in done.stderr
