"""The case record: participants and their cases, the case history (append-only CaseEvent rows
in the history format), the obligations and findings the policy engine derives from it,
overrides, escalations to WPO, sessions, the first-session review and the benefit ledger,
Partner notes, participant queries and dissatisfaction."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from eapcase.cases.choices import (
    PREFERENCE_COLUMNS,
    Attendance,
    AuthorisationOrigin,
    CaseOutcome,
    CaseStatus,
    CaseType,
    EscalationReason,
    Modality,
    ObligationStatus,
    PreferenceSource,
    Referral,
    ReviewDecision,
    RiskLevel,
    Severity,
)
from eapcase.core import searchkeys

#: The columns search reads through their keys, and the keys.
SEARCHED = frozenset({"full_name", "preferred_name", "phone", "email", "employee_number"})
SEARCH_KEYS = ("name_key", "phone_digits", "phone_tail", "email_key", "employee_key")


class Participant(models.Model):
    """A person using the service. Current contact preferences are kept here for fast reads;
    each change, with its source and date, is a ContactPreference row."""

    client = models.ForeignKey(
        "organisations.ClientOrganisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="participants",
    )
    full_name = models.CharField(max_length=200)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    # The case-life columns carry database defaults: bulk writers that name their columns
    # (perf.generator) leave them out.
    region = models.CharField(
        max_length=60, blank=True, db_default="", help_text="State, province or region."
    )
    employee_number = models.CharField(max_length=40, blank=True, db_default="")
    language = models.CharField(
        max_length=40, blank=True, db_default="", help_text="Preferred language."
    )
    interpreter_needed = models.BooleanField(default=False, db_default=False)
    # The Partner whose staff registered the participant (None: WPO, import): with the
    # Partners of their cases, who may find them (cases.participant_access).
    registered_by_partner = models.ForeignKey(
        "organisations.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    # Where the participant is, for a client's contact-time window stated in their time
    # (ADR 0027). Empty: unknown, and the Partner's zone is used with that said.
    timezone = models.CharField(
        max_length=64, blank=True, db_default="", help_text="IANA time zone, e.g. Europe/London."
    )
    has_phone = models.BooleanField(default=True)
    has_email = models.BooleanField(default=True)
    voicemail_ok = models.BooleanField(default=True)
    email_messages_ok = models.BooleanField(default=True)
    email_only = models.BooleanField(default=False)
    email_consent = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    # A record merged into another one that is the same person (ADR 0029): kept, never deleted,
    # so what it held stays traceable; its cases moved to `merged_into`.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_records",
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    merge_reason = models.CharField(max_length=500, blank=True, db_default="")
    # Search keys (core.searchkeys, ADR 0039): what search compares, filled by save() from the
    # columns above; bulk writers (perf.generator) fill them themselves.
    name_key = models.CharField(max_length=320, blank=True, db_default="", editable=False)
    phone_digits = models.CharField(max_length=40, blank=True, db_default="", editable=False)
    phone_tail = models.CharField(max_length=9, blank=True, db_default="", editable=False)
    email_key = models.CharField(max_length=254, blank=True, db_default="", editable=False)
    employee_key = models.CharField(max_length=40, blank=True, db_default="", editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["email"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["full_name", "date_of_birth"]),
            models.Index(fields=["phone_tail"], name="participant_phone_tail"),
            models.Index(fields=["email_key"], name="participant_email_key"),
            models.Index(fields=["employee_key"], name="participant_employee_key"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(merged_at__isnull=False),
                name="participant_merged_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")), name="participant_not_merged_into_self"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, **kwargs: Any) -> None:
        """Saves with the search keys made from what is saved (a partial save of a searched
        column saves its key too)."""
        self.fill_search_keys()
        fields = kwargs.get("update_fields")
        if fields is not None and SEARCHED & set(fields):
            kwargs["update_fields"] = {*fields, *SEARCH_KEYS}
        super().save(**kwargs)

    def fill_search_keys(self) -> None:
        def text(value: object) -> str:
            # A column left to its database default holds a DatabaseDefault until saved.
            return value if isinstance(value, str) else ""

        self.name_key = searchkeys.name_key(text(self.full_name), text(self.preferred_name))[:320]
        self.phone_digits = searchkeys.phone_key(text(self.phone))[:40]
        self.phone_tail = searchkeys.phone_tail(text(self.phone))
        self.email_key = searchkeys.email_key(text(self.email))[:254]
        self.employee_key = searchkeys.employee_key(text(self.employee_number))[:40]

    def preferences(self) -> dict[str, bool]:
        """The participant object of the history format."""
        return {field: getattr(self, column) for field, column in PREFERENCE_COLUMNS.items()}


class ContactPreference(models.Model):
    """One statement of a contact preference or consent: what, its value, who said it, when."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="preference_history"
    )
    field = models.CharField(max_length=30)
    value = models.BooleanField()
    source = models.CharField(max_length=20, choices=PreferenceSource.choices)
    stated_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["participant", "stated_at", "id"]

    def __str__(self) -> str:
        return f"{self.field}={self.value} ({self.source})"


