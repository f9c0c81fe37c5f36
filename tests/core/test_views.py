from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.models import AuditEntry, NewsItem, OpeningException
from tests.conftest import Cast, verified_client


def test_healthz_reports_database(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}  # and nothing more
    body = response.content.decode().lower()
    assert not any(name in body for name in ("postgres", "sqlite", "django", "vendor"))


def test_practice_page_is_public_and_has_no_patient_data(cast: Cast) -> None:
    response = Client().get(reverse("practice:practice_page", args=["praktijk-a"]))
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
        ("patient_user_a", "shell/start_patient.html"),
        ("gp_a", "shell/start_staff.html"),
        ("manager_a", "shell/start_staff.html"),
    ],
)
def test_each_role_gets_its_start_page(cast: Cast, role: str, template: str) -> None:
    response = verified_client(getattr(cast, role)).get(reverse("shell:start"))
    assert response.status_code == 200
    assert template in [t.name for t in response.templates]


def test_navigation_follows_capabilities(cast: Cast) -> None:
    manager_nav = verified_client(cast.manager_a).get(reverse("shell:start")).context["nav_items"]
    assistant_nav = (
        verified_client(cast.assistant_a).get(reverse("shell:start")).context["nav_items"]
    )
    patient_nav = (
        verified_client(cast.patient_user_a).get(reverse("shell:start")).context["nav_items"]
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
    response = verified_client(cast.patient_user_a).get(reverse("shell:my_audit_log"))
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
    assert verified_client(cast.gp_a).get(reverse("shell:my_audit_log")).status_code == 403


def test_manager_searches_log_and_search_is_logged(cast: Cast) -> None:
    verified_client(cast.gp_a).get(reverse("patients:detail", args=[cast.patient_a.public_id]))
    client = verified_client(cast.manager_a)
    response = client.get(
        reverse("shell:audit_search"), {"patient": str(cast.patient_a.public_id), "action": "read"}
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
    response = client.get(reverse("shell:audit_search"))
    assert all(e.practice_id == cast.practice_a.pk for e in response.context["entries"])
    assert "Dokter B" not in response.content.decode()
    tampered = client.get(reverse("shell:audit_search"), {"patient": str(cast.patient_b.public_id)})
    assert tampered.status_code == 404


def test_log_search_with_bad_dates_shows_dutch_error(cast: Cast) -> None:
    response = verified_client(cast.manager_a).get(
        reverse("shell:audit_search"), {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert "De einddatum ligt voor de begindatum." in response.content.decode()


@pytest.mark.parametrize("role", ["gp_a", "assistant_a", "poh_a", "patient_user_a"])
def test_only_manager_searches_log_and_manages_page(cast: Cast, role: str) -> None:
    client = verified_client(getattr(cast, role))
    assert client.get(reverse("shell:audit_search")).status_code == 403
    assert client.get(reverse("practice:manage_page")).status_code == 403
    response = client.post(
        reverse("practice:manage_page"),
        {"form": "news", "title": "x", "body": "y", "published_on": "2026-01-01"},
    )
    assert response.status_code == 403 and not NewsItem.objects.exists()


def test_manager_posts_news_and_exception(cast: Cast) -> None:
    client = verified_client(cast.manager_a)
    response = client.post(
        reverse("practice:manage_page"),
        {"form": "news", "title": "Nieuwe POH", "body": "Welkom!", "published_on": "2026-01-01"},
    )
    assert response.status_code == 302
    assert "Nieuwe POH" in Client().get("/p/praktijk-a/").content.decode()
    next_week = timezone.localdate() + timedelta(days=7)
    response = client.post(
        reverse("practice:manage_page"),
        {"form": "exception", "day": next_week.isoformat(), "closed": "on", "reason": "Scholing"},
    )
    assert response.status_code == 302
    assert OpeningException.objects.get(practice=cast.practice_a).date == next_week


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"closed": ""}, "Vul de openingstijd en sluitingstijd in"),
        ({"opens": "09:00", "closes": "12:00"}, "niet allebei"),
        ({"closed": "", "opens": "13:00", "closes": "09:00"}, "na de openingstijd"),
        ({"day": "2020-01-01"}, "Deze datum ligt in het verleden."),
    ],
)
def test_bad_opening_exception_gets_dutch_error(
    cast: Cast, changes: dict[str, str], message: str
) -> None:
    data = {
        "form": "exception",
        "day": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "closed": "on",
        "reason": "Scholing",
        **changes,
    }
    data = {key: value for key, value in data.items() if value != ""}
    response = verified_client(cast.manager_a).post(reverse("practice:manage_page"), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not OpeningException.objects.exists()


def test_manager_cannot_remove_other_practice_news(cast: Cast) -> None:
    item = NewsItem.objects.create(
        practice=cast.practice_b, title="B", body="B", published_on=date(2026, 1, 1)
    )
    response = verified_client(cast.manager_a).post(
        reverse("practice:remove_news", args=[item.public_id])
    )
    assert response.status_code == 404
    assert NewsItem.objects.filter(pk=item.pk).exists()


def test_language_defaults_to_dutch_and_english_can_be_chosen(db: None) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="nl"' in client.get("/account/inloggen/").content.decode()
    client.post(reverse("shell:set_language"), {"language": "en", "next": "/account/inloggen/"})
    body = client.get("/account/inloggen/").content.decode()
    assert 'lang="en"' in body and "Log in" in body


def _details_form(**changes: str) -> dict[str, str]:
    data = {
        "phone_main": "010-1111111",
        "phone_urgent": "010-2222222",
        "hap_name": "HAP Rijnmond",
        "hap_phone": "0900-1234567",
        "hap_address": "",
        "website_intro": "Welkom",
        "brand_colour": "#154273",
        **{f"hours_{d}": "08:00-12:00, 13:00-17:00" for d in range(5)},
        "hours_5": "",
        "hours_6": "gesloten",
    }
    data.update(changes)
    return data


def test_manager_changes_details_and_weekly_hours(cast: Cast) -> None:
    client = verified_client(cast.manager_a)
    url = reverse("practice:practice_details")
    assert "08:00-17:00" in client.get(url).content.decode()
    response = client.post(url, _details_form(hours_5="09:00-11:00"))
    assert response.status_code == 302
    cast.practice_a.refresh_from_db()
    assert cast.practice_a.hap_name == "HAP Rijnmond"
    assert cast.practice_a.opening_hours.count() == 11
    assert AuditEntry.objects.filter(object_kind="practice_details", action="change").exists()
    assert "09:00\u201311:00" in Client().get("/p/praktijk-a/").content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hours_0": "8 tot 5"}, "Schrijf tijden als 08:00-12:30"),
        ({"hours_1": "25:00-26:00"}, "geen geldige tijd"),
        ({"hours_2": "08:00-12:00, 11:00-17:00"}, "mogen elkaar niet overlappen"),
        ({"brand_colour": "#ffff00"}, "te licht"),
        ({"brand_colour": "geel"}, "zes tekens"),
        ({"hours_3": "17:00-08:00"}, "de sluitingstijd moet na de openingstijd liggen"),
        ({"phone_urgent": "bel ons maar"}, "Vul een telefoonnummer in met cijfers"),
    ],
)
def test_bad_details_get_dutch_errors_and_change_nothing(
    cast: Cast, changes: dict[str, str], message: str
) -> None:
    client = verified_client(cast.manager_a)
    response = client.post(reverse("practice:practice_details"), _details_form(**changes))
    assert response.status_code == 200 and message in response.content.decode()
    cast.practice_a.refresh_from_db()
    assert cast.practice_a.hap_name == "Huisartsenpost Test"
    assert cast.practice_a.opening_hours.count() == 5


