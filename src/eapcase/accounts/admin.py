"""Admin for users and memberships; the admin site is for WPO admins only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.http import HttpRequest

from eapcase.accounts.choices import Role
from eapcase.accounts.models import Membership, User
from eapcase.accounts.standing import standing_of
from eapcase.audit.services import audit_record
from eapcase.core import clock
from eapcase.core.clients import client_address


def _wpo_admin_only(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and Role.WPO_ADMIN in standing_of(user).wpo_roles)


admin.site.has_permission = _wpo_admin_only  # type: ignore[method-assign]
admin.site.site_header = "eapcase reference data"
admin.site.site_title = "eapcase admin"


class WpoAdminPermissions:
    """Every permission follows from being a WPO admin, not from Django's per-model flags."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _wpo_admin_only(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _wpo_admin_only(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _wpo_admin_only(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _wpo_admin_only(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _wpo_admin_only(request)


def _changed_fields(message: Any) -> list[str]:
    """The field names of an admin change message (never the values)."""
    names: list[str] = []
    for part in message if isinstance(message, list) else []:
        for kind in ("added", "changed", "deleted"):
            detail = part.get(kind) if isinstance(part, dict) else None
            if isinstance(detail, dict):
                names.extend(str(f) for f in detail.get("fields", []))
                if "object" in detail:
                    names.append(f"{kind} {detail.get('name', '')}".strip())
    return names


class AuditedAdmin:
    """Every change made in the admin (users, memberships and so roles, organisations,
    procedures, house settings) is a row of the audit chain, in the admin's own transaction,
    beside Django's LogEntry (ADR 0035). Names the model, the object's id and the changed
    fields, never their values."""

    def _audit(self, request: HttpRequest, obj: Any, how: str, message: Any = None) -> None:
        data: dict[str, Any] = {"model": obj._meta.label}
        if message is not None:
            data["fields"] = _changed_fields(message)
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action=f"admin.{how}",
                at=clock.now(),
                obj=obj,
                data=data,
                address=client_address(request),
            )

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit(request, obj, "added", message)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        self._audit(request, obj, "changed", message)
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._audit(request, obj, "deleted")
        return super().log_deletions(request, queryset)  # type: ignore[misc]


class WpoAdminModelAdmin(AuditedAdmin, WpoAdminPermissions, admin.ModelAdmin[Any]):
    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """The delete page names only what is being deleted and counts, by kind, what goes
        with it: the rows hanging off reference data are case content (participants, cases,
        emails), which a WPO admin does not read (ADR 0010; found by ADR 0037's matrix)."""
        _, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        named = [str(obj) for obj in objs]
        kept = [f"{len(protected)} related records"] if protected else []
        return named, model_count, perms_needed, kept


class WpoAdminTabularInline(WpoAdminPermissions, admin.TabularInline[Any, Any]):
    pass


class WpoAdminStackedInline(WpoAdminPermissions, admin.StackedInline[Any, Any]):
    pass


class MembershipInline(WpoAdminTabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(WpoAdminModelAdmin, BaseUserAdmin[User]):
    inlines = [MembershipInline]
    list_display = ("username", "first_name", "last_name", "email", "is_active")
