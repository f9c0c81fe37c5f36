"""Issue 17: what labs really send. Values kept as what they are, ranges and flags read by
their code system, statuses that replace, withdraw or hold back, patients found only
safely, one bad FHIR entry not sinking the rest, batches and ACKs the same through every
door, and one work-list entry per report."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import AuditEntry
from spreekuur.patients.models import Patient
from spreekuur.results import selectors
from spreekuur.results.models import (
    Flag,
    LabLink,
    LabMessage,
    LabResult,
    MessageStatus,
    ResultStatus,
    ValueKind,
)
from spreekuur.results.parsers import (
    NHG_SYSTEMS,
    flag_of,
    hl7_control_id,
    parse_fhir,
    parse_hl7v2,
    parse_range,
    split_hl7_batch,
)
from spreekuur.results.samples import NHG_URI, SampleResult, fhir_bundle, sample_patient
from spreekuur.results.services import review_result
from tests.conftest import Cast
from tests.results.conftest import CREATININE, HBA1C_HIGH, LDL, oru, receive, taken

pytestmark = pytest.mark.django_db

SNOMED = "http://snomed.info/sct"
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
BSN = "http://fhir.nl/fhir/NamingSystem/bsn"
LOINC = "http://loinc.org"


def hl7(patient: Patient, *obx: str, **extra: Any) -> bytes:
    """An ORU^R01 of the patient with these OBX lines (OBX-14 empty: the order's time)."""
    raw = oru(patient, CREATININE, **extra)
    kept = [s for s in raw.decode().split("\r") if s and not s.startswith("OBX")]
    return ("\r".join([*kept, *obx]) + "\r").encode()


def patient_entry(patient: Patient, full_url: str = "urn:uuid:p1", **extra: Any) -> dict:
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": BSN, "value": patient.bsn}],
        "birthDate": patient.date_of_birth.isoformat(),
        **extra,
    }
    return {"fullUrl": full_url, "resource": resource}


def observation(
    code: str = "2816",
    *,
    system: str = NHG_URI,
    subject: dict | None = None,
    full_url: str = "urn:uuid:o1",
    status: str = "final",
    identifier: str = "R1",
    **extra: Any,
) -> dict:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "identifier": [{"system": "urn:lab:test", "value": identifier}],
        "status": status,
        "code": {"coding": [{"system": system, "code": code}]},
        "effectiveDateTime": taken().isoformat(),
        **extra,
    }
    if subject is not None:
        resource["subject"] = subject
    return {"fullUrl": full_url, "resource": resource}


def bundle(*entries: dict, bundle_id: str = "B1") -> bytes:
    return json.dumps(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "identifier": {"value": bundle_id},
            "meta": {"source": "LAB"},
            "entry": list(entries),
        }
    ).encode()


def quantity(value: float, unit: str = "mmol/mol", **extra: Any) -> dict:
    return {"valueQuantity": {"value": value, "unit": unit, **extra}}


def stored() -> LabResult:
    return LabResult.objects.get()


# --- 6. Values kept as what they are ---------------------------------------------------------


def test_a_snomed_coded_value_stays_a_code_not_a_number(cast: Cast) -> None:
    receive(cast, hl7(cast.patient_a, "OBX|1|CE|2816^^NHG45||260415000^Not detected^SCT||||||F"))
    row = stored()
    assert row.value_kind == ValueKind.CODED and row.value is None
    assert (row.value_code, row.value_system) == ("260415000", SNOMED)
    assert row.value_text == "Not detected"


def test_a_titer_stays_a_ratio(cast: Cast) -> None:
    receive(cast, hl7(cast.patient_a, "OBX|1|SN|2816^^NHG45||^1^:^128||||||F"))
    row = stored()
    assert row.value_kind == ValueKind.RATIO and row.value is None
    assert (row.ratio_numerator, row.ratio_denominator) == (1, 128)
    assert row.value_text == "1:128"


@pytest.mark.parametrize(
    ("value", "comparator", "number"),
    [("<^0.5", "<", "0.5"), (">=^60", ">=", "60"), ("=^7.2", "", "7.2"), ("^58", "", "58")],
)
def test_a_structured_number_keeps_its_comparator(value: str, comparator: str, number: str) -> None:
    parsed = parse_hl7v2(
        f"MSH|^~\\&|L|LAB|||202601010800||ORU^R01|1|P|2.5\rPID|1||x\rOBR|1||O1|||202601010800\r"
        f"OBX|1|SN|2816^^NHG45||{value}||||||F\r".encode()
    )
    [result] = parsed.reports[0].results
    assert (result.value_kind, result.comparator, result.value) == (
        ValueKind.QUANTITY,
        comparator,
        Decimal(number),
    )


def test_words_in_a_text_field_stay_words_and_a_number_in_many_is_refused() -> None:
    head = "MSH|^~\\&|L|LAB|||202601010800||ORU^R01|1|P|2.5\rPID|1||x\rOBR|1||O1|||202601010800\r"
    parsed = parse_hl7v2(
        (
            head + "OBX|1|ST|2816^^NHG45||niet aangetoond||||||F\r"
            "OBX|2|NM|2816^^NHG45||27~25||||||F\r"
            "OBX|3|DT|2816^^NHG45||20221114||||||F\r"
            "OBX|4||2816^^NHG45||260415000^Not detected^SCT||||||F\r"
        ).encode()
    )
    words, many, day, untyped = parsed.reports[0].results
    assert words.value_kind == ValueKind.TEXT and words.value is None and not words.problem
    assert many.value is None and "meer dan één waarde" in many.problem
    assert day.value_kind == ValueKind.TEXT and day.value is None
    assert untyped.value_kind == ValueKind.CODED and untyped.value is None


