"""Import and export of case histories (shared/spec/history-format.md) through the services.

Import is all or nothing per file: the engine's reader validates every line first, then each
event is written by the same service a clinician's action uses, inside one transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from django.db import transaction

from eapcase.cases import services as case_services
from eapcase.cases.choices import PreferenceSource
from eapcase.cases.models import Case, CaseEvent, ParticipantQuery
from eapcase.core.errors import ServiceError
from eapcase.organisations.models import Partner, PartnerClosedDate
from eapcase.outreach import services as outreach_services
from eapcase.outreach.models import Email, OutreachRequest
from eapcase.policy import calendar as policy_calendar
from eapcase.policy import events, history
from eapcase.providers import services as provider_services
from eapcase.providers.models import CaseNotesUpload, ProviderContact

ENVELOPE = ("type", "case", "at", "id", "by")


@dataclass(frozen=True)
class HistoricalActor:
    """Who an imported event was by: a name from the history, not a user of this system."""

    username: str
    pk: None = None


class ImportFailed(Exception):
    """Nothing was written; `errors` are `LINE: reason` strings, one per bad line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    partners: int
    cases: int
    events: int


def import_history(
    lines: Iterable[str], *, now: datetime, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Read a whole history and write it, or write nothing and raise ImportFailed."""
    text = list(lines)
    try:
        history.read_history(text)
    except history.HistoryError as exc:
        raise ImportFailed([f"{e.line}: {e.reason}" for e in exc.errors]) from exc
    partners, cases = _parse_raw(text)
    errors = _check_against_database(partners, cases)
    if errors:
        raise ImportFailed(errors)
    written = 0
    with transaction.atomic():
        for _line, obj in partners:
            _partner_write(obj)
        for line, case_obj, events in cases:
            try:
                with transaction.atomic():
                    case = _case_write(case_obj, now=now)
            except ServiceError as exc:
                errors.append(f"{line}: {exc}")
                continue
            for event_line, event in events:
                try:
                    with transaction.atomic():
                        _event_write(case, event, now=now)
                except ServiceError as exc:
                    errors.append(f"{event_line}: {exc}")
                written += 1
                if progress:
                    progress(1)
        if errors:
            raise ImportFailed(errors)
    return ImportResult(partners=len(partners), cases=len(cases), events=written)


def _parse_raw(
    text: list[str],
) -> tuple[
    list[tuple[int, dict[str, Any]]],
    list[tuple[int, dict[str, Any], list[tuple[int, dict[str, Any]]]]],
]:
    """The validated file as raw objects: what is stored is exactly what the file said."""
    partners: list[tuple[int, dict[str, Any]]] = []
    cases: dict[str, tuple[int, dict[str, Any], list[tuple[int, dict[str, Any]]]]] = {}
    for number, raw in enumerate(text, start=1):
        if not raw.strip():
            continue
        obj = json.loads(raw)
        if obj["type"] == "partner":
            partners.append((number, obj))
        elif obj["type"] == "case":
            cases[obj["case"]] = (number, obj, [])
        else:
            obj.setdefault("id", f"L{number}")
            cases[obj["case"]][2].append((number, obj))
    for _line, _obj, case_events in cases.values():
        case_events.sort(key=lambda item: events.parse_instant(item[1]["at"]))
    return partners, list(cases.values())


def _calendar_of(obj: dict[str, Any]) -> dict[str, Any]:
    opening, closing = policy_calendar.parse_hours(obj.get("hours", "09:00-17:00"))
    return {
        "timezone": obj["timezone"],
        "country": obj.get("country", ""),
        "subdivision": obj.get("subdivision", "") or "",
        "opening": opening,
        "closing": closing,
        "workdays": policy_calendar.parse_workdays(obj.get("workdays", "Mon-Fri")),
        "closed": sorted(obj.get("closed_dates", [])),
    }


def _partner_calendar_now(partner: Partner) -> dict[str, Any]:
    return {
        "timezone": partner.timezone,
        "country": partner.country,
        "subdivision": partner.subdivision,
        "opening": partner.opening,
        "closing": partner.closing,
        "workdays": policy_calendar.parse_workdays(partner.workdays),
        "closed": sorted(
            d.isoformat() for d in partner.closed_dates.values_list("date", flat=True)
        ),
    }


def _check_against_database(
    partners: list[tuple[int, dict[str, Any]]], cases: list[tuple[int, dict[str, Any], Any]]
) -> list[str]:
    errors = []
    for line, obj in partners:
        existing = Partner.objects.filter(code=obj["id"]).first()
        if existing is not None and _partner_calendar_now(existing) != _calendar_of(obj):
            errors.append(f"{line}: partner {obj['id']} exists here with another calendar")
    known = set(
        Case.objects.filter(reference__in=[c[1]["case"] for c in cases]).values_list(
            "reference", flat=True
        )
    )
    for line, obj, _events in cases:
        if obj["case"] in known:
            errors.append(f"{line}: case {obj['case']} already exists")
    return errors


def _partner_write(obj: dict[str, Any]) -> Partner:
    partner = Partner.objects.filter(code=obj["id"]).first()
    if partner is not None:
        return partner
    cal = _calendar_of(obj)
    partner = Partner.objects.create(
        code=obj["id"],
        name=obj["id"],
        timezone=cal["timezone"],
        country=cal["country"],
        subdivision=cal["subdivision"],
        opening=cal["opening"],
        closing=cal["closing"],
        workdays=obj.get("workdays", "Mon-Fri"),
    )
    PartnerClosedDate.objects.bulk_create(
        PartnerClosedDate(partner=partner, date=datetime.fromisoformat(d).date(), reason="imported")
        for d in cal["closed"]
    )
    return partner


def _case_write(obj: dict[str, Any], *, now: datetime) -> Case:
    prefs = events.parse_participant(obj.get("participant", {}))
    prefs_dict = {
        k: bool(getattr(prefs, k))
        for k in (
            "phone",
            "email",
            "voicemail_ok",
            "email_messages_ok",
            "email_only",
            "email_consent",
        )
    }
    actor = HistoricalActor(obj.get("by", "") or "")
    participant = case_services.participant_create(
        actor=actor,
        full_name=f"Participant of {obj['case']}",
        now=now,
        preferences=prefs_dict,
        source=PreferenceSource.IMPORT,
    )
    return case_services.case_open(
        actor=actor,
        participant=participant,
        partner=Partner.objects.get(code=obj["partner"]),
        referral=obj["referral"],
        case_type=obj["case_type"],
        benefit_sessions=obj["benefit_sessions"],
        now=now,
        at=events.parse_instant(obj["at"]),
        reference=obj["case"],
        preferences=prefs_dict,
    )


def _instant(value: Any) -> datetime | None:
    return events.parse_instant(value) if value is not None else None


def _event_write(case: Case, obj: dict[str, Any], *, now: datetime) -> None:
    """Write one imported event as it happened (see `event_record`)."""
    event_record(
        case, obj, actor=HistoricalActor(obj.get("by", "") or ""), now=now, historical=True
    )


#: Inputs a service takes beyond the history format's fields (free texts, a file), by event
#: type: the pages ask for them, the API takes them as `details`. Imported events do without.
EVENT_DETAILS: dict[str, frozenset[str]] = {
    "participant_updated": frozenset({"source"}),
    "risk_set": frozenset(),
    "callback_requested": frozenset({"reason"}),
    "outreach_requested": frozenset({"reason"}),
    "outreach_closed": frozenset(),
    "contact_attempt": frozenset({"send_email"}),
    "email_received": frozenset({"subject", "body", "from_address", "message_id"}),
    "email_acknowledged": frozenset(),
    "email_actioned": frozenset({"summary"}),
    "escalated_to_wpo": frozenset({"summary"}),
    "dissatisfaction_noted": frozenset({"aspect", "description"}),
    "participant_query": frozenset({"text", "channel"}),
    "participant_query_resolved": frozenset({"resolution"}),
    "provider_contact": frozenset({"text"}),
    "provider_responded": frozenset({"response"}),
    "session_held": frozenset(),
    "review_completed": frozenset({"transition_destination", "rationale"}),
    "intervention_ended": frozenset(),
    "case_notes_uploaded": frozenset({"file", "original_name", "content_type"}),
    "case_notes_reviewed": frozenset({"note", "issues_found"}),
    "note": frozenset(),
    "case_closed": frozenset(),
}


def _named(model: Any, case: Case, obj: Mapping[str, Any], field: str) -> Any:
    """The row an event names by its event id (`email`, `outreach`, `query`...)."""
    row = model.objects.filter(case=case, event_id=obj.get(field)).first()
    if row is None:
        raise ServiceError(f"no event {obj.get(field)} of the right type in this case", field=field)
    return row


def event_record(
    case: Case,
    obj: Mapping[str, Any],
    *,
    actor: Any,
    now: datetime,
    historical: bool = False,
    confirm: str = "",
    details: Mapping[str, Any] | None = None,
) -> Any:
    """Write one history-format event (`type`, `at`, optional `id`, the type's fields) through
    the service that records that kind of event; returns what the service returns.

    The import (`historical=True`, as it happened) and the API (an authenticated `actor`,
    judged like a page's write, `confirm` a reason for what the engine asks about, `details`
    the texts a page would ask for, see EVENT_DETAILS) both come through here."""
    kind = obj["type"]
    extra: Mapping[str, Any] = details or {}
    common: dict[str, Any] = {
        "actor": actor,
        "now": now,
        "at": events.parse_instant(obj["at"]),
        "historical": historical,
        "event_id": obj.get("id"),
    }
    with_confirm = {**common, "confirm": confirm}

    def text(name: str, imported: str = "") -> str:
        return str(extra.get(name) or (imported if historical else ""))

    case.refresh_from_db()
    if kind == "participant_updated":
        # Imported: only this case's history changes (other cases of the participant are other
        # histories, with their own lines). Live: every open case of the participant.
        case_services.participant_preferences_update(
            actor=actor,
            participant=case.participant,
            changes=obj["participant"],
            source=PreferenceSource.IMPORT
            if historical
            else str(extra.get("source") or PreferenceSource.PARTNER),
            now=now,
            at=common["at"],
            historical=historical,
            event_id=common["event_id"],
            case=case if historical else None,
        )
        return case.participant
    if kind == "risk_set":
        return case_services.risk_set(case=case, level=obj["level"], **common)
    if kind == "callback_requested":
        return outreach_services.callback_request(
            case=case, not_before=_instant(obj.get("not_before")), reason=text("reason"), **common
        )
    if kind == "outreach_requested":
        return outreach_services.outreach_request(
            case=case,
            purpose=obj.get("purpose", "general"),
            target=obj.get("target", "participant"),
            due=_instant(obj.get("due")),
            reason=text("reason"),
            **common,
        )
    if kind == "outreach_closed":
        request = _named(OutreachRequest, case, obj, "outreach")
        return outreach_services.outreach_close(
            request=request, reason=obj.get("reason") or "closed", **with_confirm
        )
    if kind == "contact_attempt":
        attempt = {
            "target": obj.get("target", "participant"),
            "channel": obj["channel"],
            "outcome": obj["outcome"],
            "message": obj.get("message", "none"),
            "summary": obj.get("summary", ""),
        }
        if extra.get("send_email") and not historical:
            return outreach_services.detailed_email_send(
                case=case,
                actor=actor,
                now=now,
                at=common["at"],
                event_id=common["event_id"],
                confirm=confirm,
                **attempt,
            )
        return outreach_services.attempt_record(case=case, **attempt, **with_confirm)
    if kind == "email_received":
        return outreach_services.email_receive(
            case=case,
            sender_kind=obj["from"],
            urgent=bool(obj.get("urgent", False)),
            needs_contact=bool(obj.get("needs_contact", True)),
            subject=text("subject"),
            body=text("body"),
            from_address=text("from_address"),
            message_id=text("message_id"),
            **common,
        )
    if kind == "email_acknowledged":
        email = _named(Email, case, obj, "email")
        return outreach_services.email_acknowledge(email=email, **common)
    if kind == "email_actioned":
        email = _named(Email, case, obj, "email")
        return outreach_services.email_action(email=email, summary=text("summary"), **common)
    if kind == "escalated_to_wpo":
        return case_services.escalation_raise(
            case=case,
            reason=obj["reason"],
            summary=text("summary", "Escalated (imported history)."),
            **common,
        )
    if kind == "dissatisfaction_noted":
        return case_services.dissatisfaction_record(
            case=case,
            aspect=text("aspect"),
            description=text("description"),
            escalate=not historical,
            **common,
        )
    if kind == "participant_query":
        return case_services.query_record(
            case=case, text=text("text"), channel=str(extra.get("channel") or "phone"), **common
        )
    if kind == "participant_query_resolved":
        query = _named(ParticipantQuery, case, obj, "query")
        return case_services.query_resolve(query=query, resolution=text("resolution"), **common)
    if kind == "provider_contact":
        return provider_services.provider_contact_record(
            case=case,
            topic=obj.get("topic", "query"),
            text=text("text"),
            urgent=bool(obj.get("urgent", False)),
            **common,
        )
    if kind == "provider_responded":
        contact = _named(ProviderContact, case, obj, "contact")
        return provider_services.provider_contact_respond(
            contact=contact, response=text("response"), **common
        )
    if kind == "session_held":
        return case_services.session_record(case=case, **with_confirm)
    if kind == "review_completed":
        return case_services.review_complete(
            case=case,
            decision=obj["decision"],
            sessions=int(obj.get("sessions", 0)),
            resources=list(obj.get("resources", [])),
            transition_destination=text("transition_destination"),
            rationale=text("rationale"),
            **common,
        )
    if kind == "intervention_ended":
        return provider_services.intervention_end(case=case, provider=obj["provider"], **common)
    if kind == "case_notes_uploaded":
        return provider_services.case_notes_upload(
            case=case,
            provider=obj["provider"],
            file=extra.get("file"),
            original_name=text("original_name"),
            content_type=text("content_type"),
            **common,
        )
    if kind == "case_notes_reviewed":
        upload = _named(CaseNotesUpload, case, obj, "notes")
        return provider_services.case_notes_review(
            upload=upload,
            note=text("note"),
            issues_found=bool(extra.get("issues_found", False)),
            **common,
        )
    if kind == "note":
        return case_services.note_add(
            case=case, summary=obj.get("summary", ""), next_step=obj.get("next_step", ""), **common
        )
    if kind == "case_closed":
        return case_services.case_close(
            case=case, reason=obj.get("reason") or "closed", **with_confirm
        )
    # The reader (or the API) has already refused unknown types.
    raise ServiceError(f"unknown event type {kind}", field="type")


def export_history(out: TextIO, *, cases: Iterable[Case]) -> int:
    """Write partners, then each case line followed by its events in time order. Returns the
    number of lines written."""
    case_list = list(cases)
    count = 0
    partner_ids = sorted({c.partner_id for c in case_list})
    for partner in Partner.objects.filter(pk__in=partner_ids).order_by("code"):
        out.write(_dumps(_partner_line(partner)))
        count += 1
    for case in case_list:
        out.write(_dumps(_case_line(case)))
        count += 1
        for row in CaseEvent.objects.filter(case=case).order_by("at", "seq"):
            out.write(_dumps(event_line(case, row)))
            count += 1
    return count


def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


def _partner_line(partner: Partner) -> dict[str, Any]:
    line: dict[str, Any] = {
        "type": "partner",
        "id": partner.code,
        "timezone": partner.timezone,
        "country": partner.country,
    }
    if partner.subdivision:
        line["subdivision"] = partner.subdivision
    line["hours"] = f"{partner.opening:%H:%M}-{partner.closing:%H:%M}"
    line["workdays"] = partner.workdays
    closed = [d.isoformat() for d in partner.closed_dates.values_list("date", flat=True)]
    if closed:
        line["closed_dates"] = closed
    return line


def _case_line(case: Case) -> dict[str, Any]:
    return {
        "type": "case",
        "case": case.reference,
        "at": case.opened_at.isoformat(),
        "partner": case.partner.code,
        "referral": case.referral,
        "case_type": case.case_type,
        "benefit_sessions": case.benefit_sessions,
        "participant": case.opening_preferences,
    }


def event_line(case: Case, row: CaseEvent) -> dict[str, Any]:
    """A stored event as a history line."""
    line: dict[str, Any] = {
        "type": row.type,
        "case": case.reference,
        "at": row.at.isoformat(),
        "id": row.event_id,
    }
    line.update(row.fields)
    if row.by:
        line["by"] = row.by
    return line
