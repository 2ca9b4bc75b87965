"""The JSON API (`/api/v1/`): cases, participants, case events, the work queue of obligations,
escalations. Reads start from `cases.access.cases_visible_to` (so a provider or a WPO admin
reads none of them: a provider's side of a case is the provider portal); a provider
posts only the provider's events on a referral. Writes go through the same
services as the pages (an event through `compliance.event_services.event_record`). Token
authentication for integrations (tokens from /accounts/tokens/), session authentication for
the pages; errors in errors.py;
`Idempotency-Key` in idempotency.py."""

from __future__ import annotations

import base64
import binascii
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Prefetch, Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import BaseParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eapcase.accounts.acting import acting_user
from eapcase.accounts.models import User
from eapcase.api import serializers as s
from eapcase.api.concurrency import etag, if_match_case
from eapcase.api.errors import api_exception_handler
from eapcase.api.idempotency import idempotent
from eapcase.api.parsers import NOTES_BASE64_CHARS, BoundedJSONParser
from eapcase.cases import services as case_services
from eapcase.cases.access import (
    Action,
    access_case,
    cases_visible_to,
    may,
    participants_visible_to,
    partners_opening_for,
)
from eapcase.cases.choices import UNSATISFIED, CaseStatus, PreferenceSource
from eapcase.cases.eligibility import client_by_access_line
from eapcase.cases.models import Case, CaseEvent, Escalation, Obligation, Participant
from eapcase.cases.reads import read_record
from eapcase.compliance.event_services import EVENT_DETAILS, event_record
from eapcase.compliance.history_io import event_line, export_history
from eapcase.compliance.opening import NewParticipant, case_intake, participant_register
from eapcase.core import clock
from eapcase.core.errors import NotFound, PermissionDenied, ServiceError
from eapcase.organisations.models import ClientOrganisation, Partner, Provider
from eapcase.policy import events as policy_events
from eapcase.providers.uploads import case_notes_content_type, too_large_message

# --- common ------------------------------------------------------------------------------------


class Pagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class ApiMixin:
    """Permission, rendering and errors of every API view. Authentication is the project's
    default (settings.REST_FRAMEWORK): hashed API tokens (`eapcase.security.tokens`), then the
    pages' session."""

    permission_classes: Sequence[Any] = (IsAuthenticated,)
    renderer_classes: Sequence[type[BaseRenderer]] = (JSONRenderer, BrowsableAPIRenderer)
    parser_classes: Sequence[type[BaseParser]] = (BoundedJSONParser,)

    def get_exception_handler(self) -> Any:
        return api_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        # No text column takes a NUL character (PostgreSQL refuses them): refuse it up front.
        for name, value in [*kwargs.items(), *request.query_params.lists()]:
            _refuse_nul(value, name)
        if request.method == "POST":
            _refuse_nul(request.data, None)


class AuditedListMixin:
    """A list of case data read through the API is one audit row per request (ADR 0035),
    naming the endpoint, how many rows it gave and the cases they belong to (references only,
    no personal data)."""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().list(request, *args, **kwargs)  # type: ignore[misc]
        data = response.data
        rows = data.get("results", []) if isinstance(data, dict) else data
        cases = sorted(
            {
                str(ref)
                for row in rows
                if isinstance(row, dict)
                for ref in (row.get("reference") or row.get("case"),)
                if ref
            }
        )
        read_record(
            request,
            action="api.list_read",
            data={"path": request.path, "count": len(rows), "cases": cases},
        )
        return response


def _refuse_nul(value: Any, field: str | None) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ServiceError("must not contain NUL characters", field=field)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(str(key), field)
            _refuse_nul(item, f"{field}.{key}" if field else str(key))
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_nul(item, field)


def _user(request: Request) -> User:
    """The authenticated user (every API view requires one)."""
    return cast(User, request.user)


def _flag(request: Request, name: str) -> bool | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ServiceError("must be true or false", field=name)


def _instant(request: Request, name: str) -> datetime | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return policy_events.parse_instant(value)
    except (ValueError, OverflowError) as exc:
        raise ServiceError("must be an ISO 8601 instant with an offset", field=name) from exc


def _visible_ids(request: Request) -> QuerySet[Case, Any]:
    return cases_visible_to(request.user).values("pk")


