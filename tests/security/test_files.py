"""Files at rest under var/: the SQLite database and its -wal and -shm, the secret key, the demo
password, uploads (case notes, mail attachments) and mail files are readable by their owner
only, in folders only the owner can enter. Run in a fresh process with its own var/, as
`make run` and the worker start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, os, stat, sys
from pathlib import Path
import django
django.setup()
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import connection
from eapcase.web.demo.password import demo_password

with connection.cursor() as cursor:  # the database, in WAL mode: -wal and -shm appear
    cursor.execute("CREATE TABLE probe (x integer)")
    cursor.execute("INSERT INTO probe VALUES (1)")
demo_password()
default_storage.save("case-notes/2026/03/note.pdf", ContentFile(b"%PDF-1.4 note"))
default_storage.save("intake/attachments/2026/03/letter.txt", ContentFile(b"attached"))
EmailMessage("Subject", "Body", "a@example.test", ["b@example.test"]).send()
var = Path(settings.VAR_DIR)
modes = {
    str(path.relative_to(var)) or ".": oct(stat.S_IMODE(path.stat().st_mode))
    for path in [var, *var.rglob("*")]
}
print(json.dumps({"backend": settings.EMAIL_BACKEND, "modes": modes}))
"""


def _run(var: Path) -> dict[str, object]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EAPCASE_", "DATABASE_URL", "SECRET_KEY", "EMAIL_"))
    }
    environment.update(
        EAPCASE_VAR_DIR=str(var),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        DJANGO_SETTINGS_MODULE="eapcase.config.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_everything_under_var_is_the_owners_only(tmp_path: Path) -> None:
    var = tmp_path / "var"
    found = _run(var)
    modes = dict(found["modes"])  # type: ignore[call-overload]
    mail = [name for name in modes if name.startswith("mail/")]
    assert found["backend"] == "eapcase.security.mail.PrivateFileEmailBackend"
    assert len(mail) == 1
    assert {name: modes[name] for name in modes if not name.startswith("static")} == {
        ".": "0o700",
        "secret_key": "0o600",
        "demo_password": "0o600",
        "eapcase.sqlite3": "0o600",
        "eapcase.sqlite3-wal": "0o600",
        "eapcase.sqlite3-shm": "0o600",
        "media": "0o700",
        "media/case-notes": "0o700",
        "media/case-notes/2026": "0o700",
        "media/case-notes/2026/03": "0o700",
        "media/case-notes/2026/03/note.pdf": "0o600",
        "media/intake": "0o700",
        "media/intake/attachments": "0o700",
        "media/intake/attachments/2026": "0o700",
        "media/intake/attachments/2026/03": "0o700",
        "media/intake/attachments/2026/03/letter.txt": "0o600",
        "mail": "0o700",
        mail[0]: "0o600",
    }


def test_files_from_before_are_tightened(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    for name in ("eapcase.sqlite3", "secret_key"):
        (var / name).write_text("" if name.endswith("sqlite3") else "an-old-secret-key-" * 4)
        (var / name).chmod(0o644)
    var.chmod(0o755)
    modes = dict(_run(var)["modes"])  # type: ignore[call-overload]
    assert (modes["."], modes["eapcase.sqlite3"], modes["secret_key"]) == (
        "0o700",
        "0o600",
        "0o600",
    )
