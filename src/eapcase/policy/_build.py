"""Faster construction of the frozen slotted dataclasses that the reader and the engine build
by the million."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

__all__ = ["fast_init"]

T = TypeVar("T")


def fast_init(cls: type[T]) -> type[T]:
    """Give a frozen slotted dataclass an `__init__` that fills its slots directly.

    The `__init__` dataclasses writes for a frozen class assigns each field through
    `object.__setattr__` (to get past the frozen `__setattr__`), which makes construction
    about 1.7 times slower than setting the slots through their descriptors, as this one
    does. Same signature, defaults and result (equal, hashable, still frozen). Apply it on
    top of `@dataclass(frozen=True, slots=True)`; classes with `__post_init__`, factories,
    keyword-only or non-init fields are refused rather than half supported."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in vars(cls):
        raise TypeError(f"{cls.__name__} is not a frozen slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __post_init__")
    namespace: dict[str, Any] = {}
    arguments: list[str] = []
    lines: list[str] = []
    for index, spec in enumerate(dataclasses.fields(cls)):  # type: ignore[arg-type]
        if not spec.init or spec.kw_only or spec.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{spec.name}: unsupported field options")
        namespace[f"_set{index}"] = vars(cls)[spec.name].__set__
        if spec.default is dataclasses.MISSING:
            arguments.append(spec.name)
        else:
            namespace[f"_default{index}"] = spec.default
            arguments.append(f"{spec.name}=_default{index}")
        lines.append(f"    _set{index}(self, {spec.name})\n")
    source = f"def __init__(self, {', '.join(arguments)}):\n{''.join(lines) or '    pass'}\n"
    # Generated from the class's own field names, as dataclasses generates __init__ itself.
    exec(source, namespace)  # noqa: S102
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    setattr(cls, "__init__", init)  # noqa: B010 - mypy forbids assigning a method
    return cls
