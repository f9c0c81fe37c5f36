"""The three lab doors: what is stored, what waits with a reason, and that nothing is
stored twice or half."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from spreekuur.accounts.models import Membership
from spreekuur.core.audit import verify_chains
from spreekuur.core.models import AuditEntry
from spreekuur.results.models import LabLink, LabMessage, LabResult, LabTest, MessageStatus
from spreekuur.results.samples import SampleResult, csv_file, fhir_bundle, sample_patient
from spreekuur.results.services import receive_lab_message
from tests.conftest import Cast
from tests.results.conftest import CREATININE, HBA1C_HIGH, LDL, oru, receive, taken

pytestmark = pytest.mark.django_db


def test_hl7_results_are_stored_with_flags_ranges_and_the_patients_gp(cast: Cast) -> None:
    cast.patient_a.gp = cast.gp_a
    cast.patient_a.save(update_fields=["gp"])
    outcome = receive(cast, oru(cast.patient_a, HBA1C_HIGH, CREATININE, LDL))
    assert outcome.stored == 3 and not outcome.duplicate
    [message] = outcome.messages
    assert message.status == MessageStatus.IMPORTED and message.patient == cast.patient_a
    rows = {row.test.nhg_code: row for row in LabResult.objects.select_related("test")}
    hba1c = rows["2816"]
    assert hba1c.value == Decimal("58") and hba1c.flag == "H"
    assert (hba1c.reference_low, hba1c.reference_high) == (20, 42)
    # No range from the lab: the table's, for this patient's sex and age.
    creatinine = rows["523"]
    expected_high = 90 if cast.patient_a.sex == "F" else 104
    assert creatinine.reference_high == expected_high and creatinine.flag == ""
    assert rows["542"].reference_high == Decimal("3.0") and rows["542"].reference_low is None
    assert all(row.reviewer == cast.gp_a and not row.released for row in rows.values())
    entry = AuditEntry.objects.get(object_kind="labresult")
    assert entry.action == "create" and entry.patient == cast.patient_a
    assert sorted(entry.object_ids) == sorted(str(row.public_id) for row in rows.values())
    assert verify_chains()[1] == []


def test_the_gp_who_ordered_gets_the_result_by_agb_code(cast: Cast) -> None:
    Membership.objects.filter(user=cast.gp_a).update(agb_code="01012345")
    receive(cast, oru(cast.other_patient_a, HBA1C_HIGH, ordered_by_agb="01012345"))
    assert LabResult.objects.get().reviewer == cast.gp_a


def test_a_result_below_the_range_is_flagged_low_when_the_lab_gives_no_flag(cast: Cast) -> None:
    receive(cast, oru(cast.patient_a, SampleResult("513", "3.1", "mmol/l")))
    assert LabResult.objects.get().flag == "L"


def test_the_same_message_twice_is_stored_once(cast: Cast) -> None:
    raw = oru(cast.patient_a)
    first, second = receive(cast, raw), receive(cast, raw)
    assert first.stored == 2 and second.duplicate and second.stored == 0
    assert LabMessage.objects.count() == 1 and LabResult.objects.count() == 2


def test_the_same_result_in_another_message_is_stored_once(cast: Cast) -> None:
    """A lab that resends with a new control id, or the same result through CSV."""
    receive(cast, oru(cast.patient_a, HBA1C_HIGH, control_id="A1", order="ORD1"))
    again = receive(cast, oru(cast.patient_a, HBA1C_HIGH, control_id="A2", order="ORD1"))
    assert again.stored == 0 and LabResult.objects.count() == 1
    assert again.messages[0].status == MessageStatus.IMPORTED


def test_a_correction_replaces_the_result_and_needs_the_gp_again(cast: Cast) -> None:
    receive(cast, oru(cast.patient_a, HBA1C_HIGH, order="ORD9"))
    corrected = SampleResult("2816", "48", "mmol/mol", "20-42", "H", status="C")
    receive(cast, oru(cast.patient_a, corrected, order="ORD9"))
    old, new = LabResult.objects.order_by("id")
    assert new.replaces == old and new.value == 48 and new.reviewed_at is None
    assert LabResult.objects.filter(replaced_by__isnull=True).get() == new
    assert old.replaced and not new.replaced  # marked in the correction's own transaction


def test_a_preliminary_result_is_marked_and_the_final_one_replaces_it(cast: Cast) -> None:
    receive(cast, oru(cast.patient_a, SampleResult("227", "12", "mg/l", status="P"), order="O5"))
    receive(cast, oru(cast.patient_a, SampleResult("227", "14", "mg/l", status="F"), order="O5"))
    first, final = LabResult.objects.order_by("id")
    assert first.preliminary and not final.preliminary and final.replaces == first


def test_an_unknown_patient_waits_on_the_work_list_with_what_the_lab_said(cast: Cast) -> None:
    stranger = sample_patient(cast.patient_a)
    raw = oru(cast.patient_a).replace(stranger.bsn.encode(), b"111222333")
    outcome = receive(cast, raw)
    [message] = outcome.messages
    assert message.status == MessageStatus.UNMATCHED and message.patient is None
    assert message.identity["bsn"] == "111222333"
    assert message.identity["geboortedatum"] == cast.patient_a.date_of_birth.isoformat()
    assert LabResult.objects.count() == 0


def test_a_birth_date_that_differs_does_not_match(cast: Cast) -> None:
    raw = oru(cast.patient_a).replace(
        cast.patient_a.date_of_birth.strftime("%Y%m%d").encode(), b"19010101"
    )
    assert receive(cast, raw).messages[0].status == MessageStatus.UNMATCHED


def test_a_patient_of_another_practice_is_never_matched(cast: Cast) -> None:
    outcome = receive(cast, oru(cast.patient_b))
    assert outcome.messages[0].status == MessageStatus.UNMATCHED
    assert LabResult.objects.count() == 0


def test_an_unknown_test_stores_the_rest_and_says_which(cast: Cast) -> None:
    outcome = receive(cast, oru(cast.patient_a, HBA1C_HIGH, SampleResult("99999", "1")))
    [message] = outcome.messages
    assert message.status == MessageStatus.PARTIAL and outcome.stored == 1
    assert "99999" in message.reason and "bepalingentabel" in message.reason


def test_results_not_done_or_without_a_number_are_listed_not_stored(cast: Cast) -> None:
    raw = oru(
        cast.patient_a,
        SampleResult("2816", "", "mmol/mol", status="X"),
        SampleResult("523", "veel", "umol/l"),
        LDL,
    )
    outcome = receive(cast, raw.replace(b"|ST|523", b"|NM|523"))  # a number field, no number
    message = outcome.messages[0]
    assert outcome.stored == 1 and message.status == MessageStatus.PARTIAL
    assert "status 'X'" in message.reason and "geen getal" in message.reason


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "leeg"),
        (b"hello world", "begint niet met MSH"),
        (b"MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5\rPID|1\r", "alleen ORU^R01"),
        (b"MSH|^~\\&|A|B|C|D|20260101||ORU^R01||P|2.5\r", "MSH-10"),
        (b"MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|3.0\r", "versie 2"),
        (b"MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5\rOBX|1|NM|2816^^NHG45||5\r", "OBX"),
        (b"MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5\rPID|1||1\r", "geen patiënt"),
    ],
)
def test_unusable_hl7_is_kept_in_quarantine_with_the_reason(
    cast: Cast, raw: bytes, reason: str
) -> None:
    outcome = receive(cast, raw)
    [message] = outcome.messages
    assert message.status == MessageStatus.QUARANTINED and reason in message.reason
    assert LabResult.objects.count() == 0


def test_an_oversized_message_is_quarantined(cast: Cast) -> None:
    outcome = receive(cast, oru(cast.patient_a) + b"NTE|1||" + b"x" * (2 * 1024 * 1024) + b"\r")
    assert outcome.quarantined and "2 MB" in outcome.reason


def test_a_crash_in_the_middle_stores_no_result_and_keeps_the_message(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit entry comes after the results in the same transaction: when it fails,
    the results go too, and the message is kept in quarantine."""
    from spreekuur.results.services import imports

    def fail(**_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "record_access", fail)
    outcome = receive(cast, oru(cast.patient_a))
    assert LabResult.objects.count() == 0
    [message] = LabMessage.objects.all()
    assert message.status == MessageStatus.QUARANTINED and "RuntimeError" in message.reason
    assert "disk full" not in message.reason and outcome.quarantined