class Case(models.Model):
    """A case: one participant's episode of care, managed by one Partner."""

    reference = models.CharField(max_length=40, unique=True)
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="cases")
    client = models.ForeignKey(
        "organisations.ClientOrganisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    partner = models.ForeignKey(
        "organisations.Partner", on_delete=models.PROTECT, related_name="cases"
    )
    provider = models.ForeignKey(
        "organisations.Provider",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        help_text="The provider the case is referred to.",
    )
    assigned_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    referral = models.CharField(max_length=30, choices=Referral.choices)
    case_type = models.CharField(max_length=30, choices=CaseType.choices)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    # The one source of the case's risk on every page (ADR 0025): kept by cases.services.risk_set
    # as the level of the latest risk_set event, with the reason given for it.
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices, default=RiskLevel.NONE)
    risk_reason = models.CharField(max_length=500, blank=True, db_default="")
    benefit_sessions = models.PositiveSmallIntegerField()
    presenting_issue = models.CharField(max_length=200, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.CharField(max_length=200, blank=True)
    # The latest closure's outcome and note (cases.services.case_close); kept when the case is
    # reopened so the last closure stays readable, overwritten by the next one.
    closure_outcome = models.CharField(
        max_length=20, choices=CaseOutcome.choices, blank=True, db_default=""
    )
    closure_note = models.TextField(blank=True, db_default="")
    # Why WPO chose another Partner than the routing table proposed, or changed the benefit.
    partner_reason = models.CharField(max_length=500, blank=True, db_default="")
    benefit_reason = models.CharField(max_length=500, blank=True, db_default="")
    # The participant object of the history's case line, fixed when the case opened; later
    # changes are participant_updated events.
    opening_preferences = models.JSONField(default=dict)
    # Ordinal of the last event appended; events keep a per-case sequence under a row lock.
    event_seq = models.PositiveIntegerField(default=0)
    # The case's version: raised by every write (cases.record.case_write), so a form or an API
    # client that read version N can have its write refused when another landed first
    # (optimistic concurrency, ADR 0038). A database default: bulk loaders need not name it.
    version = models.PositiveIntegerField(default=0, db_default=0)
    next_step = models.CharField(max_length=500, blank=True)
    last_summary = models.CharField(max_length=1000, blank=True)
    # When time alone next changes the engine's verdict (a deadline passing, an email's 24
    # hours running out): the worker refreshes the case then, so no obligation waits for an
    # unrelated write to appear.
    reevaluate_at = models.DateTimeField(null=True, blank=True)
    # The engine's derived state at the last refresh (cases.bridge.engine_state_json):
    # the case page reads it instead of replaying the history.
    engine_state = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["partner", "status"]),
            models.Index(fields=["assigned_clinician", "status"]),
            models.Index(fields=["provider", "status"]),
            models.Index(
                fields=["reevaluate_at"],
                name="case_reevaluate_due",
                condition=Q(reevaluate_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="case_closed_has_time",
            ),
            models.CheckConstraint(condition=Q(benefit_sessions__gte=0), name="case_benefit"),
        ]

    def __str__(self) -> str:
        return self.reference


class Session(models.Model):
    """A booked session with the provider: held (a `session_held` event, numbered), or not
    attended or cancelled late (no event, no number: it is not a session held and counts
    against neither the benefit nor the authorisation; ADR 0028). Modality and duration are
    the app's own record; the history format does not carry them."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sessions")
    provider = models.ForeignKey(
        "organisations.Provider", null=True, blank=True, on_delete=models.PROTECT
    )
    # Only sessions held are numbered (1, 2, ... in the order recorded).
    number = models.PositiveSmallIntegerField(null=True, blank=True)
    held_at = models.DateTimeField(help_text="When it was held, or was booked for.")
    event_id = models.CharField(max_length=60, blank=True)
    # Database defaults: bulk writers that name their columns (perf.generator) leave them out.
    attendance = models.CharField(
        max_length=20,
        choices=Attendance.choices,
        default=Attendance.ATTENDED,
        db_default=Attendance.ATTENDED,
    )
    modality = models.CharField(max_length=10, choices=Modality.choices, blank=True, db_default="")
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True, db_default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="session_number_once"),
            # A session held has its number and event; a missed one has neither.
            models.CheckConstraint(
                condition=Q(attendance="attended", number__isnull=False)
                | (~Q(attendance="attended") & Q(number__isnull=True, event_id="")),
                name="session_held_is_numbered",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True)
                | Q(duration_minutes__gte=1, duration_minutes__lte=600),
                name="session_duration_range",
            ),
        ]
        ordering = ["case", "held_at", "id"]

    def __str__(self) -> str:
        if self.number is None:
            return f"{self.get_attendance_display()} session of {self.case_id}"
        return f"session {self.number} of {self.case_id}"


class CaseAssignment(models.Model):
    """One allocation or reassignment of a case: to whom (None: back to the unallocated list),
    by whom, when and why. Not a history event (the policy does not judge it); the case
    timeline shows these rows beside the events."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return f"assignment of {self.case_id} at {self.at:%Y-%m-%d %H:%M}"