def test_fhir_coded_string_ratio_and_comparator_values(cast: Cast) -> None:
    subject = {"reference": "urn:uuid:p1"}
    raw = bundle(
        patient_entry(cast.patient_a),
        observation(
            "227",
            identifier="V1",
            subject=subject,
            valueCodeableConcept={
                "coding": [{"system": SNOMED, "code": "260415000", "display": "Not detected"}]
            },
        ),
        observation("542", identifier="V2", subject=subject, valueString="negatief"),
        observation(
            "523",
            identifier="V3",
            subject=subject,
            valueRatio={"numerator": {"value": 1}, "denominator": {"value": 128}},
        ),
        observation(
            "3907",
            identifier="V4",
            subject=subject,
            **quantity(60, unit="mL/min/{1.73_m2}", comparator=">="),
        ),
    )
    outcome = receive(cast, raw, door="fhir")
    assert outcome.stored == 4, outcome.reason
    rows = {row.test.nhg_code: row for row in LabResult.objects.select_related("test")}
    assert rows["227"].value_kind == ValueKind.CODED and rows["227"].value_code == "260415000"
    assert rows["542"].value_kind == ValueKind.TEXT and rows["542"].value_text == "negatief"
    assert rows["523"].value_kind == ValueKind.RATIO and rows["523"].value_text == "1:128"
    assert (rows["3907"].comparator, rows["3907"].value) == (">=", 60)


def test_the_database_refuses_a_value_that_does_not_fit_its_kind(cast: Cast) -> None:
    receive(cast, oru(cast.patient_a, HBA1C_HIGH))
    with pytest.raises(IntegrityError), transaction.atomic():
        LabResult.objects.update(value_kind=ValueKind.CODED)  # a code without its code


# --- 2. Reference ranges --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("70_105", ("70", "105")),
        ("13 to 18", ("13", "18")),
        ("3.5-5.0 mmol/l", ("3.5", "5.0")),
        ("3,5 - 5,0", ("3.5", "5.0")),
        ("-2 - 2", ("-2", "2")),
        ("<5", (None, "5")),
        ("<=5", (None, "5")),
        (">60", ("60", None)),
        ("<10 ug/dL", (None, "10")),
        ("negatief", (None, None)),
        ("5-3", (None, None)),  # upside down: no bounds invented
        ("<10 = Negative", (None, "10")),
        ("4.0-11.0 x10^9/l", ("4.0", "11.0")),
        ("<1 = Susceptible, >= 1 = Resistant", (None, None)),  # two criteria: words
        ("1" * 30 + "-2", (None, None)),  # a bound the columns cannot hold
    ],
)
def test_reference_ranges_are_read(text: str, expected: tuple[str | None, str | None]) -> None:
    assert parse_range(text) == tuple(None if e is None else Decimal(e) for e in expected)


def test_a_range_in_words_is_kept_and_no_table_range_is_invented(cast: Cast) -> None:
    receive(cast, hl7(cast.patient_a, "OBX|1|ST|523^^NHG45||80|umol/l|zie opmerking||||F"))
    row = stored()
    assert (row.reference_low, row.reference_high) == (None, None)  # the table has one
    assert row.reference_as_sent == "zie opmerking" and row.reference_text == "zie opmerking"


def test_an_underscore_range_gives_bounds_and_keeps_the_text(cast: Cast) -> None:
    receive(cast, hl7(cast.patient_a, "OBX|1|NM|2816^^NHG45||50|mmol/mol|20_42||||F"))
    row = stored()
    assert (row.reference_low, row.reference_high, row.reference_as_sent) == (20, 42, "20_42")
    assert row.flag == "H"  # compared with the lab's range


# --- 3. Interpretation by code system -------------------------------------------------------


@pytest.mark.parametrize(
    ("codings", "flag"),
    [
        ([(SNOMED, "281300000")], "L"),
        ([(SNOMED, "281302008")], "H"),
        ([(SNOMED, "17621005")], ""),
        ([(SNOMED, "263654008")], "A"),
        ([(SNOMED, "75540009")], "H"),
        ([(SNOMED, "30714006")], "A"),  # resistant
        ([(SNOMED, "131196009")], ""),  # susceptible
        ([("https://lab.example/flags", "X1"), (V3, "LL")], "LL"),  # by system, not order
        ([(SNOMED, "166717003"), (V3, "H")], "H"),  # a SNOMED code we lack: the v3 one
        ([(V3, "AA")], "AA"),
        ([("", "HH")], "HH"),
        ([("", "N"), ("", "H")], "H"),  # the most telling
        ([("", "U")], None),  # a delta flag says nothing of the range
        ([("https://lab.example/flags", "X1")], "A"),  # unknown: someone should look
        ([], None),
    ],
)
def test_flags_are_read_by_their_code_system(codings: list, flag: str | None) -> None:
    assert flag_of(codings) == flag


