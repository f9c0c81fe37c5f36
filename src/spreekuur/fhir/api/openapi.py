"""An OpenAPI 3.0.3 description of the FHIR API, built from the same registry as the
CapabilityStatement (the resource types, their interactions, search parameters and
includes), so that the two cannot say different things. It is what a fuzzer (and a
developer who does not speak FHIR) reads; the resources themselves are described loosely
(an object with its `resourceType`): their real shape is FHIR R4 and its nl-core profiles."""

from __future__ import annotations

from typing import Any

from spreekuur.core.fhir import base_url
from spreekuur.fhir.api.capability import SOFTWARE_VERSION, oauth_url
from spreekuur.fhir.api.errors import FHIR_JSON
from spreekuur.fhir.api.params import MAX_COUNT, MAX_OFFSET, MAX_VALUE_LENGTH
from spreekuur.fhir.api.resources import KINDS, Kind
from spreekuur.fhir.scopes import OFFERED_SCOPES

JSON_PATCH = "application/json-patch+json"
# A FHIR date or dateTime as the search reads it (params.parse_date), with the prefixes it
# supports; the year alone, the month or the day are whole periods.
DATE_VALUE = (
    r"^(eq|gt|lt|ge|le)?[0-9]{4}(-[0-9]{2}(-[0-9]{2}"
    r"(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$"
)
FHIR_ID = r"^[A-Za-z0-9\-.]{1,64}$"
# What each FHIR search parameter type looks like on the wire (all are text in a query).
PARAMETER_SCHEMAS: dict[str, dict[str, Any]] = {
    "date": {"type": "string", "pattern": DATE_VALUE},
    "token": {"type": "string", "minLength": 1, "maxLength": MAX_VALUE_LENGTH},
    "reference": {"type": "string", "minLength": 1, "maxLength": MAX_VALUE_LENGTH},
    "string": {"type": "string", "minLength": 1, "maxLength": MAX_VALUE_LENGTH},
    "uri": {"type": "string", "minLength": 1, "maxLength": MAX_VALUE_LENGTH},
}
ERRORS = {
    "400": "Een zoekparameter of de inhoud klopt niet / a parameter or the body is invalid",
    "401": "Geen, een onbekend of een verlopen toegangstoken / no valid access token",
    "403": "De scopes van het token staan dit niet toe / the token's scopes do not allow it",
    "404": "Niet gevonden of niet zichtbaar voor deze app / not found or out of reach",
    "406": "Alleen JSON / JSON only",
    "409": "Het tijdstip is net bezet / the slot was just taken",
    "413": "Meer dan 256 kB / larger than 256 kB",
    "415": "Verkeerd Content-Type / wrong Content-Type",
    "422": "Een regel van de praktijk staat dit niet toe / a rule of the practice refuses it",
}
READ_ERRORS = ("400", "401", "403", "404", "406")  # 400: a NUL in the path
SEARCH_ERRORS = ("400", "401", "403", "406")
CREATE_ERRORS = ("400", "401", "403", "406", "409", "413", "415", "422")
UPDATE_ERRORS = ("400", "401", "403", "404", "406", "409", "413", "415", "422")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _resource_schema(resource_type: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["resourceType"],
        "properties": {
            "resourceType": {"type": "string", "enum": [resource_type]},
            "id": {"type": "string"},
        },
    }


