"""intake/parsing.py on the .eml fixtures and a few built messages: no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from eapcase.intake.parsing import (
    AUTO_REPLY,
    BOUNCE,
    html_to_text,
    normalise_message_id,
    parse_message,
    safe_filename,
)
from tests.intake.conftest import eml

pytestmark = pytest.mark.nodb


def test_a_plain_participant_email() -> None:
    m = parse_message(eml("plain_participant.eml"))
    assert (m.message_id, m.subject, m.from_address, m.from_name, m.to) == (
        "<plain-1@mail.example.test>",
        "Re: [EAP-10001] My appointment next week",
        "alex.jones@example.test",
        "Alex Jones",
        ("cases@p-uk.example.test",),
    )
    assert m.date == datetime(2026, 3, 2, 9, 58, 41, tzinfo=UTC)
    assert m.body == (
        "Hello,\n\nCould we move my appointment to Thursday afternoon? I am not able to\n"
        "make Tuesday any more.\n\nThanks,\nAlex"
    )
    assert (m.urgent, m.automatic, m.attachments, m.error) == (False, "", (), "")


def test_a_forwarded_thread_keeps_the_forwarded_message_readable_and_attached() -> None:
    m = parse_message(eml("forwarded_thread.eml"))
    assert (m.from_address, m.in_reply_to, m.references) == (
        "sam.clinician@wpo.example.test",
        "<original-7@mail.example.test>",
        ("<start-1@wpo.example.test>", "<original-7@mail.example.test>"),
    )
    assert m.body == (
        "Please contact the participant below today; they prefer evenings.\n\nSam\n\n"
        "> On Sun, 1 Mar 2026, Alex Jones wrote:\n"
        "> I have been struggling at work and would like to talk to a counsellor.\n\n"
        "---------- Forwarded message ----------\n"
        "From: Alex Jones <alex.jones@example.test>\n"
        "Date: Sun, 01 Mar 2026 21:14:03 +0000\n"
        "Subject: Need to talk to someone\n"
        "To: Wellbeing Partners <support@wpo.example.test>\n\n"
        "I have been struggling at work and would like to talk to a counsellor.\n"
        "Evenings are best for me."
    )
    (forwarded,) = m.attachments
    assert (forwarded.filename, forwarded.content_type) == (
        "forwarded-message-1.eml",
        "message/rfc822",
    )
    assert forwarded.content.startswith(b"From: Alex Jones <alex.jones@example.test>\n")


def test_iso_8859_1_quoted_printable_read_as_windows_1252() -> None:
    """Latin-1 labelled text with curly quotes (bytes 0x93/0x94) is read as senders mean it."""
    m = parse_message(eml("iso_8859_1.eml"))
    assert (m.subject, m.from_name) == ("Rendez-vous au café", "Zoë Lefèvre")
    assert m.body == (
        "Bonjour,\n\nJ'aimerais un rendez-vous au café près du bureau, à 14h.\n"
        "Coût: £20 maximum. \u201cMerci\u201d d'avance.\n\nZoë"
    )
    assert m.date == datetime(2026, 3, 2, 10, 5, tzinfo=timezone(timedelta(hours=1)))


def test_windows_1252_eight_bit() -> None:
    m = parse_message(eml("windows_1252.eml"))
    assert m.subject == "Invoice €120 \u2013 query"
    assert m.body == (
        "I was charged €120 \u2013 is that right? \u201cNo charge\u201d was what I was told."
    )


def test_shift_jis_base64() -> None:
    m = parse_message(eml("shift_jis.eml"))
    assert m.subject == "予約について"
    assert m.body == "こんにちは。予約の件でご連絡しました。\n来週の木曜日は可能でしょうか。"


def test_an_attachment_is_kept_byte_for_byte_and_the_plain_alternative_is_the_body() -> None:
    m = parse_message(eml("attachment_pdf.eml"))
    assert m.body == "Please find my GP's referral letter attached \u2013 thank you."
    assert m.body_is_html is False
    (pdf,) = m.attachments
    assert (pdf.filename, pdf.content_type, pdf.content[:8], len(pdf.content)) == (
        "referral letter.pdf",
        "application/pdf",
        b"%PDF-1.4",
        193,
    )
    assert m.to == ("cases+eap-10001@p-uk.example.test",)


def test_an_auto_reply() -> None:
    m = parse_message(eml("auto_reply.eml"))
    assert (m.automatic, m.error) == (AUTO_REPLY, "")


def test_a_bounce_with_its_report_and_returned_message() -> None:
    m = parse_message(eml("bounce.eml"))
    assert (m.automatic, m.return_path, m.from_address) == (
        BOUNCE,
        "",
        "mailer-daemon@mx.p-uk.example.test",
    )
    assert [(a.filename, a.content_type) for a in m.attachments] == [
        ("attachment-1.txt", "message/delivery-status"),
        ("forwarded-message-2.eml", "message/rfc822"),
    ]
    assert m.attachments[0].content.startswith(b"Reporting-MTA: dns; mx.p-uk.example.test\n")
    assert m.body.startswith("This is the mail system at host mx.p-uk.example.test.\n")


def test_two_deliveries_of_one_message_share_the_message_id() -> None:
    a = parse_message(eml("duplicate_a.eml"))
    b = parse_message(eml("duplicate_b.eml"))
    assert (a.message_id, b.message_id) == ("<dup-10@mail.example.test>",) * 2
    assert eml("duplicate_a.eml") != eml("duplicate_b.eml")


def test_a_malformed_message_says_why_and_keeps_what_it_could_read() -> None:
    m = parse_message(eml("malformed.eml"))
    assert m.error == "broken structure: MissingHeaderBodySeparatorDefect"
    assert (m.from_address, m.subject, m.message_id) == (
        "alex.jones@example.test",
        "[EAP-10001] Broken",
        "",
    )
    assert m.body.startswith("this line is not a header\n")


def test_an_html_only_message_gets_a_plain_text_body() -> None:
    m = parse_message(eml("html_only.eml"))
    assert (m.body_is_html, m.urgent) == (True, True)
    assert m.body == (
        "Hello,\n\nI would like to cancel tomorrow\u2019s session.\n\n"
        "- Reason: illness\n- Rebook: next week\nJamie"
    )


def test_x_priority_one_is_urgent() -> None:
    assert parse_message(eml("unknown_sender.eml")).urgent is True


def _built(headers: str, body: bytes = b"Hi\r\n") -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + body


@pytest.mark.parametrize(
    ("header", "automatic"),
    [
        ("Auto-Submitted: auto-generated\n", AUTO_REPLY),
        ("Auto-Submitted: no\n", ""),
        ("Auto-Submitted: auto-replied; owner-email=x@example.test\n", AUTO_REPLY),
        ("X-Autoreply: yes\n", AUTO_REPLY),
        ("Precedence: bulk\n", AUTO_REPLY),
        ("Precedence: junk\n", AUTO_REPLY),
        ("Precedence: auto_reply\n", AUTO_REPLY),
        ("Precedence: first-class\n", ""),
        ("", ""),
    ],
)
def test_automatic_mail_is_recognised_by_its_headers(header: str, automatic: str) -> None:
    raw = _built(f"From: a@example.test\nSubject: x\n{header}")
    assert parse_message(raw).automatic == automatic


def test_the_null_envelope_sender_marks_automatic_mail() -> None:
    raw = _built("From: a@example.test\nSubject: x\n")
    assert parse_message(raw, envelope_sender="").automatic == AUTO_REPLY
    assert parse_message(raw, envelope_sender="a@example.test").automatic == ""


@pytest.mark.parametrize(
    ("header", "urgent"),
    [
        ("Importance: high\n", True),
        ("Importance: normal\n", False),
        ("X-Priority: 1\n", True),
        ("X-Priority: 3 (Normal)\n", False),
        ("Priority: urgent\n", True),
        ("Priority: normal\n", False),
    ],
)
def test_urgency_headers(header: str, urgent: bool) -> None:
    raw = _built(f"From: a@example.test\nSubject: x\n{header}")
    assert parse_message(raw).urgent is urgent


def test_an_unknown_charset_falls_back_to_utf8_then_windows_1252() -> None:
    utf8 = _built(
        "From: a@example.test\nContent-Type: text/plain; charset=x-nonsense\n", "né".encode()
    )
    cp1252 = _built(
        "From: a@example.test\nContent-Type: text/plain; charset=x-nonsense\n",
        "né".encode("cp1252"),
    )
    assert (parse_message(utf8).body, parse_message(cp1252).body) == ("né", "né")


def test_a_message_without_a_sender_is_malformed() -> None:
    assert parse_message(_built("Subject: x\n")).error == "no sender address (From)"


def test_a_multipart_without_its_boundary_is_malformed() -> None:
    raw = _built(
        'From: a@example.test\nContent-Type: multipart/mixed; boundary="b"\n', b"no parts\r\n"
    )
    assert parse_message(raw).error.startswith("broken structure: ")


def test_garbage_never_raises() -> None:
    m = parse_message(b"\x00\xff\xfe garbage without headers")
    assert m.error != ""


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("<a@b>", "<a@b>"),
        ("  <a@b> (comment)", "<a@b>"),
        ("a@b", "<a@b>"),
        ("", ""),
    ],
)
def test_message_ids_are_normalised(value: str, normalised: str) -> None:
    assert normalise_message_id(value) == normalised


def test_file_names_lose_directories_and_control_characters() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\.secret\x07.pdf") == "secret.pdf"


def test_html_to_text_drops_scripts_and_styles() -> None:
    assert html_to_text("<style>p{}</style><script>x()</script><p>A&amp;B</p>") == "A&B"