def test_a_dutch_profile_below_range_flag_is_stored_as_lower(cast: Cast) -> None:
    interpretation = [{"coding": [{"system": SNOMED, "code": "281300000"}]}]
    raw = bundle(
        patient_entry(cast.patient_a),
        observation(
            subject={"reference": "urn:uuid:p1"}, interpretation=interpretation, **quantity(15)
        ),
    )
    receive(cast, raw, door="fhir")
    assert stored().flag == "L"


def test_hl7_flags_repeat_and_a_critical_qualitative_result_goes_first(cast: Cast) -> None:
    receive(cast, hl7(cast.patient_a, "OBX|1|ST|2816^^NHG45||positief|||A~AA|||F"))
    row = stored()
    assert row.flag == "AA" and row.is_critical and row.is_abnormal


# --- 7. Result status -----------------------------------------------------------------------


def test_a_fhir_correction_replaces_the_earlier_result(cast: Cast) -> None:
    first = bundle(
        patient_entry(cast.patient_a),
        observation(subject={"reference": "urn:uuid:p1"}, **quantity(58)),
    )
    receive(cast, first, door="fhir")
    corrected = bundle(
        patient_entry(cast.patient_a),
        observation(subject={"reference": "urn:uuid:p1"}, status="corrected", **quantity(48)),
        bundle_id="B2",
    )
    receive(cast, corrected, door="fhir")
    old, new = LabResult.objects.order_by("id")
    assert new.replaces == old and new.status == ResultStatus.CORRECTED and new.value == 48


def _released(cast: Cast, order: str) -> LabResult:
    receive(cast, oru(cast.patient_a, HBA1C_HIGH, order=order))
    row = LabResult.objects.get(base_key__contains=f"|{order}|")
    return review_result(result=row, comment="Goed.", release=True, by=cast.gp_a)


@pytest.mark.parametrize("status", ["W", "D"])
def test_a_withdrawn_result_leaves_the_portal_at_once(opened: Cast, status: str) -> None:
    cast = opened
    row = _released(cast, "ORD7")
    assert [s.latest for s in selectors.results_online(cast.patient_a)] == [row]
    withdrawal = SampleResult("2816", "58", "mmol/mol", "20-42", "H", status=status)
    outcome = receive(cast, oru(cast.patient_a, withdrawal, order="ORD7"))
    row.refresh_from_db()
    assert row.is_withdrawn and not row.released and LabResult.objects.count() == 1
    assert selectors.results_online(cast.patient_a) == []
    # Someone must tell the patient, who could see it: it waits on the work list.
    [message] = outcome.messages
    assert message.status == MessageStatus.PARTIAL and "stond online" in message.reason
    entry = AuditEntry.objects.filter(action="change", object_kind="labresult").latest("id")
    assert entry.detail == "ingetrokken door het laboratorium"
    assert entry.object_ids == [str(row.public_id)]
    with pytest.raises(BusinessRuleError):
        review_result(result=row, comment="Toch goed.", release=True, by=cast.gp_a)


def test_a_fhir_entered_in_error_withdraws_and_leaves_the_gps_list(cast: Cast) -> None:
    subject = {"reference": "urn:uuid:p1"}
    receive(
        cast,
        bundle(patient_entry(cast.patient_a), observation(subject=subject, **quantity(58))),
        door="fhir",
    )
    error = observation(subject=subject, status="entered-in-error", **quantity(58))
    outcome = receive(
        cast, bundle(patient_entry(cast.patient_a), error, bundle_id="B2"), door="fhir"
    )
    assert stored().is_withdrawn and outcome.messages[0].status == MessageStatus.IMPORTED
    assert selectors.review_queue(by=cast.gp_a) == []


def test_a_withdrawal_of_something_never_received_waits_and_can_be_read_again(
    cast: Cast,
) -> None:
    withdrawal = SampleResult("2816", "58", "mmol/mol", status="W")
    [message] = receive(cast, oru(cast.patient_a, withdrawal, order="ORD8")).messages
    assert message.status == MessageStatus.PARTIAL and "niet ontvangen" in message.reason
    assert LabResult.objects.count() == 0


