"""Django's file mail backend (what `make run` uses without an SMTP server), writing owner-only:
the files under var/mail/ are whole messages about cases."""

from __future__ import annotations

import os
from typing import Any

from django.core.mail.backends.filebased import EmailBackend


class PrivateFileEmailBackend(EmailBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        os.chmod(self.file_path, 0o700)  # type: ignore[attr-defined]

    def open(self) -> bool:
        if self.stream is None:
            # Opened with mode 0600 (not just the umask): no moment in which others could read.
            fd = os.open(self._get_filename(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self.stream = os.fdopen(fd, "ab")
            os.chmod(self._get_filename(), 0o600)
            return True
        return False