@pytest.mark.parametrize("role", ["gp_a", "assistant_a", "patient_user_a", "manager_b"])
def test_only_own_manager_changes_details(cast: Cast, role: str) -> None:
    response = verified_client(getattr(cast, role)).post(
        reverse("practice:practice_details"), _details_form()
    )
    if role == "manager_b":
        assert response.status_code == 302  # changes practice B, never A
        cast.practice_b.refresh_from_db()
        assert cast.practice_b.hap_name == "HAP Rijnmond"
    else:
        assert response.status_code == 403
    cast.practice_a.refresh_from_db()
    assert cast.practice_a.hap_name == "Huisartsenpost Test"


def test_service_refuses_unsafe_brand_colour_even_without_the_form(cast: Cast) -> None:
    from django.core.exceptions import ValidationError

    from spreekuur.practice.services import update_practice_details

    for colour in ("#fff", "red;}</style><script>", "#ffff00"):
        with pytest.raises(ValidationError):
            update_practice_details(
                practice=cast.practice_a,
                details={"brand_colour": colour},
                weekly={},
                by=cast.manager_a,
            )
    cast.practice_a.refresh_from_db()
    assert cast.practice_a.brand_colour == "#154273"
    assert cast.practice_a.opening_hours.count() == 5


def test_audit_pages_page_without_counting(cast: Cast) -> None:
    from spreekuur.core.audit import record_access

    for _ in range(55):
        record_access(
            actor=cast.gp_a,
            action="read",
            object_kind="personal_data",
            practice=cast.practice_a,
            patient=cast.patient_a,
        )
    client = verified_client(cast.patient_user_a)
    first = client.get(reverse("shell:my_audit_log"))
    assert len(first.context["entries"]) == 50 and first.context["page"].has_next
    body = first.content.decode()
    assert "Oudere regels" in body and "Pagina 1 van" not in body  # no total is counted
    second = client.get(reverse("shell:my_audit_log"), {"pagina": "2"})
    # 55 reads plus the patient's own first visit to this page
    assert len(second.context["entries"]) == 6 and not second.context["page"].has_next
    assert client.get(reverse("shell:my_audit_log"), {"pagina": "nonsense"}).status_code == 200


def test_manager_opens_the_record_online_from_a_date(cast: Cast) -> None:
    client = verified_client(cast.manager_a)
    page = client.get(reverse("practice:practice_details")).content.decode()
    assert "Dossier online vanaf" in page
    data = {
        "phone_main": "010-1234567",
        "phone_urgent": "010-7654321",
        "hap_name": "Huisartsenpost Test",
        "hap_phone": "0900-1111111",
        "brand_colour": "#154273",
        "records_online_from": "2020-07-01",
        "hours_0": "08:00-17:00",
    }
    assert client.post(reverse("practice:practice_details"), data).status_code == 302
    cast.practice_a.refresh_from_db()
    assert cast.practice_a.records_online_from == date(2020, 7, 1)
