"""What must hold whatever an app asks: a patient's token opens that patient's data and
nothing else, a practice system's token only its own practice's patients, and what the
portal does not show (shielded rows, unreleased results, rows from before the records
went online) never leaves through the API. Every call is in the access log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from spreekuur.core.models import AuditEntry, AuditOutcome
from spreekuur.core.roles import Channel
from tests.conftest import Cast
from tests.fhir.conftest import (
    Chart,
    Charts,
    Registered,
    api,
    entries,
    fhir_json,
    ids,
    open_records,
    system_app,
    system_token,
)

pytestmark = pytest.mark.django_db

COMPARTMENT = (
    "Condition",
    "EpisodeOfCare",
    "Observation",
    "MedicationStatement",
    "AllergyIntolerance",
)
TYPES = ("Patient", "Practitioner", "Organization", *COMPARTMENT)
# Words of the rows that must never show (conftest._hidden_rows), and of the GP's comment on
# a result held back.
HIDDEN_WORDS = ("Somberheid", "Lage rugpijn", "Sertraline", "Ibuprofen", "Latex", "Bespreek ik")


def chart_rows(chart: Chart, resource_type: str) -> list[Any]:
    """The chart's online rows of a compartment type."""
    return {
        "Condition": [chart.episode, chart.closed_episode],
        "EpisodeOfCare": [chart.episode, chart.closed_episode],
        "Observation": chart.observations,
        "MedicationStatement": [chart.medication],
        "AllergyIntolerance": [chart.allergy],
    }[resource_type]


def public_ids(rows: list[Any]) -> set[str]:
    return {str(row.public_id) for row in rows}


def not_found(token: str, path: str) -> None:
    body = fhir_json(api(token, path), 404)
    assert body["resourceType"] == "OperationOutcome"


def system_token_of(practice: Any, scopes: str = "system/*.rs") -> str:
    registered: Registered = system_app(practice, scopes=scopes)
    return str(system_token(registered, scopes)["access_token"])


# --- A patient's token -------------------------------------------------------------------------


def test_a_patient_token_cannot_read_another_patients_patient_resource(
    cast: Cast, token_a: str
) -> None:
    not_found(token_a, f"Patient/{cast.patient_b.public_id}")
    not_found(token_a, f"Patient/{cast.other_patient_a.public_id}")
    assert fhir_json(api(token_a, f"Patient/{cast.patient_a.public_id}"))["id"] == str(
        cast.patient_a.public_id
    )


def test_a_patient_token_sees_only_its_own_practice_and_its_staff(cast: Cast, token_a: str) -> None:
    not_found(token_a, f"Organization/{cast.practice_b.public_id}")
    not_found(token_a, f"Practitioner/{cast.gp_b.membership.public_id}")
    staff = ids(fhir_json(api(token_a, "Practitioner")))
    assert str(cast.gp_a.membership.public_id) in staff
    assert str(cast.gp_b.membership.public_id) not in staff


@pytest.mark.parametrize("resource_type", COMPARTMENT)
def test_a_patient_token_cannot_read_another_patients_rows(
    charts: Charts, token_a: str, resource_type: str
) -> None:
    for other in (charts.other_a, charts.b):
        for row in chart_rows(other, resource_type):
            not_found(token_a, f"{resource_type}/{row.public_id}")


@pytest.mark.parametrize(
    ("resource_type", "parameter"),
    [(t, "patient") for t in COMPARTMENT]
    + [(t, "subject") for t in ("Condition", "Observation", "MedicationStatement")],
)
def test_searching_another_patients_data_finds_nothing(
    cast: Cast, charts: Charts, token_a: str, resource_type: str, parameter: str
) -> None:
    for other in (cast.other_patient_a, cast.patient_b):
        for value in (str(other.public_id), f"Patient/{other.public_id}"):
            bundle = fhir_json(api(token_a, resource_type, **{parameter: value}))
            assert bundle["total"] == 0
            assert "entry" not in bundle
    # Naming oneself and someone else together (FHIR ANDs them) finds nothing either.
    both = api(
        token_a,
        f"{resource_type}?{parameter}={cast.patient_a.public_id}"
        f"&{parameter}={cast.patient_b.public_id}",
    )
    assert fhir_json(both)["total"] == 0


