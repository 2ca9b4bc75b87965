"""Admin of the outreach app: the mail templates of each client organisation (WPO admins)."""

from django.contrib import admin

from eapcase.accounts.admin import WpoAdminModelAdmin
from eapcase.outreach.mail_templates import PLACEHOLDERS
from eapcase.outreach.models import MailTemplate


@admin.register(MailTemplate)
class MailTemplateAdmin(WpoAdminModelAdmin):
    list_display = ("client", "kind", "subject")
    list_filter = ("kind",)
    search_fields = ("client__name",)

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, change, **kwargs)
        offered = "; ".join(f"{{{{ {name} }}}}: {what}" for name, what in PLACEHOLDERS.items())
        form.base_fields["body"].help_text = (
            f"Placeholders: {offered}. A client without a template gets the default words. "
            "Never put clinical detail in a template."
        )
        return form