def test_a_multi_patient_message_stores_each_patients_part(cast: Cast) -> None:
    first = oru(cast.patient_a, HBA1C_HIGH).decode()
    second = oru(cast.other_patient_a, LDL).decode()
    combined = first + "\r".join(s for s in second.split("\r") if not s.startswith("MSH"))
    outcome = receive(cast, combined.encode())
    assert [m.patient for m in outcome.messages] == [cast.patient_a, cast.other_patient_a]
    assert [m.part for m in outcome.messages] == [0, 1]
    assert LabResult.objects.filter(patient=cast.other_patient_a).count() == 1


def test_latin1_messages_are_read(cast: Cast) -> None:
    raw = oru(cast.patient_a).replace(b"Jansen", "Müller".encode("latin-1"))
    assert receive(cast, raw).stored == 2


# --- FHIR and CSV ------------------------------------------------------------------------------


def test_a_fhir_bundle_is_stored(cast: Cast) -> None:
    raw = fhir_bundle(
        sample_patient(cast.patient_a), [HBA1C_HIGH, CREATININE], bundle_id="B1", taken=taken()
    )
    outcome = receive(cast, raw, door="fhir")
    assert outcome.stored == 2 and outcome.messages[0].status == MessageStatus.IMPORTED
    hba1c = LabResult.objects.get(test__nhg_code="2816")
    assert hba1c.flag == "H" and hba1c.value == 58 and hba1c.unit == "mmol/mol"
    assert receive(cast, raw, door="fhir").duplicate


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{", "FHIR"),
        (b'{"resourceType": "Patient"}', "FHIR"),
        (b'{"resourceType": "Bundle", "type": "collection"}', "geen uitslagen"),
        (
            b'{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": '
            b'{"resourceType": "Observation", "status": "final", "code": {"text": "x"}}}]}',
            "patiënt",
        ),
    ],
)
def test_unusable_fhir_is_quarantined(cast: Cast, raw: bytes, reason: str) -> None:
    outcome = receive(cast, raw, door="fhir")
    assert outcome.quarantined and reason in outcome.reason


