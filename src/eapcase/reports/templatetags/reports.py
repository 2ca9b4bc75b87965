"""Filters of the report pages: figures in words."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key, "")


@register.filter
def attr_of(obj: Any, name: str) -> Any:
    return getattr(obj, name, "")


@register.filter
def split(text: str) -> list[str]:
    return text.split()


@register.filter
def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.1f}%"


@register.filter
def duration(seconds: float | None) -> str:
    """`3 h 20 min`, `2 d 4 h` (days of 24 hours), `-` when there is nothing to measure."""
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
