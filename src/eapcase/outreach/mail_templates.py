"""The words of the mail a clinician sends a participant from the case: the default subject and
body of each kind, the placeholders a client organisation's own template may use, and their
rendering.

Templates are edited by WPO admins, so they are not Django templates (which could reach any
attribute of what they are given): a placeholder is `{{ name }}` with a name from
`PLACEHOLDERS`, replaced by plain text; anything else is refused when the template is saved.
No placeholder carries clinical detail: the participant's preferred name, their client
organisation's access line for their country, the Partner's and the client's names, the case
reference and (in a reply) the participant's own subject line."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError

ACKNOWLEDGEMENT = "acknowledgement"
DETAILED = "detailed"

PLACEHOLDERS: dict[str, str] = {
    "preferred_name": "the name the participant asked to be called",
    "access_line": "the client's access line for the participant's country, with its hours",
    "access_line_number": "that line's number alone",
    "client_name": "the participant's client organisation",
    "partner_name": "the Partner's name",
    "reference": "the case reference",
    "their_subject": "the subject of the participant's email (acknowledgements only)",
}
_ONLY_FOR = {"their_subject": ACKNOWLEDGEMENT}

DEFAULTS: dict[str, tuple[str, str]] = {
    ACKNOWLEDGEMENT: (
        "Re: {{ their_subject }}",
        "Hello {{ preferred_name }},\n\n"
        "Thank you for your email. We have received it and a member of the "
        "{{ partner_name }} team will respond as soon as possible.\n\n"
        "If you need to speak to someone sooner, please call {{ access_line }}.\n\n"
        "Please keep the reference {{ reference }} in the subject line of any reply.\n\n"
        "{{ partner_name }}\n",
    ),
    DETAILED: (
        "We tried to contact you",
        "Hello {{ preferred_name }},\n\n"
        "We tried to contact you about your Employee Assistance Programme enquiry but were "
        "not able to reach you.\n\n"
        "Please call {{ access_line }} and quote the reference {{ reference }}, or reply to "
        "this email with a time and telephone number that suit you.\n\n"
        "{{ partner_name }}\n",
    ),
}

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_BRACES = re.compile(r"\{\{|\}\}|\{%|%\}")


def placeholders_check(kind: str, *, subject: str, body: str) -> None:
    """ValidationError naming the field with a placeholder that is not offered for `kind`."""
    errors: dict[str, str] = {}
    for field, text in (("subject", subject), ("body", body)):
        unknown = sorted(
            {
                name
                for name in _PLACEHOLDER.findall(text)
                if name not in PLACEHOLDERS or _ONLY_FOR.get(name, kind) != kind
            }
        )
        if unknown:
            errors[field] = f"unknown placeholder {', '.join(unknown)}; offered: " + ", ".join(
                n for n in PLACEHOLDERS if _ONLY_FOR.get(n, kind) == kind
            )
        elif _BRACES.search(_PLACEHOLDER.sub("", text)):
            errors[field] = "a placeholder is written {{ name }}"
    if errors:
        raise ValidationError(errors)


def render(text: str, values: Mapping[str, str]) -> str:
    """`text` with each known placeholder replaced by its value (plain text, inserted as is)."""
    return _PLACEHOLDER.sub(lambda found: values.get(found.group(1), ""), text)