def test_a_fhir_validation_error_does_not_copy_patient_data_into_the_reason(cast: Cast) -> None:
    raw = fhir_bundle(sample_patient(cast.patient_a), [LDL], bundle_id="B2", taken=taken())
    # An invalid Patient entry: its results wait on the work list, never filed by guess.
    broken_patient = raw.replace(b'"birthDate": "', b'"birthDate": "GEHEIM-')
    [message] = receive(cast, broken_patient, door="fhir").messages
    assert message.status == MessageStatus.UNMATCHED and "ongeldig" in message.reason
    assert "GEHEIM" not in message.reason and LabResult.objects.count() == 0
    # An invalid bundle as such is refused whole, just as silent about its content.
    broken_bundle = raw.replace(b'"identifier": {"value": "B2"}', b'"identifier": "GEHEIM"')
    outcome = receive(cast, broken_bundle, door="fhir")
    assert outcome.quarantined and "identifier" in outcome.reason
    assert "GEHEIM" not in outcome.reason


def test_a_csv_file_is_stored_per_patient(cast: Cast) -> None:
    a, other = sample_patient(cast.patient_a), sample_patient(cast.other_patient_a)
    raw = csv_file(
        [(a, HBA1C_HIGH, taken(), "C1"), (a, LDL, taken(), "C1"), (other, LDL, taken(), "C2")]
    )
    outcome = receive(cast, raw, door="csv")
    assert outcome.stored == 3 and len(outcome.messages) == 2
    assert LabResult.objects.get(patient=cast.patient_a, test__nhg_code="2816").flag == "H"


