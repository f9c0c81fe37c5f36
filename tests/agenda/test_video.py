"""Video consults: only the patient (or who may act for them) and the appointment's own
practitioner join, each with a token of their own that carries their real name and role,
only around the appointment, in an unguessable room; the token reaches the browser only
in the fragment of a redirect, never in a page, a query string or a log line."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

import jwt
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda import services
from spreekuur.agenda.models import Appointment, AppointmentType
from spreekuur.agenda.video import join_video, room_name, video_link
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import AuditEntry, AuditOutcome
from spreekuur.patients.models import Representation
from tests.conftest import Cast, _staff, verified_client
from tests.factories import UserFactory, add_slots, no_red_flags

pytestmark = pytest.mark.django_db
SECRET = "geheim-voor-de-videodienst-van-de-praktijk"
BASE = "https://beeld.praktijk-a.example"


@pytest.fixture
def video(cast: Cast, settings) -> Appointment:
    settings.VIDEO_BASE_URL = BASE
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
        triage_answers=no_red_flags(cast.practice_a),
    )


@pytest.fixture
def video_now(video: Appointment) -> Appointment:
    """The same appointment, starting in five minutes: the room is open."""
    starts = timezone.now() + timedelta(minutes=5)
    Appointment.objects.filter(pk=video.pk).update(
        starts_at=starts, ends_at=starts + timedelta(minutes=10)
    )
    video.refresh_from_db()
    return video


def claims_of(address: str) -> dict[str, Any]:
    """The verified claims of the token in a join address (`…/<room>#jwt="<token>"`)."""
    fragment = urlsplit(address).fragment
    assert fragment.startswith("jwt=")
    token = json.loads(unquote(fragment.removeprefix("jwt=")))
    return jwt.decode(token, SECRET, algorithms=["HS256"], audience="jitsi")


def join(user: User, appointment: Appointment, *, as_patient: bool = False) -> Any:
    name = "agenda:join_my_video" if as_patient else "agenda:join_video"
    return verified_client(user).post(reverse(name, args=[appointment.public_id]))


def no_token_in(response: Any) -> bool:
    text = response.content.decode() + response.get("Location", "")
    return "eyJ" not in text and "jwt" not in text and BASE + "/" not in text


# --- When -------------------------------------------------------------------------------------


def test_the_button_is_there_only_around_the_appointment(video: Appointment, cast: Cast) -> None:
    patient = cast.patient_user_a
    early = video_link(video, by=patient, now=video.starts_at - timedelta(minutes=11))
    assert early is not None and not early.is_open
    during = video_link(video, by=patient, now=video.starts_at - timedelta(minutes=5))
    assert during is not None and during.is_open
    late = video_link(video, by=patient, now=video.ends_at + timedelta(minutes=16))
    assert late is not None and not late.is_open
    with pytest.raises(BusinessRuleError):
        join_video(appointment=video, by=patient, now=video.starts_at - timedelta(minutes=11))
    with pytest.raises(BusinessRuleError):
        join_video(appointment=video, by=patient, now=video.ends_at + timedelta(minutes=16))


def test_a_press_outside_the_window_gives_no_token(video: Appointment, cast: Cast) -> None:
    response = join(cast.patient_user_a, video, as_patient=True)
    assert response.status_code == 302
    assert response["Location"] == reverse("agenda:my_appointment", args=[video.public_id])
    assert no_token_in(response)
    assert not AuditEntry.objects.filter(detail__startswith="beeldbellen").exists()


def test_no_service_no_link(video: Appointment, cast: Cast, settings) -> None:
    settings.VIDEO_BASE_URL = ""
    assert video_link(video, by=cast.patient_user_a, now=video.starts_at) is None
    with pytest.raises(PermissionDenied):
        join_video(appointment=video, by=cast.gp_a, now=video.starts_at)
    page = verified_client(cast.assistant_a).get(
        reverse("agenda:appointment", args=[video.public_id])
    )
    assert "alleen de behandelende zorgverlener" not in page.content.decode()


def test_a_cancelled_appointment_has_no_room(video: Appointment, cast: Cast) -> None:
    services.cancel_appointment(appointment=video, by=cast.patient_user_a)
    video.refresh_from_db()
    assert video_link(video, by=cast.gp_a, now=video.starts_at) is None
    with pytest.raises(PermissionDenied):
        join_video(appointment=video, by=cast.patient_user_a, now=video.starts_at)


def test_the_patient_page_says_when_the_button_comes(video: Appointment, cast: Cast) -> None:
    page = verified_client(cast.patient_user_a).get(
        reverse("agenda:my_appointment", args=[video.public_id])
    )
    assert "De knop om te beginnen staat hier vanaf" in page.content.decode()


# --- Who, under which name --------------------------------------------------------------------


def test_the_patient_joins_under_their_own_name_as_a_member(
    video_now: Appointment, cast: Cast
) -> None:
    user = cast.patient_user_a
    page = verified_client(user).get(reverse("agenda:my_appointment", args=[video_now.public_id]))
    join_url = reverse("agenda:join_my_video", args=[video_now.public_id])
    assert f'action="{join_url}"' in page.content.decode()
    assert no_token_in(page)  # the page holds a button, not a token

    response = join(user, video_now, as_patient=True)
    assert response.status_code == 302
    address = response["Location"]
    room = room_name(video_now)
    assert address.startswith(f"{BASE}/{room}#jwt=")
    assert "?" not in address  # nothing in a query string, which servers log
    assert "no-store" in response["Cache-Control"]
    claims = claims_of(address)
    person = claims["context"]["user"]
    assert person["id"] == str(user.public_id)
    # The name as the practice knows the patient (not the account's "Patiënt A").
    assert person["name"] == cast.patient_a.display_name != user.full_name
    assert person["role"] == "Patiënt"
    assert person["moderator"] is False and claims["moderator"] is False
    assert person["affiliation"] == "member"
    assert claims["room"] == room and claims["iss"] == "spreekuur"
    assert claims["nbf"] == int((video_now.starts_at - timedelta(minutes=10)).timestamp())
    assert claims["exp"] == int((video_now.ends_at + timedelta(minutes=15)).timestamp())
    # Bound to the person by an opaque id: no BSN, e-mail address or reason for the visit.
    text = json.dumps(claims)
    for secret in (cast.patient_a.bsn, user.email, "Uitslag", str(cast.patient_a.public_id)):
        assert secret not in text and secret not in address
    entry = AuditEntry.objects.get(detail="beeldbellen: toegang als deelnemer")
    assert entry.actor == user and entry.patient == cast.patient_a
    assert entry.object_ids == [str(video_now.public_id)]


def test_the_treating_gp_joins_as_moderator_under_their_own_name(
    video_now: Appointment, cast: Cast
) -> None:
    page = verified_client(cast.gp_a).get(reverse("agenda:appointment", args=[video_now.public_id]))
    join_url = reverse("agenda:join_video", args=[video_now.public_id])
    assert f'action="{join_url}"' in page.content.decode()
    assert no_token_in(page)

    response = join(cast.gp_a, video_now)
    assert response.status_code == 302
    claims = claims_of(response["Location"])
    person = claims["context"]["user"]
    assert person["id"] == str(cast.gp_a.public_id)
    assert person["name"] == "Dokter A"
    assert person["role"] == "Huisarts"
    assert person["moderator"] is True and claims["moderator"] is True
    assert person["affiliation"] == "owner"
    assert claims["room"] == room_name(video_now)
    entry = AuditEntry.objects.get(detail="beeldbellen: toegang als moderator")
    assert entry.actor == cast.gp_a and entry.patient == cast.patient_a


@pytest.mark.parametrize("who", ["other_gp", "assistant", "poh"])
def test_other_staff_of_the_practice_get_no_link_and_no_token(
    video_now: Appointment, cast: Cast, who: str
) -> None:
    user = {
        "other_gp": lambda: _staff(cast.practice_a, "huisarts", "Dokter Twee"),
        "assistant": lambda: cast.assistant_a,
        "poh": lambda: cast.poh_a,
    }[who]()
    assert video_link(video_now, by=user, now=video_now.starts_at) is None
    with pytest.raises(PermissionDenied):
        join_video(appointment=video_now, by=user, now=video_now.starts_at)

    page = verified_client(user).get(reverse("agenda:appointment", args=[video_now.public_id]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "alleen de behandelende zorgverlener (Dokter A) neemt deel" in content
    assert reverse("agenda:join_video", args=[video_now.public_id]) not in content
    assert no_token_in(page)

    response = join(user, video_now)
    assert response.status_code == 403 and no_token_in(response)
    assert not AuditEntry.objects.filter(detail__startswith="beeldbellen").exists()
    assert AuditEntry.objects.filter(
        actor=user, outcome=AuditOutcome.DENIED, object_ids=[str(video_now.public_id)]
    ).exists()


def test_the_manager_gets_no_page_and_no_token(video_now: Appointment, cast: Cast) -> None:
    assert video_link(video_now, by=cast.manager_a, now=video_now.starts_at) is None
    client = verified_client(cast.manager_a)
    page = client.get(reverse("agenda:appointment", args=[video_now.public_id]))
    assert page.status_code == 403 and no_token_in(page)
    response = join(cast.manager_a, video_now)
    assert response.status_code == 403 and no_token_in(response)


def test_the_patient_cannot_use_the_practitioners_door(video_now: Appointment, cast: Cast) -> None:
    response = join(cast.patient_user_a, video_now)
    assert response.status_code == 403 and no_token_in(response)


def test_another_practice_gets_404(video_now: Appointment, cast: Cast) -> None:
    for user in (cast.gp_b, cast.manager_b):
        page = verified_client(user).get(reverse("agenda:appointment", args=[video_now.public_id]))
        assert page.status_code in (403, 404) and no_token_in(page)
    response = join(cast.gp_b, video_now)
    assert response.status_code == 404 and no_token_in(response)
    response = join(cast.patient_user_b, video_now, as_patient=True)
    assert response.status_code == 404 and no_token_in(response)
    assert not AuditEntry.objects.filter(detail__startswith="beeldbellen").exists()


def test_two_people_get_two_different_tokens(video_now: Appointment, cast: Cast) -> None:
    now = timezone.now()
    patient = claims_of(join_video(appointment=video_now, by=cast.patient_user_a, now=now))
    doctor = claims_of(join_video(appointment=video_now, by=cast.gp_a, now=now))
    assert patient["room"] == doctor["room"]
    assert patient["context"]["user"] != doctor["context"]["user"]
    assert patient["context"]["user"]["id"] != doctor["context"]["user"]["id"]
    # The patient's token does not name the doctor, nor the doctor's the patient.
    assert "Dokter A" not in json.dumps(patient)
    assert cast.patient_a.family_name not in json.dumps(doctor)


def test_the_room_is_unguessable(video: Appointment) -> None:
    room = room_name(video)
    assert len(room) == 32 and str(video.public_id) not in room
    assert room == room_name(video)


# --- Who acts for the patient -----------------------------------------------------------------


def _parent(cast: Cast, video: Appointment, *, at_least: int) -> User:
    today = timezone.localdate()
    # A year earlier than `at_least` years ago at the latest: old enough on any day (29 February).
    cast.patient_a.date_of_birth = today.replace(year=today.year - at_least - 1, day=1)
    cast.patient_a.save(update_fields=["date_of_birth"])
    video.patient.refresh_from_db()
    parent = UserFactory(full_name="Ouder van A")
    Representation.objects.create(
        practice=cast.practice_a,
        patient=cast.patient_a,
        representative=parent,
        kind="ouder",
        valid_from=today - timedelta(days=1),
        recorded_by=cast.assistant_a,
    )
    return parent


def test_a_parent_of_a_young_child_joins_under_their_own_name(
    video_now: Appointment, cast: Cast
) -> None:
    parent = _parent(cast, video_now, at_least=8)
    address = join_video(appointment=video_now, by=parent, now=timezone.now())
    person = claims_of(address)["context"]["user"]
    assert person["id"] == str(parent.public_id)
    assert person["name"] == "Ouder van A"
    assert person["role"] == "Ouder of voogd namens de patiënt"
    assert person["moderator"] is False
    entry = AuditEntry.objects.get(detail="beeldbellen: toegang als deelnemer")
    assert entry.actor == parent and entry.actor_role == "ouder"


def test_a_parent_of_a_sixteen_year_old_does_not_join(video_now: Appointment, cast: Cast) -> None:
    parent = _parent(cast, video_now, at_least=16)
    assert video_link(video_now, by=parent, now=video_now.starts_at) is None
    with pytest.raises(PermissionDenied):
        join_video(appointment=video_now, by=parent, now=video_now.starts_at)


# --- The browser may follow the button to the video service -----------------------------------


def test_the_join_form_may_go_on_to_the_video_service(video_now: Appointment, cast: Cast) -> None:
    for user, name in (
        (cast.patient_user_a, "agenda:my_appointment"),
        (cast.gp_a, "agenda:appointment"),
    ):
        page = verified_client(user).get(reverse(name, args=[video_now.public_id]))
        policy = page["Content-Security-Policy"]
        form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
        assert "'self'" in form_action and BASE in form_action
