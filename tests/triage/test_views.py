"""Self-triage over HTTP: in the portal, on the practice page and in the embedded widget;
the hand-over to booking and e-consult; the practice's settings and figures."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from spreekuur.agenda.models import Appointment
from spreekuur.core.models import AuditEntry
from spreekuur.triage import services
from spreekuur.triage.flows import COMPLAINTS_DIR, format_walk
from spreekuur.triage.models import ComplaintFlow, TriageSession
from tests.agenda.conftest import Agenda
from tests.conftest import Cast, verified_client
from tests.factories import no_red_flags
from tests.triage.conftest import WALK_TO, sore_throat, triaged

pytestmark = pytest.mark.django_db


def walk_through(client: Client, step_url: str, walk: list[int]) -> object:
    """Answer one question after another as a browser does; returns the last response."""
    response = client.get(step_url)
    assert response.status_code == 200
    for position, number in enumerate(walk):
        response = client.post(step_url, {"a": format_walk(walk[:position]), "antwoord": number})
    return response


def _portal_step(cast: Cast) -> str:
    return reverse("triage:self_step", args=[sore_throat(cast.practice_a).row.public_id])


def test_a_patient_triages_in_the_portal_and_sees_the_advice(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    index = client.get(reverse("triage:self_index"))
    assert "Keelpijn" in index.content.decode()
    response = walk_through(client, _portal_step(cast), WALK_TO["U4"])
    session = TriageSession.objects.get()
    assert response["Location"] == reverse("triage:self_outcome", args=[session.public_id])  # type: ignore[index]
    assert session.patient == cast.patient_a and session.urgency == "U4"
    page = client.get(response["Location"]).content.decode()  # type: ignore[index]
    assert "Dit is een advies, geen diagnose." in page
    assert f"?triage={session.public_id}" in page  # the prefilled booking
    assert AuditEntry.objects.filter(object_kind="triage", action="read").count() == 1


def test_the_answers_never_travel_in_the_address(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    step = _portal_step(cast)
    response = client.post(step, {"a": "1", "antwoord": "1"})
    assert response.status_code == 200  # the next question, on the same address
    assert "Heeft u" in response.content.decode() or "Bent u" in response.content.decode()
    assert "keelpijn" not in step  # nor the complaint's name


@pytest.mark.parametrize("chosen", [None, "", "9", "²", "٣", "-1", "1" * 400])
def test_no_answer_chosen_asks_again(cast: Cast, chosen: str | None) -> None:
    client = verified_client(cast.patient_user_a)
    data = {"a": "1"} if chosen is None else {"a": "1", "antwoord": chosen}
    response = client.post(_portal_step(cast), data)
    assert response.status_code == 422
    assert "Kies een antwoord." in response.content.decode()
    assert not TriageSession.objects.exists()


@pytest.mark.parametrize("walk", ["9", "1.1.1.1.1.1", "0.0", "a", "1.x"])
def test_a_tampered_walk_is_refused_and_stores_nothing(cast: Cast, walk: str) -> None:
    client = verified_client(cast.patient_user_a)
    response = client.post(_portal_step(cast), {"a": walk, "antwoord": "0"})
    assert response.status_code == 400
    assert not TriageSession.objects.exists()


def test_going_back_shows_the_previous_question(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    flow = sore_throat(cast.practice_a).flow
    response = client.post(_portal_step(cast), {"a": "1.1", "terug": "1"})
    assert flow.walk([1]).question.text in response.content.decode()  # type: ignore[union-attr]


def test_a_patient_sees_only_their_own_outcome(cast: Cast) -> None:
    mine = triaged(cast.practice_a, "U5", cast.patient_a)
    theirs = triaged(cast.practice_b, "U5", cast.patient_b)
    anonymous = triaged(cast.practice_a, "U5")
    client = verified_client(cast.patient_user_a)
    assert client.get(reverse("triage:self_outcome", args=[mine.public_id])).status_code == 200
    for other in (theirs, anonymous):
        url = reverse("triage:self_outcome", args=[other.public_id])
        assert client.get(url).status_code == 404
    # Nor does a patient's session show on the public pages.
    public = reverse("triage:public_outcome", args=["praktijk-a", mine.public_id])
    assert Client().get(public).status_code == 404


def test_past_the_hourly_limit_a_network_gets_its_advice_and_nothing_is_stored(
    cast: Cast, settings: object
) -> None:
    settings.TRIAGE_ANONYMOUS_PER_HOUR = 2  # type: ignore[attr-defined]
    offered = sore_throat(cast.practice_a)
    step = reverse("triage:widget_step", args=["praktijk-a", offered.row.public_id])
    for _ in range(2):
        assert walk_through(Client(), step, WALK_TO["U2"]).status_code == 302  # type: ignore[attr-defined]
    third = walk_through(Client(), step, WALK_TO["U2"])
    assert third.status_code == 200  # type: ignore[attr-defined]
    text = third.content.decode()  # type: ignore[attr-defined]
    assert "Dit is een advies, geen diagnose." in text and "Bel" in text
    assert TriageSession.objects.count() == 2
    # Another network, and a patient in the portal, are not counted with it.
    other = walk_through(Client(REMOTE_ADDR="198.51.100.7"), step, WALK_TO["U5"])
    assert other.status_code == 302  # type: ignore[attr-defined]
    portal = walk_through(verified_client(cast.patient_user_a), _portal_step(cast), WALK_TO["U5"])
    assert portal.status_code == 302  # type: ignore[attr-defined]
    assert TriageSession.objects.count() == 4


def test_staff_have_no_self_triage_of_their_own(cast: Cast) -> None:
    assert verified_client(cast.gp_a).get(reverse("triage:self_index")).status_code == 403


@pytest.mark.parametrize("prefix", ["public", "widget"])
def test_a_visitor_triages_anonymously_without_cookies(cast: Cast, prefix: str) -> None:
    client = Client(enforce_csrf_checks=True)
    offered = sore_throat(cast.practice_a)
    step = reverse(f"triage:{prefix}_step", args=["praktijk-a", offered.row.public_id])
    response = walk_through(client, step, WALK_TO["U5"])
    assert response.status_code == 302  # type: ignore[attr-defined]
    # The widget (framed on another site) sets no cookie at all; the practice page at most
    # the CSRF cookie of its language switch, never a session.
    set_cookies = set(response.cookies)  # type: ignore[attr-defined]
    assert not set_cookies if prefix == "widget" else "sessionid" not in set_cookies
    session = TriageSession.objects.get()
    assert session.patient is None and session.started_by is None
    assert session.channel == ("website" if prefix == "public" else "widget")
    page = client.get(response["Location"])  # type: ignore[index]
    text = page.content.decode()
    assert "Dit is een advies, geen diagnose." in text
    assert "https://www.thuisarts.nl/keelpijn" in text
    assert not page.cookies if prefix == "widget" else "sessionid" not in page.cookies


def test_the_widget_may_be_framed_and_the_rest_may_not(cast: Cast) -> None:
    widget = Client().get(reverse("triage:widget_index", args=["praktijk-a"]))
    assert "X-Frame-Options" not in widget
    assert "frame-ancestors 'self' https:" in widget["Content-Security-Policy"]
    assert "triage/widget.css" in widget.content.decode()
    assert "vendor/utrecht" not in widget.content.decode()  # its own small stylesheet
    public = Client().get(reverse("triage:public_index", args=["praktijk-a"]))
    assert public["X-Frame-Options"] == "DENY"


def test_the_embed_script_points_at_the_practices_widget(cast: Cast) -> None:
    response = Client().get(reverse("triage:widget_script", args=["praktijk-a"]))
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode().replace("\\u002F", "/").replace("\\u002D", "-")
    assert "/widget/praktijk-a/zelftriage/" in body
    assert Client().get(reverse("triage:widget_script", args=["bestaat-niet"])).status_code == 404


def test_the_complaint_list_filters_by_what_is_typed(cast: Cast) -> None:
    url = reverse("triage:public_index", args=["praktijk-a"])
    page = Client().get(url, {"zoek": "slikken"}).content.decode()
    assert "Keelpijn" in page
    page = Client().get(url, {"zoek": "qqqq"}).content.decode()
    assert "Geen klacht gevonden" in page


def test_a_flow_of_another_practice_is_not_offered(cast: Cast) -> None:
    own = services.add_own_flow(
        practice=cast.practice_b, document_text=_own_document(), by=cast.manager_b
    )
    url = reverse("triage:public_step", args=["praktijk-a", own.public_id])
    assert Client().get(url).status_code == 404


# --- hand-over to booking and e-consult --------------------------------------------------


def test_booking_opened_from_a_triage_starts_from_its_complaint(agenda: Agenda) -> None:
    cast = agenda.cast
    session = triaged(cast.practice_a, "U4", cast.patient_a)
    client = verified_client(cast.patient_user_a)
    start = client.get(reverse("agenda:book_start"), {"triage": str(session.public_id)})
    text = start.content.decode()
    assert "Uit de zelftriage (Keelpijn)" in text
    assert f'value="{session.public_id}"' in text
    data = {"reason": "Keelpijn", "triage": str(session.public_id)}
    data |= {f"flag_{code}": "nee" for code in no_red_flags(cast.practice_a)}
    assert client.post(reverse("agenda:book_start"), data).status_code == 302
    client.post(
        reverse("agenda:book_confirm"),
        {"soort": str(agenda.types["consult"].public_id), "tijd": str(agenda.slots[0].public_id)},
    )
    appointment = Appointment.objects.get()
    assert appointment.self_triage == session
    detail = verified_client(cast.assistant_a).get(
        reverse("agenda:appointment", args=[appointment.public_id])
    )
    assert "Zelftriage: Keelpijn" in detail.content.decode()


@pytest.mark.parametrize("url_name", ["agenda:book_start", "econsult:ask"])
def test_after_the_advice_to_call_booking_and_e_consult_say_call(cast: Cast, url_name: str) -> None:
    triaged(cast.practice_a, "U2", cast.patient_a)
    client = verified_client(cast.patient_user_a)
    for response in (client.get(reverse(url_name)), client.post(reverse(url_name), {})):
        assert "Uit uw zelftriage kwam kort geleden het advies om te bellen" in (
            response.content.decode()
        )
    assert not Appointment.objects.exists()


# --- the practice's settings and figures -------------------------------------------------


def _own_document() -> str:
    with (COMPLAINTS_DIR / "keelpijn.json").open(encoding="utf-8") as handle:
        data = json.load(handle)
    data["code"] = "hooikoorts"
    data["title"] = "Hooikoorts"
    return json.dumps(data)


@pytest.mark.parametrize(
    ("who", "status"),
    [("manager_a", 200), ("gp_a", 200), ("assistant_a", 403), ("patient_user_a", 403)],
)
def test_who_may_open_the_triage_settings(cast: Cast, who: str, status: int) -> None:
    response = verified_client(getattr(cast, who)).get(reverse("triage:settings"))
    assert response.status_code == status


def test_the_settings_show_the_snippet_for_the_practices_website(cast: Cast) -> None:
    page = verified_client(cast.manager_a).get(reverse("triage:settings")).content.decode()
    assert "/widget/praktijk-a/zelftriage.js" in page
    assert "Keelpijn" in page


def test_a_gp_rewords_advice_and_patients_read_the_practices_words(cast: Cast) -> None:
    national = ComplaintFlow.objects.get(practice__isnull=True, code="keelpijn")
    url = reverse("triage:edit_texts", args=[national.public_id])
    client = verified_client(cast.gp_a)
    form = client.get(url)
    assert form.status_code == 200
    texts = {o["id"]: o["advice"] for o in national.definition["outcomes"]}
    texts["zelfzorg"] = "Eigen woorden van praktijk A over keelpijn en zelfzorg."
    assert client.post(url, texts).status_code == 302
    offered = sore_throat(cast.practice_a)
    assert offered.row.practice == cast.practice_a and offered.national == national
    assert offered.flow.outcomes["zelfzorg"].advice.startswith("Eigen woorden")
    assert sore_throat(cast.practice_b).row == national  # practice B keeps the national texts
    # Red flags and urgencies are as the country ships them.
    assert offered.flow.red_flag_answers() == sore_throat(cast.practice_b).flow.red_flag_answers()


def test_a_new_national_version_sets_the_practices_texts_aside(cast: Cast) -> None:
    national = ComplaintFlow.objects.get(practice__isnull=True, code="keelpijn")
    services.save_flow_texts(
        practice=cast.practice_a,
        national=national,
        texts={"zelfzorg": "Eigen woorden van praktijk A."},
        by=cast.gp_a,
    )
    newer = dict(national.definition, version=2)
    ComplaintFlow.objects.create(
        code="keelpijn", version=2, title="Keelpijn", definition=newer,
        source_name=national.source_name, source_url=national.source_url,
    )  # fmt: skip
    assert sore_throat(cast.practice_a).row.version == 2
    assert sore_throat(cast.practice_a).row.practice is None


def test_a_practice_adds_its_own_flow_checked_like_the_national_ones(cast: Cast) -> None:
    client = verified_client(cast.manager_a)
    url = reverse("triage:add_flow")
    assert "keelpijn" in client.get(url).content.decode()  # the example to start from
    bad = client.post(url, {"document": "{niet: json"})
    assert "Dit is geen geldige JSON." in bad.content.decode()
    broken = json.loads(_own_document())
    broken["questions"][0]["answers"][0]["outcome"] = "zelfzorg"
    refused = client.post(url, {"document": json.dumps(broken)})
    assert "Alarmsignaal" in refused.content.decode()
    assert not ComplaintFlow.objects.filter(practice=cast.practice_a).exists()
    assert client.post(url, {"document": _own_document()}).status_code == 302
    own = ComplaintFlow.objects.get(practice=cast.practice_a)
    assert own.code == "praktijk-hooikoorts" and own.version == 1
    page = Client().get(reverse("triage:public_index", args=["praktijk-a"])).content.decode()
    assert "Hooikoorts" in page
    page_b = Client().get(reverse("triage:public_index", args=["praktijk-b"])).content.decode()
    assert "Hooikoorts" not in page_b
    client.post(reverse("triage:switch_off_flow", args=["praktijk-hooikoorts"]))
    page = Client().get(reverse("triage:public_index", args=["praktijk-a"])).content.decode()
    assert "Hooikoorts" not in page


def test_the_flow_services_are_for_the_practices_manager_and_gps(cast: Cast) -> None:
    from spreekuur.core.exceptions import PermissionDenied

    for by in (cast.assistant_a, cast.poh_a, cast.patient_user_a, cast.manager_b):
        with pytest.raises(PermissionDenied):
            services.add_own_flow(practice=cast.practice_a, document_text=_own_document(), by=by)
    assert not ComplaintFlow.objects.filter(practice__isnull=False).exists()


def test_the_figures_count_this_practices_sessions_by_complaint_and_outcome(cast: Cast) -> None:
    for urgency in ("U5", "U5", "U4", "U2"):
        triaged(cast.practice_a, urgency)
    triaged(cast.practice_b, "U5")
    page = verified_client(cast.manager_a).get(reverse("triage:figures")).content.decode()
    assert "4 zelftriages" in page
    assert "2 eindigden in zelfzorg (50.0%)" in page or "2 eindigden in zelfzorg (50,0%)" in page
    assert verified_client(cast.assistant_a).get(reverse("triage:figures")).status_code == 403


@pytest.mark.parametrize(
    "period",
    [
        {"van": "9999-12-30", "tot": "9999-12-31"},
        {"van": "0001-01-01"},
        {"van": "2026-12-01", "tot": "2026-01-01"},
        {"van": "2020-01-01", "tot": "2026-01-01"},
        {"van": "gisteren"},
    ],
)
def test_an_odd_period_for_the_figures_gets_a_dutch_error(
    cast: Cast, period: dict[str, str]
) -> None:
    response = verified_client(cast.manager_a).get(reverse("triage:figures"), period)
    assert response.status_code == 200
    page = response.content.decode()
    assert any(
        text in page
        for text in (
            "Kies datums tussen",
            "vóór de einddatum",
            "hooguit twee jaar",
            "geldige datum",
        )
    )
