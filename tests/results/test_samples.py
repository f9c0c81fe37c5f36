"""Real lab messages from public test suites and specifications (tests/results/samples/,
each with its source and licence) through every door: the lab's HTTP door and
`import_lab`, each twice. Nothing is lost (every message kept, every stored result
counted), nothing doubles (no second result, no second work-list entry), and what the
parser reads matches what was read by hand (samples/expected.json)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from spreekuur.results import selectors
from spreekuur.results.models import LabLink, LabMessage, LabResult, MessageStatus, ValueKind
from spreekuur.results.parsers import Unreadable, parse_fhir, parse_hl7v2, split_hl7_batch
from spreekuur.results.services import link_lab_message, receive_lab_message
from tests.conftest import Cast

SAMPLES = Path(__file__).parent / "samples"
DOORS = {"hl7v2": "hl7v2", "fhir": "fhir", "nictiz": "fhir"}
FILES = sorted(
    path
    for folder in DOORS
    if (SAMPLES / folder).is_dir()
    for path in (SAMPLES / folder).iterdir()
    if path.is_file()
)
CONTENT_TYPES = {"hl7v2": "x-application/hl7-v2+er7", "fhir": "application/fhir+json"}


def _expected() -> dict[str, Any]:
    path = SAMPLES / "expected.json"
    return json.loads(path.read_text(encoding="utf-8"))["files"] if path.exists() else {}


def _counts(cast: Cast) -> tuple[int, int, int]:
    return (
        LabMessage.objects.count(),
        LabResult.objects.count(),
        selectors.lab_worklist(by=cast.assistant_a).count(),
    )


def _post(client: Any, token: str, door: str, raw: bytes) -> None:
    response = client.post(
        reverse("results:lab_inbox", args=[door]),
        raw,
        content_type=CONTENT_TYPES[door],
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200


def _import_lab(path: Path) -> str:
    output = StringIO()
    call_command("import_lab", str(path), practice="praktijk-a", stdout=output)
    return output.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("path", FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_sample_through_every_door_twice_loses_and_doubles_nothing(
    cast: Cast, client: Any, tmp_path: Path, path: Path
) -> None:
    door = DOORS[path.parent.name]
    raw = path.read_bytes()
    token = LabLink.new_token()
    LabLink.objects.create(
        practice=cast.practice_a, name="Lab", token_hash=LabLink.hash_token(token)
    )
    _post(client, token, door, raw)
    messages = list(LabMessage.objects.all())
    expected_messages = len(split_hl7_batch(raw).messages) if door == "hl7v2" else 1
    assert len({m.digest for m in messages}) >= expected_messages  # every message kept
    assert all(m.raw and (m.status == MessageStatus.IMPORTED or m.reason) for m in messages)
    assert LabResult.objects.count() == sum(m.result_count for m in messages)
    # The assistant links what waits for a patient: now results are stored too.
    for message in messages:
        if message.is_unmatched:
            link_lab_message(message=message, patient=cast.patient_a, by=cast.assistant_a)
    after_first = _counts(cast)
    _post(client, token, door, raw)
    assert _counts(cast) == after_first
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    _import_lab(copy)
    _messages, results, waiting = _counts(cast)
    assert (results, waiting) == after_first[1:]  # another door: nothing twice
    after_import = _counts(cast)
    _import_lab(copy)
    assert _counts(cast) == after_import


KINDS = {
    "quantity": ValueKind.QUANTITY,
    "text": ValueKind.TEXT,
    "coded": ValueKind.CODED,
    "ratio": ValueKind.RATIO,
}
# Read differently on purpose, with the reason.
KNOWN = {
    # CE with text only and no code: kept as the words it is.
    ("rubyhl7-cerner-bordetella-ce-no-code-v251.hl7", "548-8"): "kind",
}


def _hl7_results(raw: bytes) -> list[Any]:
    results = []
    for message in split_hl7_batch(raw).messages:
        try:
            parsed = parse_hl7v2(message)
        except Unreadable:
            continue
        results += [result for report in parsed.reports for result in report.results]
    return results


HL7_FILES = [path for path in FILES if path.parent.name == "hl7v2"]


@pytest.mark.parametrize("path", HL7_FILES, ids=lambda path: path.name)
def test_hl7_samples_read_as_read_by_hand(path: Path) -> None:
    """Value kind, number, comparator, ratio, range and status of every result the hand
    reading stores; a result we hold back has its reason (no code, text too long …)."""
    expected = _expected().get(f"hl7v2/{path.name}")
    if expected is None:
        pytest.skip("no hand reading for this sample yet")
    wanted = [result for message in expected["messages"] for result in message["results"]]
    results = _hl7_results(path.read_bytes())
    assert len(results) == len(wanted)
    for result, hand in zip(results, wanted, strict=True):
        where = (path.name, hand.get("code"))
        if hand.get("store") == "no":
            assert result.problem or result.withdraws, where
            continue
        if result.problem:  # held back, and said why (the work list shows it)
            continue
        if hand.get("value_kind") in KINDS and KNOWN.get(where) != "kind":
            assert result.value_kind == KINDS[hand["value_kind"]], where
        if hand.get("value_kind") == "quantity":
            assert result.value == Decimal(hand["value"].lstrip("<>=")), where
            assert result.comparator == (hand.get("comparator") or ""), where
        if hand.get("value_kind") == "ratio":
            assert result.ratio == (Decimal(hand["numerator"]), Decimal(hand["denominator"]))
        low, high = hand.get("range_low"), hand.get("range_high")
        assert (result.reference_low, result.reference_high) == (
            None if low is None else Decimal(low),
            None if high is None else Decimal(high),
        ), where
        if hand.get("range_text"):
            assert result.reference_text == " ".join(hand["range_text"].split()), where


FHIR_FILES = [
    path
    for path in FILES
    if path.parent.name in ("fhir", "nictiz")
    and path.suffix == ".json"
    and _expected().get(f"{path.parent.name}/{path.name}", {}).get("results")
]


def _fhir_results(raw: bytes) -> list[Any]:
    try:
        parsed = parse_fhir(raw)
    except Unreadable:
        return []
    return [result for report in parsed.reports for result in report.results]


@pytest.mark.parametrize("path", FHIR_FILES, ids=lambda path: path.name)
def test_fhir_samples_read_as_read_by_hand(path: Path) -> None:
    """The same hand reading for the FHIR and Nictiz samples: what is stored has the value
    kind, number, comparator, code and range the reading says; what must not go online is
    held back, or stored as a preliminary or withdrawal that can never be released."""
    wanted = _expected()[f"{path.parent.name}/{path.name}"]["results"]
    results = _fhir_results(path.read_bytes())
    assert len(results) == len(wanted), path.name
    for result, hand in zip(results, wanted, strict=True):
        where = (path.name, hand.get("code"))
        if hand.get("store") in ("no", "retract"):
            assert result.problem or result.withdraws or result.preliminary, where
            continue
        if hand.get("observed_at"):  # its own time, or its report's or specimen's
            assert not result.problem, where
            wanted_at = datetime.fromisoformat(hand["observed_at"])
            assert result.observed_at == wanted_at, where
        if result.problem:  # held back, and said why (the work list shows it)
            continue
        if hand.get("value_kind") in KINDS:
            assert result.value_kind == KINDS[hand["value_kind"]], where
        if hand.get("value_kind") == "quantity":
            assert result.value == Decimal(str(hand["value"]).lstrip("<>=")), where
            assert result.comparator == (hand.get("comparator") or ""), where
        if hand.get("value_kind") == "coded" and hand.get("value"):
            assert result.value_code == hand["value"], where
        low, high = hand.get("range_low"), hand.get("range_high")
        assert (result.reference_low, result.reference_high) == (
            None if low is None else Decimal(str(low)),
            None if high is None else Decimal(str(high)),
        ), where


@pytest.mark.django_db
def test_the_ghp_panel_takes_its_sample_time_from_its_diagnostic_report(cast: Cast) -> None:
    """39 of its 48 results have no time of their own: the DiagnosticReport in the same
    bundle that lists their panel gives it, also when the part is read again on linking."""
    path = SAMPLES / "fhir" / "fhirspec-r4-bundle-ghp-collection.json"
    results = _fhir_results(path.read_bytes())
    assert len(results) == 48 and not [r.code for r in results if r.problem]
    outcome = receive_lab_message(
        practice=cast.practice_a, door="fhir", raw=path.read_bytes(), source="ghp"
    )
    [message] = outcome.messages
    assert message.is_unmatched  # Patient/pat2 is not in the bundle
    link_lab_message(message=message, patient=cast.patient_a, by=cast.assistant_a)
    message.refresh_from_db()
    assert "geen afnamedatum" not in message.reason
    rows = list(LabResult.objects.all())
    assert rows and {row.observed_at.isoformat() for row in rows} == {"2015-08-16T06:40:17+00:00"}