def test_a_preliminary_result_is_stored_as_such_and_never_released(opened: Cast) -> None:
    cast = opened
    receive(cast, oru(cast.patient_a, SampleResult("227", "12", "mg/l", status="P")))
    row = stored()
    assert row.status == ResultStatus.PRELIMINARY and row.preliminary
    with pytest.raises(BusinessRuleError, match="voorlopig"):
        review_result(result=row, comment="Goed.", release=True, by=cast.gp_a)
    row.refresh_from_db()
    assert not row.released and row.reviewed_at is None
    # Commenting without release is allowed; the database refuses a release all the same.
    review_result(result=row, comment="Wacht op de definitieve.", release=False, by=cast.gp_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        LabResult.objects.filter(pk=row.pk).update(released=True)


def test_a_pending_result_is_stored_without_a_value_and_the_final_one_replaces_it(
    cast: Cast,
) -> None:
    receive(cast, hl7(cast.patient_a, "OBX|1|NM|227^^NHG45|||mg/l|||||I", order="P1"))
    pending = stored()
    assert pending.status == ResultStatus.PENDING and pending.value_text == ""
    assert pending.status_note == "nog in behandeling"
    receive(cast, hl7(cast.patient_a, "OBX|1|NM|227^^NHG45||14|mg/l|||||F", order="P1"))
    final = LabResult.objects.exclude(pk=pending.pk).get()
    assert final.replaces == pending and final.status == ResultStatus.FINAL


def test_status_u_without_a_value_makes_the_preliminary_result_final(opened: Cast) -> None:
    """HL7 table 0085 U: the preliminary value of the same order and test is now final,
    not sent again; a new version for the GP to review, never released by itself."""
    cast = opened
    receive(cast, hl7(cast.patient_a, "OBX|1|NM|227^^NHG45||12|mg/l|||||P", order="U1"))
    preliminary = stored()
    outcome = receive(cast, hl7(cast.patient_a, "OBX|1|NM|227^^NHG45|||mg/l|||||U", order="U1"))
    [message] = outcome.messages
    assert message.status == MessageStatus.IMPORTED and outcome.stored == 1
    final = LabResult.objects.exclude(pk=preliminary.pk).get()
    assert final.replaces == preliminary and final.status == ResultStatus.FINAL
    assert (final.value, final.value_text, final.unit) == (Decimal("12"), "12", "mg/l")
    assert final.observed_at == preliminary.observed_at and final.message == message
    assert not final.released and final.reviewed_at is None
    assert LabResult.objects.filter(replaced_by__isnull=True).get() == final
    entry = AuditEntry.objects.filter(object_kind="labresult").latest("id")
    assert entry.action == "create" and entry.object_ids == [str(final.public_id)]
    # Now the GP can release it; the same U again changes nothing.
    review_result(result=final, comment="Goed.", release=True, by=cast.gp_a)
    receive(cast, hl7(cast.patient_a, "OBX|1|NM|227^^NHG45||||||||U", order="U1"))
    assert LabResult.objects.count() == 2


def test_status_u_without_an_earlier_preliminary_result_waits_with_its_reason(
    cast: Cast,
) -> None:
    receive(cast, hl7(cast.patient_a, "OBX|1|NM|227^^NHG45||12|mg/l|||||P", order="U2"))
    # Another order: nothing preliminary to make final.
    raw = hl7(cast.patient_a, "OBX|1|NM|227^^NHG45|||mg/l|||||U", order="U3")
    [message] = receive(cast, raw).messages
    assert message.status == MessageStatus.PARTIAL
    assert "geen voorlopige uitslag" in message.reason and message.reason.startswith("227:")
    assert LabResult.objects.count() == 1 and stored().status == ResultStatus.PRELIMINARY


def test_status_u_with_a_value_is_stored_as_the_final_version(cast: Cast) -> None:
    receive(cast, hl7(cast.patient_a, "OBX|1|NM|227^^NHG45||12|mg/l|||||P", order="U4"))
    receive(cast, hl7(cast.patient_a, "OBX|1|NM|227^^NHG45||13|mg/l|||||U", order="U4"))
    first, final = LabResult.objects.order_by("id")
    assert final.replaces == first and final.value == 13 and final.status == ResultStatus.FINAL


def _untimed(cast: Cast, **extra: Any) -> dict:
    entry = observation(subject={"reference": "urn:uuid:p1"}, **quantity(58), **extra)
    del entry["resource"]["effectiveDateTime"]
    return entry


def _report(result: str, when: str, subject: str = "urn:uuid:p1", **extra: Any) -> dict:
    resource = {
        "resourceType": "DiagnosticReport",
        "status": "final",
        "code": {"text": "lab"},
        "subject": {"reference": subject},
        "effectiveDateTime": when,
        "result": [{"reference": result}],
        **extra,
    }
    return {"fullUrl": "urn:uuid:dr1", "resource": resource}


def _specimen(when: str, subject: str = "urn:uuid:p1") -> dict:
    resource = {
        "resourceType": "Specimen",
        "subject": {"reference": subject},
        "collection": {"collectedDateTime": when},
    }
    return {"fullUrl": "urn:uuid:s1", "resource": resource}


def test_a_result_without_its_own_time_takes_its_reports_time(cast: Cast) -> None:
    raw = bundle(
        patient_entry(cast.patient_a),
        _untimed(cast, specimen={"reference": "urn:uuid:s1"}),
        _report("urn:uuid:o1", "2025-03-04T08:15:00+01:00"),
        _specimen("2025-03-01T07:00:00+01:00"),
    )
    [message] = receive(cast, raw, door="fhir").messages
    assert message.status == MessageStatus.IMPORTED
    assert stored().observed_at.isoformat() == "2025-03-04T07:15:00+00:00"
    kinds = [entry["resource"]["resourceType"] for entry in json.loads(message.raw)["entry"]]
    assert kinds == ["Patient", "Observation", "DiagnosticReport"]


def test_a_result_without_its_own_time_or_report_takes_its_specimens_time(cast: Cast) -> None:
    raw = bundle(
        patient_entry(cast.patient_a),
        _untimed(cast, specimen={"reference": "urn:uuid:s1"}),
        _specimen("2025-03-01T07:00:00+01:00"),
    )
    receive(cast, raw, door="fhir")
    assert stored().observed_at.isoformat() == "2025-03-01T06:00:00+00:00"


def test_the_observations_own_time_wins_over_its_report(cast: Cast) -> None:
    raw = bundle(
        patient_entry(cast.patient_a),
        observation(subject={"reference": "urn:uuid:p1"}, **quantity(58)),
        _report("urn:uuid:o1", "2020-01-01T08:00:00+01:00"),
    )
    receive(cast, raw, door="fhir")
    assert stored().observed_at == taken()


@pytest.mark.parametrize(
    "others",
    [
        # A report about someone else, outside the bundle, or only a year: no time.
        [_report("urn:uuid:o1", "2025-03-04T08:15:00+01:00", subject="urn:uuid:p2")],
        [_report("https://elders.example/Observation/o1", "2025-03-04T08:15:00+01:00")],
        [_report("urn:uuid:o1", "2025")],
        [{**_specimen("2025-03-01"), "fullUrl": "urn:uuid:s2"}],
        # Two reports that disagree: no guess.
        [
            _report("urn:uuid:o1", "2025-03-04T08:15:00+01:00"),
            {**_report("urn:uuid:o1", "2025-03-05T08:15:00+01:00"), "fullUrl": "urn:uuid:dr2"},
        ],
    ],
)
def test_a_time_from_elsewhere_keeps_the_result_on_the_work_list(
    cast: Cast, others: list[dict]
) -> None:
    raw = bundle(
        patient_entry(cast.patient_a),
        _untimed(cast, specimen={"reference": "urn:uuid:s1"}),
        *others,
    )
    [message] = receive(cast, raw, door="fhir").messages
    assert message.status == MessageStatus.PARTIAL and "geen afnamedatum" in message.reason
    assert LabResult.objects.count() == 0


def test_a_panel_member_takes_the_time_of_the_report_that_lists_the_panel(cast: Cast) -> None:
    panel = {
        "fullUrl": "urn:uuid:panel",
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "panel"},
            "hasMember": [{"reference": "urn:uuid:o1"}],
        },
    }
    raw = bundle(
        patient_entry(cast.patient_a),
        _untimed(cast),
        panel,
        _report("urn:uuid:panel", "2025-03-04T08:15:00+01:00"),
    )
    [message] = receive(cast, raw, door="fhir").messages
    assert stored().observed_at.isoformat() == "2025-03-04T07:15:00+00:00"
    # The panel and report that give the time stay in the part kept (read again on a retry).
    kinds = [entry["resource"]["resourceType"] for entry in json.loads(message.raw)["entry"]]
    assert kinds == ["Patient", "Observation", "Observation", "DiagnosticReport"]


