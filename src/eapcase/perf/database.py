"""Which database the benchmark uses: its own (var/bench.sqlite3 by default, or a URL), never
the application's or the demo's."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.conf import settings
from django.db import connections

DEFAULT_NAME = "bench.sqlite3"


def default_url() -> str:
    return f"sqlite:///{settings.VAR_DIR / DEFAULT_NAME}"


def config(url: str) -> dict[str, Any]:
    """Django's settings for `url`, with the options settings.py gives the same engine."""
    cfg: dict[str, Any] = environ.Env.db_url_config(url)
    if cfg["ENGINE"] == "django.db.backends.sqlite3":
        cfg["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    else:
        cfg.setdefault("CONN_MAX_AGE", 60)
    return cfg


def refuse_application_database(url: str) -> None:
    """The benchmark recreates its database: never point it at the application's."""
    cfg = config(url)
    app = settings.DATABASES["default"]
    same = cfg["ENGINE"] == app["ENGINE"] and str(cfg["NAME"]) == str(app["NAME"])
    demo = str(cfg["NAME"]) == str(settings.VAR_DIR / "eapcase.sqlite3")
    if (same and "bench" not in str(cfg["NAME"])) or demo:
        raise SystemExit(f"refusing to use the application's database {cfg['NAME']}")


def recreate(url: str) -> None:
    """An empty database at `url` (a SQLite file removed, a PostgreSQL database dropped and
    created again)."""
    cfg = config(url)
    if cfg["ENGINE"] == "django.db.backends.sqlite3":
        path = Path(cfg["NAME"])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = cfg["NAME"]
    with _server(cfg) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _server(cfg: dict[str, Any]) -> Any:
    """A connection to the PostgreSQL server of `cfg` (its `postgres` database), autocommit."""
    import psycopg

    params: dict[str, Any] = {
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
        "dbname": "postgres",
    }
    given = {k: v for k, v in params.items() if v is not None}
    return psycopg.connect(autocommit=True, **given)


def drop(url: str) -> None:
    """Remove the database at `url` (a SQLite file, a PostgreSQL database)."""
    cfg = config(url)
    if cfg["ENGINE"] == "django.db.backends.sqlite3":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{cfg['NAME']}{suffix}").unlink(missing_ok=True)
        return
    with _server(cfg) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}" WITH (FORCE)')


def use(url: str) -> None:
    """Point the default connection of this process at `url`."""
    connections["default"].close()
    connections.settings["default"] = connections.configure_settings({"default": config(url)})[
        "default"
    ]
    del connections["default"]


def manifest_path(url: str) -> Path:
    """What was generated into `url` is recorded here (var/bench/)."""
    cfg = config(url)
    if cfg["ENGINE"] == "django.db.backends.sqlite3":
        slug = Path(cfg["NAME"]).stem
    else:
        parts = urlsplit(url)
        slug = f"pg-{parts.hostname}-{parts.port or 5432}-{cfg['NAME']}"
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    return settings.VAR_DIR / "bench" / f"{slug}-{digest}.json"


def manifest_read(url: str) -> dict[str, Any] | None:
    path = manifest_path(url)
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def manifest_write(url: str, data: dict[str, Any]) -> Path:
    path = manifest_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def manifest_clear(url: str) -> None:
    manifest_path(url).unlink(missing_ok=True)
