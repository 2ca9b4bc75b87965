"""The participant pages: `/participants/<id>/` (who they are, how they may be contacted and
every change to that, and the cases of theirs the viewer may read, risk first) and the WPO
admin's `/participants/merge/` (find two records of the same person and merge them with a
reason; identifying details only, ADR 0029)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from eapcase.accounts.acting import acting_user
from eapcase.cases.access import participants_visible_to
from eapcase.cases.merging import may_merge_participants, participant_merge
from eapcase.cases.reads import read_record
from eapcase.core import clock
from eapcase.core.errors import NotFound, PermissionDenied, ServiceError
from eapcase.web import participant_forms as forms
from eapcase.web import participant_selectors as selectors


@login_required
@require_GET
def participant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Clinical reading: whoever reads one of the participant's cases (ADR 0010)."""
    try:
        page = selectors.participant_page(user=request.user, participant_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    if page.participant.pk != pk:
        # A record merged into another: the person's page is the record kept.
        return HttpResponseRedirect(reverse("participants:detail", args=[page.participant.pk]))
    # The participant's details and their cases, shown: a read of case data (ADR 0035).
    read_record(request, action="participant.read", obj=page.participant)
    # Only records the viewer could find themselves: another Partner's participant is never
    # named here.
    duplicates = [
        p
        for p in selectors.likely_duplicates(page.participant)
        if participants_visible_to(request.user).filter(pk=p.pk).exists()
    ]
    return render(
        request,
        "participants/detail.html",
        {
            "page": page,
            "participant": page.participant,
            "duplicates": duplicates,
            "may_merge": may_merge_participants(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_merge_page(request: HttpRequest) -> HttpResponse:
    """Find two records (GET with search fields), compare them (GET `keep` and `merge`), merge
    (POST with a reason). WPO admins only."""
    if not may_merge_participants(request.user):
        raise DjangoPermissionDenied("Merging participant records is for WPO admins.")
    search = forms.MergeSearchForm(
        request.GET if any(k in request.GET for k in forms.MergeSearchForm.base_fields) else None
    )
    found = selectors.merge_search(**search.cleaned_data) if search.searched() else []
    source = request.POST if request.method == "POST" else request.GET
    keep = selectors.merge_record(source.get("keep"))
    merge = selectors.merge_record(source.get("merge"))
    if (source.get("keep") or source.get("merge")) and (keep is None or merge is None):
        raise Http404("No such participant, or already merged.")
    form = None
    status = 200
    if keep is not None and merge is not None:
        if request.method == "POST":
            form = forms.MergeForm(request.POST)
            if form.is_valid():
                try:
                    kept = participant_merge(
                        actor=acting_user(request),
                        keep=keep,
                        merge=merge,
                        reason=form.cleaned_data["reason"],
                        now=clock.now(),
                    )
                except ServiceError as exc:
                    if exc.field == "reason":
                        form.add_error("reason", exc.message)
                    else:
                        form.add_error(None, exc.message)
                else:
                    moved = getattr(merge, "case_count", 0)
                    messages.success(
                        request,
                        f"Record no. {merge.pk} is merged into no. {kept.pk}: "
                        f"{moved} case{'s' if moved != 1 else ''} moved.",
                    )
                    return HttpResponseRedirect(reverse("participants:merge"))
            status = 400
            if "reason" in form.errors:
                widget = form.fields["reason"].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-describedby"] = "reason-error"
        else:
            form = forms.MergeForm(initial={"keep": keep.pk, "merge": merge.pk})
    elif request.method == "POST":
        raise Http404("Choose two records.")
    return render(
        request,
        "participants/merge.html",
        {
            "search": search,
            "found": found,
            "searched": search.searched(),
            "keep": keep,
            "merge": merge,
            "form": form,
        },
        status=status,
    )