def test_a_csv_row_with_an_unreadable_patient_quarantines_the_whole_file(cast: Cast) -> None:
    a = sample_patient(cast.patient_a)
    good = csv_file([(a, LDL, taken(), "C1")]).decode()
    raw = (good + "12345;31-02-2020;542;2.0;;;;2026-01-01;C9\n").encode()
    outcome = receive(cast, raw, door="csv")
    assert outcome.quarantined and "regel 3" in outcome.reason
    assert LabResult.objects.count() == 0


def test_a_csv_file_without_the_needed_columns_is_quarantined(cast: Cast) -> None:
    outcome = receive(cast, b"naam;waarde\nx;1\n", door="csv")
    assert outcome.quarantined and "bsn" in outcome.reason


# --- The file command and the HTTP door -------------------------------------------------------


def test_import_lab_reads_a_batch_file_and_a_second_run_stores_nothing(
    cast: Cast, tmp_path: Path
) -> None:
    batch = b"FHS|^~\\&|LAB\rBHS|^~\\&|LAB\r" + oru(cast.patient_a) + oru(cast.other_patient_a, LDL)
    batch += b"BTS|2\rFTS|1\r"
    path = tmp_path / "uitslagen.hl7"
    path.write_bytes(batch.replace(b"\r", b"\n"))
    output = StringIO()
    call_command("import_lab", str(path), practice="praktijk-a", stdout=output)
    assert "berichten: 2, uitslagen: 3" in output.getvalue()
    call_command("import_lab", str(path), practice="praktijk-a", stdout=output)
    assert "dubbel: 2" in output.getvalue() and LabResult.objects.count() == 3


def test_load_lab_tests_refreshes_the_table(tmp_path: Path) -> None:
    tests = tmp_path / "t.csv"
    tests.write_text(
        "nhg_code;memocode;omschrijving;naam_patient;eenheid;loinc;decimalen;uitleg;controle\n"
        "9001;PROEF;proefbepaling;Proef;mmol/l;;1;;\n"
    )
    ranges = tmp_path / "r.csv"
    ranges.write_text("nhg_code;geslacht;vanaf_leeftijd;tot_leeftijd;laag;hoog\n9001;;;;1;2\n")
    call_command("load_lab_tests", str(tests), str(ranges), stdout=StringIO())
    assert LabTest.objects.get(nhg_code="9001").ranges.get().high == 2
    assert LabTest.objects.filter(nhg_code="2816").exists()  # never deleted


def _link(cast: Cast) -> str:
    token = LabLink.new_token()
    LabLink.objects.create(
        practice=cast.practice_a, name="Saltro", token_hash=LabLink.hash_token(token)
    )
    return token