# --- 4. Wrong-patient risk ------------------------------------------------------------------


def test_a_relative_reference_is_never_resolved_against_another_server(cast: Cast) -> None:
    """Patient/23 of some server is not this bundle's Patient with id 23."""
    raw = bundle(
        patient_entry(cast.patient_a, full_url="urn:uuid:p1", id="23"),
        observation(subject={"reference": "Patient/23"}, **quantity(58)),
    )
    [message] = receive(cast, raw, door="fhir").messages
    assert message.status == MessageStatus.UNMATCHED and message.patient is None
    assert "buiten dit bericht" in message.reason and LabResult.objects.count() == 0
    assert cast.patient_a.bsn not in message.raw  # the other Patient entry is not its part


def test_a_relative_reference_resolves_against_the_entrys_own_server(cast: Cast) -> None:
    base = "https://lab.example/fhir/"
    raw = bundle(
        patient_entry(cast.patient_a, full_url=base + "Patient/23", id="23"),
        observation(
            subject={"reference": "Patient/23"}, full_url=base + "Observation/9", **quantity(58)
        ),
    )
    assert receive(cast, raw, door="fhir").stored == 1
    assert stored().patient == cast.patient_a


def test_a_subject_by_bsn_finds_the_birth_date_in_the_bundle(cast: Cast) -> None:
    subject = {"identifier": {"system": BSN, "value": cast.patient_a.bsn}}
    raw = bundle(patient_entry(cast.patient_a), observation(subject=subject, **quantity(58)))
    assert receive(cast, raw, door="fhir").stored == 1


def test_a_reference_and_a_bsn_that_disagree_go_to_the_work_list(cast: Cast) -> None:
    subject = {
        "reference": "urn:uuid:p1",
        "identifier": {"system": BSN, "value": cast.other_patient_a.bsn},
    }
    raw = bundle(patient_entry(cast.patient_a), observation(subject=subject, **quantity(58)))
    [message] = receive(cast, raw, door="fhir").messages
    assert message.status == MessageStatus.UNMATCHED and "verschillen" in message.reason


# --- 5. One bad entry does not sink the bundle ----------------------------------------------


def test_grouping_entries_without_a_subject_do_not_sink_the_panel(cast: Cast, client) -> None:
    subject = {"reference": "urn:uuid:p1"}
    members = [
        observation(
            code,
            identifier=f"M{code}",
            full_url=f"urn:uuid:m{code}",
            subject=subject,
            **quantity(5, "mmol/l"),
        )
        for code in ("192", "446", "542", "1377")
    ]
    groupers = [
        {
            "fullUrl": f"urn:uuid:g{n}",
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": LOINC, "code": "57698-3"}]},
                "hasMember": [{"reference": "urn:uuid:m192"}],
            },
        }
        for n in range(3)
    ]
    raw = bundle(patient_entry(cast.patient_a), *groupers, *members)
    response = client.post(
        reverse("results:lab_inbox", args=["fhir"]),
        raw,
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {_link(cast)}"},
    )
    assert LabResult.objects.count() == 4
    issues = response.json()["issue"]
    assert issues[0]["severity"] == "information" and "3 groeperende" in json.dumps(issues)


