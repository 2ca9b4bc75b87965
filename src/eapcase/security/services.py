"""Writes of the security app, each in one transaction with its audit row: failed logins and
lockouts, the second factor (enrol, verify, recovery codes), API tokens (issue, revoke, use),
passwords changed or reset.

Audit rows hold ids, codes and the client's address, never a password, a code or a token, and
never the username somebody typed unless it names an existing user (then the user's id)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from eapcase.accounts.models import User
from eapcase.audit.services import audit_record
from eapcase.core.errors import NotFound, ServiceError
from eapcase.security.models import ApiToken

RECOVERY_CODES = 10
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed
_CODE_LENGTH = 16  # 16 characters of 31: 79 bits, beyond guessing even from a stolen digest
TOKEN_TOUCH = timedelta(minutes=1)  # last-used time is kept to the minute: one write a minute

# --- logins and lockouts -----------------------------------------------------------------------


def _known_user(username: str | None) -> User | None:
    if not username:
        return None
    return User.objects.filter(username=username).first()


def login_failure_record(
    *,
    username: str | None,
    address: str | None,
    locked_out: bool,
    lockout_began: bool,
    at: datetime,
) -> None:
    """One failed password (and, when it was the one too many, the lockout it began). The
    username typed is only kept as the id of the user it names: a mistyped username is often
    the password."""
    with transaction.atomic():
        user = _known_user(username)
        data: dict[str, Any] = {"address": address or "", "locked_out": locked_out}
        audit_record(
            address=address, actor=None, action="auth.login_failed", at=at, obj=user, data=data
        )
        if lockout_began:
            audit_record(
                address=address,
                actor=None,
                action="auth.locked_out",
                at=at,
                obj=user,
                data={
                    "address": address or "",
                    "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
                },
            )


def password_changed_record(
    *, user: User, how: str, at: datetime, address: str | None = None
) -> None:
    """A password changed by its user (`how` = "change") or through a reset link ("reset")."""
    with transaction.atomic():
        audit_record(address=address, actor=user, action=f"auth.password_{how}", at=at, obj=user)


def password_reset_requested_record(
    *, users: list[User], address: str | None, at: datetime
) -> None:
    """A reset link asked for; one row per account it was mailed to (none for an unknown
    address, which gets the same page)."""
    with transaction.atomic():
        for user in users:
            audit_record(
                address=address,
                actor=None,
                action="auth.password_reset_requested",
                at=at,
                obj=user,
                data={"address": address or ""},
            )


# --- the second factor -------------------------------------------------------------------------


def recovery_code_digest(code: str) -> str:
    """What is stored for a recovery code (django-otp's StaticToken holds 16 characters): the
    first 16 hex digits of its SHA-256, so the database never holds a usable code."""
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()[:16]


def _new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _CODE_LENGTH, 4)))
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = _new_recovery_codes()
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=recovery_code_digest(code)) for code in codes]
    )
    return codes


def totp_device_of(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if they enrolled one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def mfa_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator the enrolment page shows (the same one on a reload, so a
    code from the app already scanned still fits)."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        return device


def mfa_enrol(
    *, user: User, code: str, at: datetime, address: str | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator app by a code it shows; returns the device and the recovery
    codes (shown once, stored only as digests)."""
    with transaction.atomic():
        if totp_device_of(user) is not None:
            raise ServiceError("You have already set up an authenticator app.", field="code")
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            raise ServiceError("Start again: open the set-up page for a new QR code.", field="code")
        allowed, _ = device.verify_is_allowed()
        if not allowed or not device.verify_token(code.strip().replace(" ", "")):
            audit_record(
                address=address,
                actor=user,
                action="mfa.failed",
                at=at,
                obj=device,
                data={"step": "enrol", "throttled": not allowed},
            )
            verified = False
        else:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            codes = _replace_recovery_codes(user)
            audit_record(address=address, actor=user, action="mfa.enrolled", at=at, obj=device)
            verified = True
    if not verified:
        # Raised after the block, so the failure's audit row (and the throttle) are kept.
        raise ServiceError(
            "That code did not match (after a wrong code, wait a few seconds before the next "
            "try). Check the app's clock and try again.",
            field="code",
        )
    return device, codes


@dataclass(frozen=True)
class Verified:
    device: TOTPDevice | StaticDevice
    recovery_code_used: bool
    recovery_codes_left: int


def mfa_verify(*, user: User, code: str, at: datetime, address: str | None = None) -> Verified:
    """Check a code from the authenticator app, or one recovery code (used up by this)."""
    typed = code.strip().replace(" ", "")
    result: Verified | None = None
    with transaction.atomic():
        totp = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        static = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if totp is not None and typed.isdigit() and totp.verify_token(typed):
            audit_record(address=address, actor=user, action="mfa.verified", at=at, obj=totp)
            result = Verified(totp, False, static.token_set.count() if static else 0)
        elif (
            static is not None
            and not typed.isdigit()
            and static.verify_token(recovery_code_digest(typed))
        ):
            left = static.token_set.count()
            audit_record(
                address=address,
                actor=user,
                action="mfa.recovery_code_used",
                at=at,
                obj=static,
                data={"left": left},
            )
            result = Verified(static, True, left)
        if result is None:
            # django-otp slows guessing down: after each wrong code a device refuses every code
            # for a doubling number of seconds (OTP_*_THROTTLE_FACTOR).
            device = totp if typed.isdigit() else static
            throttled = device is not None and not device.verify_is_allowed()[0]
            audit_record(
                address=address,
                actor=user,
                action="mfa.failed",
                at=at,
                obj=totp or static,
                data={"step": "login", "throttled": throttled},
            )
    if result is None:
        raise ServiceError(
            "That code did not match. After a wrong code, wait a few seconds before the next "
            "try; or use a recovery code.",
            field="code",
        )
    return result


def recovery_codes_regenerate(*, user: User, at: datetime, address: str | None = None) -> list[str]:
    """New recovery codes; the old ones stop working."""
    with transaction.atomic():
        if totp_device_of(user) is None:
            raise ServiceError("Set up an authenticator app first.", field=None)
        codes = _replace_recovery_codes(user)
        audit_record(
            address=address, actor=user, action="mfa.recovery_codes_regenerated", at=at, obj=user
        )
    return codes


# --- API tokens --------------------------------------------------------------------------------


def token_digest(key: str) -> str:
    """Tokens are 256 random bits: a plain SHA-256 is enough to keep them (no salt or slow hash
    is needed for a secret nobody chose), and it can be looked up directly."""
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(
    *, user: User, name: str, read_only: bool, at: datetime, days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for the user's integration; returns the row and the key (never stored)."""
    name = name.strip()
    if not name:
        raise ServiceError("Give the token a name, to recognise it later.", field="name")
    if len(name) > 80:
        raise ServiceError("At most 80 characters.", field="name")
    lifetime = days if days is not None else settings.EAPCASE_API_TOKEN_DAYS
    if lifetime < 1:
        raise ServiceError("A token lasts at least one day.", field="days")
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=key[:8],
            digest=token_digest(key),
            read_only=read_only,
            created_at=at,
            expires_at=at + timedelta(days=lifetime),
        )
        audit_record(
            actor=user,
            action="token.issued",
            at=at,
            obj=token,
            data={"read_only": read_only, "expires_at": token.expires_at.isoformat()},
        )
    return token, key


def token_revoke(*, user: User, token_id: int, at: datetime) -> ApiToken:
    """Revoke one of the user's own tokens (another user's is NotFound, like a missing one)."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
        if token is None:
            raise NotFound("No such token.", field="token")
        if token.revoked_at is None:
            token.revoked_at = at
            token.save(update_fields=["revoked_at"])
            audit_record(actor=user, action="token.revoked", at=at, obj=token)
    return token


def token_for_key(*, key: str, at: datetime) -> tuple[ApiToken | None, str]:
    """The usable token with this key (its user loaded), recording when it was last used; or
    None and why not (unknown, expired, revoked, the user deactivated)."""
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
    if token is None:
        return None, "Invalid token."
    if token.revoked_at is not None:
        return None, "This token was revoked."
    if at >= token.expires_at:
        return None, "This token has expired: issue a new one at /accounts/tokens/."
    if not token.user.is_active:
        return None, "Invalid token."
    if token.last_used_at is None or at - token.last_used_at >= TOKEN_TOUCH:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=at)
        token.last_used_at = at
    return token, ""


# --- signing in and out ------------------------------------------------------------------------


def sign_in_record(*, user: User, address: str | None, at: datetime) -> None:
    """A password accepted (the second factor, when asked for, is its own row)."""
    with transaction.atomic():
        audit_record(address=address, actor=user, action="auth.login", at=at, obj=user)


def sign_out_record(*, user: User, address: str | None, at: datetime, how: str) -> None:
    """A session ended: by its user ("logout") or by the session limits ("expired")."""
    with transaction.atomic():
        audit_record(
            address=address, actor=user, action="auth.logout", at=at, obj=user, data={"how": how}
        )
