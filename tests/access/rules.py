"""Who may reach every URL of eapcase, by URL pattern name: the table the generated access
matrix (tests/access/test_matrix.py, ADR 0037) checks every attempt against, and the list
tests/access/test_rules.py holds every URL pattern Django resolves against.

ADDING A URL? Add ONE line to RULES below, keyed by the pattern's full name
("namespace:name"), e.g.

    "cases:merge": case(MANAGE, "GET POST", sub="case"),
    "web:audit": page("GET", who=WPO),
    "participants:detail": participant("GET"),

`test_every_url_pattern_has_a_rule` fails naming any pattern without a line here. A key ending
in ":*" covers a whole namespace (the admin site). The helpers:

- public(methods): anybody, logged in or not.
- page(methods, who=...): a page without an object; anonymous -> login page, a logged-in
  user for whom `who(actor)` is false -> 403.
- case(action, methods, sub=None): a URL naming a case by reference (and maybe one of its
  objects, `sub` = the object kind of tests/access/world.py's `ids`): the access gate's rule
  (cases/access.py) restated: missing or unreachable -> 404, reachable but not allowed -> 403,
  an object of another case -> 404.
- obj(kind, methods, ...): a URL naming an object by id without its case (emails, inbound
  messages, attachments, escalations, notifications, tokens).
- api(...): the same for /api/v1/, where anonymous gets 401/403 and a read-only token 403
  on writes.

`methods` are the methods the URL takes; any other gets 405 (or the denial it would get
anyway). "HEAD" comes with "GET". Outcomes: "ok" (a page, a redirect that is not to a login
page, a form error), "404", "403", "405", "login" (a redirect to a login page), "401"; an
outcome "ok|403" accepts either.
The actors' standing (ACTORS) and the cases (CASE_PARTNER, CASE_PROVIDER) are stated here by
hand, never read from the application: the table is the specification, not a copy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# --- the actors, as the specification sees them -----------------------------------------------


@dataclass(frozen=True)
class Actor:
    key: str
    wpo_clinician: bool = False
    wpo_admin: bool = False
    partner: str | None = None  # "A" or "B"
    partner_role: str | None = None  # "clinician", "lead", "admin"
    provider: str | None = None  # "1" (referred a1), "x" (referred nothing)
    token: str | None = None  # None (session or anonymous), "ro", "rw"
    user: str | None = None  # the user behind a token actor; None: anonymous

    @property
    def anonymous(self) -> bool:
        return self.user is None

    @property
    def clinical(self) -> bool:
        """Partner clinicians and leads, WPO clinicians: who has a work queue."""
        return self.wpo_clinician or self.partner_role in {"clinician", "lead"}

    @property
    def staff(self) -> bool:
        """WPO clinicians and Partner staff: the email queue, triage, the policy page."""
        return self.wpo_clinician or self.partner is not None


def _people() -> dict[str, Actor]:
    base = {
        "anonymous": Actor("anonymous"),
        "wpo_clinician": Actor("wpo_clinician", wpo_clinician=True),
        "wpo_admin": Actor("wpo_admin", wpo_admin=True),
        "partner_clinician_a": Actor("partner_clinician_a", partner="A", partner_role="clinician"),
        "partner_lead_a": Actor("partner_lead_a", partner="A", partner_role="lead"),
        "partner_admin_a": Actor("partner_admin_a", partner="A", partner_role="admin"),
        "partner_clinician_b": Actor("partner_clinician_b", partner="B", partner_role="clinician"),
        "partner_lead_b": Actor("partner_lead_b", partner="B", partner_role="lead"),
        "provider_1": Actor("provider_1", provider="1"),
        "provider_x": Actor("provider_x", provider="x"),
    }
    people = {
        k: Actor(**{**a.__dict__, "user": None if k == "anonymous" else k}) for k, a in base.items()
    }
    tokens = {
        "token_wpo_clinician_rw": ("wpo_clinician", "rw"),
        "token_wpo_clinician_ro": ("wpo_clinician", "ro"),
        "token_wpo_admin_rw": ("wpo_admin", "rw"),
        "token_partner_clinician_a_rw": ("partner_clinician_a", "rw"),
        "token_partner_clinician_a_ro": ("partner_clinician_a", "ro"),
        "token_partner_lead_b_rw": ("partner_lead_b", "rw"),
        "token_provider_1_ro": ("provider_1", "ro"),
    }
    for key, (user, mode) in tokens.items():
        people[key] = Actor(**{**people[user].__dict__, "key": key, "token": mode})
    return people


ACTORS: dict[str, Actor] = _people()

# The cases: Partner and the provider they are referred to.
CASE_PARTNER = {"a1": "A", "a0": "A", "b2": "B"}
CASE_PROVIDER = {"a1": "1", "a0": None, "b2": "2"}

VIEW, REFERRAL, MANAGE, ASSIGN, PROVIDE, ACKNOWLEDGE = (
    "view",
    "referral",
    "manage",
    "assign",
    "provide",
    "acknowledge",
)
ROLE_ACTIONS = {
    "clinician": {VIEW, REFERRAL, MANAGE},
    "lead": {VIEW, REFERRAL, MANAGE, ASSIGN},
    "admin": {VIEW, REFERRAL},
}


def case_actions(actor: Actor, case: str) -> set[str]:
    """What the actor may do to the case (ADR 0010, cases/access.py's docstring)."""
    if actor.wpo_clinician:
        return {VIEW, REFERRAL, MANAGE, ASSIGN, ACKNOWLEDGE}
    if actor.partner is not None and actor.partner == CASE_PARTNER[case]:
        return set(ROLE_ACTIONS[actor.partner_role or ""])
    if actor.provider is not None and actor.provider == CASE_PROVIDER[case]:
        return {REFERRAL, PROVIDE}
    return set()


def gate(actor: Actor, case: str | None, action: str) -> str:
    """The gate's answer: missing and unreachable look the same."""
    if case is None:
        return "404"
    allowed = case_actions(actor, case)
    if action in allowed:
        return "ok"
    return "403" if allowed & {VIEW, REFERRAL} else "404"


# --- the targets and the rules ----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a URL names: `case` (a case key, None for a missing case); `obj` the owner key of
    the second object (the case it belongs to, the user or Partner it belongs to; None for a
    missing object). `obj_kind` is the kind of object the URL was filled with."""

    case: str | None = None
    obj: str | None = None


Decide = Callable[[Actor, Target], str]


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str]
    decide: Decide  # the outcome for a logged-in actor using one of `methods`
    anon: str = "login"
    api: bool = False
    writes: frozenset[str] = field(default_factory=frozenset)
    kinds: tuple[str, ...] = ()  # the object kinds the URL's ids are drawn from
    also: frozenset[str] = frozenset()  # other acceptable outcomes (a health check's 503)
    # The outcome of a write (POST, PATCH, PUT, DELETE) when it differs from a read's.
    decide_write: Decide | None = None


def _methods(spec: str) -> frozenset[str]:
    methods = set(spec.split())
    if "GET" in methods:
        methods.add("HEAD")
    return frozenset(methods)


Who = Callable[[Actor], bool]
ANYONE: Who = lambda a: True  # noqa: E731
WPO: Who = lambda a: a.wpo_clinician  # noqa: E731
CLINICAL: Who = lambda a: a.clinical  # noqa: E731
STAFF: Who = lambda a: a.staff  # noqa: E731
PROVIDERS: Who = lambda a: a.provider is not None  # noqa: E731
LEADS_AND_WPO: Who = lambda a: a.wpo_clinician or a.partner_role == "lead"  # noqa: E731


def notes_file(a: Actor, t: Target) -> str:
    """A provider's case-notes file: the provider's side of the case (REFERRAL), then the
    clinicians who may manage the case or the provider who uploaded it; else 404."""
    outcome = gate(a, t.case, REFERRAL)
    if outcome != "ok":
        return outcome
    if t.obj is None or t.obj != t.case:
        return "404"
    allowed = case_actions(a, t.case or "")
    return "ok" if MANAGE in allowed or PROVIDE in allowed else "404"


def public(methods: str = "GET") -> Rule:
    return Rule(_methods(methods), lambda a, t: "ok", anon="ok")


def page(
    methods: str = "GET", who: Who = ANYONE, denial: str = "403", post: Who | None = None
) -> Rule:
    """A page without an object; `post`: who may POST to it, when fewer may than read it."""
    posting = None if post is None else (lambda a, t: "ok" if who(a) and post(a) else denial)
    return Rule(_methods(methods), lambda a, t: "ok" if who(a) else denial, decide_write=posting)


def case(action: str, methods: str = "GET", sub: str | None = None, who: Who = ANYONE) -> Rule:
    """A case URL; `sub`: the kind of its second object (which must be of the same case);
    `who`: a check of the actor made before the gate (403)."""

    def decide(a: Actor, t: Target) -> str:
        if not who(a):
            return "403"
        outcome = gate(a, t.case, action)
        if outcome == "ok" and sub is not None and (t.obj is None or t.obj != t.case):
            return "404"
        return outcome

    return Rule(_methods(methods), decide, kinds=(sub,) if sub else ())


def obj(kind: str, methods: str, decide: Decide) -> Rule:
    return Rule(_methods(methods), decide, kinds=(kind,))


def of_case(action: str, who: Who = ANYONE, unreachable: str = "404") -> Decide:
    """An object named by its own id, belonging to a case: the actor must pass `who` (else
    403), find the object (`unreachable` when the case is not theirs to VIEW) and may
    `action` its case (else 403)."""

    def decide(a: Actor, t: Target) -> str:
        if not who(a):
            return "403"
        if t.obj is None:
            return "404"
        allowed = case_actions(a, t.obj)
        if VIEW not in allowed:
            return unreachable
        return "ok" if action in allowed else "403"

    return decide


def of_user(a: Actor, t: Target) -> str:
    """An object of one user's own (a notification, a token): theirs or 404."""
    return "ok" if t.obj is not None and t.obj == a.user else "404"


def of_partner_triage(a: Actor, t: Target) -> str:
    """A message in a Partner's triage (or filed on a case of theirs): staff of that Partner
    and WPO clinicians; other staff 404; anybody else 403."""
    if not a.staff:
        return "403"
    if t.obj is None:
        return "404"
    partner = CASE_PARTNER.get(t.obj, t.obj)
    return "ok" if a.wpo_clinician or a.partner == partner else "404"


def api(
    methods: str = "GET",
    decide: Decide | None = None,
    writes: str = "",
    kinds: tuple[str, ...] = (),
) -> Rule:
    return Rule(
        _methods(methods),
        decide or (lambda a, t: "ok"),
        anon="401",
        api=True,
        writes=frozenset(writes.split()),
        kinds=kinds,
    )


def api_case(action: str) -> Decide:
    return lambda a, t: gate(a, t.case, action)


def wpo_then(inner: Decide) -> Decide:
    return lambda a, t: inner(a, t) if a.wpo_clinician else "403"


def partner_slug(a: Actor, t: Target) -> str:
    if not a.wpo_clinician:
        return "403"
    return "ok" if t.obj is not None else "404"


def participant_page(a: Actor, t: Target) -> str:
    """A participant's page (ADR 0029): who reads a case of theirs; a provider holding a
    referral of one of their cases is refused (403); anybody else finds nothing (404)."""
    if t.obj is None:
        return "404"
    allowed = case_actions(a, t.obj)
    if VIEW in allowed:
        return "ok"
    return "403" if REFERRAL in allowed else "404"


def sessions_write(a: Actor, t: Target) -> str:
    """Recording a session through the API (ADR 0028): who manages the case, and the provider
    it is referred to; who only reads it 403; anybody else 404."""
    outcome = gate(a, t.case, REFERRAL)
    if outcome != "ok":
        return outcome
    allowed = case_actions(a, t.case or "")
    return "ok" if MANAGE in allowed or PROVIDE in allowed else "403"


def notes_inline(a: Actor, t: Target) -> str:
    # As the download; a file that is neither a PDF nor text is not shown inline (404).
    outcome = notes_file(a, t)
    return "ok|404" if outcome == "ok" else outcome


RULES: dict[str, Rule] = {
    # --- public pages and the site's furniture
    "web:favicon": public("GET"),
    "ops:healthz": Rule(_methods("GET"), lambda a, t: "ok", anon="ok", also=frozenset({"503"})),
    # A logged-in user is sent home whatever the method.
    "web:login": Rule(_methods("GET POST PATCH DELETE"), lambda a, t: "ok", anon="ok|405"),
    "web:logout": Rule(_methods("POST"), lambda a, t: "login"),
    "security:password_reset": public("GET POST"),
    "security:password_reset_done": public("GET"),
    # Django's view answers any method with its "invalid link" page.
    "security:password_reset_confirm": public("GET POST PATCH DELETE"),
    "security:password_reset_complete": public("GET"),
    # The admin site: WPO admins (who may still lack a model's permission: 403, or find no
    # object 1: 404); everybody else is sent to its login page. Its pages take any method.
    "admin:*": Rule(
        _methods("GET POST PATCH DELETE"),
        lambda a, t: "ok|403|404|405" if a.wpo_admin else "login",
    ),
    "admin:login": public("GET POST"),
    "admin:logout": Rule(
        _methods("GET POST PATCH DELETE"), lambda a, t: "ok|login|405", anon="ok|login|405"
    ),
    # --- any logged-in user: their own account
    "web:home": page("GET"),
    "security:mfa_setup": page("GET POST"),
    "security:mfa_verify": page("GET POST"),
    "security:recovery_codes": page("GET POST"),
    "security:session": Rule(_methods("GET POST"), lambda a, t: "ok", anon="401"),
    "security:tokens": page("GET POST"),
    # Another's token or a missing one: back to the tokens page, "No such token" (the service
    # looks among the user's own only; tests/security/test_tokens.py).
    "security:token_revoke": obj("token", "POST", lambda a, t: "ok"),
    "security:password_change": page("GET POST"),
    "security:password_change_done": page("GET"),
    "notifications:list": page("GET"),
    "notifications:read": obj("notification", "POST", of_user),
    "notifications:read_all": page("POST"),
    # --- the case pages (cases/access.py's gate)
    "cases:list": page("GET"),
    "cases:new": page("GET POST", who=CLINICAL),
    "cases:detail": case(VIEW),
    "cases:handover": case(VIEW),
    "cases:attempt": case(MANAGE, "GET POST"),
    "cases:callback": case(MANAGE, "GET POST"),
    "cases:outreach": case(MANAGE, "GET POST"),
    "cases:outreach-close": case(MANAGE, "GET POST", sub="outreach"),
    "cases:session": case(MANAGE, "GET POST"),
    "cases:review": case(MANAGE, "GET POST"),
    "cases:note": case(MANAGE, "GET POST"),
    "cases:query": case(MANAGE, "GET POST"),
    "cases:query-resolve": case(MANAGE, "GET POST", sub="query"),
    "cases:dissatisfaction": case(MANAGE, "GET POST"),
    "cases:escalate": case(MANAGE, "GET POST"),
    "cases:email-acknowledge": case(MANAGE, "GET POST", sub="email"),
    "cases:email-action": case(MANAGE, "GET POST", sub="email"),
    "cases:provider-answer": case(MANAGE, "GET POST", sub="provider_contact"),
    "cases:notes-review": case(MANAGE, "GET POST", sub="notes_file"),
    "cases:close": case(MANAGE, "GET POST"),
    "cases:reopen": case(MANAGE, "GET POST"),
    "cases:risk": case(MANAGE, "GET POST"),
    "cases:participant": case(MANAGE, "GET POST"),
    "cases:detailed-email": case(MANAGE, "GET POST"),
    "cases:email-urgency": case(MANAGE, "GET POST", sub="email"),
    # --- participants (ADR 0029): their page; merging two records is WPO admins' work
    "participants:detail": obj("participant", "GET", participant_page),
    # An empty merge names no records: 404 for a WPO admin, the merge page otherwise.
    "participants:merge": Rule(
        _methods("GET POST"),
        lambda a, t: "ok" if a.wpo_admin else "403",
        decide_write=lambda a, t: "ok|404" if a.wpo_admin else "403",
    ),
    # --- search (ADR 0039) and the audit (ADR 0036)
    "web:search": page("GET", who=STAFF),
    "web:audit": page("GET", who=lambda a: a.wpo_clinician or a.wpo_admin),
    # --- my work
    "web:work": page("GET", who=CLINICAL),
    "web:work_assign": case(ASSIGN, "POST"),
    "web:unallocated": page("GET", who=CLINICAL),
    "web:unallocated_allocate": case(ASSIGN, "POST", who=CLINICAL),
    # --- the provider portal
    "providers:home": page("GET", who=PROVIDERS),
    "providers:referral": case(REFERRAL),
    "providers:session": case(PROVIDE, "POST"),
    "providers:intervention_end": case(PROVIDE, "POST"),
    "providers:notes_upload": case(PROVIDE, "POST"),
    "providers:notes_download": Rule(_methods("GET"), notes_file, kinds=("notes_file",)),
    "providers:notes_inline": Rule(_methods("GET"), notes_inline, kinds=("notes_file",)),
    "providers:flag": case(PROVIDE, "POST"),
    "providers:query": case(PROVIDE, "POST"),
    # --- escalations (WPO)
    "compliance:escalations": page("GET", who=WPO),
    "compliance:acknowledge": obj("escalation", "POST", of_case(ACKNOWLEDGE)),
    "compliance:overdue_partner": obj("partner", "GET", partner_slug),
    # --- email queue and triage (WPO and Partner staff)
    "intake:queue": page("GET", who=STAFF),
    "intake:acknowledge": obj("email", "POST", of_case(MANAGE)),
    "intake:action": obj("email", "POST", of_case(MANAGE)),
    "intake:triage": page("GET", who=STAFF),
    "intake:message": obj("triage", "GET", of_partner_triage),
    "intake:link": obj("triage", "POST", of_partner_triage),
    "intake:attachment": obj("triage_attachment", "GET", of_partner_triage),
    # --- reports and the policy page
    "reports:index": page("GET", who=LEADS_AND_WPO),
    "reports:compliance": page("GET", who=LEADS_AND_WPO),
    "reports:compliance-csv": page("GET", who=LEADS_AND_WPO),
    "reports:compliance-cases": page("GET", who=LEADS_AND_WPO),
    "reports:email-order": page("GET", who=LEADS_AND_WPO),
    "reports:clients": page("GET", who=WPO),
    "reports:client": obj("client", "GET", wpo_then(lambda a, t: "ok" if t.obj else "404")),
    "reports:frequent-users": page("GET", who=WPO),
    "policy:policy": page("GET POST", who=STAFF, post=WPO),
    "policy:what-if": obj("what_if", "GET", wpo_then(lambda a, t: "404")),
    # --- the API (/api/v1/): tokens or the session
    "api:schema": Rule(_methods("GET"), lambda a, t: "ok", anon="ok", api=True),
    "api:docs": public("GET"),
    "api:case-list": api("GET POST", writes="POST"),
    "api:case-detail": api("GET", api_case(VIEW)),
    # Events are posted on the provider's side too (ADR 0010): REFERRAL, then the kind.
    "api:case-events": Rule(
        _methods("GET POST"),
        api_case(VIEW),
        anon="401",
        api=True,
        writes=frozenset({"POST"}),
        decide_write=api_case(REFERRAL),
    ),
    "api:case-fhir": api("GET", api_case(VIEW)),
    # Sessions (ADR 0028): read on the provider's side too; recorded by who manages the case
    # and by the provider it is referred to.
    "api:case-sessions": Rule(
        _methods("GET POST"),
        api_case(REFERRAL),
        anon="401",
        api=True,
        writes=frozenset({"POST"}),
        decide_write=sessions_write,
    ),
    # POST registers a participant; {} is refused (400) before any role check.
    "api:participant-list": api("GET POST", writes="POST"),
    "api:participant-detail": Rule(
        _methods("GET PATCH"),
        of_case(VIEW),
        anon="401",
        api=True,
        writes=frozenset({"PATCH"}),
        kinds=("participant",),
        # Changing a participant: who may manage their case; nobody else finds them (404).
        decide_write=lambda a, t: "ok" if t.obj and MANAGE in case_actions(a, t.obj) else "404",
    ),
    "api:obligation-list": api("GET"),
    "api:escalation-list": api("GET"),
    "api:escalation-detail": api("GET", of_case(VIEW), kinds=("escalation",)),
    "api:escalation-acknowledge": api(
        "POST", of_case(ACKNOWLEDGE), writes="POST", kinds=("escalation",)
    ),
    "api:not-found": Rule(_methods("GET POST PATCH DELETE PUT"), lambda a, t: "404", anon="404"),
}


def rule_for(name: str) -> Rule | None:
    """The rule of a pattern: its own line, else its namespace's ":*" line."""
    if name in RULES:
        return RULES[name]
    namespace = name.split(":", 1)[0]
    return RULES.get(f"{namespace}:*") if ":" in name else None
