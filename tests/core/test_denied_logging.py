"""NEN 7513: refused attempts are logged too, without copying another practice's data."""

from __future__ import annotations

from datetime import date

from django.test import Client
from django.urls import reverse

from spreekuur.core.models import AuditEntry
from spreekuur.patients import services as patient_services
from tests.conftest import Cast, dob_parts, verified_client
from tests.factories import TEST_PASSWORD


def test_other_practice_patient_request_is_logged_as_denied_in_own_chain(cast: Cast) -> None:
    verified_client(cast.gp_b).get(reverse("patients:detail", args=[cast.patient_a.public_id]))
    entry = AuditEntry.objects.get(outcome="denied", actor=cast.gp_b)
    assert entry.practice == cast.practice_b  # B's log, not A's
    assert entry.patient is None  # A's patient is not linked into B's log
    assert entry.object_ids == [str(cast.patient_a.public_id)]


def test_forbidden_page_is_logged_with_view_name(cast: Cast) -> None:
    verified_client(cast.assistant_a).get(reverse("accounts:staff_list"))
    entry = AuditEntry.objects.get(outcome="denied", actor=cast.assistant_a)
    assert entry.object_kind == "page" and entry.detail == "accounts:staff_list"


def test_failed_password_and_code_are_logged(cast: Cast, caplog) -> None:
    Client().post(reverse("accounts:login"), {"username": cast.gp_a.email, "password": "fout"})
    Client().post(
        reverse("accounts:login"), {"username": "niemand@test.example", "password": "fout"}
    )
    client = Client()
    client.post(reverse("accounts:login"), {"username": cast.gp_a.email, "password": TEST_PASSWORD})
    client.post(reverse("accounts:verify"), {"token": "000000"})
    failures = AuditEntry.objects.filter(action="login_failed").order_by("id")
    assert [(e.actor_id, e.detail, e.practice_id) for e in failures] == [
        (cast.gp_a.pk, "wachtwoord", cast.practice_a.pk),
        (cast.gp_a.pk, "tweede factor", cast.practice_a.pk),
    ]
    # the unknown address is a security log line without the address typed
    unknown = [r for r in caplog.records if r.name == "spreekuur.security"]
    assert len(unknown) == 1 and "niemand" not in unknown[0].getMessage()


def test_activation_with_wrong_birth_date_shows_in_patients_log(cast: Cast) -> None:
    issued = patient_services.issue_portal_activation(
        patient=cast.other_patient_a, by=cast.assistant_a
    )
    Client().post(
        reverse("patients:activate"), {"code": issued.code, **dob_parts(date(1901, 1, 1))}
    )
    entry = AuditEntry.objects.get(outcome="denied", patient=cast.other_patient_a)
    assert entry.detail == "activering met verkeerde geboortedatum"
    assert cast.other_patient_a.date_of_birth != date(1901, 1, 1)
