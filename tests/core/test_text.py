"""core.text: bidirectional and control characters are replaced for display and mail headers;
everything else is kept exactly."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from eapcase.core.text import REPLACEMENT, header_text, neutralise

BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)]
C0 = [chr(c) for c in range(0x00, 0x20) if chr(c) not in "\t\n"]
C1 = [chr(c) for c in range(0x7F, 0xA0)]


@pytest.mark.parametrize("char", BIDI + C0 + C1, ids=lambda c: f"U+{ord(c):04X}")
def test_each_unsafe_character_is_replaced(char: str) -> None:
    assert neutralise(f"a{char}b") == f"a{REPLACEMENT}b"
    assert header_text(f"a{char}b") == (f"a{REPLACEMENT}b" if char != "\r" else "a b")


def test_the_classic_extension_spoof_is_visible() -> None:
    assert neutralise("notes\u202efdp.exe") == "notes\ufffdfdp.exe"


def test_tab_and_newline_are_kept_for_display_and_spaced_in_headers() -> None:
    assert neutralise("a\tb\nc") == "a\tb\nc"
    assert header_text("Re: a\tb\r\nBcc: x") == "Re: a b  Bcc: x"


def test_names_in_any_script_are_kept() -> None:
    names = "Zoë O\u2019Brien · José Núñez · 王小明 · محمد علي · דוד כהן · Ørsted-Ålund"
    assert neutralise(names) == names == header_text(names)


def test_anything_but_text_is_left_alone() -> None:
    assert neutralise(None) is None
    assert neutralise(3) == 3


@given(st.text())
def test_nothing_unsafe_survives_and_the_length_is_kept(text: str) -> None:
    for out in (neutralise(text), header_text(text)):
        assert len(out) == len(text)
        assert not set(out) & set(BIDI + C0 + C1)
    assert "\n" not in header_text(text) and "\t" not in header_text(text)


@given(st.text(alphabet=st.characters(blacklist_characters=BIDI + C0 + C1)))
def test_safe_text_is_unchanged(text: str) -> None:
    assert neutralise(text) == text


def test_the_template_filter_neutralises_then_escapes() -> None:
    template = Template(
        "{% load eapcase_text %}{{ name|neutralise }}|{{ none|default:'-'|neutralise }}"
    )
    out = template.render(Context({"name": "<b>Al\u202eex</b>", "none": None}))
    assert out == "&lt;b&gt;Al\ufffdex&lt;/b&gt;|-"
