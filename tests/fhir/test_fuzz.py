"""Property-based fuzzing of the FHIR API: schemathesis generates requests for every
operation of the OpenAPI description that `GET /fhir/R4/openapi.json` serves (built from
the same registry as the CapabilityStatement, so a new type or write is fuzzed without a
change here), with a patient's token, a practice system's token, and no valid token.

Whatever is sent: no 5xx; only status codes, content types and headers the description
documents; every body valid FHIR R4 (fhir.resources); every refusal an OperationOutcome;
without a valid token nothing but a 401; and a token never shows a resource it may not
(another patient's, another practice's, or a row the portal hides).

Requests go to Django in-process (WSGI) inside the test's transaction; each example runs in
a savepoint that is rolled back, so every example meets the same records."""

from __future__ import annotations

import json
import logging
import os
import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.test.client import ClientHandler
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from spreekuur.agenda.services import book_appointment
from spreekuur.core.models import Practice
from spreekuur.fhir.api.resources import KINDS
from spreekuur.patients.models import Patient
from spreekuur.prescriptions.services import request_repeat
from spreekuur.triage import services as triage
from spreekuur.triage.models import Questionnaire
from tests.agenda.conftest import Agenda, make_agenda
from tests.conftest import Cast
from tests.factories import PatientFactory, UserFactory, no_red_flags
from tests.fhir.conftest import (
    FHIR,
    Charts,
    api,
    assert_valid,
    chart,
    fhir_json,
    patient_app,
    patient_token,
    system_app,
    system_token,
)
from tests.fhir.test_booking import appointment
from tests.fhir.test_writes import blood_pressure
from tests.prescriptions.conftest import Repeats, make_repeats, repeatable

pytestmark = pytest.mark.django_db

OPENAPI = "/fhir/R4/openapi.json"
# Not FHIR: JSON documents about the server.
PLAIN_JSON_PATHS = {"/.well-known/smart-configuration", "/openapi.json"}
SCHEMATHESIS_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Examples per read or search (a write gets three times as many), sized to keep this file
# near a minute on a two-core machine; derandomized, so CI sends the same requests each run.
EXAMPLES = {"patient": 20, "system": 14, "anonymous": 6}
# A deeper hunt by hand: SPREEKUUR_FUZZ_SCALE=10 sends ten times as many, drawn at random.
SCALE = int(os.environ.get("SPREEKUUR_FUZZ_SCALE", "1"))
UUID_LIKE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class KnownBug:
    """A 5xx the fuzzer found in product code, recognised by words of the server's
    traceback: the operation goes on being fuzzed (other failures still fail), and the
    test xfails naming the bug while it shows, and fails once it no longer does, so that
    the entry goes with the fix."""

    caller: str
    operation: str  # "METHOD /path"
    traceback_has: tuple[str, ...]
    reason: str


# Found and fixed so far: a NUL in JSON text and JSON nested beyond any resource (500s in
# the services and the validator), a value of 10^30 in a home measurement (a 500 in
# Decimal.quantize), a NUL in a query answered in plain text instead of FHIR.
KNOWN_BUGS: list[KnownBug] = []


class InProcess:
    """The Django app as a WSGI app for schemathesis, inside the test's transaction:
    django.test's handler, which keeps the connection open after a request and skips CSRF."""

    def __init__(self) -> None:
        self.handler = ClientHandler(enforce_csrf_checks=False)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        response = self.handler(environ)
        headers = [*response.items()]
        headers += [("Set-Cookie", morsel.OutputString()) for morsel in response.cookies.values()]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return [response.content]


