"""What one API call does, between the view (HTTP) and the resource types (rows and
mapping): checks the scope, finds the patient a search is about, reads, pages, includes,
and writes the access log. Returns FHIR JSON; raises FhirError for every refusal."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.http import QueryDict

from spreekuur.core.fhir import base_url
from spreekuur.core.models import AuditAction, AuditOutcome
from spreekuur.fhir.api.auth import ApiCaller
from spreekuur.fhir.api.errors import FhirError, bad_parameter, not_found
from spreekuur.fhir.api.params import parse_count, parse_id, parse_offset
from spreekuur.fhir.api.resources import (
    KINDS,
    Accessed,
    Found,
    Kind,
    Query,
    not_supported,
    with_ids,
)
from spreekuur.patients.models import Patient

# Parameters every search understands besides the type's own.
CONTROL_PARAMETERS = {"_count", "_offset", "_include", "_format"}
PATIENT_PARAMETERS = ("patient", "subject")


def _require(caller: ApiCaller, kind: Kind, interaction: str) -> None:
    """The token's scopes allow this; a refusal is logged as a denied attempt."""
    from spreekuur.fhir.services import record_api_access

    try:
        caller.require(kind.name, interaction)
    except FhirError:
        record_api_access(
            caller=caller,
            action=AuditAction.READ if interaction == "read" else AuditAction.SEARCH,
            accessed=[],
            object_kind=kind.object_kind,
            patient=None,
            outcome=AuditOutcome.DENIED,
        )
        raise


def kind_of(resource_type: str) -> Kind:
    kind = KINDS.get(resource_type)
    if kind is None:
        raise not_supported(resource_type)
    return kind


def read_query(kind: Kind, params: QueryDict, *, strict: bool) -> Query:
    recognised: dict[str, list[str]] = {}
    for name in params:
        values = params.getlist(name)
        base, _sep, modifier = name.partition(":")
        if name in CONTROL_PARAMETERS:
            continue
        if base not in kind.params or modifier:
            if strict:
                raise bad_parameter(
                    name,
                    f"is geen zoekparameter van {kind.name} op deze server",
                    f"is not a supported search parameter of {kind.name}",
                )
            continue  # FHIR: a server ignores what it does not know (lenient handling)
        recognised[name] = [value[:200] for value in values]
    includes = tuple(params.getlist("_include"))
    for include in includes:
        if include not in kind.includes and strict:
            raise bad_parameter(
                "_include", f"{include} wordt niet ondersteund", f"{include} is not supported"
            )
    return Query(
        recognised,
        parse_count(params.get("_count")),
        parse_offset(params.get("_offset")),
        tuple(include for include in includes if include in kind.includes),
    )


def _searched_patient(caller: ApiCaller, query: Query) -> Patient | None:
    """The one patient a compartment search is about: a patient app's own; for a
    system, the one it names. None: a patient outside reach (the search finds nothing)."""
    named = [value for name in PATIENT_PARAMETERS for value in query.values(name)]
    if caller.patient is not None:
        for value in named:
            if parse_id("patient", value, "Patient") != caller.patient.public_id:
                return None
        return caller.patient
    if len(named) != 1:
        raise FhirError(
            400,
            "required",
            "Zoek gegevens van één patiënt tegelijk: geef patient=<id>.",
            "A system searches one patient at a time: give patient=<id>.",
            expression="patient",
        )
    public_id = parse_id("patient", named[0], "Patient")
    if public_id is None:
        return None
    return (
        Patient.objects.filter(practice=caller.practice, public_id=public_id)
        .select_related("practice")
        .first()
    )


def _base_rows(kind: Kind, caller: ApiCaller, query: Query) -> Found:
    custom = kind.search_page(caller.practice, caller.patient, query)
    if custom is not None:
        page, total = custom
        return Found(
            [kind.to_fhir_in(row, caller.practice) for row in page],
            total,
            [Accessed(None, kind.object_kind, str(row.public_id)) for row in page],
        )
    queryset = with_ids(kind.filter(kind.base(caller.practice, caller.patient), query), query)
    total = queryset.count()
    page = list(kind.order(queryset)[query.offset : query.offset + query.count])
    patient_rows = kind.name == "Patient"
    return Found(
        [kind.to_fhir(row) for row in page],
        total,
        [
            Accessed(row if patient_rows else None, kind.object_kind, str(row.public_id))
            for row in page
        ],
    )


