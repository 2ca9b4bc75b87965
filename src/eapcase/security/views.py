"""Pages of the security app: the second factor (set up, verify, recovery codes), API tokens,
the session's time left, password change and reset (Django's views with the site's templates,
audited). Views read, call a service, and answer; the services write and audit."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from eapcase.accounts.models import User
from eapcase.core import clock
from eapcase.core.errors import NotFound, ServiceError
from eapcase.security import lockout, selectors, services, sessions
from eapcase.security.forms import CodeForm, EnrolForm, TokenForm


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _next(request: HttpRequest) -> str:
    """Where to go after the step: a path on this site, else the home page."""
    target = str(request.POST.get("next") or request.GET.get("next") or "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def _verified(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


# --- the second factor -------------------------------------------------------------------------


def _qr_svg(url: str) -> str:
    # Drawn on the server as inline SVG: no image request, no third-party QR service. Sized by
    # its viewBox only, so that site.css can shrink it to a 320 px window (WCAG 1.4.10).
    return str(
        segno.make(url, error="m").svg_inline(
            scale=5, title="QR code for your authenticator app", svgclass="qr-code", omitsize=True
        )
    )


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: a QR code (and the key to type instead), then a code from
    the app confirms it; the recovery codes are shown once, on the answer to that POST."""
    user = _user(request)
    if services.totp_device_of(user) is not None:
        return render(
            request,
            "security/mfa_status.html",
            {"left": selectors.recovery_codes_left(user), "verified": _verified(request)},
        )
    form = EnrolForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.mfa_enrol(
                user=user,
                code=form.cleaned_data["code"],
                at=clock.now(),
                address=lockout.client_address(request),
            )
        except ServiceError as exc:
            form.add_error("code", exc.message)
            status = 400
        else:
            django_otp.login(request, device)
            request.session.cycle_key()
            return render(
                request,
                "security/recovery_codes.html",
                {"codes": codes, "enrolled": True, "next": _next(request)},
            )
    elif request.method == "POST":
        status = 400
    device = services.mfa_enrolment_start(user=user)
    return render(
        request,
        "security/mfa_setup.html",
        {
            "form": form,
            "qr": _qr_svg(device.config_url),
            "secret": _grouped(selectors.totp_secret(device)),
            "next": _next(request),
            "required": settings.EAPCASE_REQUIRE_MFA,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The step after the password: a code from the app, or a recovery code."""
    user = _user(request)
    if _verified(request):
        return HttpResponseRedirect(_next(request))
    if services.totp_device_of(user) is None:
        query = urlencode({"next": _next(request)})
        return HttpResponseRedirect(f"{reverse('security:mfa_setup')}?{query}")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                verified = services.mfa_verify(
                    user=user,
                    code=form.cleaned_data["code"],
                    at=clock.now(),
                    address=lockout.client_address(request),
                )
            except ServiceError as exc:
                form.add_error("code", exc.message)
            else:
                django_otp.login(request, verified.device)
                # A new session id once fully logged in: an id seen before this step is useless.
                request.session.cycle_key()
                if verified.recovery_code_used:
                    messages.warning(
                        request,
                        f"You used a recovery code; {verified.recovery_codes_left} left. "
                        "Make new ones under Two-step verification if you are running low.",
                    )
                return HttpResponseRedirect(_next(request))
    return render(
        request, "security/mfa_verify.html", {"form": form, "next": _next(request)}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """How many recovery codes are left; POST makes a new set and shows it, once."""
    user = _user(request)
    if services.totp_device_of(user) is None:
        return HttpResponseRedirect(reverse("security:mfa_setup"))
    if not _verified(request):
        query = urlencode({"next": reverse("security:recovery_codes")})
        return HttpResponseRedirect(f"{reverse('security:mfa_verify')}?{query}")
    if request.method == "POST":
        codes = services.recovery_codes_regenerate(
            user=user, at=clock.now(), address=lockout.client_address(request)
        )
        return render(
            request,
            "security/recovery_codes.html",
            {"codes": codes, "enrolled": False, "next": "/"},
        )
    return render(
        request,
        "security/mfa_status.html",
        {"left": selectors.recovery_codes_left(user), "verified": True},
    )


# --- the session -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def session_status(request: HttpRequest) -> HttpResponse:
    """GET: seconds left (does not count as activity). POST: "Stay logged in" (the middleware
    has counted it as activity); without JavaScript it goes back to the page it came from."""
    if not request.user.is_authenticated:
        return JsonResponse({"seconds": 0, "login": settings.LOGIN_URL}, status=401)
    if request.method == "POST":
        sessions.touch(request.session, force=True)
        if "application/json" not in request.headers.get("Accept", ""):
            return HttpResponseRedirect(_next(request))
    left = sessions.remaining(request.session)
    return JsonResponse(
        {
            "seconds": left.seconds,
            "idle_seconds": left.idle_seconds,
            "total_seconds": left.total_seconds,
            "login": settings.LOGIN_URL,
        }
    )


# --- API tokens --------------------------------------------------------------------------------


def _tokens_page(
    request: HttpRequest, form: TokenForm, *, new_key: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "security/tokens.html",
        {
            "form": form,
            "tokens": selectors.token_list(user=_user(request)),
            "new_key": new_key,
            "now": clock.now(),
            "days": settings.EAPCASE_API_TOKEN_DAYS,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens; POST issues one and shows its key on this answer only."""
    if request.method == "GET":
        return _tokens_page(request, TokenForm())
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, key = services.token_issue(
                user=_user(request),
                name=form.cleaned_data["name"],
                read_only=form.cleaned_data["access"] == "read",
                at=clock.now(),
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Token “{token.name}” issued.")
            return _tokens_page(request, TokenForm(), new_key=key)
    return _tokens_page(request, form, status=400)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = services.token_revoke(user=_user(request), token_id=pk, at=clock.now())
    except NotFound as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("security:tokens"), status=303)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return HttpResponseRedirect(reverse("security:tokens"), status=303)


# --- passwords ---------------------------------------------------------------------------------


def _styled(form: Any) -> Any:
    """Django's auth forms, with the site's input style."""
    for field in form.fields.values():
        field.widget.attrs.setdefault("class", "form-control")
    return form


class _Styled:
    def get_form(self, form_class: Any = None) -> Any:
        return _styled(super().get_form(form_class))  # type: ignore[misc]


class PasswordChangeView(_Styled, auth_views.PasswordChangeView):
    template_name = "security/password_change.html"
    success_url = reverse_lazy("security:password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.password_changed_record(
            user=_user(self.request),
            how="change",
            at=clock.now(),
            address=lockout.client_address(self.request),
        )
        return response


class PasswordResetView(_Styled, auth_views.PasswordResetView):
    """The reset link is mailed with the project's mail backend; its address starts with
    `EAPCASE_BASE_URL` (the request's own host could be forged by whoever asks)."""

    template_name = "security/password_reset.html"
    email_template_name = "security/email/password_reset.txt"
    subject_template_name = "security/email/password_reset_subject.txt"
    success_url = reverse_lazy("security:password_reset_done")

    @property
    def extra_email_context(self) -> dict[str, Any]:
        return {"base_url": settings.EAPCASE_BASE_URL}

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        users = list(form.get_users(form.cleaned_data["email"]))
        response = super().form_valid(form)
        services.password_reset_requested_record(
            users=users, address=lockout.client_address(self.request), at=clock.now()
        )
        return response


class PasswordResetConfirmView(_Styled, auth_views.PasswordResetConfirmView):
    template_name = "security/password_reset_confirm.html"
    success_url = reverse_lazy("security:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.password_changed_record(
            user=form.user,
            how="reset",
            at=clock.now(),
            address=lockout.client_address(self.request),
        )
        return response
