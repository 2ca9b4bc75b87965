"""The generated access matrix's engine: every URL pattern (enumerated from config.urls) is
filled with every id form for every object it names, and tried by every actor with every
method; each attempt's outcome is compared with the rules table (tests/access/rules.py) and
its body searched for the canaries the actor must never see (tests/access/world.py).

Attempts are generated, not parametrised: a test function runs a group of URL patterns and
collects failures, so 100,000 attempts cost no collection time (ADR 0037)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.exceptions import Resolver404
from rest_framework.test import APIClient

from tests.access.rules import ACTORS, Actor, Rule, Target, rule_for
from tests.access.world import CANARIES, REFERENCES, World, canary

METHODS = ("GET", "POST", "PATCH", "DELETE")
MISSING_ID = "987654"
PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


# --- the URL patterns --------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    name: str  # "namespace:name" ("admin:?" for an unnamed admin pattern)
    route: str  # the route with its <converter:name> parts, "" for a regex pattern
    regex: bool


def url_patterns() -> list[Pattern]:
    """Every pattern Django resolves under config.urls, with its full name and route."""

    def walk(entries: Iterable[Any], prefix: str, namespace: str) -> Iterator[Pattern]:
        for entry in entries:
            if isinstance(entry, URLResolver):
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                is_regex = "^" in route or "(?P" in route or "$" in route
                yield Pattern(f"{namespace}{entry.name or '?'}", route, is_regex)

    return list(walk(get_resolver().url_patterns, "", ""))


# --- the attempts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    pattern: str
    path: str
    form: str  # the id form, for the failure message
    target: Target
    # The pattern the path resolves to: another one (a non-numeric id does not match an
    # <int:> part; the API's catch-all takes it) or None (Django's 404, before any view).
    resolves_to: str | None = None


def _ref_forms(world: World) -> list[tuple[str, str, str | None]]:
    """(form, value, case key or None) for a case reference."""
    forms: list[tuple[str, str, str | None]] = []
    for key, ref in REFERENCES.items():
        forms += [
            ("real", ref, key),
            ("url-encoded", "".join(f"%{b:02X}" for b in ref.encode()), key),
            ("lower case", ref.lower(), None),
        ]
    ref = REFERENCES["a1"]
    forms += [
        ("mixed case", ref[0].lower() + ref[1:], None),
        ("trailing junk", ref + "x", None),
        ("missing", "EAP-99999", None),
        ("non-numeric", "abc", None),
        ("negative", "-1", None),
        ("huge", "9" * 30, None),
        ("double-encoded", "".join(f"%25{b:02X}" for b in REFERENCES["a1"].encode()), None),
    ]
    return forms


def _id_forms(world: World, kind: str) -> list[tuple[str, str, str | None]]:
    """(form, value, owner key or None) for an object id of `kind`."""
    forms: list[tuple[str, str, str | None]] = [
        (f"id of {owner}", str(pk), owner) for owner, pk in world.ids.get(kind, {}).items()
    ]
    if kind == "partner":
        forms = [(f"slug of {p}", world.partners[p].code, p) for p in ("A", "B")]
        forms += [("upper-case slug", world.partners["A"].code.upper(), None)]
    real, owner = (forms[0][1], forms[0][2]) if forms else ("1", None)
    encoded = "".join(f"%{b:02X}" for b in real.encode())
    forms += [
        ("missing", MISSING_ID, None),
        ("zero", "0", None),
        ("non-numeric", "abc", None),
        ("negative", "-1", None),
        ("huge", "9" * 30, None),
        ("url-encoded", encoded, owner),
    ]
    return forms


def attempts_for(pattern: Pattern, rule: Rule, world: World) -> list[Attempt]:
    """The filled-in URLs of one pattern. A regex pattern (the admin site's, the API's
    catch-all) is tried at a few fixed paths."""
    if pattern.regex:
        if pattern.name == "api:not-found":
            paths = ["/api/v1/nothing/", "/api/v1/cases/x/y/z/", "/api/v1/%00/"]
            return [Attempt(pattern.name, p, "fixed", Target()) for p in paths]
        return []
    params = [(m["conv"] or "str", m["name"]) for m in PARAM.finditer(pattern.route)]
    if pattern.name.startswith("admin:"):
        params_values = {"object_id": "1", "app_label": "organisations"}
        path = "/" + PARAM.sub(lambda m: params_values.get(m["name"], "1"), pattern.route)
        return [Attempt(pattern.name, path, "fixed", Target())]
    if not params:
        return [Attempt(pattern.name, "/" + pattern.route, "none", Target())]
    names = [n for _, n in params]
    out: list[Attempt] = []
    if names[0] in {"ref", "reference"}:
        kinds = [k for k in rule.kinds if k]
        for form, value, key in _ref_forms(world):
            if len(names) == 1:
                out.append(_fill(pattern, [value], form, Target(case=key)))
                continue
            for sub_form, sub_value, owner in _id_forms(world, kinds[0]):
                out.append(
                    _fill(pattern, [value, sub_value], f"{form}/{sub_form}", Target(key, owner))
                )
        return out
    if names == ["uidb64", "token"]:
        return [
            _fill(pattern, ["MQ", "set-password"], "garbage", Target()),
            _fill(pattern, ["-1", "x" * 80], "garbage", Target()),
        ]
    kind = rule.kinds[0] if rule.kinds else names[0]
    for form, value, owner in _id_forms(world, kind):
        out.append(_fill(pattern, [value], form, Target(case=owner, obj=owner)))
    return out


def _fill(pattern: Pattern, values: list[str], form: str, target: Target) -> Attempt:
    it = iter(values)
    path = "/" + PARAM.sub(lambda m: next(it), pattern.route)
    return Attempt(pattern.name, path, form, target)


# --- expectations ------------------------------------------------------------------------------


def expected(rule: Rule, actor: Actor, method: str) -> Any:
    """A function of the target giving the set of acceptable outcomes."""
    inner = _expected(rule, actor, method)
    return (lambda t: inner(t) | rule.also) if rule.also else inner


def _expected(rule: Rule, actor: Actor, method: str) -> Any:
    web_anonymous = actor.token is not None and not rule.api
    if actor.anonymous or web_anonymous:
        anon = rule.anon
        if method in rule.methods:
            return lambda t: set(anon.split("|"))
        # A method the URL does not take: 405, or the anonymous answer if asked first.
        return lambda t: {"405", *anon.split("|")} - {"ok"}
    if rule.api and actor.token == "ro" and method not in {"GET", "HEAD", "OPTIONS"}:
        return lambda t: {"403"}
    if method in rule.methods:
        write = method not in {"GET", "HEAD", "OPTIONS"}
        decide = rule.decide_write if write and rule.decide_write else rule.decide
        return lambda t: set(decide(actor, t).split("|"))
    # A method the URL does not take: 405, or the denial it would get anyway.

    def other(t: Target) -> set[str]:
        denial = set(rule.decide(actor, t).split("|")) - {"ok"}
        return {"405", *denial}

    return other


def outcome_of(response: Any) -> str:
    status = response.status_code
    if status in {301, 302, 303, 307, 308}:
        location = response.get("Location", "")
        return "login" if "/login/" in location.split("?", 1)[0] else "ok"
    if status in {401, 403, 404, 405} or status >= 500:
        return str(status)
    return "ok"


def forbidden_canaries(actor: Actor) -> tuple[str, ...]:
    """The canaries the actor must never receive."""
    if actor.wpo_clinician and actor.user is not None:
        return ()
    if actor.partner is not None and actor.user is not None:
        return tuple(c for p, c in CANARIES.items() if p != actor.partner)
    if actor.provider == "1" and actor.user is not None:
        return (CANARIES["B"], canary("a0"), canary("A"))
    return tuple(CANARIES.values())


# --- running -----------------------------------------------------------------------------------


@dataclass
class Run:
    attempts: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def report(self, limit: int = 40) -> str:
        head = "\n".join(self.failures[:limit])
        more = len(self.failures) - limit
        return f"{len(self.failures)} of {self.attempts} attempts failed:\n{head}" + (
            f"\n... and {more} more" if more > 0 else ""
        )


class Clients:
    """One client per actor, logged in once (force_login) and reused for every attempt."""

    def __init__(self, world: World) -> None:
        self.by_actor: dict[str, Client] = {}
        for key, actor in ACTORS.items():
            if actor.token is not None:
                client: Client = APIClient()
                client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[key]}")
            else:
                client = Client()
                if actor.user is not None:
                    client.force_login(world.users[actor.user])
            self.by_actor[key] = client


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
        response.close()
        return content
    return bytes(response.content)


def send(client: Client, method: str, path: str, api: bool = False) -> Any:
    """One request; the session cookie is put back afterwards (a logout must not end the
    client's session for the next attempt) and every write it made is rolled back."""
    cookie = client.cookies.get("sessionid")
    saved = cookie.value if cookie is not None else None
    try:
        with transaction.atomic():
            if api and method not in {"GET", "HEAD"}:
                # An integration's request: a JSON body (a form would be refused as 415).
                response = client.generic(method, path, b"{}", "application/json")
            else:
                response = getattr(client, method.lower())(path)
            body = body_of(response)
            transaction.set_rollback(True)
    finally:
        if saved is not None:
            client.cookies["sessionid"] = saved
    return response, body


def _resolved(attempt: Attempt) -> Attempt:
    from dataclasses import replace

    return replace(attempt, resolves_to=resolved_name(unquote(attempt.path)))


def run_patterns(
    names: Iterable[str],
    world: World,
    clients: Clients,
    run: Run,
    methods: tuple[str, ...] = METHODS,
    forms: Callable[[str], bool] = lambda form: True,
) -> None:
    started = time.process_time()
    patterns = {p.name: p for p in url_patterns()}
    for name in names:
        pattern = patterns[name]
        rule = rule_for(name)
        assert rule is not None, f"no rule for {name}"
        attempts = [_resolved(a) for a in attempts_for(pattern, rule, world) if forms(a.form)]
        is_api = pattern.route.startswith("api/")
        for actor_key, actor in ACTORS.items():
            client = clients.by_actor[actor_key]
            canaries = forbidden_canaries(actor)
            for method in methods:
                want = expected(rule, actor, method)
                for attempt in attempts:
                    if attempt.resolves_to is None:
                        acceptable = {"404"}
                    elif attempt.resolves_to != name:
                        other = rule_for(attempt.resolves_to)
                        assert other is not None, f"no rule for {attempt.resolves_to}"
                        acceptable = expected(other, actor, method)(Target())
                    else:
                        acceptable = want(attempt.target)
                    run.attempts += 1
                    try:
                        response, body = send(client, method, attempt.path, api=is_api)
                    except Exception as exc:  # a 500: reported with the other failures
                        run.fail(f"{name} {method} {attempt.path} as {actor_key}: raised {exc!r}")
                        continue
                    got = outcome_of(response)
                    if got not in acceptable:
                        run.fail(
                            f"{name} {method} {attempt.path} ({attempt.form}) as {actor_key}: "
                            f"{got} ({response.status_code}), "
                            f"expected {'/'.join(sorted(acceptable))}"
                        )
                    lowered = body.lower()
                    for mark in canaries:
                        if mark.encode() in lowered:
                            run.fail(
                                f"{name} {method} {attempt.path} as {actor_key}: the response "
                                f"({response.status_code}) contains {mark}"
                            )
    run.seconds += time.process_time() - started


def resolved_name(path: str) -> str | None:
    from django.urls import resolve

    try:
        match = resolve(path.split("?", 1)[0])
    except Resolver404:
        return None
    return match.view_name if match.url_name else "admin:?"