class ServerErrors(logging.Handler):
    """The tracebacks the server logged (the API's door logs every failure it turns into
    a 500), to report with a failing example."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.tracebacks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.tracebacks.append("".join(traceback.format_exception(*record.exc_info)))
        else:
            self.tracebacks.append(record.getMessage())

    @contextmanager
    def watching(self, *names: str) -> Iterator[ServerErrors]:
        loggers = [logging.getLogger(name) for name in names]
        for logger in loggers:
            logger.addHandler(self)
        try:
            yield self
        finally:
            for logger in loggers:
                logger.removeHandler(self)


@dataclass
class Caller:
    """Who fuzzes: a name (for the report), the Authorization values to send (drawn per
    example), and the ids it must never see."""

    name: str
    authorizations: list[str | None]
    forbidden: set[str] = field(default_factory=set)
    # (method, path template) -> (path parameters, body) of requests that get far.
    seeds: dict[tuple[str, str], list[tuple[dict[str, str], Any]]] = field(default_factory=dict)


@dataclass
class World:
    """What the records hold, as the API names it: ids per type (the caller's own and the
    forbidden, to aim reads and references at), and references to put in searches."""

    ids: dict[str, set[str]]
    elsewhere: list[str]  # rows of the other practice, of any model
    references: list[str]
    patients: list[str]


def _found(token: str, path: str, **params: Any) -> dict[str, set[str]]:
    """Ids per resource type in one search's answer (matches and includes)."""
    answer = api(token, path, _count="100", **params)
    assert answer.status_code == 200, answer.content[:400]
    seen: dict[str, set[str]] = {}
    for entry in answer.json().get("entry", []):
        resource = entry["resource"]
        seen.setdefault(resource["resourceType"], set()).add(resource["id"])
    return seen


def _merge(*sources: dict[str, set[str]]) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for source in sources:
        for kind, found in source.items():
            merged.setdefault(kind, set()).update(found)
    return merged


def _flat(by_type: dict[str, set[str]]) -> set[str]:
    return {public_id for found in by_type.values() for public_id in found}


def _searchable() -> list[Any]:
    return [kind for kind in KINDS.values() if "search-type" in kind.interactions]


def seen_by_patient(token: str) -> dict[str, set[str]]:
    return _merge(*(_found(token, kind.name) for kind in _searchable()))


def seen_by_system(token: str, patient: Patient) -> dict[str, set[str]]:
    """What a system is shown of this patient (the compartment types)."""
    reference = f"Patient/{patient.public_id}"
    return _merge(
        *(_found(token, kind.name, patient=reference) for kind in _searchable() if kind.compartment)
    )


def rows_of(*, patients: Any = None, practice: Practice | None = None) -> set[str]:
    """The public ids of every row, of any model, that belongs to one of these patients
    (`patient`) or to this practice: what the API must not show to whom they do not
    belong, whether or not a resource type shows that model today."""
    found: set[str] = set()
    for model in apps.get_models():
        fields = {f.name for f in model._meta.get_fields()}
        if "public_id" not in fields:
            continue
        rows = model._default_manager.none()
        if patients is not None and "patient" in fields:
            rows |= model._default_manager.filter(patient__in=patients)
        if practice is not None and "practice" in fields:
            rows |= model._default_manager.filter(practice=practice)
        found |= {str(public_id) for public_id in rows.values_list("public_id", flat=True)}
    if patients is not None:
        found |= {str(p.public_id) for p in patients}
    if practice is not None:
        found.add(str(practice.public_id))
    return found


def _write_scopes() -> str:
    """The patient scopes every write of the registry needs (c, or u for update/patch)."""
    scopes = []
    for kind in KINDS.values():
        letters = "c" if "create" in kind.interactions else ""
        letters += "u" if {"update", "patch"} & set(kind.interactions) else ""
        if letters:
            scopes.append(f"patient/{kind.name}.{letters}")
    return " ".join(scopes)


def _sent_questionnaire(cast: Cast, patient: Any) -> Any:
    """The consult preparation sent to the patient (hulpvraag: text; duur: choice; last:
    scale): an invitation that waits for answers."""
    shipped = Questionnaire.objects.get(practice__isnull=True, code="consultvoorbereiding")
    draft = triage.adopt_shipped_questionnaire(
        practice=cast.practice_a, shipped=shipped, by=cast.manager_a
    )
    questionnaire = triage.publish_questionnaire(questionnaire=draft, by=cast.manager_a)
    return triage.invite_patient(questionnaire=questionnaire, patient=patient, by=cast.assistant_a)


def _book(agenda: Agenda, patient: Any, slot: Any) -> Any:
    return book_appointment(
        patient=patient,
        slot=slot,
        appointment_type=agenda.types["consult"],
        reason="Pijnlijke knie",
        by=patient.user,
        triage_answers=no_red_flags(patient.practice),
    )


