"""The audit chain's HMAC key (ADR 0035): from `EAPCASE_AUDIT_KEY`, or else the owner-only file
named by `EAPCASE_AUDIT_KEY_FILE` (by default var/keys/audit.key, beside the database, never in
it nor in a backup). Never SECRET_KEY: whoever holds a copy of the database and the settings
must still not be able to re-sign a rewritten chain."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_cache: dict[tuple[str, str], bytes] = {}


def _key_file() -> Path:
    return Path(settings.EAPCASE_AUDIT_KEY_FILE)


def audit_key_create(*, say: object = None) -> Path | None:
    """Make the key file when no key is configured (first `migrate`, so first `make run`):
    owner-only from the start. Returns the path made, or None when a key was already there."""
    if settings.EAPCASE_AUDIT_KEY or _key_file().exists():
        return None
    path = _key_file()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(48))
    print(
        f"Created the audit key {path} (owner-only). It signs the audit trail and is not in "
        "the database nor in its backups: keep a copy somewhere else, as you would the "
        "backups themselves; without it the trail cannot be verified.",
        file=sys.stderr,
    )
    return path


def audit_key() -> bytes:
    """The key, read once per (setting, file) and kept."""
    value = str(settings.EAPCASE_AUDIT_KEY or "")
    where = str(settings.EAPCASE_AUDIT_KEY_FILE)
    cached = _cache.get((value, where))
    if cached is not None:
        return cached
    if value:
        key = value
    else:
        try:
            key = Path(where).read_text().strip()
        except FileNotFoundError:
            raise ImproperlyConfigured(
                f"no audit key: set EAPCASE_AUDIT_KEY, or put the key in {where} "
                "(EAPCASE_AUDIT_KEY_FILE); `eapcase migrate` makes one on a new installation"
            ) from None
    if not key:
        raise ImproperlyConfigured("the audit key is empty")
    if key == settings.SECRET_KEY:
        raise ImproperlyConfigured("the audit key must not be SECRET_KEY (ADR 0035)")
    _cache[(value, where)] = key.encode()
    return _cache[(value, where)]
