"""The API's JSON parser: a bounded body, a bounded depth, errors in the API's shape.

DRF's JSONParser reads the body through `HttpRequest.body`, which Django caps at
DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, kept for the pages) with a bare HTML 400; and it hands
any nesting to `json.loads`, which recurses into a 500. This parser reads the stream itself,
at most MAX_BODY_BYTES (room for the documented 10 MB of case notes in base64, ADR 0011), and
refuses a document nested deeper than MAX_JSON_DEPTH before parsing it."""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import IO, Any

from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser

from eapcase.core.jsonlimits import MAX_JSON_DEPTH, too_deep
from eapcase.providers.uploads import MAX_NOTES_BYTES, MAX_NOTES_LABEL

# A notes file travels base64-encoded (4 characters per 3 bytes) inside the event's JSON;
# 256 KB more is room for the rest of the event.
NOTES_BASE64_CHARS = 4 * -(-MAX_NOTES_BYTES // 3)
MAX_BODY_BYTES = NOTES_BASE64_CHARS + 256 * 1024


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = (
        f"The request is too large: at most {-(-MAX_BODY_BYTES // (1024 * 1024))} MB of JSON "
        f"(case notes up to {MAX_NOTES_LABEL}, base64-encoded)."
    )
    default_code = "too_large"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class BoundedJSONParser(BaseParser):
    media_type = "application/json"
    max_bytes = MAX_BODY_BYTES
    max_depth = MAX_JSON_DEPTH

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        if stream is None:
            return {}
        raw = stream.read(self.max_bytes + 1)
        if len(raw) > self.max_bytes:
            raise RequestTooLarge()
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise exceptions.ParseError(f"The body is not {encoding} text.") from exc
        if too_deep(text, self.max_depth):
            raise exceptions.ParseError(
                f"JSON nested deeper than {self.max_depth} levels is not accepted."
            )
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
