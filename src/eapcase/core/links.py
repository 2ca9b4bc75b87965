"""Absolute links for mail: a page's path joined to `EAPCASE_BASE_URL` (never the request's
host, which whoever asks could forge, and a worker has no request at all)."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """`/cases/EAP-10001/` -> `https://eapcase.example.org/cases/EAP-10001/`."""
    base = str(settings.EAPCASE_BASE_URL).rstrip("/")
    return f"{base}/{path.lstrip('/')}"