def _fhir_answer(description: str, schema: dict[str, Any], **headers: str) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {FHIR_JSON: {"schema": schema}},
    }
    if headers:
        answer["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return answer


def _with_errors(ok: dict[str, Any], codes: tuple[str, ...]) -> dict[str, Any]:
    return {**ok, **{code: {"$ref": f"#/components/responses/Error{code}"} for code in codes}}


def _search_parameters(kind: Kind) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": f"FHIR search parameter of type {kind_type}; repeated: all must hold.",
            # A repeated parameter ANDs (date=ge2024&date=lt2025).
            "schema": {"type": "array", "items": PARAMETER_SCHEMAS[kind_type], "maxItems": 2},
            "style": "form",
            "explode": True,
        }
        for name, kind_type in kind.params.items()
    ]
    parameters += [
        {
            "name": "_count",
            "in": "query",
            "required": False,
            "description": f"Page size (at most {MAX_COUNT}; a larger number gives {MAX_COUNT}).",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_COUNT},
        },
        {
            "name": "_offset",
            "in": "query",
            "required": False,
            "description": "Where the page starts (the Bundle's next/previous links set it).",
            "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
        },
        {
            "name": "Prefer",
            "in": "header",
            "required": False,
            "description": "handling=strict: an unknown parameter is a 400, not ignored.",
            "schema": {"type": "string", "enum": ["handling=strict", "handling=lenient"]},
        },
    ]
    if kind.includes:
        parameters.append(
            {
                "name": "_include",
                "in": "query",
                "required": False,
                "schema": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(kind.includes)},
                    "maxItems": len(kind.includes),
                },
                "style": "form",
                "explode": True,
            }
        )
    return parameters


def _body(resource_type: str) -> dict[str, Any]:
    schema = _resource_schema(resource_type)
    return {"required": True, "content": {FHIR_JSON: {"schema": schema}}}


def _patch_body() -> dict[str, Any]:
    operation = {
        "type": "object",
        "required": ["op", "path"],
        "properties": {
            "op": {"type": "string", "enum": ["add", "remove", "replace", "move", "copy", "test"]},
            "path": {"type": "string"},
            "value": {},
        },
    }
    return {
        "required": True,
        "content": {JSON_PATCH: {"schema": {"type": "array", "items": operation, "minItems": 1}}},
    }


def _type_paths(kind: Kind) -> dict[str, dict[str, Any]]:
    name = kind.name
    at_type: dict[str, Any] = {}
    at_instance: dict[str, Any] = {}
    resource = _ref(name)
    if "search-type" in kind.interactions:
        at_type["get"] = {
            "operationId": f"search{name}",
            "summary": f"Search {name}",
            "tags": [name],
            "parameters": _search_parameters(kind),
            "responses": _with_errors(
                {"200": _fhir_answer("A searchset Bundle", _ref("Bundle"))}, SEARCH_ERRORS
            ),
        }
    if "create" in kind.interactions:
        at_type["post"] = {
            "operationId": f"create{name}",
            "summary": f"Create {name}",
            "tags": [name],
            "requestBody": _body(name),
            "responses": _with_errors(
                {"201": _fhir_answer("Created", resource, Location="The new resource's URL")},
                CREATE_ERRORS,
            ),
        }
    instance_parameters = [
        {
            "name": "id",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": FHIR_ID},
        }
    ]
    if "read" in kind.interactions:
        at_instance["get"] = {
            "operationId": f"read{name}",
            "summary": f"Read {name}",
            "tags": [name],
            "parameters": instance_parameters,
            "responses": _with_errors({"200": _fhir_answer(name, resource)}, READ_ERRORS),
        }
    if "update" in kind.interactions:
        at_instance["put"] = {
            "operationId": f"update{name}",
            "summary": f"Update {name}",
            "tags": [name],
            "parameters": instance_parameters,
            "requestBody": _body(name),
            "responses": _with_errors({"200": _fhir_answer(name, resource)}, UPDATE_ERRORS),
        }
    if "patch" in kind.interactions:
        at_instance["patch"] = {
            "operationId": f"patch{name}",
            "summary": f"Patch {name} (JSON Patch)",
            "tags": [name],
            "parameters": instance_parameters,
            "requestBody": _patch_body(),
            "responses": _with_errors({"200": _fhir_answer(name, resource)}, UPDATE_ERRORS),
        }
    paths: dict[str, dict[str, Any]] = {}
    if at_type:
        paths[f"/{name}"] = at_type
    if at_instance:
        paths[f"/{name}/{{id}}"] = at_instance
    return paths


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {name: _resource_schema(name) for name in KINDS}
    any_resource = {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string"}},
    }
    schemas["Bundle"] = {
        "type": "object",
        "required": ["resourceType", "type", "link"],
        "properties": {
            "resourceType": {"type": "string", "enum": ["Bundle"]},
            "type": {"type": "string", "enum": ["searchset"]},
            "total": {"type": "integer", "minimum": 0},
            "link": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["relation", "url"],
                    "properties": {"relation": {"type": "string"}, "url": {"type": "string"}},
                },
            },
            "entry": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["fullUrl", "resource", "search"],
                    "properties": {
                        "fullUrl": {"type": "string"},
                        "resource": any_resource,
                        "search": {
                            "type": "object",
                            "properties": {
                                "mode": {"type": "string", "enum": ["match", "include"]}
                            },
                        },
                    },
                },
            },
        },
    }
    schemas["OperationOutcome"] = {
        "type": "object",
        "required": ["resourceType", "issue"],
        "properties": {
            "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
            "issue": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["severity", "code"],
                    "properties": {
                        "severity": {"type": "string"},
                        "code": {"type": "string"},
                        "details": {"type": "object"},
                        "diagnostics": {"type": "string"},
                    },
                },
            },
        },
    }
    schemas["CapabilityStatement"] = _resource_schema("CapabilityStatement")
    return schemas


