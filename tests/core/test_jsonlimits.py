"""core.jsonlimits: the nesting depth of a JSON text, brackets inside strings not counted,
without recursion (so far deeper than Python's recursion limit)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from eapcase.core.jsonlimits import MAX_JSON_DEPTH, nesting_depth, too_deep


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@given(JSON)
def test_the_depth_is_that_of_the_parsed_value(value: object) -> None:
    assert nesting_depth(json.dumps(value)) == _depth(value)
    assert nesting_depth(json.dumps(value, ensure_ascii=False)) == _depth(value)


def test_brackets_and_escaped_quotes_inside_strings_do_not_count() -> None:
    assert nesting_depth(json.dumps({"a": '[[{{"\\"]]', "b": ['x\\"[[']})) == 2


def test_far_deeper_than_the_recursion_limit() -> None:
    text = "[" * 1_000_000 + "]" * 1_000_000
    assert nesting_depth(text) == 1_000_000
    assert too_deep(text)


def test_the_limit() -> None:
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert not too_deep(at_limit)
    assert too_deep("[" + at_limit + "]")
    assert not too_deep('{"a": [1, 2, {"b": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]}')
