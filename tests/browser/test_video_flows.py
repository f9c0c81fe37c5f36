"""Video consults in a real browser: the patient and the treating GP each press *Start het
beeldbellen* and arrive in the room at the practice's video service (a stand-in server on
this machine), with their own token in the address's fragment only; an assistant sees
that only the treating practitioner joins. Every Spreekuur page passes axe-core."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import jwt
import pytest
from django.utils import timezone

from spreekuur.agenda import services
from spreekuur.agenda.models import Appointment, AppointmentType
from spreekuur.core.roles import StaffRole
from tests.browser.conftest import UI
from tests.browser.test_agenda_flows import log_in, portal_patient, staff
from tests.factories import MembershipFactory, PracticeFactory, add_slots, no_red_flags

pytestmark = pytest.mark.browser

SECRET = "geheim-voor-de-videodienst-van-de-praktijk"


class _VideoService(BaseHTTPRequestHandler):
    """Answers every room with a plain page and remembers each path it was asked for."""

    asked: list[str] = []

    def do_GET(self) -> None:
        type(self).asked.append(self.path)
        body = b"<!DOCTYPE html><html lang='nl'><title>Videodienst</title><main>Kamer</main>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def video_service() -> Iterator[str]:
    _VideoService.asked = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _VideoService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def consult(transactional_db: None, settings: object, video_service: str) -> Appointment:
    settings.VIDEO_BASE_URL = video_service  # type: ignore[attr-defined]
    settings.VIDEO_APP_SECRET = SECRET  # type: ignore[attr-defined]
    practice = PracticeFactory(slug="de-linde", name="Huisartsenpraktijk De Linde")
    gp = MembershipFactory(
        practice=practice, role=StaffRole.HUISARTS, user__full_name="Anna Jansen"
    )
    kind = AppointmentType.objects.create(
        practice=practice,
        name="Beeldbellen",
        mode="beeldbellen",
        duration_minutes=10,
        offered_by=["huisarts"],
        online_bookable=True,
    )
    patient = portal_patient(practice, "Sanne", "de Vries")
    slot = add_slots(gp, day=timezone.localdate() + timedelta(days=2), count=1)[0]
    appointment = services.book_appointment(
        patient=patient,
        slot=slot,
        appointment_type=kind,
        reason="Uitslag bespreken",
        by=patient.user,
        triage_answers=no_red_flags(practice),
    )
    starts = timezone.now() + timedelta(minutes=5)  # the room is open
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=starts, ends_at=starts + timedelta(minutes=10)
    )
    appointment.refresh_from_db()
    return appointment


def _token_in(address: str) -> dict[str, object]:
    fragment = urlsplit(address).fragment
    assert fragment.startswith("jwt="), address
    token = json.loads(unquote(fragment.removeprefix("jwt=")))
    return jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi")


def _press_start(ui: UI) -> None:
    button = ui.page.get_by_role("button", name="Start het beeldbellen")
    with ui.page.expect_navigation():
        button.click()
    ui.page.wait_for_load_state("load")
    # The video service's page is not ours to check with axe-core.
    ui.checked.add(ui.page.url.split("#")[0])


def test_the_patient_and_the_treating_gp_each_join_under_their_own_name(
    ui: UI, consult: Appointment, video_service: str
) -> None:
    patient = consult.patient
    log_in(ui, patient.user)
    ui.goto(f"/afspraken/{consult.public_id}/")
    ui.screenshot("video-patient-appointment")
    _press_start(ui)
    assert ui.page.url.startswith(video_service + "/")
    claims = _token_in(ui.page.url)
    user = claims["context"]["user"]  # type: ignore[index]
    assert user["name"] == patient.display_name and not user["moderator"]
    ui.page.context.clear_cookies()

    log_in(ui, consult.practitioner.user)
    ui.goto(f"/agenda/afspraak/{consult.public_id}/")
    ui.screenshot("video-gp-appointment")
    _press_start(ui)
    claims = _token_in(ui.page.url)
    assert claims["context"]["user"]["moderator"] is True  # type: ignore[index]
    assert claims["room"] == urlsplit(ui.page.url).path.strip("/")
    # The video service was asked for the room only: the token never left the browser.
    assert _VideoService.asked and all("jwt" not in path for path in _VideoService.asked)
    ui.goto("/start/")  # back in Spreekuur before the stand-in service stops


def test_an_assistant_sees_that_only_the_treating_gp_joins(ui: UI, consult: Appointment) -> None:
    assistant = staff(consult.practice, StaffRole.ASSISTENT, "Bo Assistent")
    log_in(ui, assistant)
    page = ui.goto(f"/agenda/afspraak/{consult.public_id}/")
    assert page.get_by_role("button", name="Start het beeldbellen").count() == 0
    assert "alleen de behandelende zorgverlener" in page.content()
    assert "jwt" not in page.content()