@dataclass
class Fuzz:
    """The records, the callers and the schema: patient A of practice A with a full record
    (and rows the portal hides), a neighbour in the same practice and a patient of
    practice B with records of their own."""

    schema: Any
    app: InProcess
    world: World
    callers: dict[str, Caller]
    known_hits: set[KnownBug] = field(default_factory=set)

    def operations(self) -> list[APIOperation]:
        return [result.ok() for result in self.schema.get_all_operations()]

    def run(self, caller_name: str) -> None:
        caller = self.callers[caller_name]
        failures: list[str] = []
        for operation in self.operations():
            try:
                self.fuzz(operation, caller)
            # schemathesis reports its checks' failures as a BaseExceptionGroup.
            except (Exception, BaseExceptionGroup) as error:
                report = "".join(traceback.format_exception(error))
                failures.append(f"=== {operation.label}\n{report}")
        assert not failures, "\n\n".join(failures)
        expected = [bug for bug in KNOWN_BUGS if bug.caller == caller_name]
        gone = [bug.reason for bug in expected if bug not in self.known_hits]
        assert not gone, f"no longer found, remove from KNOWN_BUGS: {gone}"
        if expected:
            pytest.xfail("; ".join(bug.reason for bug in expected))

    def strategy(self, operation: APIOperation, caller: Caller) -> st.SearchStrategy[Case]:
        variants = [operation.as_strategy(GenerationMode.POSITIVE)]
        if _negatable(operation):
            variants.append(operation.as_strategy(GenerationMode.NEGATIVE))
        aimed = self._aimed(operation, caller)
        cases = st.one_of(variants)
        if aimed is not None:
            cases = st.one_of(cases, st.tuples(cases, aimed).map(_apply))
        return cases

    def _aimed(self, operation: APIOperation, caller: Caller) -> st.SearchStrategy[Any] | None:
        """Changes that aim a generated case at real records: ids that exist (the caller's
        own and forbidden ones), references in searches, and writes that get far
        (known-good bodies, mutated)."""
        resource_type = operation.path.strip("/").split("/")[0]
        kind = KINDS.get(resource_type)
        if kind is None:
            return None
        aims: list[st.SearchStrategy[Any]] = []
        if "{id}" in operation.path:
            # This type's own and forbidden ids, and ids of other types and the other practice.
            ids = sorted(self.world.ids.get(resource_type, set())) + self.world.elsewhere
            aims.append(st.sampled_from(ids).map(lambda i: {"path_parameters": {"id": i}}))
        if operation.method == "get" and "{id}" not in operation.path:
            values = {
                name: (
                    self.world.patients
                    if name in ("patient", "subject")
                    else [r.split("/")[1] for r in self.world.references]
                    if name == "_id"
                    else self.world.references
                )
                for name, kind_type in kind.params.items()
                if kind_type == "reference" or name == "_id"
            }
            if values:
                aims.append(
                    st.sampled_from(sorted(values)).flatmap(
                        lambda name: st.sampled_from(values[name]).map(
                            lambda value: {"query": {name: value}}
                        )
                    )
                )
        seeds = caller.seeds.get((operation.method, operation.path), [])
        if seeds:
            aims.append(
                st.sampled_from(seeds).flatmap(
                    lambda seed: mutated(seed[1]).map(
                        lambda body: {"path_parameters": seed[0], "body": body}
                    )
                )
            )
        return st.one_of(aims) if aims else None

    def fuzz(self, operation: APIOperation, caller: Caller) -> None:
        # Writes are where input reaches the services: more examples there.
        weight = 1 if operation.method == "get" else 3
        seeds = caller.seeds.get((operation.method, operation.path), [])

        @settings(
            max_examples=EXAMPLES[caller.name] * weight * SCALE,
            deadline=None,
            derandomize=SCALE == 1,
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=self.strategy(operation, caller),
            authorization=st.sampled_from(caller.authorizations),
        )
        def one_example(case: Case, authorization: str | None) -> None:
            with transaction.atomic():
                self.call(case, caller, authorization)
                transaction.set_rollback(True)

        # Always, besides what is drawn: each known-good body, and each with its free
        # text made what a database or a PDF chokes on.
        for path_parameters, body in seeds:
            for variant in (body, *edge_cases(body)):
                case = operation.Case(path_parameters=path_parameters, body=variant)
                one_example = example(case=case, authorization=caller.authorizations[0])(
                    one_example
                )
        one_example()

    def call(self, case: Case, caller: Caller, authorization: str | None) -> None:
        headers = {"Accept": FHIR}
        if authorization is not None:
            headers["Authorization"] = authorization
        with ServerErrors().watching("spreekuur.fhir", "django.request") as errors:
            response = case.call(app=self.app, headers=headers)
        request = describe(case, authorization)
        if response.status_code >= 500:
            for bug in KNOWN_BUGS:
                if (bug.caller, bug.operation) == (caller.name, case.operation.label) and all(
                    words in "\n".join(errors.tracebacks) for words in bug.traceback_has
                ):
                    self.known_hits.add(bug)
                    return
        assert response.status_code < 500, f"{request}\n{response.status_code}\n" + "\n".join(
            errors.tracebacks
        )
        public = case.operation.definition.raw.get("security") == []
        if case.path in PLAIN_JSON_PATHS:
            assert response.headers["content-type"][0].startswith("application/json"), request
        else:
            assert response.headers["content-type"][0].startswith(FHIR), request
        body = json.loads(response.content)
        if case.path not in PLAIN_JSON_PATHS:
            assert_valid(body)
            if response.status_code >= 400:
                assert body["resourceType"] == "OperationOutcome", request
        if caller.name == "anonymous" and not public:
            # A NUL in the path or query is refused at the door, before any token is read.
            values = [
                value
                for raw in (case.query or {}).values()
                for value in (raw if isinstance(raw, list) else [raw])
            ]
            sent_a_nul = "\x00" in case.formatted_path or any("\x00" in str(v) for v in values)
            refused_at_the_door = response.status_code == 400 and sent_a_nul
            assert response.status_code == 401 or refused_at_the_door, (
                f"{request}\n{response.status_code}"
            )
        # The links repeat the query, which may name anything; the rest is what is shown.
        shown = json.dumps({key: value for key, value in body.items() if key != "link"})
        leaked = sorted(set(UUID_LIKE.findall(shown)) & caller.forbidden)
        assert not leaked, f"{request}\nshows what it may not: {leaked}"
        case.validate_response(
            response,
            checks=SCHEMATHESIS_CHECKS,
            headers=headers,
            transport_kwargs={"app": self.app, "headers": headers},
        )


