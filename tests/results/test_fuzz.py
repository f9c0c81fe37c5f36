"""Property-based fuzzing of the three lab doors: whatever arrives, a parser returns what
it read or refuses with a reason, and an import either stores whole results or keeps the
message in quarantine. Never a crash, never half a message."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spreekuur.results.models import LabMessage, LabResult, MessageStatus
from spreekuur.results.parsers import PARSERS, Parsed, Unreadable
from spreekuur.results.samples import (
    SamplePatient,
    SampleResult,
    csv_file,
    fhir_bundle,
    hl7_oru,
)

PATIENT = SamplePatient(bsn="999990019", born=date(1961, 3, 4))
TAKEN = datetime(2026, 10, 1, 8, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
RESULTS = [
    SampleResult("2816", "58", "mmol/mol", "20-42", "H"),
    SampleResult("523", "80", "umol/l"),
    SampleResult("542", "<0.5", "mmol/l", "<3.0"),
]
VALID = {
    "hl7v2": hl7_oru(PATIENT, RESULTS, control_id="F1", order="O1", taken=TAKEN),
    "fhir": fhir_bundle(PATIENT, RESULTS, bundle_id="F1", taken=TAKEN),
    "csv": csv_file([(PATIENT, result, TAKEN, "O1") for result in RESULTS]),
}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def _parse(door: str, raw: bytes) -> Parsed | None:
    try:
        return PARSERS[door](raw)
    except Unreadable as refused:
        assert refused.reason.strip()
        return None


@pytest.mark.parametrize("door", sorted(PARSERS))
def test_the_valid_samples_parse(door: str) -> None:
    parsed = _parse(door, VALID[door])
    assert parsed is not None
    [report] = parsed.reports
    assert report.patient.bsn == PATIENT.bsn and len(report.results) == 3
    assert not any(result.problem for result in report.results)


@pytest.mark.parametrize("door", sorted(PARSERS))
@FUZZ
@given(raw=st.binary(max_size=3000))
def test_random_bytes_are_refused_with_a_reason_or_read(door: str, raw: bytes) -> None:
    _parse(door, raw)


@pytest.mark.parametrize("door", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_truncated_and_mutated_messages_never_crash_a_parser(door: str, data) -> None:
    raw = bytearray(VALID[door])
    cut = data.draw(st.integers(0, len(raw)))
    raw = raw[:cut] if data.draw(st.booleans()) else raw
    for _ in range(data.draw(st.integers(0, 6))):
        if not raw:
            break
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position : position + 1] = data.draw(
            st.sampled_from(
                [
                    b"",
                    b"|",
                    b"^",
                    b"~",
                    b"\\",
                    b"&",
                    b"\r",
                    b"\x00",
                    b"\xff",
                    b"{",
                    b'"',
                    b";",
                    b"9",
                ]
            )
        )
    _parse(door, bytes(raw))


@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
@FUZZ
def test_hostile_hl7_fields_never_crash_the_parser(text: str) -> None:
    """Whatever sits in the value, unit, range, flag and date fields."""
    fields = text.split("\n") + [""] * 5
    segments = VALID["hl7v2"].decode().split("\r")
    obx = segments[4].split("|")
    obx[5], obx[6], obx[7], obx[8], obx[14] = fields[:5]
    segments[4] = "|".join(obx)
    _parse("hl7v2", "\r".join(segments).encode("utf-8", errors="replace"))


@pytest.mark.django_db
@pytest.mark.parametrize("door", sorted(PARSERS))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_an_import_of_a_damaged_message_is_whole_or_in_quarantine(
    door: str, data, cast_for_fuzz
) -> None:
    from spreekuur.results.services import receive_lab_message

    practice = cast_for_fuzz
    raw = bytearray(VALID[door])
    cut = data.draw(st.integers(len(raw) // 3, len(raw)))
    raw = raw[:cut]
    if data.draw(st.booleans()) and raw:
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.sampled_from(b"|^~\\&\r\x00\xff{;9"))
    outcome = receive_lab_message(practice=practice, door=door, raw=bytes(raw), source="fuzz")
    if outcome.duplicate:
        return
    for message in outcome.messages:
        stored = LabResult.objects.filter(message=message).count()
        assert stored == message.result_count
        if message.status == MessageStatus.QUARANTINED:
            assert stored == 0 and message.reason
        if message.status == MessageStatus.IMPORTED:
            assert not message.reason
    assert LabMessage.objects.filter(
        practice=practice, digest=LabMessage.digest_of(bytes(raw))
    ).exists()


@FUZZ
@given(
    control_id=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n|"),
        min_size=1,
        max_size=199,
    ),
    bom=st.booleans(),
    quarantined=st.booleans(),
)
def test_the_ack_always_echoes_the_control_id(
    control_id: str, bom: bool, quarantined: bool
) -> None:
    """MSA-2 is MSH-10 as sent, also after a byte order mark and however long (up to
    HL7's 199), only without control characters and HL7's delimiters (issue 17, 10)."""
    from spreekuur.results.api import _hl7_ack
    from spreekuur.results.services import ImportOutcome

    raw = VALID["hl7v2"].replace(b"|F1|", f"|{control_id}|".encode(), 1)
    ack = _hl7_ack(b"\xef\xbb\xbf" + raw if bom else raw, ImportOutcome(refused=quarantined))
    segments = ack.content.decode().split("\r")
    assert segments[-1] == "" and len(segments) == 3  # MSH, MSA: nothing injected
    msa = segments[1].split("|")
    unsafe = set("\x7f^~\\&") | {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x80, 0xA0)}
    assert msa[:2] == ["MSA", "AE" if quarantined else "AA"]
    assert msa[2] == "".join(char for char in control_id if char not in unsafe)


def test_a_nul_byte_in_the_message_type_is_quarantined_with_a_readable_reason(
    cast_for_fuzz,
) -> None:
    """Found by the fuzzer on PostgreSQL: the reason quotes the message type, and a NUL
    byte in it made storing the quarantined message fail."""
    from spreekuur.results.services import receive_lab_message

    raw = VALID["hl7v2"].replace(b"ORU^R01", b"\x00RU^R01", 1)
    outcome = receive_lab_message(practice=cast_for_fuzz, door="hl7v2", raw=raw, source="fuzz")
    (message,) = outcome.messages
    assert message.status == MessageStatus.QUARANTINED
    assert "RU^R01" in message.reason and "\x00" not in message.reason
    message.refresh_from_db()
    assert "\x00" not in message.raw


@pytest.fixture
def cast_for_fuzz(db: None):
    from tests.factories import PatientFactory, PracticeFactory

    practice = PracticeFactory(slug="fuzz")
    PatientFactory(practice=practice, bsn=PATIENT.bsn, date_of_birth=PATIENT.born)
    return practice


def test_an_unknown_resource_type_inside_a_bundle_files_nothing_under_a_patient() -> None:
    """Found by the fuzzer: fhir.resources raised a KeyError for it. Each entry stands on
    its own now: the unknown one is passed over, and the results that point at it have
    no patient, so they go to the work list."""
    raw = VALID["fhir"].replace(b'"resourceType": "Patient"', b'"resourceType": "atient"')
    parsed = _parse("fhir", raw)
    assert parsed is not None
    [report] = parsed.reports
    assert report.unresolved and not report.patient.bsn and len(report.results) == 3


def test_the_hl7_library_never_logs_a_field(caplog: pytest.LogCaptureFixture) -> None:
    """python-hl7 logs the field text on a broken escape sequence; that is patient data."""
    raw = VALID["hl7v2"].replace(b"Jansen", b"Geheim\\\\Naam")
    with caplog.at_level("DEBUG"):
        _parse("hl7v2", raw)
    assert "Geheim" not in caplog.text