# --- cases -------------------------------------------------------------------------------------


@extend_schema(
    summary="Cases the user may see",
    parameters=[
        OpenApiParameter("status", str, enum=CaseStatus.values, description="open or closed"),
        OpenApiParameter("partner", str, description="a Partner's code"),
        OpenApiParameter("assigned", str, enum=["me"], description="only cases assigned to me"),
    ],
)
class CaseList(AuditedListMixin, ApiMixin, generics.ListAPIView[Case]):
    serializer_class = s.CaseSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[Case]:
        rows = cases_visible_to(self.request.user).select_related(
            "partner", "client", "provider", "assigned_clinician"
        )
        params = self.request.query_params
        if params.get("status"):
            if params["status"] not in CaseStatus.values:
                raise ServiceError("must be open or closed", field="status")
            rows = rows.filter(status=params["status"])
        if params.get("partner"):
            rows = rows.filter(partner__code=params["partner"])
        if params.get("assigned"):
            if params["assigned"] != "me":
                raise ServiceError("must be me", field="assigned")
            rows = rows.filter(assigned_clinician=_user(self.request))
        return rows.order_by("-opened_at", "-pk")

    @extend_schema(
        summary="Open a case",
        description="Through the same service as /cases/new/: the participant found "
        "(`participant`) or registered (`new_participant`), the client's contract checked, the "
        "Partner proposed by WPO's routing table (WPO may name another with `partner_reason`), "
        "the benefit left to the participant (WPO may override with `benefit_reason`), the "
        "risk screen, a call back and a provider referral, all or nothing. An "
        "`Idempotency-Key` header makes a retry safe.",
        request=s.CaseOpenSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, location=OpenApiParameter.HEADER, required=False
            )
        ],
        responses={201: s.CaseDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        return idempotent(request, lambda: self._open(request))

    def _open(self, request: Request) -> Response:
        data = _valid(s.CaseOpenSerializer, request.data)
        participant = None
        if data.get("participant") is not None:
            participant = (
                participants_visible_to(request.user).filter(pk=data["participant"]).first()
            )
            if participant is None:
                raise NotFound("No such participant.", field="participant")
        new = (
            _new_participant(data["new_participant"], prefix="new_participant.")
            if data.get("new_participant")
            else None
        )
        partner = provider = None
        if data.get("partner"):
            partner = Partner.objects.filter(code=data["partner"]).first()
            if partner is None:
                raise ServiceError("no such Partner", field="partner")
        if data.get("provider"):
            provider = Provider.objects.filter(code=data["provider"], active=True).first()
            if provider is None:
                raise ServiceError("no such provider", field="provider")
        case = case_intake(
            actor=acting_user(request),
            now=clock.now(),
            participant=participant,
            new_participant=new,
            referral=data["referral"],
            case_type=data["case_type"],
            presenting_issue=data.get("presenting_issue", ""),
            risk_level=data.get("risk_level", "none"),
            risk_reason=data.get("risk_reason", ""),
            callback=data.get("callback", False),
            callback_not_before=data.get("callback_not_before"),
            partner=partner,
            partner_reason=data.get("partner_reason", ""),
            provider=provider,
            benefit_sessions=data.get("benefit_sessions"),
            benefit_reason=data.get("benefit_reason", ""),
            at=data.get("at"),
        )
        row = (
            Case.objects.select_related("partner", "client", "provider", "assigned_clinician")
            .prefetch_related("obligations", "findings")
            .get(pk=case.pk)
        )
        body = s.CaseDetailSerializer(row, context={"now": clock.now()}).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="One case, with the engine's obligations and findings",
    description="`ETag` is the case's version: send it back as `If-Match` on a write to the "
    "case (POST of an event) to have the write refused with 409 if someone else changed the "
    "case in between.",
    parameters=[
        OpenApiParameter(
            "ETag",
            str,
            location=OpenApiParameter.HEADER,
            response=[200],
            description='The case\'s version, such as "12".',
        )
    ],
)
class CaseDetail(ApiMixin, generics.GenericAPIView[Case]):
    serializer_class = s.CaseDetailSerializer

    def get(self, request: Request, reference: str) -> Response:
        case = access_case(user=request.user, case_ref=reference)
        case = (
            Case.objects.select_related("partner", "client", "provider", "assigned_clinician")
            .prefetch_related("obligations", "findings")
            .get(pk=case.pk)
        )
        data = s.CaseDetailSerializer(case, context={"now": clock.now()}).data
        read_record(request, action="api.case_read", case=case)
        return Response(data, headers={"ETag": etag(case.version)})