def test_an_invalid_entry_is_set_aside_and_the_rest_is_stored(cast: Cast, client) -> None:
    subject = {"reference": "urn:uuid:p1"}
    broken = observation("542", identifier="X", subject=subject, valueQuantity={"value": "veel"})
    raw = bundle(
        patient_entry(cast.patient_a), observation(subject=subject, **quantity(58)), broken
    )
    response = client.post(
        reverse("results:lab_inbox", args=["fhir"]),
        raw,
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {_link(cast)}"},
    )
    assert LabResult.objects.count() == 1
    [message] = LabMessage.objects.all()
    assert message.status == MessageStatus.PARTIAL and "ongeldige Observation" in message.reason
    warnings = [i for i in response.json()["issue"] if i["severity"] == "warning"]
    assert len(warnings) == 1 and "ongeldige Observation" in warnings[0]["diagnostics"]
    assert "veel" not in message.reason


def test_import_lab_says_what_was_set_aside_and_passed_over(cast: Cast, tmp_path: Path) -> None:
    grouper = {
        "fullUrl": "urn:uuid:g1",
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": LOINC, "code": "57698-3"}]},
            "hasMember": [{"reference": "urn:uuid:o1"}],
        },
    }
    elsewhere = observation(
        identifier="E", full_url="urn:uuid:o2", subject={"reference": "Patient/9"}, **quantity(5)
    )
    raw = bundle(
        patient_entry(cast.patient_a),
        grouper,
        observation(subject={"reference": "urn:uuid:p1"}, **quantity(58)),
        elsewhere,
    )
    path = tmp_path / "bundel.json"
    path.write_bytes(raw)
    output = StringIO()
    call_command("import_lab", str(path), practice="praktijk-a", stdout=output)
    said = output.getvalue()
    assert "bundel.json, bericht 1: apart gezet: Niet aan een patiënt te koppelen" in said
    assert "1 groeperende Observation zonder eigen waarde overgeslagen." in said
    assert "uitslagen: 1," in said and "wachtend: 1" in said


