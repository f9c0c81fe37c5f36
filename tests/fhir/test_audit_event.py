"""AuditEvent: the patient's own access log through the API ("wie heeft mijn dossier
bekeken"), read through the same screens as the portal's page: the same entries, an entry
about what the patient may not see now reads as a look at their record, another
patient's entries are never found, and reading the log is itself logged."""

from __future__ import annotations

import pytest

from spreekuur.core.audit import record_access
from spreekuur.core.models import AuditAction, AuditEntry, AuditOutcome
from spreekuur.patients.access_log import audit_entries_about
from tests.conftest import Cast
from tests.fhir.conftest import Charts, api, entries, fhir_json, ids

pytestmark = pytest.mark.django_db


def _log(token: str, **params: str) -> dict[str, dict]:
    bundle = fhir_json(api(token, "AuditEvent", _count="100", **params))
    return {resource["id"]: resource for resource in entries(bundle)}


def test_the_app_sees_what_the_portal_page_shows_and_nothing_more(
    cast: Cast, charts: Charts, token_a: str
) -> None:
    looked = record_access(
        actor=cast.gp_a,
        action=AuditAction.READ,
        object_kind="patient_record",
        practice=cast.practice_a,
        patient=cast.patient_a,
        object_ids=[cast.patient_a.public_id],
    )
    of_other = record_access(
        actor=cast.gp_a,
        action=AuditAction.READ,
        object_kind="patient_record",
        practice=cast.practice_a,
        patient=cast.other_patient_a,
    )
    portal = {str(entry.public_id) for entry in audit_entries_about(cast.patient_a)}
    found = _log(token_a)
    # The app's own search is logged after it read the log, as the portal's page is.
    assert set(found) == portal
    assert str(of_other.public_id) not in found
    event = found[str(looked.public_id)]
    assert event["action"] == "R" and event["outcome"] == "0"
    assert event["agent"][0]["who"]["display"] == cast.gp_a.full_name
    assert event["agent"][0]["requestor"] is True
    assert event["entity"][0]["what"]["reference"] == f"Patient/{cast.patient_a.public_id}"
    assert event["entity"][0]["description"] == "ingezien: dossier van een patiënt"
    assert event["source"]["observer"]["reference"] == f"Organization/{cast.practice_a.public_id}"
    # Read by id too; the other patient's entry is not there for this token.
    assert fhir_json(api(token_a, f"AuditEvent/{looked.public_id}")) == event
    assert api(token_a, f"AuditEvent/{of_other.public_id}").status_code == 404


def test_an_entry_about_what_is_hidden_reads_as_a_look_at_the_record(
    cast: Cast, charts: Charts, token_a: str
) -> None:
    """The GP shielded an episode: the patient learns that the GP was in their record,
    not that something was shielded; the lab's import of a result not yet released is
    left out (nobody looked)."""
    shielded = charts.a.hidden["Condition"][0]
    shielding = AuditEntry.objects.filter(
        patient=cast.patient_a, object_ids__contains=[str(shielded.public_id)]
    ).latest("id")
    unreleased = charts.a.hidden["Observation"][2]
    lab_import = AuditEntry.objects.filter(
        patient=cast.patient_a,
        actor__isnull=True,
        object_kind="labresult",
        object_ids__contains=[str(unreleased.public_id)],
    ).latest("id")
    found = _log(token_a)
    event = found[str(shielding.public_id)]
    assert event["action"] == "R"
    assert event["entity"][0]["description"] == "ingezien: gegevens in uw dossier"
    assert "afgeschermd" not in str(event).lower()
    assert str(lab_import.public_id) not in found
    assert api(token_a, f"AuditEvent/{lab_import.public_id}").status_code == 404


def test_a_refused_access_is_a_failed_event(cast: Cast, charts: Charts, token_a: str) -> None:
    refused = record_access(
        actor=cast.assistant_a,
        action=AuditAction.READ,
        object_kind="patient_record",
        practice=cast.practice_a,
        patient=cast.patient_a,
        outcome=AuditOutcome.DENIED,
    )
    event = _log(token_a)[str(refused.public_id)]
    assert event["outcome"] == "4" and event["outcomeDesc"] == "Geweigerd"


def test_search_by_date_and_the_read_is_itself_logged(
    cast: Cast, charts: Charts, token_a: str
) -> None:
    last = AuditEntry.objects.latest("id").pk
    assert _log(token_a, date="gt2999-01-01") == {}
    logged = AuditEntry.objects.filter(pk__gt=last)
    assert [(e.object_kind, e.channel, e.patient_id) for e in logged] == [
        ("audit_log", "api", cast.patient_a.pk)
    ]
    assert ids(fhir_json(api(token_a, "AuditEvent", date="lt2000-01-01"))) == set()
