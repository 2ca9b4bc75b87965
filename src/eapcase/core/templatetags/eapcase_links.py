"""`{{ path|absolute }}`: a path as the absolute link every mail carries (core.links)."""

from __future__ import annotations

from django import template

from eapcase.core.links import absolute_url

register = template.Library()


@register.filter
def absolute(path: object) -> str:
    return absolute_url(str(path))
