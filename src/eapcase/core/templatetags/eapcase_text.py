"""`{{ value|neutralise }}`: outside text (names, subjects, file names) with its bidirectional
and control characters made harmless (eapcase.core.text). Django escapes it as usual after."""

from __future__ import annotations

from django import template

from eapcase.core.text import neutralise as _neutralise

register = template.Library()


@register.filter
def neutralise(value: object) -> object:
    return _neutralise(value)