def describe(case: Case, authorization: str | None) -> str:
    """The request as sent (the token left out), to reproduce a failure."""
    who = "no token" if authorization is None else authorization.split(" ")[0] + " <token>"
    body = "" if isinstance(case.body, NotSet) else json.dumps(case.body, default=str)
    return (
        f"{case.method} {case.formatted_path} query={case.query} "
        f"headers={dict(case.headers or {})} Authorization: {who} body={body}"
    )


def _negatable(operation: APIOperation) -> bool:
    """An operation with something to get wrong (parameters or a body)."""
    return bool(operation.path_parameters or operation.query or operation.headers or operation.body)


def _apply(pair: tuple[Case, dict[str, Any]]) -> Case:
    case, aim = pair
    if "path_parameters" in aim:
        case.path_parameters = {**(case.path_parameters or {}), **aim["path_parameters"]}
    if "query" in aim:
        case.query = {**(case.query or {}), **aim["query"]}
    if "body" in aim:
        case.body = aim["body"]
    return case


def _nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    _nested,
    max_leaves=6,
)
# Numbers an app may send where a number belongs: out of every range, or too precise.
NASTY_NUMBERS = (
    st.sampled_from([0, -1, 10**30, 1e300, 1e-300, 0.05])
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
)
# Text an app may send where text belongs: what a database, a log or a PDF chokes on.
NASTY_TEXT = st.sampled_from(
    ["", " ", "a\x00b", "\x00", "x" * 5000, "\u202e\U0001f4a5", "\\", "<b>", "%s", "Robert'); --"]
) | st.text(max_size=300)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*prefix, index))