# --- case events -------------------------------------------------------------------------------


class JSONLinesRenderer(BaseRenderer):
    """The history as JSON Lines, byte for byte what `eapcase export --case REF` writes."""

    media_type = "application/jsonl"
    format = "jsonl"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        items = data if isinstance(data, list) else [data]
        return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode()


# Events a provider records on a case referred to them; every other event is the Partner's.
PROVIDER_EVENTS = frozenset(
    {"session_held", "provider_contact", "intervention_ended", "case_notes_uploaded"}
)

# Length limits of the database columns the services write the texts to.
_FIELD_LIMITS = {
    ("case_closed", "reason"): 200,
    ("case_reopened", "reason"): 200,
    ("outreach_closed", "reason"): 500,
    ("note", "next_step"): 500,
    ("intervention_ended", "provider"): 40,
    ("case_notes_uploaded", "provider"): 40,
}
_REFERENCE_FIELDS = frozenset({"email", "outreach", "query", "contact", "notes"})
_TEXT_MAX = 20000
_INT_MAX = 32767
_DETAIL_LIMITS = {
    "reason": 500,
    "subject": 500,
    "from_address": 254,
    "message_id": 500,
    "aspect": 200,
    "channel": 20,
    "transition_destination": 200,
    "original_name": 255,
}
_BOOLEAN_DETAILS = frozenset({"send_email", "issues_found"})
_SOURCES = [v for v in PreferenceSource.values if v != PreferenceSource.IMPORT]
_ENVELOPE = frozenset({"type", "at", "id", "by", "case"})
_API_KEYS = frozenset({"confirm", "details"})


def _check_field_sizes(kind: str, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if isinstance(value, str):
            limit = _FIELD_LIMITS.get((kind, name), 60 if name in _REFERENCE_FIELDS else _TEXT_MAX)
            if len(value) > limit:
                raise ServiceError(f"must be at most {limit} characters", field=name)
        elif isinstance(value, int) and not isinstance(value, bool) and value > _INT_MAX:
            raise ServiceError(f"must be at most {_INT_MAX}", field=name)
        elif isinstance(value, list) and sum(len(str(v)) for v in value) > _TEXT_MAX:
            raise ServiceError("is too long", field=name)


def _details(kind: str, raw: Any) -> dict[str, Any]:
    """The `details` of a posted event, checked: the inputs a page asks for (EVENT_DETAILS)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ServiceError("must be an object", field="details")
    allowed = EVENT_DETAILS[kind]
    found: dict[str, Any] = {}
    for name, value in raw.items():
        field = f"details.{name}"
        if name not in allowed:
            raise ServiceError(f"is not taken by {kind}", field=field)
        if name in _BOOLEAN_DETAILS:
            if not isinstance(value, bool):
                raise ServiceError("must be true or false", field=field)
            found[name] = value
            continue
        if not isinstance(value, str):
            raise ServiceError("must be a string", field=field)
        if name == "file" and len(value) > NOTES_BASE64_CHARS:
            raise ServiceError(too_large_message(), field=field)
        if name != "file" and len(value) > _DETAIL_LIMITS.get(name, _TEXT_MAX):
            raise ServiceError("is too long", field=field)
        found[name] = value
    if found.get("from_address"):
        try:
            validate_email(found["from_address"])
        except ValidationError as exc:
            raise ServiceError("is not an email address", field="details.from_address") from exc
    if "source" in found and found["source"] not in _SOURCES:
        raise ServiceError(f"must be one of {', '.join(_SOURCES)}", field="details.source")
    if "file" in found:
        found.update(_notes_file(found.pop("file"), found.get("original_name", "")))
    return found


def _notes_file(encoded: str, name: str) -> dict[str, Any]:
    """Case notes sent as base64: checked like the upload page's (PDF, DOCX or text, 10 MB)."""
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ServiceError("must be base64", field="details.file") from exc
    file = SimpleUploadedFile(name or "case-notes", data)
    try:
        content_type = case_notes_content_type(file)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), field="details.file") from exc
    return {"file": file, "content_type": content_type, "original_name": name or "case-notes"}