class CaseVersion(models.Model):
    """The write that made one version of a case (cases.record.case_write): when, by whom, which
    service action, the events it appended and what its audit row says. What a writer refused
    as stale is told happened since the version they read (cases.changes, ADR 0038)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60)
    events = models.JSONField(default=list)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="case_version_once"),
        ]

    def __str__(self) -> str:
        return f"version {self.version} of {self.case_id}"


class RiskRecord(models.Model):
    """The reason given with one risk_set event (the history format carries the level only)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="risk_records")
    level = models.CharField(max_length=10, choices=RiskLevel.choices)
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event_id = models.CharField(max_length=60)

    class Meta:
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return f"risk {self.level} on {self.case_id}"


class Review(models.Model):
    """The first-session review of a couples, family, minor, transitional or assessment case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(max_length=30, choices=ReviewDecision.choices)
    sessions = models.PositiveSmallIntegerField(default=0)
    resources = models.JSONField(default=list, blank=True)
    transition_destination = models.CharField(max_length=200, blank=True)
    rationale = models.TextField(blank=True)
    completed_at = models.DateTimeField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    event_id = models.CharField(max_length=60)

    def __str__(self) -> str:
        return f"review {self.decision} of {self.case_id}"


class Authorisation(models.Model):
    """A line of the benefit ledger: sessions authorised for the case, and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="authorisations")
    origin = models.CharField(max_length=10, choices=AuthorisationOrigin.choices)
    review = models.OneToOneField(Review, null=True, blank=True, on_delete=models.CASCADE)
    sessions = models.PositiveSmallIntegerField()
    authorised_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "authorised_at", "id"]

    def __str__(self) -> str:
        return f"{self.sessions} session(s), {self.origin}"


class Note(models.Model):
    """A Partner's case note: what was done or agreed, and the next step."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    written_at = models.DateTimeField()
    summary = models.TextField()
    next_step = models.CharField(max_length=500)
    event_id = models.CharField(max_length=60)

    def __str__(self) -> str:
        return f"note {self.event_id} of {self.case_id}"


class ParticipantQuery(models.Model):
    """A participant's query on the case and its resolution."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="queries")
    received_at = models.DateTimeField()
    channel = models.CharField(max_length=20, default="phone")
    text = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    event_id = models.CharField(max_length=60)
    resolution_event_id = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | ~Q(resolution=""),
                name="query_resolution_text",
            )
        ]

    def __str__(self) -> str:
        return f"query {self.event_id} of {self.case_id}"


