"""The world the generated access matrix (tests/access/test_matrix.py) runs against: two
Partners, A and B, each with cases and every kind of object a URL can name (participants,
emails, inbound messages and their attachments, case-note files, provider contacts, outreach
requests, queries, escalations, notifications, API tokens), plus providers referred or not.

Every piece of a case's content carries its canary, `canary(key)`: Partner A's start with
CANARY_A, Partner B's with CANARY_B (in participant names, subjects, bodies, notes, file
names and contents). Nobody outside a Partner (but WPO clinicians) may ever receive a
response containing that Partner's canary; a provider may see only their referral's.

Objects are keyed like the matrix's targets: "a1" is Partner A's case referred to provider
1, "a0" Partner A's case referred to nobody, "b2" Partner B's case referred to provider 2."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from django.core.files.base import ContentFile

from eapcase.accounts.choices import Role
from eapcase.cases.services import escalation_raise, note_add, query_record
from eapcase.intake.services import message_ingest
from eapcase.notifications.models import Notification
from eapcase.outreach.services import email_receive, outreach_request
from eapcase.providers.services import case_notes_upload, provider_contact_record
from eapcase.security.services import token_issue
from tests.factories import (
    OPENED,
    ClientOrganisationFactory,
    OperatorFactory,
    ParticipantFactory,
    PartnerFactory,
    ProviderFactory,
    UserFactory,
    open_case,
    user_with_role,
)

# Alphanumeric only, so that no escaping (HTML, JSON, CSV, URL) can hide them; lower case,
# and searched for in lower-cased bodies, so that no `upper` filter can either.
CANARY_A = "zqcanaryalpha"
CANARY_B = "zqcanarybravo"
CANARIES = {"A": CANARY_A, "B": CANARY_B}


def canary(key: str) -> str:
    """The canary of a case ("a1") or of a Partner's triage ("A")."""
    partner = CASE_PARTNER.get(key, key)
    return f"{CANARIES[partner]}{key.lower()}q"


# The case references. Letters, so that the lower-case form of a reference is another string.
REFERENCES = {"a1": "EAP-91001", "a0": "EAP-91000", "b2": "EAP-92002"}
CASE_PARTNER = {"a1": "A", "a0": "A", "b2": "B"}

NOW = OPENED + timedelta(days=2, hours=3)  # Wed 4 March 2026 12:00 UTC

# Users: the session actors of the matrix. Token actors (below) hold tokens of these users.
SESSION_ACTORS = (
    "wpo_clinician",
    "wpo_admin",
    "partner_clinician_a",
    "partner_lead_a",
    "partner_admin_a",
    "partner_clinician_b",
    "partner_lead_b",
    "provider_1",
    "provider_x",
)
# token actor -> (user, read_only)
TOKEN_ACTORS = {
    "token_wpo_clinician_rw": ("wpo_clinician", False),
    "token_wpo_clinician_ro": ("wpo_clinician", True),
    "token_wpo_admin_rw": ("wpo_admin", False),
    "token_partner_clinician_a_rw": ("partner_clinician_a", False),
    "token_partner_clinician_a_ro": ("partner_clinician_a", True),
    "token_partner_lead_b_rw": ("partner_lead_b", False),
    "token_provider_1_ro": ("provider_1", True),
}


@dataclass
class World:
    users: dict[str, Any]
    tokens: dict[str, str]  # token actor -> key
    partners: dict[str, Any]
    cases: dict[str, Any]
    # object kind -> owner key ("a1", "b2", ... or a user key) -> primary key
    ids: dict[str, dict[str, int]] = field(default_factory=dict)