def _error_responses() -> dict[str, Any]:
    return {
        f"Error{code}": {
            "description": text,
            "content": {FHIR_JSON: {"schema": _ref("OperationOutcome")}},
        }
        for code, text in ERRORS.items()
    }


def _security_scheme() -> dict[str, Any]:
    scopes = {scope: scope for scope in OFFERED_SCOPES}
    return {
        "type": "oauth2",
        "description": (
            "SMART App Launch 2: patient apps use the authorization code with PKCE "
            "(patient/ scopes), practice systems client credentials (system/ scopes). "
            "Send the token as Authorization: Bearer."
        ),
        "flows": {
            "authorizationCode": {
                "authorizationUrl": oauth_url("oauth2_provider:authorize"),
                "tokenUrl": oauth_url("oauth2_provider:token"),
                "refreshUrl": oauth_url("oauth2_provider:token"),
                "scopes": scopes,
            },
            "clientCredentials": {
                "tokenUrl": oauth_url("oauth2_provider:token"),
                "scopes": scopes,
            },
        },
    }


def _public_paths() -> dict[str, dict[str, Any]]:
    def public_json(operation_id: str, summary: str, media_type: str) -> dict[str, Any]:
        return {
            "get": {
                "operationId": operation_id,
                "summary": summary,
                "tags": ["server"],
                "security": [],
                "responses": {
                    "200": {
                        "description": summary,
                        "content": {media_type: {"schema": {"type": "object"}}},
                    }
                },
            }
        }

    metadata = {
        "get": {
            "operationId": "capabilities",
            "summary": "The CapabilityStatement",
            "tags": ["server"],
            "security": [],
            "responses": _with_errors(
                {"200": _fhir_answer("CapabilityStatement", _ref("CapabilityStatement"))},
                ("406",),
            ),
        }
    }
    return {
        "/metadata": metadata,
        "/.well-known/smart-configuration": public_json(
            "smartConfiguration", "SMART App Launch discovery", "application/json"
        ),
        "/openapi.json": public_json("openapi", "This OpenAPI description", "application/json"),
    }


def openapi_document() -> dict[str, Any]:
    paths = _public_paths()
    for kind in KINDS.values():
        paths.update(_type_paths(kind))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Spreekuur FHIR R4 API",
            "version": SOFTWARE_VERSION,
            "description": (
                "FHIR R4 (nl-core / zib2020) for patient apps (PGO) and the practice's "
                "systems. Generated from the same registry as GET /metadata; resources are "
                "FHIR R4, described here only by their resourceType."
            ),
        },
        "servers": [{"url": base_url()}],
        "security": [{"smart": []}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "responses": _error_responses(),
            "securitySchemes": {"smart": _security_scheme()},
        },
    }