def parse_event_body(body: Any, case: Case) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """A posted event checked as the history reader checks a line: (the line, confirm,
    details). ServiceError names the field at fault."""
    if not isinstance(body, dict):
        raise ServiceError("send one event as a JSON object")
    try:
        kind = policy_events.parse_event_type(body.get("type")).value
    except policy_events.FieldError as exc:
        raise ServiceError(exc.reason, field="type") from exc
    if "case" in body and body["case"] != case.reference:
        raise ServiceError("is not the case of the URL", field="case")
    try:
        policy_events.parse_instant(body.get("at"))
    except (ValueError, OverflowError) as exc:
        raise ServiceError(str(exc), field="at") from exc
    event_id = body.get("id")
    if event_id is not None and (
        not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 60
    ):
        raise ServiceError("must be a non-empty string of at most 60 characters", field="id")
    confirm = body.get("confirm", "")
    if not isinstance(confirm, str) or len(confirm) > _TEXT_MAX:
        raise ServiceError("must be a string", field="confirm")
    fields = {k: v for k, v in body.items() if k not in _ENVELOPE | _API_KEYS}
    try:
        policy_events.parse_event_fields(kind, fields)
    except policy_events.FieldError as exc:
        raise ServiceError(exc.reason, field=exc.field) from exc
    except (ValueError, OverflowError) as exc:
        raise ServiceError(f"has an instant out of range: {exc}") from exc
    _check_field_sizes(kind, fields)
    line = {"type": kind, "at": body["at"], **fields}
    if event_id is not None:
        line["id"] = event_id
    return line, confirm, _details(kind, body.get("details"))


def _may_record(user: Any, case: Case, kind: str) -> None:
    if may(user, case, Action.MANAGE):
        return
    if kind in PROVIDER_EVENTS and may(user, case, Action.PROVIDE):
        return
    raise PermissionDenied(f"You may not record {kind} on this case.", field="case")


class CaseEvents(ApiMixin, APIView):
    renderer_classes = (JSONRenderer, JSONLinesRenderer, BrowsableAPIRenderer)

    @extend_schema(
        summary="The case's history, as `eapcase export --case REF` writes it",
        description="A JSON array of the history's lines (the partner line, the case line, "
        "then the events in time order); `?format=jsonl` or `Accept: application/jsonl` gives "
        "the JSON Lines text itself.",
        responses={200: {"type": "array", "items": {"type": "object"}}},
    )
    def get(self, request: Request, reference: str) -> Response:
        case = access_case(user=request.user, case_ref=reference)
        read_record(request, action="api.case_history_read", case=case)
        out = io.StringIO()
        export_history(out, cases=[case])
        return Response([json.loads(line) for line in out.getvalue().splitlines()])

    @extend_schema(
        summary="Record one event on the case",
        description="One history-format event, written by the service that records that kind "
        "of event (the same checks as the pages). `by` is ignored: the event is the "
        "authenticated user's. 409 with `reasons` when the engine asks for confirmation: send "
        "it again with `confirm`. `details.send_email` on an unsuccessful email attempt with a "
        "detailed message also sends that message. An `Idempotency-Key` header makes a retry "
        "safe (422 when the key was used for another request). `If-Match` with the case's "
        "`ETag` (GET of the case) refuses the write with 409 if the case changed since, "
        "nothing written, with the `changes` since and the `case` as it is now; without it "
        "the write is not checked. The answer carries the case's new version (`version`, and "
        "`ETag`).",
        request={"application/json": s.event_request_schema()},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, location=OpenApiParameter.HEADER, required=False
            ),
            OpenApiParameter(
                "If-Match",
                str,
                location=OpenApiParameter.HEADER,
                required=False,
                description='The case\'s ETag as read, such as "12".',
            ),
            OpenApiParameter(
                "ETag",
                str,
                location=OpenApiParameter.HEADER,
                response=[201],
                description="The case's new version.",
            ),
        ],
        responses={201: s.EventsCreatedSerializer},
    )
    def post(self, request: Request, reference: str) -> Response:
        return idempotent(request, lambda: self._record(request, reference))

    def _record(self, request: Request, reference: str) -> Response:
        # A provider records their events on a referral without reading the case's record.
        case = access_case(user=request.user, case_ref=reference, action=Action.REFERRAL)
        line, confirm, details = parse_event_body(request.data, case)
        _may_record(request.user, case, line["type"])
        now = clock.now()
        before = Case.objects.values_list("event_seq", flat=True).get(pk=case.pk)
        # One transaction: the version answered is the one this write made, read while the
        # write still holds the case's lock (another write cannot slip in between).
        with transaction.atomic(), if_match_case(request, case):
            event_record(
                case, line, actor=acting_user(request), now=now, confirm=confirm, details=details
            )
            version = Case.objects.values_list("version", flat=True).get(pk=case.pk)
        rows = CaseEvent.objects.filter(case=case, seq__gt=before, recorded_at=now).order_by("seq")
        data = {"events": [event_line(case, row) for row in rows], "version": version}
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": etag(version)})


