"""Every refusal of the FHIR API is an OperationOutcome, in Dutch (details.text) and
English (diagnostics), never echoing the input."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

FHIR_JSON = "application/fhir+json"


class FhirError(Exception):
    """A refusal: HTTP status, FHIR issue type (IssueType), the words in both languages."""

    def __init__(
        self,
        status: int,
        code: str,
        dutch: str,
        english: str,
        *,
        expression: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(english)
        self.status = status
        self.code = code
        self.dutch = dutch
        self.english = english
        self.expression = expression
        self.headers = headers or {}


def operation_outcome(
    code: str, dutch: str, english: str, *, severity: str = "error", expression: str = ""
) -> dict[str, Any]:
    issue: dict[str, Any] = {
        "severity": severity,
        "code": code,
        "details": {"text": dutch},
        "diagnostics": english,
    }
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def fhir_response(body: dict[str, Any], status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def error_response(error: FhirError) -> HttpResponse:
    body = operation_outcome(error.code, error.dutch, error.english, expression=error.expression)
    response = fhir_response(body, error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def not_found(resource_type: str) -> FhirError:
    return FhirError(
        404,
        "not-found",
        f"{resource_type} niet gevonden.",
        f"{resource_type} not found.",
    )


def bad_parameter(name: str, dutch: str, english: str) -> FhirError:
    return FhirError(400, "invalid", f"{name}: {dutch}", f"{name}: {english}", expression=name)


def refused_at_the_door(status: int, dutch: str) -> HttpResponse:
    """The request-size middleware's refusals (too large, a NUL in the path or query) as
    an OperationOutcome (settings.MACHINE_REFUSALS), so that a FHIR client always gets
    FHIR."""
    if status == 413:
        english, code = "The request is too large; nothing was stored.", "too-costly"
    else:
        english, code = "The request contains an invalid character (NUL).", "structure"
    return error_response(FhirError(status, code, dutch, english))
