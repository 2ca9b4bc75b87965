"""Text from outside (participants' names, email subjects, file names, provider names) made
safe to show and to put in a mail header.

Bidirectional controls (U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates,
U+200E/U+200F and U+061C marks) reorder what a reader sees: "notes\u202efdp.exe" shows as
"notesexe.pdf". C0 and C1 control characters are invisible or break a line. `neutralise`
replaces each of them with U+FFFD (the replacement character: a reader sees that something was
there) and keeps tab and newline; `header_text` also turns tab and newline into a space, for
mail headers. The stored value is never changed: it is evidence of what was received."""

from __future__ import annotations

import re
from typing import overload

REPLACEMENT = "\ufffd"

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 without tab (09) and newline (0A); DEL; C1.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_UNSAFE = re.compile(f"[{_BIDI}{_CONTROLS}]")
_UNSAFE_IN_HEADER = re.compile(f"[{_BIDI}{_CONTROLS}]|[\t\n]")


@overload
def neutralise(value: str) -> str: ...
@overload
def neutralise(value: object) -> object: ...
def neutralise(value: object) -> object:
    """`value` with its bidirectional and control characters replaced (tab and newline kept);
    anything but a string (None, a number) unchanged, so a template's `default` still works."""
    if not isinstance(value, str):
        return value
    return _UNSAFE.sub(REPLACEMENT, value)


def header_text(value: str) -> str:
    """`value` for a mail header: bidirectional and control characters replaced, tab, newline
    and carriage return as one space each (a header is one line)."""
    return _UNSAFE_IN_HEADER.sub(lambda m: " " if m.group() in "\t\n\r" else REPLACEMENT, value)