class CaseSessions(ApiMixin, APIView):
    """The sessions of a case, held or missed, with modality and duration (ADR 0028)."""

    @extend_schema(
        summary="The case's sessions: held, not attended or cancelled late",
        description="Each booked session with its attendance, modality and duration. Only "
        "a session held has a number and a `session_held` event; one not attended or "
        "cancelled late uses no session of the benefit. A provider sees the sessions of "
        "a case referred to them.",
        responses={200: s.SessionSerializer(many=True)},
    )
    def get(self, request: Request, reference: str) -> Response:
        case = access_case(user=request.user, case_ref=reference, action=Action.REFERRAL)
        rows = case.sessions.select_related("provider").order_by("held_at", "pk")
        if not may(request.user, case, Action.VIEW):
            rows = rows.filter(provider=case.provider)
        read_record(request, action="api.case_sessions_read", case=case)
        return Response(s.SessionSerializer(rows, many=True).data)

    @extend_schema(
        summary="Record a session on the case",
        description="A session held (recorded as `session_held`, judged against what is "
        "authorised: 409 with `reasons` until sent with `confirm`), or one not attended or "
        "cancelled late (no history event). Through the same service as the case page and the "
        "provider portal. An `Idempotency-Key` header makes a retry safe.",
        request=s.SessionWriteSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, location=OpenApiParameter.HEADER, required=False
            )
        ],
        responses={201: s.SessionSerializer},
    )
    def post(self, request: Request, reference: str) -> Response:
        return idempotent(request, lambda: self._record(request, reference))

    def _record(self, request: Request, reference: str) -> Response:
        case = access_case(user=request.user, case_ref=reference, action=Action.REFERRAL)
        _may_record(request.user, case, "session_held")
        data = _valid(s.SessionWriteSerializer, request.data)
        now = clock.now()
        session = case_services.session_record(
            actor=acting_user(request),
            case=case,
            now=now,
            at=data.get("at"),
            attendance=data["attendance"],
            modality=data["modality"],
            duration_minutes=data.get("duration_minutes"),
            note=data["note"],
            confirm=data["confirm"],
        )
        return Response(s.SessionSerializer(session).data, status=status.HTTP_201_CREATED)


# --- participants ------------------------------------------------------------------------------


def _participants(request: Request) -> QuerySet[Participant]:
    visible = cases_visible_to(request.user).order_by("reference")
    # Those of the cases the user sees, and those their Partner registered (no case yet).
    findable = participants_visible_to(request.user).values("pk")
    return (
        Participant.objects.filter(Q(cases__in=_visible_ids(request)) | Q(pk__in=findable))
        .distinct()
        .select_related("client")
        .prefetch_related(Prefetch("cases", queryset=visible, to_attr="visible_cases"))
    )