class Dissatisfaction(models.Model):
    """The Partner learnt that the participant is dissatisfied with some aspect of care."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="dissatisfactions")
    noted_at = models.DateTimeField()
    aspect = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    escalation = models.OneToOneField("Escalation", null=True, blank=True, on_delete=models.PROTECT)
    event_id = models.CharField(max_length=60)

    def __str__(self) -> str:
        return f"dissatisfaction {self.event_id} of {self.case_id}"


class CaseEvent(models.Model):
    """One line of the case's history (shared/spec/history-format.md). Never updated or deleted:
    the history is the source of truth for compliance."""

    case = models.ForeignKey("Case", on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField(help_text="Order of recording within the case.")
    event_id = models.CharField(max_length=60)
    type = models.CharField(max_length=40)
    at = models.DateTimeField(help_text="When it happened.")
    by = models.CharField(max_length=150, blank=True, help_text="Who did it (username).")
    fields = models.JSONField(default=dict, help_text="The type's fields, as in the history.")
    recorded_at = models.DateTimeField(help_text="When it was written down.")
    hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="HMAC of every column, made at append; named by the write's audit row.",
    )

    class Meta:
        db_table = "compliance_caseevent"  # moved from the compliance app: ADR 0003
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq_once"),
            models.UniqueConstraint(fields=["case", "event_id"], name="case_event_id_once"),
        ]
        indexes = [models.Index(fields=["case", "at", "seq"])]
        ordering = ["case", "at", "seq"]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.event_id} {self.type}"


class Obligation(models.Model):
    """What the engine says the Partner owes on a case. A projection kept equal to the
    engine's answer on every write to the case (only the rows that differ are written, each
    stamped `evaluated_at`); read by the work queues."""

    case = models.ForeignKey("Case", on_delete=models.CASCADE, related_name="obligations")
    # Denormalised from the case so the queues filter without a join.
    partner = models.ForeignKey("organisations.Partner", on_delete=models.CASCADE)
    assigned_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The case's clinician, kept in step by the services.",
    )
    rule = models.CharField(max_length=40)
    trigger = models.CharField(max_length=60)
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    satisfied_at = models.DateTimeField(null=True, blank=True)
    satisfied_by = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=10, choices=ObligationStatus.choices)
    target = models.CharField(max_length=12, blank=True)
    attempts_made = models.PositiveSmallIntegerField(null=True, blank=True)
    attempts_required = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    revision = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField(help_text="Order of opening within the case.")
    evaluated_at = models.DateTimeField()
    # When the sweep next has something to send for it (its escalation, reminder or deadline
    # notice; notifications.timing.next_notice_at); None when nothing more. Written by the
    # refresh, advanced by the sweep: the sweep reads only the rows whose instant has come.
    next_notice_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "compliance_obligation"  # moved from the compliance app: ADR 0003
        constraints = [
            models.UniqueConstraint(fields=["case", "rule", "trigger"], name="obligation_once"),
        ]
        indexes = [
            models.Index(fields=["partner", "status", "due_at"], name="obligation_queue"),
            models.Index(
                fields=["assigned_clinician", "status", "due_at"], name="obligation_my_queue"
            ),
            # The work queue: a clinician's cases, then their unsatisfied obligations.
            models.Index(fields=["case", "status"], name="obligation_case_status"),
            models.Index(
                fields=["status", "due_at"],
                name="obligation_unsatisfied",
                condition=Q(status__in=["open", "overdue"]),
            ),
            # The sweep: only the rows with something to send, by when (ADR 0042).
            models.Index(
                fields=["next_notice_at"],
                name="obligation_next_notice",
                condition=Q(next_notice_at__isnull=False),
            ),
        ]
        ordering = ["case", "position"]

    def __str__(self) -> str:
        return f"{self.rule} {self.trigger} {self.status}"


class Finding(models.Model):
    """A single event that breaks a rule (breach) or should make a clinician think (warning)."""

    case = models.ForeignKey("Case", on_delete=models.CASCADE, related_name="findings")
    partner = models.ForeignKey("organisations.Partner", on_delete=models.CASCADE)
    rule = models.CharField(max_length=40)
    event_id = models.CharField(max_length=60)
    at = models.DateTimeField()
    severity = models.CharField(max_length=10, choices=Severity.choices)
    detail = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField()

    class Meta:
        db_table = "compliance_finding"  # moved from the compliance app: ADR 0003
        constraints = [
            models.UniqueConstraint(fields=["case", "rule", "event_id"], name="finding_once"),
        ]
        indexes = [models.Index(fields=["partner", "severity", "at"])]
        ordering = ["case", "position"]

    def __str__(self) -> str:
        return f"{self.rule} on {self.event_id}"


class Escalation(models.Model):
    """The Partner informed or escalated to WPO; WPO acknowledges it."""

    case = models.ForeignKey("Case", on_delete=models.CASCADE, related_name="escalations")
    reason = models.CharField(max_length=20, choices=EscalationReason.choices)
    summary = models.TextField()
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations_raised",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations_acknowledged",
    )
    acknowledgement_note = models.TextField(blank=True)
    event_id = models.CharField(max_length=60)

    class Meta:
        db_table = "compliance_escalation"  # moved from the compliance app: ADR 0003
        indexes = [models.Index(fields=["acknowledged_at", "raised_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="escalation_acknowledged_by_someone",
            )
        ]

    def __str__(self) -> str:
        return f"escalation {self.reason} of {self.case_id}"


class Override(models.Model):
    """A clinician went ahead although the engine found that the write breaks or strains a
    rule: what it found and the reason given, kept with the case."""

    case = models.ForeignKey("Case", on_delete=models.CASCADE, related_name="overrides")
    event_ids = models.JSONField(default=list)
    findings = models.JSONField(default=list, help_text="What the engine found, in words.")
    reason = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    at = models.DateTimeField()

    class Meta:
        db_table = "compliance_override"  # moved from the compliance app: ADR 0003
        ordering = ["case", "at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason")]

    def __str__(self) -> str:
        return f"override on {self.case_id} at {self.at:%Y-%m-%d %H:%M}"
