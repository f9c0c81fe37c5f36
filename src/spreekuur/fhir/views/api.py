"""The FHIR R4 API over HTTP: `/fhir/R4/metadata`, `.well-known/smart-configuration`,
`openapi.json`, search (`GET /fhir/R4/<Type>`) and read (`GET /fhir/R4/<Type>/<id>`).

A machine door: no cookies, no CSRF, only the bearer token (a logged-in browser session
opens nothing here). JSON only; every refusal is an OperationOutcome. Answers carry
CORS headers so that a browser app (a public client) can call the API with its token."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from spreekuur.core.middleware import machine_door
from spreekuur.core.request_context import through_app
from spreekuur.core.roles import Channel
from spreekuur.fhir.api import handlers
from spreekuur.fhir.api.auth import authenticate
from spreekuur.fhir.api.capability import capability_statement, smart_configuration
from spreekuur.fhir.api.errors import FhirError, error_response, fhir_response
from spreekuur.fhir.api.openapi import openapi_document

log = logging.getLogger("spreekuur.fhir")

JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept, Prefer",
    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, OPTIONS",
    "Access-Control-Expose-Headers": "Location, WWW-Authenticate",
    "Access-Control-Max-Age": "600",
}


def _wants_json(request: HttpRequest) -> bool:
    requested = request.GET.get("_format")
    if requested is not None:
        return requested.split(";")[0].strip() in JSON_FORMATS
    accept = request.headers.get("Accept", "")
    if not accept:
        return True
    kinds = [part.split(";")[0].strip() for part in accept.split(",")]
    return any(kind in JSON_FORMATS or kind in {"*/*", "application/*"} for kind in kinds)


def _strict(request: HttpRequest) -> bool:
    return "handling=strict" in request.headers.get("Prefer", "").replace(" ", "")


def _door(handler: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The API's common answer: CORS, preflight, JSON only, no caching of patient data,
    and an OperationOutcome for every refusal and every failure."""

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
        elif not _wants_json(request):
            response = error_response(
                FhirError(
                    406,
                    "not-supported",
                    "Deze server antwoordt alleen in JSON (application/fhir+json).",
                    "This server answers in JSON only (application/fhir+json).",
                )
            )
        else:
            try:
                response = handler(request, *args, **kwargs)
            except FhirError as error:
                response = error_response(error)
            except Exception:
                log.exception("fhir: failure")
                response = error_response(
                    FhirError(
                        500,
                        "exception",
                        "Er ging iets mis op de server; probeer het later opnieuw.",
                        "The server failed; try again later.",
                    )
                )
        for name, value in CORS.items():
            response[name] = value
        response["Cache-Control"] = "no-store"
        return response

    # A machine door: MachineDoorMiddleware calls it without the session and CSRF
    # middleware; csrf_exempt and login_not_required say the same to the whole stack.
    return machine_door(csrf_exempt(login_not_required(view)))


def _method_not_allowed(allowed: str) -> FhirError:
    return FhirError(
        405,
        "not-supported",
        f"Deze methode wordt hier niet ondersteund (wel: {allowed}).",
        f"Method not supported here (allowed: {allowed}).",
        headers={"Allow": allowed},
    )


