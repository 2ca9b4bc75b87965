"""`GET /api/v1/cases/<ref>/fhir/`: one case as a FHIR R4 Bundle (built by
`eapcase.reports.fhir`), with the API's authentication, permissions and errors (the same 404
for a missing case and for another Partner's)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from eapcase.api.views import ApiMixin
from eapcase.cases.access import access_case
from eapcase.cases.models import Case
from eapcase.cases.reads import read_record
from eapcase.reports.fhir import case_bundle


class FhirJSONRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


class CaseFhir(ApiMixin, APIView):
    renderer_classes = (FhirJSONRenderer, JSONRenderer)

    @extend_schema(
        summary="A case as a FHIR R4 Bundle",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, reference: str) -> Response:
        case = access_case(user=request.user, case_ref=reference)
        case = Case.objects.select_related("partner", "participant").get(pk=case.pk)
        read_record(request, action="api.case_fhir_read", case=case)
        bundle: dict[str, Any] = case_bundle(case)
        return Response(bundle)