def _mail(*, to: str, subject: str, body: str, attachment: bytes, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Sam Sender <sam.sender@example.test>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Wed, 4 Mar 2026 10:00:00 +0000"
    message["Message-ID"] = message_id
    message.set_content(body)
    message.add_attachment(attachment, maintype="text", subtype="plain", filename="letter.txt")
    return bytes(message)


def build_world() -> World:
    OperatorFactory(staff_email_domains="wpo.example.test")
    partners = {
        "A": PartnerFactory(code="partner-a", name="Partner Alpha"),
        "B": PartnerFactory(code="partner-b", name="Partner Bravo"),
    }
    provider_1 = ProviderFactory(code="provider-1", partners=[partners["A"]])
    provider_2 = ProviderFactory(code="provider-2", partners=[partners["B"]])
    provider_x = ProviderFactory(code="provider-x", partners=[partners["A"], partners["B"]])
    users: dict[str, Any] = {
        "wpo_clinician": user_with_role(Role.WPO_CLINICIAN),
        "wpo_admin": user_with_role(Role.WPO_ADMIN),
        "partner_clinician_a": user_with_role(Role.PARTNER_CLINICIAN, partner=partners["A"]),
        "partner_lead_a": user_with_role(Role.PARTNER_LEAD, partner=partners["A"]),
        "partner_admin_a": user_with_role(Role.PARTNER_ADMIN, partner=partners["A"]),
        "partner_clinician_b": user_with_role(Role.PARTNER_CLINICIAN, partner=partners["B"]),
        "partner_lead_b": user_with_role(Role.PARTNER_LEAD, partner=partners["B"]),
        "provider_1": user_with_role(Role.PROVIDER, provider=provider_1),
        "provider_2": user_with_role(Role.PROVIDER, provider=provider_2),
        "provider_x": user_with_role(Role.PROVIDER, provider=provider_x),
        "nobody": UserFactory(username="matrix-nobody"),
    }
    clients = {p: ClientOrganisationFactory(code=f"client-{p.lower()}") for p in ("A", "B")}
    cases: dict[str, Any] = {}
    ids: dict[str, dict[str, int]] = {}

    def put(kind: str, owner: str, pk: int) -> None:
        ids.setdefault(kind, {})[owner] = pk

    referred = {"a1": provider_1, "a0": None, "b2": provider_2}
    clinician = {"A": users["partner_clinician_a"], "B": users["partner_clinician_b"]}
    provider_user = {"a1": users["provider_1"], "b2": users["provider_2"]}
    for key, reference in REFERENCES.items():
        p = CASE_PARTNER[key]
        mark = canary(key)
        participant = ParticipantFactory(
            client=clients[p],
            full_name=f"Robin {mark} {key}",
            email=f"{mark}.{key}@example.test",
        )
        case = open_case(
            actor=users["wpo_clinician"],
            partner=partners[p],
            participant=participant,
            client=clients[p],
            provider=referred[key],
            assigned_clinician=clinician[p],
            reference=reference,
            presenting_issue=f"Issue {mark}",
        )
        cases[key] = case
        put("participant", key, participant.pk)
        put("client", key, clients[p].pk)
        actor = clinician[p]
        at = NOW - timedelta(hours=2)
        note_add(actor=actor, case=case, summary=f"Note {mark}", next_step="Call", now=at)
        put("query", key, query_record(actor=actor, case=case, text=f"Q {mark}", now=at).pk)
        put(
            "outreach",
            key,
            outreach_request(actor=actor, case=case, purpose="checkin", now=at, reason=mark).pk,
        )
        email = email_receive(
            actor=actor,
            case=case,
            sender_kind="participant",
            now=at,
            subject=f"Subject {mark}",
            body=f"Body {mark}",
        )
        put("email", key, email.pk)
        put(
            "escalation",
            key,
            escalation_raise(
                actor=actor, case=case, reason="other", summary=f"Esc {mark}", now=at
            ).pk,
        )
        if key in provider_user:
            put(
                "provider_contact",
                key,
                provider_contact_record(
                    actor=provider_user[key],
                    case=case,
                    topic="risk",
                    text=f"Flag {mark}",
                    now=at,
                ).pk,
            )
            put(
                "notes_file",
                key,
                case_notes_upload(
                    actor=provider_user[key],
                    case=case,
                    file=ContentFile(f"Case notes {mark}".encode(), name="notes.txt"),
                    original_name=f"notes-{mark}.txt",
                    content_type="text/plain",
                    now=at,
                ).pk,
            )
        mailbox = partners[p].email
        filed = message_ingest(
            raw=_mail(
                to=mailbox.replace("cases@", f"cases+{reference}@"),
                subject=f"Mail {mark} [{reference}]",
                body=f"Mail body {mark}",
                attachment=f"Attachment {mark}".encode(),
                message_id=f"<filed-{key}@example.test>",
            ),
            now=at,
            source="smtp",
            rcpt_tos=[mailbox],
        )
        put("message", key, filed.pk)
        put("attachment", key, filed.attachments.order_by("pk")[0].pk)
    # A message in each Partner's triage (filed on no case).
    for p in ("A", "B"):
        mark = canary(p)
        loose = message_ingest(
            raw=_mail(
                to=partners[p].email,
                subject=f"Loose {mark}",
                body=f"Loose body {mark}",
                attachment=f"Loose attachment {mark}".encode(),
                message_id=f"<loose-{p}@example.test>",
            ),
            now=NOW - timedelta(hours=1),
            source="smtp",
            rcpt_tos=[partners[p].email],
        )
        put("triage", p, loose.pk)
        put("triage_attachment", p, loose.attachments.order_by("pk")[0].pk)
    # Notifications: the provider flags notified the Partner leads; one each is kept.
    for lead in ("partner_lead_a", "partner_lead_b"):
        notification = Notification.objects.filter(recipient=users[lead]).order_by("pk").first()
        assert notification is not None, f"no notification for {lead}"
        put("notification", lead, notification.pk)
    tokens: dict[str, str] = {}
    for actor_key, (user_key, read_only) in TOKEN_ACTORS.items():
        token, key = token_issue(
            user=users[user_key], name=actor_key, read_only=read_only, at=NOW, days=36_500
        )
        tokens[actor_key] = key
        put("token", user_key, token.pk)
    return World(users=users, tokens=tokens, partners=partners, cases=cases, ids=ids)