def test_searching_patients_finds_only_oneself(cast: Cast, token_a: str) -> None:
    for other in (cast.other_patient_a, cast.patient_b):
        assert fhir_json(api(token_a, "Patient", identifier=other.bsn))["total"] == 0
        assert fhir_json(api(token_a, "Patient", _id=str(other.public_id)))["total"] == 0
        assert fhir_json(api(token_a, "Patient", family=other.family_name))["total"] == 0
    everyone = fhir_json(api(token_a, "Patient"))
    assert ids(everyone) == {str(cast.patient_a.public_id)}


@pytest.mark.parametrize(
    "query",
    [
        "Observation?_include=Observation:patient",
        "Observation?_include=Observation:subject",
        "Condition?_include=Condition:patient",
        "MedicationStatement?_include=MedicationStatement:patient",
        "AllergyIntolerance?_include=AllergyIntolerance:patient",
        "EpisodeOfCare?_include=EpisodeOfCare:patient",
    ],
)
def test_include_only_ever_adds_the_tokens_own_patient(
    cast: Cast, charts: Charts, token_a: str, query: str
) -> None:
    bundle = fhir_json(api(token_a, query))
    included = entries(bundle, "include")
    assert [r["resourceType"] for r in included] == ["Patient"]
    assert included[0]["id"] == str(cast.patient_a.public_id)
    for other in (cast.other_patient_a, cast.patient_b):
        aimed = fhir_json(api(token_a, f"{query}&patient={other.public_id}"))
        assert "entry" not in aimed


# --- What never shows ---------------------------------------------------------------------------


def every_search(token: str, patient: Any | None) -> list[Any]:
    """The answers to a search of every type, plain and with filters that would match the
    hidden rows (their codes, categories, dates, their own ids)."""
    hint = {"patient": str(patient.public_id)} if patient is not None else {}
    answers = []
    for resource_type in TYPES:
        params = hint if resource_type in COMPARTMENT else {}
        answers.append(api(token, resource_type, **params))
    answers += [
        api(token, "Observation", category="laboratory", **hint),
        api(token, "Observation", category="vital-signs", **hint),
        api(token, "Observation", code="542", **hint),  # LDL: unreleased and before online
        api(token, "Observation", code="372", **hint),  # glucose: held back
        api(token, "Observation", date="le2020-07-01", **hint),
        api(token, "Condition", code="P76,L03", **hint),
        api(token, "Condition", **{"clinical-status": "resolved"}, **hint),
        api(token, "MedicationStatement", status="completed", **hint),
        api(token, "AllergyIntolerance", type="intolerance", **hint),
    ]
    return answers


def assert_nothing_hidden(answer: Any, hidden_ids: set[str]) -> None:
    body = fhir_json(answer)
    assert not ids(body) & hidden_ids, body
    text = answer.content.decode()
    for hidden in hidden_ids:
        assert hidden not in text
    for word in HIDDEN_WORDS:
        assert word not in text, word


@pytest.mark.parametrize("caller", ["patient app", "system"])
def test_shielded_unreleased_and_pre_online_rows_never_appear(
    cast: Cast, charts: Charts, token_a: str, caller: str
) -> None:
    hidden = charts.a.hidden
    hidden_ids = {str(row.public_id) for rows in hidden.values() for row in rows}
    assert len(hidden_ids) == 10
    token, patient = (
        (token_a, None)
        if caller == "patient app"
        else (system_token_of(cast.practice_a), cast.patient_a)
    )
    for answer in every_search(token, patient):
        assert_nothing_hidden(answer, hidden_ids)
    for resource_type, rows in hidden.items():
        for row in rows:
            not_found(token, f"{resource_type}/{row.public_id}")
            hint = {"patient": str(cast.patient_a.public_id)} if patient is not None else {}
            by_id = fhir_json(api(token, resource_type, _id=str(row.public_id), **hint))
            assert by_id["total"] == 0


