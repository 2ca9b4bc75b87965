"""The report pages (/reports/...) and the policy page (/policy/). Views read the request,
call selectors and services, and render; the figures are worked out in selectors.py."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from eapcase.accounts.standing import standing_of
from eapcase.cases import bridge
from eapcase.cases.reads import read_record
from eapcase.core import clock
from eapcase.core.errors import PermissionDenied, ServiceError
from eapcase.organisations.models import ClientOrganisation
from eapcase.policy.explain import RULE_TITLES
from eapcase.reports import parameters, selectors, services, tables
from eapcase.reports.forms import BY_LABELS, ReportForm, WhatIfForm
from eapcase.reports.models import WhatIf

View = Callable[..., HttpResponse]


def _forbidden_as_403(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc

    return wrapped


def _report_request(request: HttpRequest) -> tuple[Any, Any, ReportForm]:
    now = clock.now()
    scope = selectors.report_scope(user=request.user)
    form = ReportForm(request.GET or None, scope=scope, today=now.date())
    return now, scope, form


@login_required
@require_GET
@_forbidden_as_403
def index(request: HttpRequest) -> HttpResponse:
    scope = selectors.report_scope(user=request.user)
    return render(request, "reports/index.html", {"is_wpo": scope.partner_ids is None})


@login_required
@require_GET
@_forbidden_as_403
def compliance(request: HttpRequest) -> HttpResponse:
    now, scope, form = _report_request(request)
    context: dict[str, Any] = {"form": form, "now": now, "measures": selectors.MEASURES}
    if form.is_valid():
        services.facts_catch_up(now=now)
        query = form.query()
        trends = selectors.compliance_trends(scope=scope, query=query, now=now)
        figures = selectors.compliance_figures(scope=scope, query=query, now=now)
        base = request.GET.copy()
        for key in ("rule", "page", "measure", *(f"k_{d}" for d in selectors.DIMENSIONS)):
            base.pop(key, None)
        for f in figures:
            drill = base.copy()
            drill["rule"] = f.rule
            for d in query.by:
                value = f.keys[d]
                drill[f"k_{d}"] = "" if value is None else str(value)
            f.drill = drill.urlencode()  # type: ignore[attr-defined]
        context.update(
            query=query,
            figures=figures,
            base=base.urlencode(),
            findings=selectors.finding_counts(scope=scope, query=query),
            trends=trends,
            charts=[t.chart_data() for t in trends],
            by_labels=[BY_LABELS[d] for d in query.by],
            querystring=request.GET.urlencode(),
        )
    return render(
        request, "reports/compliance.html", context, status=200 if form.is_valid() else 400
    )


@login_required
@require_GET
@_forbidden_as_403
def compliance_csv(request: HttpRequest) -> HttpResponse:
    now, scope, form = _report_request(request)
    if not form.is_valid():
        return HttpResponse("Invalid report filters.", status=400, content_type="text/plain")
    services.facts_catch_up(now=now)
    query = form.query()
    figures = selectors.compliance_figures(scope=scope, query=query, now=now)
    out = io.StringIO()
    tables.write_csv(out, tables.figure_records(figures, query.by))
    read_record(request, action="report.csv_exported", data={"by": str(query.by)})
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"compliance-{query.date_from}-{query.date_to}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
@_forbidden_as_403
def compliance_cases(request: HttpRequest) -> HttpResponse:
    """The cases behind one figure of the report."""
    now, scope, form = _report_request(request)
    measure = request.GET.get("measure", "opened")
    if not form.is_valid() or measure not in selectors.MEASURES:
        raise Http404("No such figure.")
    query = form.query()
    keys: dict[str, Any] = {}
    for d in selectors.DIMENSIONS:
        raw = request.GET.get(f"k_{d}")
        if raw is None:
            continue
        try:
            if d == "month":
                keys[d] = date.fromisoformat(raw)
            else:
                keys[d] = int(raw) if raw else None
        except ValueError as exc:
            raise Http404("No such figure.") from exc
    page = selectors.drilldown_cases(
        scope=scope,
        query=query,
        keys=keys,
        measure=measure,
        now=now,
        page=request.GET.get("page") or 1,
    )
    read_record(
        request,
        action="report.drilldown_read",
        data={"measure": measure, "rule": query.rule or "", "page": page.number},
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "reports/compliance_cases.html",
        {
            "page": page,
            "measure": selectors.MEASURES[measure],
            "rule": query.rule,
            "rule_title": RULE_TITLES.get(query.rule, ""),
            "query": query,
            "keys": keys,
            "params": params.urlencode(),
            "back": "&".join(f"{k}={v}" for k, v in request.GET.items() if not k.startswith("k_")),
        },
    )


@login_required
@require_GET
@_forbidden_as_403
def email_order(request: HttpRequest) -> HttpResponse:
    _now, scope, form = _report_request(request)
    # The queue is a Partner's: a client or a rule does not narrow it.
    for name in ("client", "rule", "by"):
        del form.fields[name]
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        query = form.query()
        context["rows"] = selectors.email_order(
            scope=scope,
            date_from=query.date_from,
            date_to=query.date_to,
            partner_id=query.partner_id,
        )
    return render(request, "reports/email_order.html", context)


@login_required
@require_GET
@_forbidden_as_403
def client_report(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.wpo_only(user=request.user)
    client = get_object_or_404(ClientOrganisation, pk=pk)
    now = clock.now()
    try:
        year = int(request.GET.get("year") or now.year)
    except ValueError as exc:
        raise Http404("No such year.") from exc
    if not 2000 <= year <= now.year + 1:
        raise Http404("No such year.")
    quarters = selectors.client_report(user=request.user, client=client, year=year)
    read_record(request, action="report.client_read", obj=client, data={"year": year})
    return render(
        request,
        "reports/client.html",
        {"client": client, "year": year, "quarters": quarters, "threshold": 5},
    )


@login_required
@require_GET
@_forbidden_as_403
def clients(request: HttpRequest) -> HttpResponse:
    selectors.wpo_only(user=request.user)
    return render(
        request,
        "reports/clients.html",
        {"clients": ClientOrganisation.objects.order_by("name"), "year": clock.now().year},
    )


@login_required
@require_GET
@_forbidden_as_403
def frequent_users(request: HttpRequest) -> HttpResponse:
    thresholds, found = selectors.frequent_users(user=request.user, now=clock.now())
    return render(
        request, "reports/frequent_users.html", {"thresholds": thresholds, "users": found}
    )


# --- the policy page ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@_forbidden_as_403
def policy(request: HttpRequest) -> HttpResponse:
    """The revision in force and its parameters in words; WPO may queue a "what if"."""
    now = clock.now()
    standing = standing_of(request.user)
    is_wpo = standing.is_wpo
    if not is_wpo and not standing.partner_roles:
        raise PermissionDenied("The policy page is for WPO and Partners.", field="user")
    form = WhatIfForm()
    status = 200
    if request.method == "POST":
        selectors.wpo_only(user=request.user)
        form = WhatIfForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["pack"]
            try:
                text = upload.read(services.PACK_MAX_BYTES + 1).decode("utf-8")
                run = services.what_if_request(
                    actor=request.user,
                    pack_text=text,
                    pack_name=upload.name,
                    period_from=form.cleaned_data["period_from"],
                    period_to=form.cleaned_data["period_to"],
                    now=now,
                )
            except UnicodeDecodeError:
                form.add_error("pack", "The pack is not UTF-8 text.")
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "The replay is queued; this page shows its progress.")
                return HttpResponseRedirect(f"/policy/what-if/{run.pk}/")
        status = 400
    packs = bridge.policy_packs()
    in_force = packs.at(now)
    return render(
        request,
        "reports/policy.html",
        {
            "pack": in_force,
            "revisions": list(packs),
            "overdue": in_force.review_overdue(now) and in_force is packs.packs[-1],
            "sections": parameters.pack_parameters(in_force),
            "is_wpo": is_wpo,
            "form": form,
            "runs": WhatIf.objects.all()[:10] if is_wpo else [],
        },
        status=status,
    )


@login_required
@require_GET
@_forbidden_as_403
def what_if(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.wpo_only(user=request.user)
    run = get_object_or_404(WhatIf, pk=pk)
    rules = [
        {"rule": rule, "title": RULE_TITLES.get(rule, rule), **entry}
        for rule, entry in (run.result.get("rules") or {}).items()
    ]
    return render(request, "reports/what_if.html", {"run": run, "rules": rules})
