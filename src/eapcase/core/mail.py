"""How our mail names a case, shared by everything that sends mail and by intake, which links
replies by it."""

from __future__ import annotations


def subject_tag(reference: str) -> str:
    """The case tag of every subject we send: `[EAP-<ref>]`, without doubling the prefix of
    references that already start with it (`EAP-10001` -> `[EAP-10001]`, `C3` -> `[EAP-C3]`)."""
    return f"[{reference}]" if reference.startswith("EAP-") else f"[EAP-{reference}]"