def _included(
    kind: Kind, caller: ApiCaller, query: Query, found: Found, patient: Patient | None
) -> list[dict[str, Any]]:
    """The resources `_include` adds: only ever the searched patient and their practice
    and GP, which the caller may read anyway."""
    from spreekuur.accounts.fhir import practitioner_resource
    from spreekuur.core.fhir import organization_resource
    from spreekuur.patients.fhir import patient_resource

    if not found.resources:
        return []
    extra: list[dict[str, Any]] = []
    for include in query.includes:
        target = include.split(":", 1)[1]
        if target in PATIENT_PARAMETERS and patient is not None:
            if caller.scopes.allows(caller.context, "Patient", "read"):
                extra.append(patient_resource(patient))
                found.accessed.append(Accessed(patient, "personal_data", str(patient.public_id)))
        elif kind.name == "Patient" and target == "organization":
            extra.append(organization_resource(caller.practice))
        elif kind.name == "Patient" and target == "general-practitioner":
            seen = set()
            for accessed in found.accessed:
                person = accessed.patient
                gp = getattr(person.gp, "membership", None) if person and person.gp_id else None
                if gp is not None and gp.pk not in seen:
                    seen.add(gp.pk)
                    extra.append(practitioner_resource(gp))
    return extra


def search(
    caller: ApiCaller, resource_type: str, params: QueryDict, *, strict: bool
) -> dict[str, Any]:
    from spreekuur.fhir.services import record_api_access

    kind = kind_of(resource_type)
    _require(caller, kind, "search")
    query = read_query(kind, params, strict=strict)
    patient: Patient | None = None
    if kind.compartment:
        patient = _searched_patient(caller, query)
        found = kind.search(patient, query) if patient is not None else Found([], 0)
    else:
        found = _base_rows(kind, caller, query)
        patient = caller.patient
    included = _included(kind, caller, query, found, patient)
    record_api_access(
        caller=caller,
        action=AuditAction.SEARCH,
        accessed=found.accessed,
        object_kind=kind.object_kind,
        patient=patient if kind.compartment else caller.patient,
    )
    return _searchset(resource_type, query, found, included)


def _link(resource_type: str, query: Query, offset: int) -> str:
    pairs = [(name, value) for name, values in query.params.items() for value in values]
    pairs += [("_include", include) for include in query.includes]
    pairs += [("_count", str(query.count)), ("_offset", str(offset))]
    return f"{base_url()}/{resource_type}?{urlencode(pairs)}"


def _searchset(
    resource_type: str, query: Query, found: Found, included: list[dict[str, Any]]
) -> dict[str, Any]:
    links = [{"relation": "self", "url": _link(resource_type, query, query.offset)}]
    if query.offset > 0:
        links.append({"relation": "first", "url": _link(resource_type, query, 0)})
        previous = max(query.offset - query.count, 0)
        links.append({"relation": "previous", "url": _link(resource_type, query, previous)})
    more = found.total is None or query.offset + query.count < found.total
    if more and query.count > 0:
        links.append(
            {"relation": "next", "url": _link(resource_type, query, query.offset + query.count)}
        )
    entries = [
        {
            "fullUrl": f"{base_url()}/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "search": {"mode": mode},
        }
        for mode, resources in (("match", found.resources), ("include", included))
        for resource in resources
    ]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if found.total is not None:
        bundle["total"] = found.total
    bundle["link"] = links
    if entries:
        bundle["entry"] = entries
    return bundle


def read(caller: ApiCaller, resource_type: str, raw_id: str) -> dict[str, Any]:
    from spreekuur.fhir.services import record_api_access

    kind = kind_of(resource_type)
    _require(caller, kind, "read")
    patient: Patient | None = None
    named = kind.read_named(caller.practice, caller.patient, raw_id)
    if named is not None:
        record_api_access(
            caller=caller,
            action=AuditAction.READ,
            accessed=[Accessed(None, kind.object_kind, raw_id)],
            object_kind=kind.object_kind,
            patient=None,
        )
        return kind.to_fhir_in(named, caller.practice)
    try:
        public_id = UUID(raw_id)
    except ValueError:
        raise not_found(resource_type) from None
    row: Any = None
    if kind.compartment:
        located = kind.read(caller.practice, public_id)
        if located is not None:
            patient, row = located
            if caller.patient is not None and patient.pk != caller.patient.pk:
                patient, row = None, None
    else:
        row = kind.read_row(caller.practice, caller.patient, public_id)
        patient = row if kind.name == "Patient" else caller.patient
    if row is None:
        # Logged as a refused look, with only the id asked for: nothing of a row outside
        # reach is looked up or copied into the log.
        record_api_access(
            caller=caller,
            action=AuditAction.READ,
            accessed=[],
            object_kind=kind.object_kind,
            patient=None,
            outcome=AuditOutcome.DENIED,
            object_ids=[raw_id[:64]],
        )
        raise not_found(resource_type)
    object_kind = getattr(kind, "object_kind_of", lambda _row: kind.object_kind)(row)
    record_api_access(
        caller=caller,
        action=AuditAction.READ,
        accessed=[Accessed(patient, object_kind, str(row.public_id))],
        object_kind=object_kind,
        patient=patient,
    )
    return kind.to_fhir_in(row, caller.practice)
