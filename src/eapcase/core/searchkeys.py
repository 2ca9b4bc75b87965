"""Search keys: the normalised forms of a participant's name, phone, email and employee number
that search compares (docs/adr/0039-search.md). The same function turns a stored value into its
key when the row is written and a typed query into the key it is looked up by, so both sides
always agree, on SQLite and on PostgreSQL alike (neither database's LOWER or LIKE folds accents,
and SQLite's folds only ASCII case).

- `name_key("Zoë  O'Brien-Smith")` -> `"zoe o brien smith"`: case-folded, accents dropped,
  anything but letters and digits one space.
- `phone_key("+44 (0)7700 900123")` -> `"447700900123"`: digits only, an international `00`
  and a trunk `0` at the front dropped. `phone_tail` is its last `TAIL` digits: a number
  typed with or without its country code ends the same way, so the tail is what an index
  finds and the whole key what confirms it (`phone_candidates`).
- `email_key` lower-cases and trims; `employee_key` upper-cases and drops spaces and hyphens.
"""

from __future__ import annotations

import re
import unicodedata

#: How many trailing digits of a phone number the index holds: a national number without its
#: trunk 0 is 9 or 10 digits in most of the countries served.
TAIL = 9
#: Fewer digits than this are not a phone number worth looking up.
PHONE_MIN_DIGITS = 6

_NOT_WORD = re.compile(r"[^0-9a-z]+")
_PHONE_TYPED = re.compile(r"[0-9\s+().\-/]+")
_UNSPLIT = {ord(k): v for k, v in {"ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe"}.items()}


def name_key(*names: str) -> str:
    text = " ".join(n for n in names if n)
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    # The letters that NFKD does not split into a base and an accent.
    plain = plain.translate(_UNSPLIT)
    return _NOT_WORD.sub(" ", plain).strip()


def phone_key(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    # "+44 (0)20 ..." writes the trunk 0 inside the international form.
    if "(0)" in (phone or "").replace(" ", ""):
        before, _, after = phone.replace(" ", "").partition("(0)")
        digits = re.sub(r"\D", "", before) + re.sub(r"\D", "", after)
    if digits.startswith("00"):
        digits = digits[2:]
    return digits.lstrip("0")


def phone_tail(phone: str) -> str:
    return phone_key(phone)[-TAIL:]


def email_key(email: str) -> str:
    return (email or "").strip().lower()


def employee_key(number: str) -> str:
    return re.sub(r"[\s\-]+", "", number or "").upper()


def looks_like_phone(query: str) -> bool:
    """Whether a query is a phone number as people type one."""
    query = query.strip()
    return bool(_PHONE_TYPED.fullmatch(query)) and (
        sum(c.isdigit() for c in query) >= PHONE_MIN_DIGITS
    )


def phone_candidates(query: str) -> tuple[str, list[str]]:
    """The tail to look up and the whole keys that count as the same number: the key itself
    and each shorter ending of it still at least `TAIL` digits long (the query carried a
    country code the stored number lacks). A stored key that ends with the query's key (the
    stored number carries a country code the query lacks) is matched with `endswith`."""
    key = phone_key(query)
    if len(key) < TAIL:
        return "", [key]
    return key[-TAIL:], [key[i:] for i in range(len(key) - TAIL + 1)]