def _replaced(value: Any, path: tuple[Any, ...], new: Any, *, drop: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if drop and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _replaced(value[head], rest, new, drop=drop)
        return copy
    copy_list = list(value)
    if drop and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _replaced(value[head], rest, new, drop=drop)
    return copy_list


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _free_text(body: Any) -> list[tuple[Any, ...]]:
    """Where a body carries words (a reason, a note): text a service stores as it is."""
    return [
        path
        for path in _paths(body)
        if path and isinstance(_at(body, path), str) and " " in _at(body, path).strip()
    ]


def _numbers(body: Any) -> list[tuple[Any, ...]]:
    return [
        path
        for path in _paths(body)
        if path
        and isinstance(_at(body, path), (int, float))
        and not isinstance(_at(body, path), bool)
    ]


def edge_cases(body: Any) -> list[Any]:
    """The body with its free text made a NUL or 5000 characters, or a number too large."""
    texts = [(path, text) for path in _free_text(body) for text in ("a\x00b", "x" * 5000)]
    numbers = [(path, 10**30) for path in _numbers(body)]
    return [_replaced(body, path, value, drop=False) for path, value in texts + numbers]


def mutated(body: Any) -> st.SearchStrategy[Any]:
    """A known-good body as it is, or with one value (anywhere in it) dropped or replaced
    by any JSON, or one text replaced by other text: what an app gets slightly wrong, and
    mostly still FHIR, so that it gets past validation into the service behind it."""
    paths = [path for path in _paths(body) if path]
    if not paths:
        return st.just(body)
    changes = [
        st.just(body),
        st.tuples(st.sampled_from(paths), JSON_VALUES, st.booleans()).map(
            lambda pick: _replaced(body, pick[0], pick[1], drop=pick[2])
        ),
    ]
    texts = [path for path in paths if isinstance(_at(body, path), str)]
    for where, values in (
        (texts, NASTY_TEXT),
        (_free_text(body), NASTY_TEXT),
        (_numbers(body), NASTY_NUMBERS),
    ):
        if where:
            changes.append(
                st.tuples(st.sampled_from(where), values).map(
                    lambda pick: _replaced(body, pick[0], pick[1], drop=False)
                )
            )
    return st.one_of(changes)


@dataclass
class Records:
    """What the fixture makes besides the FHIR suite's charts."""

    agenda: Agenda
    repeats: Repeats
    neighbour: Patient  # practice A, with a login: appointments, answers, requests
    mine: Any  # patient A's appointment
    theirs: Any  # the neighbour's
    waiting: Any  # a questionnaire sent to patient A, not yet answered


def make_records(cast: Cast) -> Records:
    agenda = make_agenda(cast)
    repeats = make_repeats(cast)
    neighbour = PatientFactory(practice=cast.practice_a, user=UserFactory(full_name="Buur A"))
    chart(neighbour, cast.gp_a, order="N1")
    theirs = _book(agenda, neighbour, agenda.slots[4])
    mine = _book(agenda, cast.patient_a, agenda.slots[5])
    for patient, medicine in ((cast.patient_a, repeats.simvastatin), (neighbour, None)):
        triage.submit_answers(
            invitation=_sent_questionnaire(cast, patient),
            submitted={"hulpvraag": ["Rugpijn"], "duur": ["1"]},
            by=patient.user,
        )
        request_repeat(
            patient=patient,
            medication_ids=[(medicine or repeatable(cast, patient, "Amlodipine 10 mg")).public_id],
            pharmacy=repeats.pharmacy,
            note="",
            by=patient.user,
        )
    waiting = _sent_questionnaire(cast, cast.patient_a)
    return Records(agenda, repeats, neighbour, mine, theirs, waiting)


Seeds = dict[tuple[str, str], list[tuple[dict[str, str], Any]]]


def make_seeds(cast: Cast, records: Records, token: str) -> Seeds:
    """Per write, bodies that succeed (for patient A) or nearly: the fuzzer's starting
    points, as the other tests of tests/fhir send them."""
    patient = {"reference": f"Patient/{cast.patient_a.public_id}"}
    mine = {"id": str(records.mine.public_id)}
    theirs = {"id": str(records.theirs.public_id)}
    read_back = api(token, f"Appointment/{mine['id']}").json()
    cancel = [{"op": "replace", "path": "/status", "value": "cancelled"}]
    slots = records.agenda.slots
    return {
        ("post", "/Appointment"): [
            ({}, appointment(records.agenda, slots[0])),
            ({}, appointment(records.agenda, slots[1], triage=False)),
        ],
        ("post", "/Observation"): [({}, blood_pressure(138, 86))],
        ("post", "/MedicationRequest"): [
            (
                {},
                {
                    "resourceType": "MedicationRequest",
                    "status": "active",
                    "intent": "proposal",
                    "subject": patient,
                    "medicationCodeableConcept": {"text": "Metformine 500 mg"},
                    "supportingInformation": [
                        {"reference": f"MedicationStatement/{records.repeats.metformin.public_id}"}
                    ],
                    "dispenseRequest": {
                        "performer": {
                            "reference": f"Organization/{records.repeats.pharmacy.public_id}"
                        }
                    },
                    "note": [{"text": "Graag voor vrijdag"}],
                },
            )
        ],
        ("post", "/QuestionnaireResponse"): [
            (
                {},
                {
                    "resourceType": "QuestionnaireResponse",
                    "status": "completed",
                    "questionnaire": f"Questionnaire/{records.waiting.questionnaire.public_id}",
                    "subject": patient,
                    "item": [
                        {"linkId": "hulpvraag", "answer": [{"valueString": "Hoesten al een week"}]},
                        {"linkId": "duur", "answer": [{"valueCoding": {"code": "1"}}]},
                        {"linkId": "last", "answer": [{"valueInteger": 6}]},
                    ],
                },
            )
        ],
        ("put", "/Appointment/{id}"): [
            (mine, {**read_back, "status": "cancelled"}),
            (theirs, {**read_back, "id": theirs["id"], "status": "cancelled"}),
        ],
        ("patch", "/Appointment/{id}"): [(mine, cancel), (theirs, cancel)],
    }


@pytest.fixture
def fuzz(cast: Cast, charts: Charts) -> Fuzz:
    """Patient A (practice A) with a full record and rows the portal hides; two other
    patients of practice A with records (one with a login, and so with appointments,
    answers and repeat requests); patient B of practice B. Tokens got through the OAuth2
    server: patient A's (patient/*.rs and every write), practice A's system (system/*.rs),
    and one of an app that was switched off."""
    records = make_records(cast)
    scopes = f"launch/patient patient/*.rs {_write_scopes()}"
    pgo = patient_app(cast.practice_a, name="Fuzz-PGO", scopes=scopes)
    token = patient_token(pgo, cast.patient_user_a, cast.patient_a, scope=scopes)["access_token"]
    system = system_token(system_app(cast.practice_a, scopes="system/*.rs"), "system/*.rs")
    switched_off = system_app(cast.practice_a, scopes="system/*.rs", name="Uitgezet")
    off_token = system_token(switched_off, "system/*.rs")["access_token"]
    switched_off.app.active = False
    switched_off.app.save(update_fields=["active"])

    own = seen_by_patient(token)
    others = [charts.other_a.patient, records.neighbour]
    of_others = _merge(*(seen_by_system(system["access_token"], p) for p in others))
    assert own.get("Observation") and str(records.mine.public_id) in own["Appointment"]
    assert str(records.theirs.public_id) in of_others["Appointment"]
    hidden = {str(row.public_id) for rows in charts.a.hidden.values() for row in rows}
    practice_b = rows_of(patients=[cast.patient_b], practice=cast.practice_b)
    ids = _merge(own, of_others, {"Patient": {str(p.public_id) for p in (*others, cast.patient_b)}})
    references = sorted(f"{kind}/{public_id}" for kind, found in ids.items() for public_id in found)
    world = World(
        ids=ids,
        elsewhere=sorted(practice_b)[:10] + sorted(_flat(ids))[:10],
        references=references,
        patients=sorted(r for r in references if r.startswith("Patient/")),
    )
    seeds = make_seeds(cast, records, token)
    config = schemathesis.Config.from_dict({})
    app = InProcess()
    bearer = "Bearer {}".format
    return Fuzz(
        schema=schemathesis.openapi.from_wsgi(OPENAPI, app, config=config),
        app=app,
        world=world,
        callers={
            "patient": Caller(
                "patient",
                [bearer(token)],
                forbidden=(rows_of(patients=others) | _flat(of_others) | hidden | practice_b)
                - _flat(own),
                seeds=seeds,
            ),
            "system": Caller(
                "system",
                [bearer(system["access_token"])],
                forbidden=practice_b | hidden,
                seeds=seeds,  # a system writes nothing: each a 403
            ),
            "anonymous": Caller(
                "anonymous",
                [
                    None,
                    "Bearer niet-een-token",
                    "Bearer " + "x" * 600,
                    "Basic ZnV6ejpmdXp6",
                    "Bearer",
                    bearer(off_token),
                ],
            ),
        },
    )


def test_a_patient_token_gets_only_documented_valid_answers_and_only_its_own(fuzz: Fuzz) -> None:
    fuzz.run("patient")


def test_a_system_token_gets_only_documented_valid_answers_of_its_practice(fuzz: Fuzz) -> None:
    fuzz.run("system")


def test_without_a_valid_token_there_is_only_a_401(fuzz: Fuzz) -> None:
    fuzz.run("anonymous")


def test_the_openapi_description_covers_every_interaction_of_the_capability_statement() -> None:
    metadata = api(None, "metadata").json()
    description = Client().get(OPENAPI)
    assert description.status_code == 200
    assert description["Content-Type"].startswith("application/json")
    schema = schemathesis.openapi.from_dict(description.json())
    schema.validate()  # against the OpenAPI 3.0 meta-schema
    documented = {result.ok().label for result in schema.get_all_operations()}
    methods = {
        "read": "GET /{}/{{id}}",
        "search-type": "GET /{}",
        "create": "POST /{}",
        "update": "PUT /{}/{{id}}",
        "patch": "PATCH /{}/{{id}}",
    }
    promised = {
        methods[interaction["code"]].format(resource["type"])
        for resource in metadata["rest"][0]["resource"]
        for interaction in resource["interaction"]
    }
    server = {"GET /metadata", "GET /.well-known/smart-configuration", "GET /openapi.json"}
    assert promised and documented == promised | server


def test_a_nul_in_a_query_is_refused_with_an_operation_outcome(token_a: str) -> None:
    """The request-size middleware refuses it before the API's door, in FHIR's shape."""
    answer = api(token_a, "Patient", name="Jan\x00sen")
    body = fhir_json(answer, 400)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "structure"


def test_a_body_too_large_for_the_server_is_refused_with_an_operation_outcome(
    token_a: str,
) -> None:
    from django.conf import settings

    too_large = Client().post(
        "/fhir/R4/Observation",
        data=b"{}",
        content_type=FHIR,
        HTTP_AUTHORIZATION=f"Bearer {token_a}",
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1),
    )
    body = fhir_json(too_large, 413)
    assert body["issue"][0]["code"] == "too-costly"


