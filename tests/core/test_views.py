from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from spreekuur.core.models import AuditEntry, NewsItem, OpeningException
from tests.conftest import Cast, verified_client


def test_healthz_reports_database(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_practice_page_is_public_and_has_no_patient_data(cast: Cast) -> None:
    response = Client().get(reverse("core:practice_page", args=["praktijk-a"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        "112" in body and cast.practice_a.phone_urgent in body and cast.practice_a.hap_phone in body
    )
    assert "thuisarts.nl" in body
    for patient in (cast.patient_a, cast.other_patient_a):
        assert patient.family_name not in body and patient.bsn not in body
    assert Client().get("/p/bestaat-niet/").status_code == 404


@pytest.mark.parametrize(
    ("role", "template"),
    [
        ("patient_user_a", "core/start_patient.html"),
        ("gp_a", "core/start_staff.html"),
        ("manager_a", "core/start_staff.html"),
    ],
)
def test_each_role_gets_its_start_page(cast: Cast, role: str, template: str) -> None:
    response = verified_client(getattr(cast, role)).get(reverse("core:start"))
    assert response.status_code == 200
    assert template in [t.name for t in response.templates]


def test_navigation_follows_capabilities(cast: Cast) -> None:
    manager_nav = verified_client(cast.manager_a).get(reverse("core:start")).context["nav_items"]
    assistant_nav = (
        verified_client(cast.assistant_a).get(reverse("core:start")).context["nav_items"]
    )
    patient_nav = (
        verified_client(cast.patient_user_a).get(reverse("core:start")).context["nav_items"]
    )
    labels = lambda items: {item.label for item in items}  # noqa: E731
    assert {"Medewerkers", "Logboek", "Praktijkpagina"} <= labels(manager_nav)
    assert not {"Medewerkers", "Logboek"} & labels(assistant_nav)
    assert "Wie keek in mijn dossier" in labels(patient_nav) and "Patiënten" not in labels(
        patient_nav
    )


def test_patient_sees_who_looked_and_reading_is_logged(cast: Cast) -> None:
    verified_client(cast.gp_a).get(reverse("patients:detail", args=[cast.patient_a.public_id]))
    verified_client(cast.gp_a).get(
        reverse("patients:detail", args=[cast.other_patient_a.public_id])
    )
    response = verified_client(cast.patient_user_a).get(reverse("core:my_audit_log"))
    body = response.content.decode()
    assert "Dokter A" in body and "Huisarts" in body and "persoonsgegevens" in body
    entries = response.context["entries"]
    assert {e.patient_id for e in entries} == {cast.patient_a.pk}  # not the other patient's lines
    assert (
        AuditEntry.objects.filter(
            patient=cast.patient_a, object_kind="audit_log", action="read"
        ).count()
        == 1
    )


def test_staff_have_no_patient_audit_page(cast: Cast) -> None:
    assert verified_client(cast.gp_a).get(reverse("core:my_audit_log")).status_code == 403


def test_manager_searches_log_and_search_is_logged(cast: Cast) -> None:
    verified_client(cast.gp_a).get(reverse("patients:detail", args=[cast.patient_a.public_id]))
    client = verified_client(cast.manager_a)
    response = client.get(
        reverse("core:audit_search"), {"patient": str(cast.patient_a.public_id), "action": "read"}
    )
    assert response.status_code == 200
    entries = response.context["entries"]
    assert len(entries) == 1 and entries[0].actor == cast.gp_a
    assert AuditEntry.objects.filter(
        actor=cast.manager_a, object_kind="audit_log", action="search"
    ).exists()


def test_manager_log_search_never_shows_other_practice(cast: Cast) -> None:
    verified_client(cast.gp_b).get(reverse("patients:detail", args=[cast.patient_b.public_id]))
    client = verified_client(cast.manager_a)
    response = client.get(reverse("core:audit_search"))
    assert all(e.practice_id == cast.practice_a.pk for e in response.context["entries"])
    assert "Dokter B" not in response.content.decode()
    tampered = client.get(reverse("core:audit_search"), {"patient": str(cast.patient_b.public_id)})
    assert tampered.status_code == 404


def test_log_search_with_bad_dates_shows_dutch_error(cast: Cast) -> None:
    response = verified_client(cast.manager_a).get(
        reverse("core:audit_search"), {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert "De einddatum ligt voor de begindatum." in response.content.decode()


@pytest.mark.parametrize("role", ["gp_a", "assistant_a", "poh_a", "patient_user_a"])
def test_only_manager_searches_log_and_manages_page(cast: Cast, role: str) -> None:
    client = verified_client(getattr(cast, role))
    assert client.get(reverse("core:audit_search")).status_code == 403
    assert client.get(reverse("core:manage_page")).status_code == 403
    response = client.post(
        reverse("core:manage_page"),
        {"form": "news", "title": "x", "body": "y", "published_on": "2026-01-01"},
    )
    assert response.status_code == 403 and not NewsItem.objects.exists()


def test_manager_posts_news_and_exception(cast: Cast) -> None:
    client = verified_client(cast.manager_a)
    response = client.post(
        reverse("core:manage_page"),
        {"form": "news", "title": "Nieuwe POH", "body": "Welkom!", "published_on": "2026-01-01"},
    )
    assert response.status_code == 302
    assert "Nieuwe POH" in Client().get("/p/praktijk-a/").content.decode()
    response = client.post(
        reverse("core:manage_page"),
        {"form": "exception", "day": "2026-12-02", "closed": "on", "reason": "Scholing"},
    )
    assert response.status_code == 302
    assert OpeningException.objects.get(practice=cast.practice_a).date == date(2026, 12, 2)
    response = client.post(
        reverse("core:manage_page"),
        {"form": "exception", "day": "2026-12-03", "reason": "Halve dag"},  # open without times
    )
    assert "Vul de openingstijd en sluitingstijd in" in response.content.decode()


def test_manager_cannot_remove_other_practice_news(cast: Cast) -> None:
    item = NewsItem.objects.create(
        practice=cast.practice_b, title="B", body="B", published_on=date(2026, 1, 1)
    )
    response = verified_client(cast.manager_a).post(
        reverse("core:remove_news", args=[item.public_id])
    )
    assert response.status_code == 404
    assert NewsItem.objects.filter(pk=item.pk).exists()


def test_language_defaults_to_dutch_and_english_can_be_chosen(db: None) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="nl"' in client.get("/account/inloggen/").content.decode()
    client.post(reverse("core:set_language"), {"language": "en", "next": "/account/inloggen/"})
    body = client.get("/account/inloggen/").content.decode()
    assert 'lang="en"' in body and "Log in" in body