@extend_schema(
    summary="Participants of the cases the user may see",
    parameters=[OpenApiParameter("case", str, description="a case reference")],
)
class ParticipantList(AuditedListMixin, ApiMixin, generics.ListAPIView[Participant]):
    serializer_class = s.ParticipantSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[Participant]:
        rows = _participants(self.request)
        if self.request.query_params.get("case"):
            rows = rows.filter(cases__reference=self.request.query_params["case"])
        return rows.order_by("pk")

    @extend_schema(
        summary="Register a participant",
        description="Through the same service as /cases/new/: Partner staff register for "
        "their own Partner. An `Idempotency-Key` header makes a retry safe.",
        request=s.ParticipantWriteSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, location=OpenApiParameter.HEADER, required=False
            )
        ],
        responses={201: s.ParticipantSerializer},
    )
    def post(self, request: Request) -> Response:
        return idempotent(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        new = _new_participant(_valid(s.ParticipantWriteSerializer, request.data), prefix="")
        participant = participant_register(actor=acting_user(request), new=new, now=clock.now())
        row = _participants(request).get(pk=participant.pk)
        return Response(s.ParticipantSerializer(row).data, status=status.HTTP_201_CREATED)


@extend_schema(summary="One participant of a case the user may see")
class ParticipantDetail(ApiMixin, generics.GenericAPIView[Participant]):
    serializer_class = s.ParticipantSerializer

    def get(self, request: Request, pk: int) -> Response:
        participant = _participants(request).filter(pk=pk).first()
        if participant is None:
            raise NotFound("No such participant.", field="participant")
        read_record(request, action="api.participant_read", obj=participant)
        return Response(s.ParticipantSerializer(participant).data)

    @extend_schema(
        summary="Change a participant's contact details and preferences",
        description="Changed preferences are recorded as `participant_updated` on every open "
        "case of the participant, so the engine judges later attempts by them. Only Partner "
        "clinicians and leads (of a Partner that has them) and WPO clinicians may.",
        request=s.ParticipantPatchSerializer,
        responses={200: s.ParticipantSerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        participant = participants_visible_to(request.user).filter(pk=pk).first()
        if participant is None:
            raise NotFound("No such participant.", field="participant")
        if partners_opening_for(request.user) == []:
            raise PermissionDenied("You may not change participants.", field="participant")
        data = _valid(s.ParticipantPatchSerializer, request.data, partial=True)
        details = {k: v for k, v in data.items() if k in case_services.DETAIL_FIELDS}
        case_services.participant_details_update(
            actor=acting_user(request),
            participant=participant,
            details=details,
            preferences=dict(data.get("preferences") or {}),
            source=data.get("source", "participant"),
            now=clock.now(),
            at=data.get("at"),
        )
        return Response(s.ParticipantSerializer(_participants(request).get(pk=pk)).data)


def _valid(serializer: Any, data: Any, partial: bool = False) -> dict[str, Any]:
    """The posted body in the shape the serializer describes (400 naming the field)."""
    checker = serializer(data=data, partial=partial)
    checker.is_valid(raise_exception=True)
    return dict(checker.validated_data)


def _new_participant(data: dict[str, Any], prefix: str) -> NewParticipant:
    client = None
    if data.get("client"):
        client = ClientOrganisation.objects.filter(code=data["client"]).first()
        if client is None:
            raise ServiceError("no such client organisation", field=f"{prefix}client")
    elif data.get("access_line"):
        client = client_by_access_line(data["access_line"])
        if client is None:
            raise ServiceError("no client organisation has this line", field=f"{prefix}access_line")
    return NewParticipant(
        full_name=data["full_name"],
        client=client,
        preferred_name=data.get("preferred_name", ""),
        date_of_birth=data.get("date_of_birth"),
        phone=data.get("phone", ""),
        email=data.get("email", ""),
        employee_number=data.get("employee_number", ""),
        language=data.get("language", ""),
        interpreter_needed=bool(data.get("interpreter_needed", False)),
        country=data["country"],
        region=data.get("region", ""),
        preferences=dict(data.get("preferences") or {}),
    )


# --- obligations (the work queue) --------------------------------------------------------------


@extend_schema(
    summary="The work queue: unsatisfied obligations of the cases the user may see",
    description="Open and overdue obligations, soonest due first (those without a deadline "
    "last). `status` is `overdue` once `due_at` has passed.",
    parameters=[
        OpenApiParameter("case", str, description="a case reference"),
        OpenApiParameter("rule", str, description="a rule id, e.g. CM-CALLBACK"),
        OpenApiParameter("partner", str, description="a Partner's code"),
        OpenApiParameter("overdue", bool, description="only overdue (true) or not yet (false)"),
        OpenApiParameter("assigned", str, enum=["me"], description="cases assigned to me"),
        OpenApiParameter("due_before", OpenApiTypes.DATETIME, description="due before this"),
    ],
)
class ObligationList(AuditedListMixin, ApiMixin, generics.ListAPIView[Obligation]):
    serializer_class = s.ObligationSerializer
    pagination_class = Pagination

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["now"] = self.now
        return context

    def get_queryset(self) -> QuerySet[Obligation]:
        self.now = clock.now()
        params = self.request.query_params
        rows = Obligation.objects.filter(
            case__in=_visible_ids(self.request), status__in=UNSATISFIED
        ).select_related("case")
        if params.get("case"):
            rows = rows.filter(case__reference=params["case"])
        if params.get("rule"):
            rows = rows.filter(rule=params["rule"])
        if params.get("partner"):
            rows = rows.filter(partner__code=params["partner"])
        if params.get("assigned"):
            if params["assigned"] != "me":
                raise ServiceError("must be me", field="assigned")
            rows = rows.filter(case__assigned_clinician=_user(self.request))
        overdue = _flag(self.request, "overdue")
        if overdue is True:
            rows = rows.filter(due_at__lte=self.now)
        elif overdue is False:
            rows = rows.exclude(due_at__lte=self.now)
        due_before = _instant(self.request, "due_before")
        if due_before is not None:
            rows = rows.filter(due_at__lt=due_before)
        return rows.order_by(F("due_at").asc(nulls_last=True), "opened_at", "pk")


# --- escalations -------------------------------------------------------------------------------


def _escalations(request: Request) -> QuerySet[Escalation]:
    return Escalation.objects.filter(case__in=_visible_ids(request)).select_related(
        "case", "raised_by", "acknowledged_by"
    )


def _escalation(request: Request, pk: int) -> Escalation:
    escalation = _escalations(request).filter(pk=pk).first()
    if escalation is None:
        raise NotFound("No such escalation.", field="escalation")
    return escalation


@extend_schema(
    summary="Escalations to WPO on the cases the user may see",
    parameters=[
        OpenApiParameter("acknowledged", bool, description="acknowledged by WPO or not"),
        OpenApiParameter("case", str, description="a case reference"),
    ],
)
class EscalationList(AuditedListMixin, ApiMixin, generics.ListAPIView[Escalation]):
    serializer_class = s.EscalationSerializer
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[Escalation]:
        rows = _escalations(self.request)
        acknowledged = _flag(self.request, "acknowledged")
        if acknowledged is not None:
            rows = rows.filter(acknowledged_at__isnull=not acknowledged)
        if self.request.query_params.get("case"):
            rows = rows.filter(case__reference=self.request.query_params["case"])
        return rows.order_by("-raised_at", "-pk")


@extend_schema(summary="One escalation")
class EscalationDetail(ApiMixin, generics.GenericAPIView[Escalation]):
    serializer_class = s.EscalationSerializer

    def get(self, request: Request, pk: int) -> Response:
        escalation = _escalation(request, pk)
        read_record(request, action="api.escalation_read", case=escalation.case, obj=escalation)
        return Response(s.EscalationSerializer(escalation).data)


class EscalationAcknowledge(ApiMixin, generics.GenericAPIView[Escalation]):
    serializer_class = s.EscalationAcknowledgeSerializer

    @extend_schema(
        summary="WPO acknowledges an escalation",
        request=s.EscalationAcknowledgeSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, location=OpenApiParameter.HEADER, required=False
            )
        ],
        responses={200: s.EscalationSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        return idempotent(request, lambda: self._acknowledge(request, pk))

    def _acknowledge(self, request: Request, pk: int) -> Response:
        escalation = _escalation(request, pk)
        if not may(request.user, escalation.case, Action.ACKNOWLEDGE):
            raise PermissionDenied("Only WPO acknowledges an escalation.", field="escalation")
        form = s.EscalationAcknowledgeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        escalation = case_services.escalation_acknowledge(
            actor=acting_user(request),
            escalation=escalation,
            note=form.validated_data["note"],
            now=clock.now(),
        )
        return Response(s.EscalationSerializer(_escalation(request, escalation.pk)).data)
