"""The pages: the patient's request, the assistant's filter, the accorderingslijst with its
context and warnings, batch decisions, settings and figures."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from spreekuur.core.models import AuditEntry
from spreekuur.dossier import services as dossier_services
from spreekuur.prescriptions.models import ItemStatus, OutboxMessage, RepeatRequestItem
from spreekuur.results.models import LabResult
from tests.conftest import verified_client
from tests.prescriptions.conftest import Repeats
from tests.results.conftest import oru, receive

pytestmark = pytest.mark.django_db


def test_the_patient_asks_for_two_medicines_and_sees_them_on_their_way(repeats: Repeats) -> None:
    client = verified_client(repeats.cast.patient_user_a)
    url = reverse("prescriptions:my_repeats")
    page = client.get(url).content.decode()
    assert "Metformine 500 mg" in page and "Apotheek De Linde" in page
    response = client.post(
        url,
        {
            "medications": [str(repeats.metformin.public_id), str(repeats.simvastatin.public_id)],
            "pharmacy": str(repeats.pharmacy.public_id),
            "note": "",
        },
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert page.count("aangevraagd") >= 2 and "Al aangevraagd" in page


def test_a_tampered_medicine_id_is_404_and_logged(repeats: Repeats) -> None:
    client = verified_client(repeats.cast.patient_user_a)
    response = client.post(
        reverse("prescriptions:my_repeats"),
        {
            "medications": [str(repeats.other_patients.public_id)],
            "pharmacy": str(repeats.pharmacy.public_id),
        },
    )
    assert response.status_code == 404 and not RepeatRequestItem.objects.exists()
    assert AuditEntry.objects.filter(outcome="denied", object_kind="repeatrequest").exists()


def test_choosing_nothing_gives_a_dutch_error(repeats: Repeats) -> None:
    response = verified_client(repeats.cast.patient_user_a).post(
        reverse("prescriptions:my_repeats"), {"pharmacy": str(repeats.pharmacy.public_id)}
    )
    assert (
        response.status_code == 200 and "Kies minstens één medicijn." in response.content.decode()
    )


def test_the_assistant_forwards_in_a_batch(repeats: Repeats) -> None:
    items = repeats.request(repeats.metformin, repeats.simvastatin)
    client = verified_client(repeats.cast.assistant_a)
    assert "Simvastatine" in client.get(reverse("prescriptions:filter_list")).content.decode()
    client.post(
        reverse("prescriptions:filter_list"),
        {"actie": "doorsturen", "aanvraag": [str(i.public_id) for i in items]},
    )
    assert set(RepeatRequestItem.objects.values_list("status", flat=True)) == {ItemStatus.IN_REVIEW}
    assert (
        client.post(
            reverse("prescriptions:filter_list"),
            {"actie": "goedkeuren", "aanvraag": [str(items[0].public_id)]},
        ).status_code
        == 404
    )  # not an action of this list


def test_the_accorderingslijst_shows_what_the_gp_needs(straight_to_gp: Repeats) -> None:
    repeats = straight_to_gp
    cast = repeats.cast
    dossier_services.record_allergy(
        patient=cast.patient_a, substance="Simvastatine", kind="intolerantie", by=cast.gp_a
    )
    from spreekuur.results.samples import SampleResult

    receive(cast, oru(cast.patient_a, SampleResult("3907", "27", "ml/min/1,73m2")))
    assert LabResult.objects.exists()
    repeats.request(repeats.metformin, repeats.simvastatin)
    page = (
        verified_client(cast.gp_a).get(reverse("prescriptions:accorderingslijst")).content.decode()
    )
    assert "eGFR onder 30" in page and "27" in page
    assert "Allergie vastgelegd: Simvastatine" in page


def test_the_gp_approves_several_at_once_and_a_foreign_id_stops_the_batch(
    straight_to_gp: Repeats,
) -> None:
    repeats = straight_to_gp
    items = repeats.request(repeats.metformin, repeats.simvastatin)
    client = verified_client(repeats.cast.gp_a)
    url = reverse("prescriptions:accorderingslijst")
    response = client.post(
        url,
        {
            "actie": "goedkeuren",
            "aanvraag": [str(items[0].public_id), "a" * 8 + "-0000-0000-0000-" + "0" * 12],
        },
    )
    assert response.status_code == 404 and not OutboxMessage.objects.exists()
    client.post(url, {"actie": "goedkeuren", "aanvraag": [str(i.public_id) for i in items]})
    assert OutboxMessage.objects.count() == 2


def test_the_gp_rejects_with_a_reason_the_patient_sees(straight_to_gp: Repeats) -> None:
    repeats = straight_to_gp
    [item] = repeats.request(repeats.metformin)
    verified_client(repeats.cast.gp_a).post(
        reverse("prescriptions:accorderingslijst"),
        {
            "actie": "afwijzen",
            "aanvraag": [str(item.public_id)],
            "reason": "controle",
            "explanation": "",
        },
    )
    page = verified_client(repeats.cast.patient_user_a).get(reverse("prescriptions:my_repeats"))
    text = page.content.decode()
    assert "Eerst een controle" in text and "Maak een afspraak" in text


def test_the_manager_sets_the_route_and_adds_a_pharmacy(repeats: Repeats, fake_dns) -> None:
    fake_dns.point("example.org", ("93.184.215.14",))  # no DNS here; never connected to
    client = verified_client(repeats.cast.manager_a)
    url = reverse("prescriptions:settings")
    client.post(url, {"formulier": "route", "route": "huisarts"})
    client.post(
        url,
        {
            "formulier": "apotheek",
            "name": "Apotheek Noord",
            "transport": "http",
            "endpoint": "http://example.org/x",
        },
    )
    from spreekuur.prescriptions.models import Pharmacy, RepeatSettings

    assert RepeatSettings.objects.get().route == "huisarts"
    assert not Pharmacy.objects.filter(name="Apotheek Noord").exists()  # plain HTTP refused
    client.post(
        url,
        {
            "formulier": "apotheek",
            "name": "Apotheek Noord",
            "transport": "http",
            "endpoint": "https://example.org/x",
        },
    )
    assert Pharmacy.objects.filter(name="Apotheek Noord").exists()


def test_the_figures_count_channels_speed_and_reasons(repeats: Repeats) -> None:
    items = repeats.request(repeats.metformin)
    from spreekuur.prescriptions.services import reject_items

    reject_items(items=items, reason="te-vroeg", by=repeats.cast.gp_a)
    repeats.request(repeats.simvastatin, by=repeats.cast.assistant_a, channel="telefoon")
    page = verified_client(repeats.cast.manager_a).get(reverse("prescriptions:figures"))
    text = page.content.decode()
    assert page.status_code == 200 and "100%" in text and "Te vroeg" in text


@pytest.mark.parametrize("folder", ["../etc", "/etc/cron.d", "", "."])
def test_a_file_pharmacy_folder_stays_under_the_drop_root(repeats: Repeats, folder: str) -> None:
    from spreekuur.core.exceptions import BusinessRuleError
    from spreekuur.prescriptions.services import add_pharmacy

    with pytest.raises(BusinessRuleError, match="mapnaam"):
        add_pharmacy(
            practice=repeats.cast.practice_a,
            name="Map",
            transport="bestand",
            drop_folder=folder,
            by=repeats.cast.manager_a,
        )


def test_a_file_pharmacy_gets_a_folder_under_the_root(repeats: Repeats, settings, tmp_path) -> None:
    from spreekuur.prescriptions.services import add_pharmacy

    settings.PHARMACY_DROP_ROOT = tmp_path
    pharmacy = add_pharmacy(
        practice=repeats.cast.practice_a,
        name="Map",
        transport="bestand",
        drop_folder="noord",
        by=repeats.cast.manager_a,
    )
    assert pharmacy.drop_folder == str(tmp_path.resolve() / "noord")


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("https://169.254.169.254/latest", "intern netwerk"),
        ("https://10.0.0.5/apotheek", "intern netwerk"),
        ("https://[::1]/x", "intern netwerk"),
        ("https://localhost/x", "intern netwerk"),
        ("http://127.0.0.1:8000/x", "HTTPS"),
    ],
)
def test_a_pharmacy_link_never_points_inside(repeats: Repeats, endpoint: str, message: str) -> None:
    from spreekuur.core.exceptions import BusinessRuleError
    from spreekuur.prescriptions.services import add_pharmacy

    with pytest.raises(BusinessRuleError, match=message):
        add_pharmacy(
            practice=repeats.cast.practice_a,
            name="Binnen",
            transport="http",
            endpoint=endpoint,
            by=repeats.cast.manager_a,
        )


def test_the_accorderingslijst_writes_lab_values_and_dates_in_dutch(
    straight_to_gp: Repeats,
) -> None:
    """A decimal comma and a lower-case month, as everywhere else (issue 15, #6)."""
    cast = straight_to_gp.cast
    from spreekuur.results.samples import SampleResult

    receive(cast, oru(cast.patient_a, SampleResult("3907", "27.5", "ml/min/1,73m2")))
    straight_to_gp.request(straight_to_gp.metformin)
    page = (
        verified_client(cast.gp_a).get(reverse("prescriptions:accorderingslijst")).content.decode()
    )
    assert "<strong>27,5</strong>" in page
    assert not re.search(r"\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}", page)


@pytest.mark.parametrize("status", ["P", "W"])
def test_the_accorderingslijst_shows_no_preliminary_or_withdrawn_lab_value(
    straight_to_gp: Repeats, status: str
) -> None:
    """A GP deciding on metformin must not read an eGFR the lab still calls preliminary,
    or one it withdrew."""
    cast = straight_to_gp.cast
    from spreekuur.results.samples import SampleResult

    receive(cast, oru(cast.patient_a, SampleResult("3907", "27.5", "ml/min/1,73m2"), order="R1"))
    if status == "W":  # the lab withdraws the value it sent
        withdrawal = SampleResult("3907", "27.5", "ml/min/1,73m2", status="W")
        receive(cast, oru(cast.patient_a, withdrawal, order="R1"))
    else:
        LabResult.objects.update(status="voorlopig")
    straight_to_gp.request(straight_to_gp.metformin)
    page = (
        verified_client(cast.gp_a).get(reverse("prescriptions:accorderingslijst")).content.decode()
    )
    assert "27,5" not in page