def test_the_database_holds_one_open_entry_per_report(cast: Cast) -> None:
    """What keeps two deliveries at the same moment from both opening an entry."""
    fields = {"practice": cast.practice_a, "door": "hl7v2", "raw": "x", "report_key": "k"}
    LabMessage.objects.create(digest="1", status=MessageStatus.UNMATCHED, **fields)
    LabMessage.objects.create(digest="2", status=MessageStatus.DUPLICATE, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        LabMessage.objects.create(digest="3", status=MessageStatus.PARTIAL, **fields)


# --- 12. What the FHIR door accepts --------------------------------------------------------


def test_fhir_xml_is_refused_saying_what_is_accepted(cast: Cast) -> None:
    outcome = receive(cast, b'<?xml version="1.0"?><Bundle xmlns="http://hl7.org/fhir"/>', "fhir")
    assert outcome.quarantined and "XML" in outcome.reason and "JSON" in outcome.reason


def test_another_resource_type_is_refused_saying_what_is_accepted(cast: Cast) -> None:
    outcome = receive(cast, b'{"resourceType": "DiagnosticReport"}', "fhir")
    assert outcome.quarantined and "Observation" in outcome.reason
    assert "DiagnosticReport" in outcome.reason


def test_a_bare_observation_with_a_contained_patient_is_one_result(cast: Cast) -> None:
    resource = observation(subject={"reference": "#p"}, **quantity(58))["resource"]
    resource["contained"] = [{**patient_entry(cast.patient_a)["resource"], "id": "p"}]
    assert receive(cast, json.dumps(resource).encode(), "fhir").stored == 1
    assert stored().patient == cast.patient_a


def test_a_bare_observation_by_bsn_alone_waits_to_be_linked(cast: Cast) -> None:
    subject = {"identifier": {"system": BSN, "value": cast.patient_a.bsn}}
    resource = observation(subject=subject, **quantity(58))["resource"]
    [message] = receive(cast, json.dumps(resource).encode(), "fhir").messages
    assert message.status == MessageStatus.UNMATCHED and "geen geboortedatum" in message.reason
    assert message.identity["bsn"] == cast.patient_a.bsn


# --- 8. Data that was ignored ---------------------------------------------------------------


def test_blood_pressure_components_are_two_results(cast: Cast) -> None:
    components = [
        {"code": {"coding": [{"system": LOINC, "code": code}]}, **quantity(value, "mmHg")}
        for code, value in (("8480-6", 150), ("8462-4", 85))
    ]
    raw = bundle(
        patient_entry(cast.patient_a),
        observation(
            "85354-9", system=LOINC, subject={"reference": "urn:uuid:p1"}, component=components
        ),
    )
    assert receive(cast, raw, door="fhir").stored == 2
    values = dict(LabResult.objects.values_list("test__nhg_code", "value"))
    assert values == {"1744": 150, "1740": 85}
    assert LabResult.objects.get(test__nhg_code="1744").flag == "H"  # above 140


def test_an_alternate_code_in_obx3_finds_the_test(cast: Cast) -> None:
    receive(
        cast, hl7(cast.patient_a, "OBX|1|NM|KREA^Kreatinine^L^14682-9^Creat^LN||80|umol/l|||||F")
    )
    assert stored().test.nhg_code == "523"


def test_a_loinc_only_result_maps_to_its_nhg_test_through_the_table(cast: Cast) -> None:
    """39469-2 (LDL, calculated) is not the test row's own LOINC code (22748-8)."""
    receive(cast, hl7(cast.patient_a, "OBX|1|NM|39469-2^LDL calc^LN||2.6|mmol/l|||||F"))
    assert stored().test.nhg_code == "542"


# --- 10. The ACK echoes the control id -------------------------------------------------------


def _link(cast: Cast) -> str:
    token = LabLink.new_token()
    LabLink.objects.create(
        practice=cast.practice_a, name="Lab", token_hash=LabLink.hash_token(token)
    )
    return token


def _post_hl7(client, token: str, raw: bytes) -> str:  # type: ignore[no-untyped-def]
    response = client.post(
        reverse("results:lab_inbox", args=["hl7v2"]),
        raw,
        content_type="x-application/hl7-v2+er7",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    return response.content.decode()


def _msa(ack: str) -> list[list[str]]:
    return [line.split("|") for line in ack.split("\r") if line.startswith("MSA|")]


def test_the_ack_echoes_the_control_id_after_a_byte_order_mark(cast: Cast, client) -> None:
    raw = b"\xef\xbb\xbf" + oru(cast.patient_a, control_id="BOM-1")
    [msa] = _msa(_post_hl7(client, _link(cast), raw))
    assert msa[1:3] == ["AA", "BOM-1"] and LabResult.objects.count() == 2


def test_the_ack_echoes_a_long_control_id_whole(cast: Cast, client) -> None:
    control_id = "LAB-2026-0000000000000000000042"  # 31 characters
    [msa] = _msa(_post_hl7(client, _link(cast), oru(cast.patient_a, control_id=control_id)))
    assert msa[2] == control_id


# --- 9. Batches: the same through every door --------------------------------------------------


def _batch(cast: Cast, declared: int) -> bytes:
    body = oru(cast.patient_a, HBA1C_HIGH) + oru(cast.other_patient_a, LDL)
    return b"FHS|^~\\&|LAB\rBHS|^~\\&|LAB\r" + body + f"BTS|{declared}\rFTS|1\r".encode()


def test_the_http_door_reads_a_batch_as_import_lab_does(cast: Cast, client, tmp_path: Path) -> None:
    raw = _batch(cast, declared=2)
    ack = _post_hl7(client, _link(cast), raw)
    assert ack.startswith("FHS|") and [m[1] for m in _msa(ack)] == ["AA", "AA"]
    assert "\rBTS|2|" in ack and LabResult.objects.count() == 2
    path = tmp_path / "batch.hl7"
    path.write_bytes(raw)
    output = StringIO()
    call_command("import_lab", str(path), practice="praktijk-a", stdout=output)
    assert "dubbel: 2" in output.getvalue() and LabResult.objects.count() == 2


def test_a_batch_count_that_differs_is_reported_and_waits_once(
    cast: Cast, client, tmp_path: Path
) -> None:
    raw = _batch(cast, declared=3)
    ack = _post_hl7(client, _link(cast), raw)
    assert "BTS|2|Batch 1: de trailer (BTS-1) noemt 3 berichten, er zijn er 2 gelezen." in ack
    assert LabResult.objects.count() == 2  # what was read is stored
    [waiting] = LabMessage.objects.filter(status=MessageStatus.QUARANTINED)
    assert "BTS-1" in waiting.reason and cast.patient_a.bsn not in waiting.raw
    path = tmp_path / "batch.hl7"
    path.write_bytes(raw.replace(b"\r", b"\n"))
    output = StringIO()
    call_command("import_lab", str(path), practice="praktijk-a", stdout=output)
    assert "noemt 3 berichten" in output.getvalue()
    assert LabMessage.objects.filter(status=MessageStatus.QUARANTINED).count() == 1


def test_split_hl7_batch_counts_per_batch() -> None:
    message = b"MSH|^~\\&|A|B|||202601010800||ORU^R01|1|P|2.5\rPID|1\r"
    raw = b"FHS|x\rBHS|x\r" + message + b"BTS|1\rBHS|x\r" + message * 2 + b"BTS|1\rFTS|3\r"
    batch = split_hl7_batch(raw)
    assert len(batch.messages) == 3 and len(batch.envelope) == 6
    assert len(batch.problems) == 2 and "Batch 2" in batch.problems[0]
    # One message, one batch: singular; more: plural.
    assert "noemt 1 bericht, er zijn er 2 gelezen." in batch.problems[0]
    assert "(FTS-1) noemt 3 batches, er zijn er 2 gelezen." in batch.problems[1]
    single = split_hl7_batch(
        b"BHS|x\r" + message * 2 + b"BTS|1\rBHS|x\r" + message + b"BTS|1\rFTS|1\r"
    )
    assert "(FTS-1) noemt 1 batch, er zijn er 2 gelezen." in single.problems[-1]
    assert hl7_control_id(b"\xef\xbb\xbf\r\n" + message) == "1"


@pytest.mark.parametrize(
    ("panels", "said"),
    [
        (1, "1 groeperende Observation zonder eigen waarde overgeslagen."),
        (2, "2 groeperende Observations zonder eigen waarde overgeslagen."),
    ],
)
def test_the_grouping_note_is_singular_for_one(cast: Cast, panels: int, said: str) -> None:
    heads = [
        {
            "fullUrl": f"urn:uuid:panel{n}",
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "panel"},
                "hasMember": [{"reference": "urn:uuid:o1"}],
            },
        }
        for n in range(panels)
    ]
    parsed = parse_fhir(
        bundle(
            patient_entry(cast.patient_a),
            observation(subject={"reference": "urn:uuid:p1"}, **quantity(58)),
            *heads,
        )
    )
    assert parsed.notes == [said]