def test_the_visible_rows_are_there_beside_the_hidden_ones(charts: Charts, token_a: str) -> None:
    """The counterpart of the test above: the same searches do find the online rows."""
    for resource_type in COMPARTMENT:
        found = ids(fhir_json(api(token_a, resource_type)))
        assert found == public_ids(chart_rows(charts.a, resource_type))


def test_a_result_becomes_visible_only_when_released(
    charts: Charts, token_a: str, cast: Cast
) -> None:
    from spreekuur.results.services import review_result

    hidden = charts.a.hidden["Observation"]
    (unreleased,) = [r for r in hidden if r.test.nhg_code == "542" and r.reviewed_at is None]
    not_found(token_a, f"Observation/{unreleased.public_id}")
    review_result(result=unreleased, comment="Prima waarde.", release=True, by=cast.gp_a)
    assert fhir_json(api(token_a, f"Observation/{unreleased.public_id}"))["id"] == str(
        unreleased.public_id
    )


def test_lifting_a_shield_opens_the_row_and_shielding_closes_it_again(
    cast: Cast, charts: Charts, token_a: str
) -> None:
    from spreekuur.dossier import services as dossier

    allergy = charts.a.hidden["AllergyIntolerance"][0]
    dossier.set_shielded(item=allergy, shielded=False, by=cast.gp_a)
    assert fhir_json(api(token_a, f"AllergyIntolerance/{allergy.public_id}"))["id"] == str(
        allergy.public_id
    )
    dossier.set_shielded(item=allergy, shielded=True, by=cast.gp_a)
    not_found(token_a, f"AllergyIntolerance/{allergy.public_id}")


@pytest.mark.parametrize("online_from", [None, "tomorrow"])
def test_nothing_of_the_record_is_there_while_the_records_are_not_online(
    cast: Cast, charts: Charts, token_a: str, online_from: str | None
) -> None:
    cast.practice_a.records_online_from = (
        None if online_from is None else timezone.localdate() + timedelta(days=1)
    )
    cast.practice_a.save(update_fields=["records_online_from"])
    for resource_type in COMPARTMENT:
        assert fhir_json(api(token_a, resource_type))["total"] == 0
        for row in chart_rows(charts.a, resource_type):
            not_found(token_a, f"{resource_type}/{row.public_id}")
    # Who the patient is and where, stays readable.
    assert fhir_json(api(token_a, "Patient"))["total"] == 1


def test_rows_from_before_the_online_date_disappear_when_the_date_moves_later(
    cast: Cast, charts: Charts, token_a: str
) -> None:
    a = charts.a
    open_records(cast.practice_a, on=timezone.localdate() - timedelta(days=60))
    observations = ids(fhir_json(api(token_a, "Observation")))
    assert observations == public_ids([*a.labs, a.blood_pressure[0]])  # not the old weight
    assert ids(fhir_json(api(token_a, "Condition"))) == public_ids([a.episode])  # still running
    not_found(token_a, f"Observation/{a.weight.public_id}")
    not_found(token_a, f"Condition/{a.closed_episode.public_id}")


# --- A practice system's token -------------------------------------------------------------------


@pytest.mark.parametrize("resource_type", COMPARTMENT)
def test_a_system_must_name_one_patient_for_the_record(cast: Cast, resource_type: str) -> None:
    token = system_token_of(cast.practice_a)
    body = fhir_json(api(token, resource_type), 400)
    assert body["issue"][0]["expression"] == ["patient"]
    two = api(
        token,
        f"{resource_type}?patient={cast.patient_a.public_id}&patient={cast.other_patient_a.public_id}",
    )
    fhir_json(two, 400)