def test_the_http_door_answers_an_hl7_ack_and_stores(cast: Cast, client) -> None:
    token = _link(cast)
    raw = oru(cast.patient_a, control_id="HTTP1")
    url = reverse("results:lab_inbox", args=["hl7v2"])
    response = client.post(
        url,
        raw,
        content_type="x-application/hl7-v2+er7",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    ack = response.content.decode()
    assert "MSA|AA|HTTP1" in ack and LabResult.objects.count() == 2
    entry = AuditEntry.objects.get(object_kind="labresult")
    assert entry.channel == "api" and entry.actor is None
    again = client.post(
        url,
        raw,
        content_type="x-application/hl7-v2+er7",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "Al ontvangen" in again.content.decode()


def test_the_http_door_says_ae_for_quarantine(cast: Cast, client) -> None:
    token = _link(cast)
    response = client.post(
        reverse("results:lab_inbox", args=["hl7v2"]),
        b"MSH|^~\\&|A|B|C|D|20260101||ADT^A01|X7|P|2.5\r",
        content_type="x-application/hl7-v2+er7",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "MSA|AE|X7" in response.content.decode()


def test_the_ack_echoes_no_control_characters_or_delimiters(cast: Cast, client) -> None:
    """A control id with an escape sequence, a NUL or a segment break cannot reshape the
    ACK the lab's system reads (issue 16, point 12)."""
    token = _link(cast)
    response = client.post(
        reverse("results:lab_inbox", args=["hl7v2"]),
        b"MSH|^~\\&|A|B|C|D|20260101||ADT^A01|X7\x1b[2J\x00^~&\\Z|P|2.5\r",
        content_type="x-application/hl7-v2+er7",
        headers={"Authorization": f"Bearer {token}"},
    )
    ack = response.content.decode()
    assert "MSA|AE|X7[2JZ|" in ack
    assert not any(char in ack for char in "\x00\x1b\n")
    assert ack.count("\r") == 2  # two segments, nothing injected


def test_the_http_door_answers_fhir_with_an_operation_outcome(cast: Cast, client) -> None:
    token = _link(cast)
    raw = fhir_bundle(sample_patient(cast.patient_a), [LDL], bundle_id="H1", taken=taken())
    response = client.post(
        reverse("results:lab_inbox", args=["fhir"]),
        raw,
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response["Content-Type"] == "application/fhir+json"
    assert response.json()["issue"][0]["severity"] == "information"


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer wrong", "Basic abc"])
def test_the_http_door_refuses_without_a_valid_token(cast: Cast, client, header: str) -> None:
    _link(cast)
    response = client.post(
        reverse("results:lab_inbox", args=["hl7v2"]),
        oru(cast.patient_a),
        content_type="x-application/hl7-v2+er7",
        headers={"Authorization": header} if header else {},
    )
    assert response.status_code == 401 and LabMessage.objects.count() == 0


def test_a_revoked_link_is_refused(cast: Cast, client) -> None:
    token = _link(cast)
    LabLink.objects.update(active=False)
    response = client.post(
        reverse("results:lab_inbox", args=["csv"]),
        b"x",
        content_type="text/csv",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401


def test_the_http_door_refuses_an_oversized_body_before_reading_it(cast: Cast, client) -> None:
    token = _link(cast)
    response = client.post(
        reverse("results:lab_inbox", args=["hl7v2"]),
        b"x" * (2 * 1024 * 1024 + 1),
        content_type="x-application/hl7-v2+er7",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 413 and LabMessage.objects.count() == 0


def test_the_http_door_has_no_other_doors_or_methods(cast: Cast, client) -> None:
    token = _link(cast)
    auth = {"Authorization": f"Bearer {token}"}
    assert (
        client.post(
            reverse("results:lab_inbox", args=["xml"]),
            b"x",
            content_type="text/plain",
            headers=auth,
        ).status_code
        == 404
    )
    assert client.get(reverse("results:lab_inbox", args=["hl7v2"]), headers=auth).status_code == 405


def test_a_lab_link_delivers_only_to_its_own_practice(cast: Cast, client) -> None:
    token = _link(cast)
    client.post(
        reverse("results:lab_inbox", args=["hl7v2"]),
        oru(cast.patient_b),
        content_type="x-application/hl7-v2+er7",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert LabResult.objects.count() == 0
    assert LabMessage.objects.get().practice == cast.practice_a


def test_nothing_is_stored_twice_when_two_doors_deliver_the_same_message_at_once(
    cast: Cast,
) -> None:
    raw = oru(cast.patient_a)
    outcome = receive_lab_message(practice=cast.practice_a, door="hl7v2", raw=raw, source="a")
    assert outcome.stored == 2
    assert (
        receive_lab_message(practice=cast.practice_b, door="hl7v2", raw=raw, source="b")
        .messages[0]
        .status
        == "niet-gekoppeld"
    )
    assert LabResult.objects.count() == 2  # the other practice has no such patient


# --- Found in the security review: keys, fan-out, hostile escapes --------------------------


def _fhir_without_identifiers(patient, result: SampleResult, when) -> bytes:
    import json

    bundle = json.loads(fhir_bundle(sample_patient(patient), [result], bundle_id="x", taken=when))
    bundle.pop("identifier")
    bundle.pop("meta")
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Observation":
            entry["resource"].pop("identifier", None)
    return json.dumps(bundle).encode()


def test_another_patients_result_under_a_reused_order_number_replaces_nothing(cast: Cast) -> None:
    receive(cast, oru(cast.patient_a, HBA1C_HIGH, order="ORD1"))
    receive(cast, oru(cast.other_patient_a, SampleResult("2816", "40", "mmol/mol"), order="ORD1"))
    theirs = LabResult.objects.get(patient=cast.other_patient_a)
    assert theirs.replaces is None
    assert LabResult.objects.filter(patient=cast.patient_a, replaced_by__isnull=True).count() == 1


def test_fhir_without_identifiers_keeps_each_patients_and_each_days_result(cast: Cast) -> None:
    same = SampleResult("2816", "40", "mmol/mol")
    receive(cast, _fhir_without_identifiers(cast.patient_a, same, taken(3)), door="fhir")
    receive(cast, _fhir_without_identifiers(cast.other_patient_a, same, taken(3)), door="fhir")
    receive(cast, _fhir_without_identifiers(cast.patient_a, same, taken(1)), door="fhir")
    assert LabResult.objects.filter(patient=cast.other_patient_a).count() == 1
    mine = LabResult.objects.filter(patient=cast.patient_a)
    assert mine.count() == 2 and not mine.filter(replaces__isnull=False).exists()


def test_two_samples_of_one_test_in_one_order_are_both_stored(cast: Cast) -> None:
    raw = oru(
        cast.patient_a, SampleResult("372", "5.1", "mmol/l"), SampleResult("372", "8.3", "mmol/l")
    )
    # A day curve: the second sample an hour later (OBX-14).
    text = raw.decode().split("\r")
    obx = text[-2].split("|")
    hour = (int(obx[14][-4:-2]) + 1) % 24
    obx[14] = f"{obx[14][:-4]}{hour:02d}{obx[14][-2:]}"
    text[-2] = "|".join(obx)
    outcome = receive(cast, "\r".join(text).encode())
    assert outcome.stored == 2 and not outcome.quarantined


def test_patient_segments_without_results_store_nothing(cast: Cast) -> None:
    segments = oru(cast.patient_a, HBA1C_HIGH).decode().split("\r")
    raw = "\r".join([segments[0], *["PID|||1"] * 50, *segments[1:]])
    outcome = receive(cast, raw.encode())
    assert len(outcome.messages) == 1 and LabMessage.objects.count() == 1


def test_too_many_patients_in_one_message_is_quarantined(cast: Cast) -> None:
    segments = oru(cast.patient_a, HBA1C_HIGH).decode().split("\r")
    raw = "\r".join([segments[0], *(segments[1:5] * 101)])
    outcome = receive(cast, raw.encode())
    assert outcome.quarantined and "patiënten" in outcome.reason


def test_a_repeated_whitespace_escape_is_refused_before_parsing(cast: Cast) -> None:
    raw = oru(cast.patient_a, SampleResult("2816", "58\\.in400000000\\", "mmol/mol"))
    outcome = receive(cast, raw)
    assert outcome.quarantined and "opmaakcode" in outcome.reason


def test_each_part_of_a_message_keeps_only_its_own_patient(cast: Cast) -> None:
    first = oru(cast.patient_a, HBA1C_HIGH).decode()
    second = oru(cast.other_patient_a, LDL).decode()
    combined = first + "\r".join(s for s in second.split("\r") if not s.startswith("MSH"))
    mine, theirs = receive(cast, combined.encode()).messages
    assert cast.other_patient_a.bsn not in mine.raw and cast.patient_a.bsn in mine.raw
    assert cast.patient_a.bsn not in theirs.raw and theirs.raw.startswith("MSH|")


def test_a_ten_digit_number_is_not_read_as_a_bsn(cast: Cast) -> None:
    raw = oru(cast.patient_a).replace(
        cast.patient_a.bsn.encode(), cast.patient_a.bsn.encode() + b"7"
    )
    assert receive(cast, raw).messages[0].status == MessageStatus.UNMATCHED


def test_a_value_is_never_copied_into_the_reason(cast: Cast) -> None:
    raw = oru(cast.patient_a, SampleResult("523", "positief-geheim", "umol/l"))
    message = receive(cast, raw.replace(b"|ST|523", b"|NM|523")).messages[0]
    assert "geheim" not in message.reason and "geen getal" in message.reason


def test_the_lab_door_wants_a_length_and_logs_refused_tokens(cast: Cast, client, caplog) -> None:
    token = _link(cast)
    url = reverse("results:lab_inbox", args=["hl7v2"])
    response = client.post(
        url, b"x", content_type="text/plain", headers={"Authorization": "Bearer nope"}
    )
    assert (
        response.status_code == 401 and "refused token" in caplog.text and "nope" not in caplog.text
    )
    response = client.post(
        url,
        b"x",
        content_type="text/plain",
        headers={"Authorization": f"Bearer {token}", "Content-Length": "veel"},
    )
    assert response.status_code == 411


# --- A file at once: the same outcome as one message at a time -----------------------------


def _mixed_file(cast: Cast, patients) -> list[bytes]:
    """Plain messages, a duplicate, an unreadable one, an unknown patient, an unknown
    test, a correction of an earlier one, and two patients in one message."""
    from tests.results.conftest import oru as make

    messages = [make(p, HBA1C_HIGH, LDL, order=f"F{i}") for i, p in enumerate(patients)]
    messages.append(messages[0])  # the same bytes again
    messages.append(b"not hl7 at all")
    messages.append(make(patients[0], CREATININE).replace(patients[0].bsn.encode(), b"111222333"))
    messages.append(make(patients[1], SampleResult("77777", "1")))
    messages.append(
        make(patients[0], SampleResult("2816", "49", "mmol/mol", status="C"), order="F0")
    )
    first = make(patients[2], LDL, order="G1").decode()
    second = make(patients[3], LDL, order="G2").decode()
    messages.append(
        (first + "\r".join(s for s in second.split("\r") if not s.startswith("MSH"))).encode()
    )
    return messages


def _picture(practice) -> list[tuple]:
    """What was stored, without ids: statuses, and per result its patient's BSN, test,
    value, flag, range, whether it replaces one, and its key without the patient id."""
    messages = sorted(
        (m.status, m.part, m.result_count, m.reason)
        for m in LabMessage.objects.filter(practice=practice)
    )
    results = sorted(
        (
            r.patient.bsn,
            r.test.nhg_code,
            r.value_text,
            r.flag,
            str(r.reference_low),
            str(r.reference_high),
            r.replaces_id is not None,
            r.source_key.split("|", 1)[1],
        )
        for r in LabResult.objects.filter(practice=practice).select_related("patient", "test")
    )
    return [messages, results]


def test_a_file_at_once_stores_what_one_at_a_time_would(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spreekuur.results.services import imports
    from spreekuur.results.services.imports import receive_lab_messages

    one_at_a_time = []
    original = imports.receive_lab_message

    def spy(**kwargs):
        one_at_a_time.append(kwargs["raw"])
        return original(**kwargs)

    monkeypatch.setattr(imports, "receive_lab_message", spy)
    from tests.factories import PatientFactory

    mine = [
        cast.patient_a,
        cast.other_patient_a,
        *(PatientFactory(practice=cast.practice_a) for _ in range(4)),
    ]
    twins = [
        PatientFactory(
            practice=cast.practice_b, bsn=p.bsn, date_of_birth=p.date_of_birth, sex=p.sex
        )
        for p in mine
    ]
    raws_a = _mixed_file(cast, mine)
    outcomes = receive_lab_messages(practice=cast.practice_a, door="hl7v2", raws=raws_a, source="f")
    # Only the five that are not plain took the one-at-a-time path; seven went in a batch.
    assert len(one_at_a_time) == 5
    for raw in raws_a:
        original(practice=cast.practice_b, door="hl7v2", raw=raw, source="f")
    assert _picture(cast.practice_a) == _picture(cast.practice_b)
    assert [o.duplicate for o in outcomes].count(True) == 1 and len(outcomes) == len(raws_a)
    assert verify_chains()[1] == []
    del twins
    # The whole file again: nothing new.
    again = receive_lab_messages(practice=cast.practice_a, door="hl7v2", raws=raws_a, source="f")
    assert all(o.duplicate for o in again)
