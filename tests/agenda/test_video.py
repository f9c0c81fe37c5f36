"""Video consults: a join link on the practice's own video service, only around the
appointment, in an unguessable room, with a token that carries no patient data."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from django.urls import reverse
from django.utils import timezone

from spreekuur.accounts.models import Membership
from spreekuur.agenda import services
from spreekuur.agenda.models import AppointmentType
from spreekuur.agenda.video import room_name, video_link
from tests.conftest import Cast, verified_client
from tests.factories import add_slots, no_red_flags

pytestmark = pytest.mark.django_db
SECRET = "geheim-voor-de-videodienst-van-de-praktijk"


@pytest.fixture
def video(cast: Cast, settings):
    settings.VIDEO_BASE_URL = "https://beeld.praktijk-a.example"
    settings.VIDEO_APP_SECRET = SECRET
    kind = AppointmentType.objects.create(
        practice=cast.practice_a,
        name="Beeldbellen",
        mode="beeldbellen",
        duration_minutes=10,
        offered_by=["huisarts"],
        online_bookable=True,
    )
    gp = Membership.objects.get(user=cast.gp_a)
    slot = add_slots(gp, day=timezone.localdate() + timedelta(days=2), count=1)[0]
    return services.book_appointment(
        patient=cast.patient_a,
        slot=slot,
        appointment_type=kind,
        reason="Uitslag bespreken",
        by=cast.patient_user_a,
        triage_answers=no_flags_for(cast),
    )


def no_flags_for(cast: Cast) -> dict[str, bool]:
    return no_red_flags(cast.practice_a)


def test_the_link_is_there_only_around_the_appointment(video) -> None:
    early = video_link(video, practitioner=False, now=video.starts_at - timedelta(minutes=11))
    assert early is not None and early.url == ""
    during = video_link(video, practitioner=False, now=video.starts_at - timedelta(minutes=5))
    assert during is not None and during.url.startswith("https://beeld.praktijk-a.example/")
    late = video_link(video, practitioner=False, now=video.ends_at + timedelta(minutes=16))
    assert late is not None and late.url == ""


def test_the_room_is_unguessable_and_the_token_holds_no_patient_data(video, cast: Cast) -> None:
    link = video_link(video, practitioner=False, now=video.starts_at)
    assert link is not None
    room = room_name(video)
    assert room in link.url and str(video.public_id) not in link.url and len(room) == 32
    token = link.url.split("jwt=", 1)[1]
    claims = jwt.decode(
        token, SECRET, algorithms=["HS256"], audience="jitsi", options={"verify_nbf": False}
    )
    assert claims["room"] == room and claims["moderator"] is False
    assert claims["exp"] - claims["nbf"] == (video.ends_at - video.starts_at).seconds + 25 * 60
    text = jwt.decode(token, options={"verify_signature": False}).__repr__()
    for secret in (cast.patient_a.family_name, cast.patient_a.bsn, "Uitslag"):
        assert secret not in text and secret not in link.url
    doctor = video_link(video, practitioner=True, now=video.starts_at)
    assert doctor is not None
    assert jwt.decode(doctor.url.split("jwt=")[1], options={"verify_signature": False})["moderator"]


def test_no_service_no_link(video, settings) -> None:
    settings.VIDEO_BASE_URL = ""
    assert video_link(video, practitioner=False, now=video.starts_at) is None


def test_the_patient_page_says_when_the_button_comes(video, cast: Cast) -> None:
    page = verified_client(cast.patient_user_a).get(
        reverse("agenda:my_appointment", args=[video.public_id])
    )
    assert "De knop om te beginnen staat hier vanaf" in page.content.decode()


def test_only_the_appointments_own_practitioner_moderates(video, cast: Cast, monkeypatch) -> None:
    from spreekuur.agenda.views import staff
    from tests.conftest import _staff

    asked: list[bool] = []

    def spy(appointment, *, practitioner: bool, now):
        asked.append(practitioner)
        return video_link(appointment, practitioner=practitioner, now=now)

    monkeypatch.setattr(staff, "video_link", spy)
    other_gp = _staff(cast.practice_a, "huisarts", "Dokter Twee")
    for user in (cast.gp_a, other_gp):
        page = verified_client(user).get(reverse("agenda:appointment", args=[video.public_id]))
        assert page.status_code == 200
    assert asked == [True, False]
    link = video_link(video, practitioner=True, now=video.starts_at)
    assert link is not None
    claims = jwt.decode(link.url.split("jwt=")[1], options={"verify_signature": False})
    assert claims["context"]["user"]["moderator"] is True
    assert claims["context"]["user"]["affiliation"] == "owner"
    patient = video_link(video, practitioner=False, now=video.starts_at)
    assert patient is not None
    patient_claims = jwt.decode(patient.url.split("jwt=")[1], options={"verify_signature": False})
    assert patient_claims["context"]["user"]["moderator"] is False
