"""Admin for users and memberships; the admin site is for WPO admins only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from eapcase.accounts.choices import Role
from eapcase.accounts.models import Membership, User
from eapcase.accounts.standing import standing_of


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


class WpoAdminModelAdmin(WpoAdminPermissions, admin.ModelAdmin[Any]):
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