@_door
def metadata(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        raise _method_not_allowed("GET")
    return fhir_response(capability_statement())


@csrf_exempt  # read by apps from any origin; GET only, no data
@login_not_required
@require_GET
def smart_config(request: HttpRequest) -> HttpResponse:
    """SMART App Launch's discovery document: always JSON, whatever Accept says."""
    response = JsonResponse(smart_configuration())
    response["Access-Control-Allow-Origin"] = "*"
    return response


@csrf_exempt  # read by tools from any origin; GET only, no data
@login_not_required
@require_GET
def openapi(request: HttpRequest) -> HttpResponse:
    """The API described in OpenAPI 3 (built from the same registry as metadata)."""
    response = JsonResponse(openapi_document())
    response["Access-Control-Allow-Origin"] = "*"
    return response


@_door
def type_level(request: HttpRequest, resource_type: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        handlers.kind_of(resource_type)
        raise _method_not_allowed("GET, POST")
    caller = authenticate(request)
    with through_app(channel=Channel.API, via=caller.app.name):
        if request.method == "POST":
            # Imported on the first write: its fhir.resources models cost every worker.
            from spreekuur.fhir.api.writes import create_resource

            created = create_resource(caller, resource_type, _body(request))
            return fhir_response(
                created,
                201,
                Location=f"{settings.FHIR_BASE_URL}/{resource_type}/{created['id']}",
            )
        found = handlers.search(caller, resource_type, request.GET, strict=_strict(request))
        return fhir_response(found)


@_door
def instance_level(request: HttpRequest, resource_type: str, public_id: str) -> HttpResponse:
    if request.method not in ("GET", "PUT", "PATCH"):
        handlers.kind_of(resource_type)
        raise _method_not_allowed("GET, PUT, PATCH")
    caller = authenticate(request)
    with through_app(channel=Channel.API, via=caller.app.name):
        if request.method == "GET":
            return fhir_response(handlers.read(caller, resource_type, public_id))
        from spreekuur.fhir.api.writes import update_resource  # see type_level

        body = _body(request, patch=request.method == "PATCH")
        return fhir_response(
            update_resource(caller, resource_type, public_id, body, patch=request.method == "PATCH")
        )


MAX_BODY_BYTES = 256 * 1024
JSON_BODIES = {"application/fhir+json", "application/json", "application/json-patch+json"}


def _body(request: HttpRequest, *, patch: bool = False) -> Any:
    """The request's JSON, or a 4xx OperationOutcome: wrong type, too large, not JSON."""
    kind = request.content_type or ""
    if kind not in JSON_BODIES or (patch and kind != "application/json-patch+json"):
        wanted = "application/json-patch+json" if patch else "application/fhir+json"
        raise FhirError(
            415,
            "not-supported",
            f"Stuur de gegevens als {wanted}.",
            f"Send the body as {wanted}.",
        )
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise FhirError(
            413,
            "too-costly",
            "Het verzoek is groter dan 256 kB.",
            "The request is larger than 256 kB.",
        )
    raw = request.body
    if len(raw) > MAX_BODY_BYTES:
        raise FhirError(
            413,
            "too-costly",
            "Het verzoek is groter dan 256 kB.",
            "The request is larger than 256 kB.",
        )
    try:
        body = json.loads(raw)
    # RecursionError: nested deeper than the decoder goes (a few hundred kB of "[").
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise FhirError(
            400, "structure", "Het verzoek is geen geldige JSON.", "The body is not valid JSON."
        ) from None
    _check_values(body)
    return body


# FHIR resources nest a dozen levels; fhir.resources' validation fails with a
# RecursionError (not a ValidationError) from about 200 nested extensions.
MAX_BODY_DEPTH = 64


def _check_values(body: Any) -> None:
    """A NUL in any text (the middleware refuses it in queries and forms, PostgreSQL
    cannot store it: a 500 deep in a service) or nesting no resource has: a 400 here,
    in one place for every write. Walked without recursion, whatever the depth."""
    pending: list[tuple[Any, int]] = [(body, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_BODY_DEPTH:
            raise FhirError(
                400,
                "structure",
                f"Het verzoek is dieper genest dan {MAX_BODY_DEPTH} niveaus.",
                f"The body nests deeper than {MAX_BODY_DEPTH} levels.",
            )
        if isinstance(value, dict):
            pending += [(key, depth) for key in value]
            pending += [(inner, depth + 1) for inner in value.values()]
        elif isinstance(value, list):
            pending += [(inner, depth + 1) for inner in value]
        elif isinstance(value, str) and "\x00" in value:
            raise FhirError(
                400,
                "structure",
                "Het verzoek bevat een ongeldig teken (NUL).",
                "The body contains a NUL character.",
            )


@_door
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise FhirError(
        404,
        "not-found",
        "Dit adres bestaat niet in de FHIR-API.",
        "No such endpoint in this FHIR API.",
    )
