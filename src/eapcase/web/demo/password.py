"""The demo password: EAPCASE_DEMO_PASSWORD when set, else one generated on first use and kept
in `<VAR_DIR>/demo_password` (readable by the owner only) so later loads and `--logins` agree."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings

ENV = "EAPCASE_DEMO_PASSWORD"


def password_file() -> Path:
    return Path(settings.VAR_DIR) / "demo_password"


def demo_password() -> str:
    from_env = os.environ.get(ENV, "")
    if from_env:
        return from_env
    path = password_file()
    if path.exists():
        kept = path.read_text(encoding="utf-8").strip()
        if kept:
            return kept
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    # Created with 0600 from the start: no window in which another user could read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password + "\n")
    path.chmod(0o600)
    return password