# --- 11. One work-list entry per report --------------------------------------------------------


def _stranger(raw: bytes, patient: Patient) -> bytes:
    return raw.replace(patient.bsn.encode(), b"111222333")


def test_the_same_unmatched_report_through_two_doors_is_one_entry(
    cast: Cast, client, tmp_path: Path
) -> None:
    raw = _stranger(oru(cast.patient_a, HBA1C_HIGH), cast.patient_a)
    _post_hl7(client, _link(cast), raw.replace(b"\r", b"\r\n"))
    path = tmp_path / "uitslag.hl7"
    path.write_bytes(raw.replace(b"\r", b"\n"))
    call_command("import_lab", str(path), practice="praktijk-a", stdout=StringIO())
    assert LabMessage.objects.count() == 2  # both kept: nothing lost
    assert selectors.lab_worklist(by=cast.assistant_a).count() == 1
    assert LabMessage.objects.filter(status=MessageStatus.DUPLICATE).count() == 1


def test_the_same_unmatched_report_as_hl7_and_as_fhir_is_one_entry(cast: Cast) -> None:
    stranger = sample_patient(cast.patient_a)
    result = SampleResult("2816", "58", "mmol/mol")
    receive(cast, _stranger(oru(cast.patient_a, result), cast.patient_a))
    as_fhir = fhir_bundle(stranger, [result], bundle_id="F9", taken=taken())
    receive(cast, _stranger(as_fhir, cast.patient_a), door="fhir")
    assert selectors.lab_worklist(by=cast.assistant_a).count() == 1


def test_the_same_unreadable_message_with_other_line_ends_is_one_entry(cast: Cast) -> None:
    raw = b"MSH|^~\\&|A|B|C|D|20260101||ADT^A01|X7|P|2.5\rPID|1\r"
    receive(cast, raw)
    receive(cast, raw.replace(b"\r", b"\r\n"))
    assert selectors.lab_worklist(by=cast.assistant_a).count() == 1


def test_a_report_linked_on_the_work_list_does_not_come_back_through_another_door(
    cast: Cast,
) -> None:
    from spreekuur.results.services import link_lab_message

    raw = _stranger(oru(cast.patient_a, HBA1C_HIGH), cast.patient_a)
    [first] = receive(cast, raw).messages
    link_lab_message(message=first, patient=cast.patient_a, by=cast.assistant_a)
    [again] = receive(cast, raw.replace(b"\r", b"\n")).messages
    assert again.status == MessageStatus.DUPLICATE and "Al eerder ontvangen" in again.reason
    assert selectors.lab_worklist(by=cast.assistant_a).count() == 0
    assert LabResult.objects.count() == 1


def test_a_bare_observation_is_read_with_its_nhg_code_and_an_aware_time() -> None:
    """A FHIR coding names NHG-Tabel 45 by its URI; a time without a zone is Dutch time."""
    parsed = parse_fhir(
        json.dumps(
            observation(
                subject={"identifier": {"system": BSN, "value": "999990019"}}, **quantity(5)
            )["resource"]
        ).encode()
    )
    [result] = parsed.reports[0].results
    assert result.system == "nhg" and NHG_URI in NHG_SYSTEMS
    assert timezone.is_aware(result.observed_at)  # type: ignore[arg-type]


# --- 1. Units ---------------------------------------------------------------------------------


def test_a_value_in_another_unit_is_converted_before_the_table_range_goes_beside_it(
    cast: Cast,
) -> None:
    """Glucose 182 mg/dl from a lab without a range: filed as 10.1 mmol/l beside the test
    table's mmol/l range, never 182 beside 4-6 (the finding)."""
    outcome = receive(cast, oru(cast.patient_a, SampleResult("372", "182", "mg/dL")))
    assert outcome.stored == 1, outcome
    row = stored()
    assert (row.value, row.unit) == (Decimal("10.1"), "mmol/l")
    assert row.reference_high is not None and row.reference_high < 10
    assert row.flag == Flag.HIGH


def test_a_lab_range_keeps_the_value_in_the_labs_own_unit(cast: Cast) -> None:
    receive(cast, oru(cast.patient_a, SampleResult("372", "99", "mg/dL", "70_105")))
    row = stored()
    assert (row.value, row.unit) == (Decimal("99"), "mg/dL")
    assert (row.reference_low, row.reference_high) == (70, 105)


def test_a_unit_that_does_not_fit_the_test_sends_the_result_to_the_work_list(
    cast: Cast,
) -> None:
    outcome = receive(cast, oru(cast.patient_a, LDL, SampleResult("372", "5.1", "g")))
    message = outcome.messages[0]
    assert outcome.stored == 1 and message.status == MessageStatus.PARTIAL
    assert "past niet bij deze test" in message.reason
    assert not LabResult.objects.filter(test__nhg_code="372").exists()