def _extension(depth: int) -> dict[str, Any]:
    extension: dict[str, Any] = {"url": "https://example.org/x", "valueString": "x"}
    for _ in range(depth):
        extension = {"url": "https://example.org/x", "extension": [extension]}
    return extension


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 50_000 + "]" * 50_000,
        json.dumps({**blood_pressure(138, 86), "extension": [_extension(200)]}),
        json.dumps({**blood_pressure(138, 86), "note": [{"text": "Na het \x00 sporten"}]}),
    ],
    ids=["deeper-than-the-json-decoder", "deeper-than-fhir-validation", "nul-in-text"],
)
def test_a_body_no_resource_can_be_is_a_400_before_any_service(cast: Cast, raw: str) -> None:
    """Found while fuzzing the writes: each was a 500 (a RecursionError in json.loads or
    in fhir.resources' validation; a NUL that PostgreSQL cannot store)."""
    scopes = "launch/patient patient/Observation.crs"
    app = patient_app(cast.practice_a, name="Meet-app", scopes=scopes)
    token = patient_token(app, cast.patient_user_a, cast.patient_a, scope=scopes)["access_token"]
    answer = Client().post(
        "/fhir/R4/Observation",
        raw,
        content_type=FHIR,
        HTTP_ACCEPT=FHIR,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert fhir_json(answer, 400)["issue"][0]["code"] == "structure"
