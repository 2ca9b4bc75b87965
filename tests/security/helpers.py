"""Helpers of the security tests: codes an authenticator app would show."""

from __future__ import annotations

import time
from typing import Any

from django_otp.oath import TOTP


def totp_code(device: Any, *, offset_steps: int = 0) -> str:
    """The six digits the user's app shows now (time travel included), as the app computes
    them from the device's key."""
    totp = TOTP(bytes(device.bin_key), step=device.step, t0=device.t0, digits=device.digits)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"
