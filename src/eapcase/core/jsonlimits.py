"""How deep a JSON document nests, found without parsing it.

Python's `json` parser recurses once per level, so a body of a few thousand `[` ends in a
RecursionError (a 500) before any check of ours runs, and everything that walks the parsed
value afterwards recurses again. `nesting_depth` counts the brackets outside strings with two
regular expressions (no recursion, linear in the size) so a parser can refuse a document that
is too deep before `json.loads` sees it."""

from __future__ import annotations

import re

# A JSON string: the quotes, and between them anything but a quote or a backslash, or a
# backslash and the character it escapes (the "unrolled loop" form: linear, no backtracking).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")

#: Deeper than any document eapcase takes (an event body nests three levels).
MAX_JSON_DEPTH = 32


def nesting_depth(text: str, *, stop_above: int | None = None) -> int:
    """The deepest nesting of arrays and objects in `text` (brackets inside strings do not
    count). With `stop_above`, counting stops once that depth is passed. Malformed text gets a
    number too; the parser refuses it afterwards."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    break
        else:
            depth -= 1
    return deepest


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `text` nests arrays and objects deeper than `limit`."""
    if text.count("[") + text.count("{") <= limit:
        return False  # too few brackets to nest deeper: the common case, without the scan
    return nesting_depth(text, stop_above=limit) > limit