def test_a_system_never_sees_another_practices_patient(cast: Cast, charts: Charts) -> None:
    token = system_token_of(cast.practice_a)
    b = cast.patient_b
    not_found(token, f"Patient/{b.public_id}")
    assert fhir_json(api(token, "Patient", identifier=b.bsn))["total"] == 0
    assert str(b.public_id) not in ids(fhir_json(api(token, "Patient")))
    for resource_type in COMPARTMENT:
        bundle = fhir_json(api(token, resource_type, patient=str(b.public_id)))
        assert bundle["total"] == 0
        for row in chart_rows(charts.b, resource_type):
            not_found(token, f"{resource_type}/{row.public_id}")
    not_found(token, f"Organization/{cast.practice_b.public_id}")


def test_a_system_with_a_narrow_scope_reads_only_that(cast: Cast, charts: Charts) -> None:
    token = system_token_of(cast.practice_a, scopes="system/Patient.rs")
    assert fhir_json(api(token, "Patient"))["total"] == 2
    fhir_json(api(token, "Observation", patient=str(cast.patient_a.public_id)), 403)
    fhir_json(api(token, f"Observation/{charts.a.labs[0].public_id}"), 403)


# --- The access log ------------------------------------------------------------------------------


def api_entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(channel=Channel.API).order_by("id"))


def test_every_call_of_a_patient_app_is_logged_with_the_app_and_the_patient(
    cast: Cast, charts: Charts, token_a: str
) -> None:
    calls = [f"{t}" for t in TYPES] + [
        f"Observation/{charts.a.labs[0].public_id}",
        f"Condition/{charts.a.episode.public_id}",
        f"Patient/{cast.patient_a.public_id}",
        "Observation?code=9999",  # finds nothing: logged as a search all the same
    ]
    for path in calls:
        before = len(api_entries())
        assert api(token_a, path).status_code == 200, path
        new = api_entries()[before:]
        assert new, f"no access log entry for {path}"
        for entry in new:
            assert entry.detail == "app: Mijn PGO"
            assert entry.actor == cast.patient_user_a
            assert entry.outcome == AuditOutcome.ALLOWED
            if path.split("?")[0].split("/")[0] in (*COMPARTMENT, "Patient"):
                assert entry.patient == cast.patient_a, path


def test_a_search_logs_the_ids_it_showed(charts: Charts, token_a: str) -> None:
    before = len(api_entries())
    api(token_a, "Observation")
    shown = {i for entry in api_entries()[before:] for i in entry.object_ids}
    # A blood pressure is one Observation; the log names both its rows.
    a = charts.a
    assert shown == public_ids([*a.labs, *a.blood_pressure, a.weight])


def test_a_refused_read_is_logged_as_denied(cast: Cast, charts: Charts, token_a: str) -> None:
    for path in (
        f"Patient/{cast.patient_b.public_id}",
        f"Observation/{charts.b.labs[0].public_id}",
        f"Condition/{charts.a.hidden['Condition'][0].public_id}",
    ):
        before = len(api_entries())
        assert api(token_a, path).status_code == 404
        (entry,) = api_entries()[before:]
        assert entry.outcome == AuditOutcome.DENIED
        assert entry.detail == "app: Mijn PGO"
        assert entry.actor == cast.patient_user_a
        assert entry.object_ids == [path.split("/")[1]]


def test_a_systems_calls_are_logged_under_the_system_with_the_patient(
    cast: Cast, charts: Charts
) -> None:
    token = system_token_of(cast.practice_a)
    before = len(api_entries())
    api(token, "Observation", patient=str(cast.other_patient_a.public_id))
    new = api_entries()[before:]
    assert new
    for entry in new:
        assert entry.patient == cast.other_patient_a
        assert entry.detail == "app: Praktijksysteem"
        assert entry.actor is None
        assert entry.actor_role == "koppeling"


def test_a_call_refused_for_its_scope_is_logged_as_denied(cast: Cast, charts: Charts) -> None:
    token = system_token_of(cast.practice_a, scopes="system/Patient.rs")
    before = len(api_entries())
    assert api(token, "Observation", patient=str(cast.patient_a.public_id)).status_code == 403
    new = api_entries()[before:]
    assert [entry.outcome for entry in new] == [AuditOutcome.DENIED]
