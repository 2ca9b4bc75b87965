"""core.searchkeys: a stored value and a typed query reach the same key."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from eapcase.core import searchkeys


def test_names_fold_case_and_accents_and_punctuation() -> None:
    assert searchkeys.name_key("Zoë  O'Brien-Smith", "") == "zoe o brien smith"
    assert searchkeys.name_key("JOSÉ Łukasz", "Søren") == "jose lukasz soren"
    assert searchkeys.name_key("Straße") == "strasse"


def test_phone_numbers_reduce_to_their_digits_without_prefixes() -> None:
    for typed in ("+44 7700 900123", "0044 7700 900123", "+44 (0)7700 900 123", "447700900123"):
        assert searchkeys.phone_key(typed) == "447700900123"
    assert searchkeys.phone_key("07700 900123") == "7700900123"
    assert searchkeys.phone_tail("+44 7700 900123") == "700900123"
    assert searchkeys.phone_tail("07700-900-123") == "700900123"


def test_a_phone_query_names_its_tail_and_the_numbers_it_may_be() -> None:
    tail, keys = searchkeys.phone_candidates("+44 7700 900123")
    assert tail == "700900123"
    assert keys == ["447700900123", "47700900123", "7700900123", "700900123"]
    assert searchkeys.phone_candidates("12 34 56") == ("", ["123456"])


def test_what_looks_like_a_phone_number() -> None:
    assert searchkeys.looks_like_phone("+44 (0)20 7946 0000")
    assert not searchkeys.looks_like_phone("EAP-10148")
    assert not searchkeys.looks_like_phone("123")


def test_emails_and_employee_numbers() -> None:
    assert searchkeys.email_key("  Anna.Smith@Example.ORG ") == "anna.smith@example.org"
    assert searchkeys.employee_key("ab-123 45") == "AB12345"


@given(st.text(max_size=40))
def test_a_key_is_its_own_key(text: str) -> None:
    """Searching for a stored key finds it: normalising twice changes nothing."""
    name = searchkeys.name_key(text)
    assert searchkeys.name_key(name) == name
    phone = searchkeys.phone_key(text)
    assert searchkeys.phone_key(phone) == phone
