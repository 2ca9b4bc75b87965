"""The work queue's and WPO's rows drawn in Python (web/templatetags/eapcase_work.py): their
`_html` escapes exactly as Django's `format_html`, whatever the value."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from eapcase.web.templatetags.eapcase_work import _html, select_options

VALUES: list[Any] = [
    "plain",
    "<script>alert('x')</script>",
    "quote \" and apostrophe ' & ampersand",
    mark_safe("<b>kept</b>"),
    SafeString("&amp; already"),
    42,
    3.5,
    None,
    "",
    gettext_lazy("lazy <text>"),
    "ünïcödé · —",
]


@pytest.mark.parametrize("value", VALUES)
def test_html_escapes_as_format_html(value: Any) -> None:
    template = '<td class="{}">{}</td>'
    ours = _html(template, value, value)
    assert ours == format_html(template, value, value)
    assert isinstance(ours, SafeString)


def test_select_options_are_format_html_joins() -> None:
    choices = [(1, "one"), ("<2>", "two & more"), ("3", mark_safe("<i>three</i>"))]
    expected = format_html_join(
        "\n",
        '<option value="{}"{}>{}</option>',
        ((v, " selected" if str(v) == "<2>" else "", label) for v, label in choices),
    )
    assert select_options(choices, "<2>") == expected
    assert 'value="&lt;2&gt;" selected' in select_options(choices, "<2>")
