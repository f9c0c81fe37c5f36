"""The agenda over HTTP: the triage gate and the limits hold when forms are bypassed, and
nobody reaches an appointment, slot or kiosk outside their reach."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from spreekuur.accounts.models import Membership
from spreekuur.agenda import services
from spreekuur.agenda.models import Appointment, AppointmentStatus, BookingRules, KioskDevice
from spreekuur.agenda.views.portal import SESSION_DRAFT
from spreekuur.agenda.views.public import KIOSK_COOKIE, KIOSK_SALT
from spreekuur.core.models import AuditEntry
from tests.agenda.conftest import book_now_at_desk
from tests.agenda.test_booking import Agenda, book_online
from tests.conftest import verified_client
from tests.core.test_emergency_advice import open_around_the_clock
from tests.factories import PatientFactory, UserFactory, add_slots, no_red_flags

pytestmark = pytest.mark.django_db


def triage_post(agenda: Agenda, *, yes: str | None = None) -> dict[str, str]:
    data = {"reason": "Pijnlijke knie"}
    for code in no_red_flags(agenda.cast.practice_a):
        data[f"flag_{code}"] = "ja" if code == yes else "nee"
    return data


def confirm_post(agenda: Agenda, slot_index: int = 0) -> dict[str, str]:
    return {
        "soort": str(agenda.types["consult"].public_id),
        "tijd": str(agenda.slots[slot_index].public_id),
    }


@pytest.fixture
def patient_client(agenda: Agenda) -> Client:
    return verified_client(agenda.cast.patient_user_a)


def test_the_whole_booking_flow_books_once(agenda: Agenda, patient_client: Client) -> None:
    response = patient_client.post(reverse("agenda:book_start"), triage_post(agenda))
    assert response.status_code == 302
    assert response["Location"] == reverse("agenda:book_choose")
    times = patient_client.get(reverse("agenda:book_choose"))
    assert times.status_code == 200
    assert str(agenda.slots[0].public_id) in times.content.decode()
    response = patient_client.post(reverse("agenda:book_confirm"), confirm_post(agenda))
    appointment = Appointment.objects.get()
    assert response["Location"] == reverse("agenda:my_appointment", args=[appointment.public_id])
    assert appointment.reason == "Pijnlijke knie"
    assert all(item["answer"] is False for item in appointment.triage_answers["asked"])
    assert SESSION_DRAFT not in patient_client.session


def test_an_invitation_link_chooses_its_kind_of_appointment(
    agenda: Agenda, patient_client: Client
) -> None:
    """A chronic-care invitation links to booking with `soort`: the reason starts as its
    name and step 2 opens on that kind (the red-flag questions still come first)."""
    kind = agenda.types["telefonisch"]
    url = f"{reverse('agenda:book_start')}?soort={kind.public_id}"
    assert f"{kind.name}</textarea>" in patient_client.get(url).content.decode()
    answer = patient_client.post(url, {**triage_post(agenda), "reason": kind.name})
    assert answer.status_code == 302
    choose = patient_client.get(reverse("agenda:book_choose")).content.decode()
    assert f'value="{kind.public_id}" checked' in choose or (
        f'<option value="{kind.public_id}" selected' in choose
    )
    # A kind that is not booked online (or not the practice's) changes nothing.
    offline = agenda.types["dubbel"]
    start = patient_client.get(f"{reverse('agenda:book_start')}?soort={offline.public_id}")
    assert f"{offline.name}</textarea>" not in start.content.decode()


def test_a_red_flag_answer_stops_with_112_and_keeps_no_draft(
    agenda: Agenda, patient_client: Client
) -> None:
    response = patient_client.post(
        reverse("agenda:book_start"), triage_post(agenda, yes="pijn-op-de-borst")
    )
    assert response.status_code == 200
    assert "Bel nu 112" in response.content.decode()
    assert SESSION_DRAFT not in patient_client.session
    confirm = patient_client.post(reverse("agenda:book_confirm"), confirm_post(agenda))
    assert confirm["Location"] == reverse("agenda:book_start")
    assert not Appointment.objects.exists()


def test_urgent_line_flag_shows_the_practice_number(agenda: Agenda, patient_client: Client) -> None:
    open_around_the_clock(agenda.cast.practice_a)  # closed, the huisartsenpost comes first
    response = patient_client.post(
        reverse("agenda:book_start"), triage_post(agenda, yes="ziek-kind")
    )
    assert "Bel nu de praktijk" in response.content.decode()
    assert agenda.cast.practice_a.phone_urgent in response.content.decode()


def test_posting_the_confirmation_without_the_triage_step_books_nothing(
    agenda: Agenda, patient_client: Client
) -> None:
    response = patient_client.post(reverse("agenda:book_confirm"), confirm_post(agenda))
    assert response["Location"] == reverse("agenda:book_start")
    assert not Appointment.objects.exists()


def test_a_tampered_draft_with_a_yes_answer_books_nothing(
    agenda: Agenda, patient_client: Client
) -> None:
    patient_client.post(reverse("agenda:book_start"), triage_post(agenda))
    session = patient_client.session
    session[SESSION_DRAFT]["answers"]["beroerte"] = True
    session.save()
    response = patient_client.post(reverse("agenda:book_confirm"), confirm_post(agenda))
    assert response["Location"] == reverse("agenda:book_start")
    assert not Appointment.objects.exists()


def test_a_taken_slot_answers_409_with_the_next_free_times(
    agenda: Agenda, patient_client: Client
) -> None:
    other = PatientFactory(practice=agenda.cast.practice_a, user=UserFactory())
    book_online(agenda, agenda.slots[0], patient=other)
    patient_client.post(reverse("agenda:book_start"), triage_post(agenda))
    response = patient_client.post(reverse("agenda:book_confirm"), confirm_post(agenda))
    assert response.status_code == 409
    page = response.content.decode()
    assert "net door iemand anders geboekt" in page
    assert str(agenda.slots[1].public_id) in page
    assert Appointment.objects.count() == 1


def test_the_maximum_open_appointments_holds_over_http(
    agenda: Agenda, patient_client: Client
) -> None:
    BookingRules.objects.update_or_create(
        practice=agenda.cast.practice_a, defaults={"max_open_online": 1}
    )
    book_online(agenda, agenda.slots[1])
    page = patient_client.get(reverse("agenda:book_start")).content.decode()
    assert "Annuleer die eerst" in page
    session = patient_client.session
    session[SESSION_DRAFT] = {
        "reason": "x",
        "answers": no_red_flags(agenda.cast.practice_a),
        "at": timezone.now().timestamp(),
    }
    session.save()
    response = patient_client.post(reverse("agenda:book_confirm"), confirm_post(agenda))
    assert response.status_code == 422
    assert Appointment.objects.count() == 1


def test_minimum_notice_holds_over_http(agenda: Agenda, patient_client: Client) -> None:
    soon = add_slots(
        agenda.gp,
        day=timezone.localdate(),
        start=(timezone.localtime() + timedelta(minutes=30))
        .time()
        .replace(second=0, microsecond=0),
        count=1,
    )[0]
    patient_client.post(reverse("agenda:book_start"), triage_post(agenda))
    response = patient_client.post(
        reverse("agenda:book_confirm"),
        {"soort": str(agenda.types["consult"].public_id), "tijd": str(soon.public_id)},
    )
    assert response.status_code == 422
    assert not Appointment.objects.exists()


def test_a_slot_of_another_practice_is_a_404(agenda: Agenda, patient_client: Client) -> None:
    gp_b = Membership.objects.get(user=agenda.cast.gp_b)
    slot_b = add_slots(gp_b, day=agenda.day, count=1)[0]
    patient_client.post(reverse("agenda:book_start"), triage_post(agenda))
    response = patient_client.post(
        reverse("agenda:book_confirm"),
        {"soort": str(agenda.types["consult"].public_id), "tijd": str(slot_b.public_id)},
    )
    assert response.status_code == 404


def test_a_type_not_bookable_online_is_a_404(agenda: Agenda, patient_client: Client) -> None:
    patient_client.post(reverse("agenda:book_start"), triage_post(agenda))
    response = patient_client.post(
        reverse("agenda:book_confirm"),
        {"soort": str(agenda.types["dubbel"].public_id), "tijd": str(agenda.slots[0].public_id)},
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "name",
    ["my_appointment", "my_appointment_ics", "cancel_my_appointment", "reschedule_my_appointment"],
)
def test_another_patients_appointment_is_a_404(agenda: Agenda, name: str) -> None:
    other = PatientFactory(practice=agenda.cast.practice_a, user=UserFactory())
    appointment = book_online(agenda, agenda.slots[0], patient=other)
    client = verified_client(agenda.cast.patient_user_a)
    url = reverse(f"agenda:{name}", args=[appointment.public_id])
    assert client.get(url).status_code == 404
    if name in ("cancel_my_appointment", "reschedule_my_appointment"):
        assert client.post(url, {"tijd": str(agenda.slots[3].public_id)}).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    denied_b = verified_client(agenda.cast.patient_user_b)
    assert denied_b.get(url).status_code == 404


def test_an_unknown_appointment_id_is_a_404(agenda: Agenda, patient_client: Client) -> None:
    url = reverse("agenda:my_appointment", args=[uuid.uuid4()])
    assert patient_client.get(url).status_code == 404


def test_patient_cancels_and_moves_own_appointment(agenda: Agenda, patient_client: Client) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    response = patient_client.post(
        reverse("agenda:reschedule_my_appointment", args=[appointment.public_id]),
        {"tijd": str(agenda.slots[4].public_id)},
    )
    moved = Appointment.objects.get(rescheduled_from=appointment)
    assert response["Location"] == reverse("agenda:my_appointment", args=[moved.public_id])
    patient_client.post(reverse("agenda:cancel_my_appointment", args=[moved.public_id]))
    moved.refresh_from_db()
    assert moved.status == AppointmentStatus.CANCELLED


def test_the_ics_file_has_time_and_practitioner_but_not_the_reason(
    agenda: Agenda, patient_client: Client
) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    response = patient_client.get(
        reverse("agenda:my_appointment_ics", args=[appointment.public_id])
    )
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in body and "DTSTART" in body
    assert "Dokter A" in body
    assert "knie" not in body.lower()
    assert AuditEntry.objects.filter(action="export", object_kind="appointment").count() == 1


def test_the_patients_list_and_detail_are_logged(agenda: Agenda, patient_client: Client) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    patient_client.get(reverse("agenda:my_appointments"))
    patient_client.get(reverse("agenda:my_appointment", args=[appointment.public_id]))
    reads = AuditEntry.objects.filter(action="read", object_kind="appointment")
    assert reads.count() == 2
    assert all(entry.patient_id == agenda.cast.patient_a.pk for entry in reads)


# --- staff ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager_a", "patient_user_a"])
def test_agenda_is_for_care_and_desk_staff_only(agenda: Agenda, who: str) -> None:
    client = verified_client(getattr(agenda.cast, who))
    assert client.get(reverse("agenda:day")).status_code == 403
    assert client.get(reverse("agenda:week")).status_code == 403


def test_day_view_shows_online_bookings_with_a_label_and_is_logged(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    client = verified_client(agenda.cast.assistant_a)
    page = client.get(reverse("agenda:day"), {"dag": agenda.day.isoformat()}).content.decode()
    assert agenda.cast.patient_a.display_name in page
    assert "Online geboekt" in page
    entry = AuditEntry.objects.get(action="read", object_kind="appointment")
    # The appointments shown, and the patients on the list (as every list names them).
    assert entry.object_ids == [str(appointment.public_id), str(agenda.cast.patient_a.public_id)]


def test_staff_see_reason_and_triage_answers(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    client = verified_client(agenda.cast.gp_a)
    page = client.get(reverse("agenda:appointment", args=[appointment.public_id])).content.decode()
    assert "Pijnlijke knie sinds een week" in page
    assert "pijn op de borst" in page


def test_staff_of_another_practice_get_a_404(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    client = verified_client(agenda.cast.gp_b)
    assert (
        client.get(reverse("agenda:appointment", args=[appointment.public_id])).status_code == 404
    )
    response = client.post(
        reverse("agenda:change_status", args=[appointment.public_id, "annuleren"])
    )
    assert response.status_code == 404
    assert (
        client.get(reverse("agenda:book_for_patient", args=[agenda.slots[1].public_id])).status_code
        == 404
    )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_staff_mark_arrival_and_call_in_and_unknown_actions_are_404(agenda: Agenda) -> None:
    appointment = book_now_at_desk(agenda)
    client = verified_client(agenda.cast.assistant_a)
    client.post(reverse("agenda:change_status", args=[appointment.public_id, "aangemeld"]))
    client.post(reverse("agenda:change_status", args=[appointment.public_id, "oproepen"]))
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.ARRIVED
    assert appointment.queue_number == 1
    assert appointment.called_at is not None
    response = client.post(reverse("agenda:change_status", args=[appointment.public_id, "wissen"]))
    assert response.status_code == 404


def test_staff_book_a_free_slot_for_a_patient_by_phone(agenda: Agenda) -> None:
    client = verified_client(agenda.cast.assistant_a)
    url = reverse("agenda:book_for_patient", args=[agenda.slots[2].public_id])
    found = client.post(url, {"stap": "zoeken", "query": agenda.cast.other_patient_a.family_name})
    assert agenda.cast.other_patient_a.display_name in found.content.decode()
    response = client.post(
        url,
        {
            "stap": "boeken",
            "patient": str(agenda.cast.other_patient_a.public_id),
            "soort": str(agenda.types["dubbel"].public_id),
            "kanaal": "telefoon",
            "desk_note": "Belt over de uitslag van vorige week",
        },
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.channel == "telefoon"
    assert appointment.slots.count() == 2
    # The desk's text is the practice's note, labelled as such, never the patient's reason.
    assert (appointment.reason, appointment.desk_note) == (
        "",
        "Belt over de uitslag van vorige week",
    )
    detail = client.get(reverse("agenda:appointment", args=[appointment.public_id])).content
    assert "Notitie van de praktijk" in detail.decode()
    assert "door de patiënt" not in detail.decode()


def test_staff_cannot_book_a_patient_of_another_practice(agenda: Agenda) -> None:
    client = verified_client(agenda.cast.assistant_a)
    response = client.post(
        reverse("agenda:book_for_patient", args=[agenda.slots[2].public_id]),
        {
            "stap": "boeken",
            "patient": str(agenda.cast.patient_b.public_id),
            "soort": str(agenda.types["consult"].public_id),
            "kanaal": "telefoon",
        },
    )
    assert response.status_code == 404
    assert not Appointment.objects.exists()


def test_back_links_stay_on_this_site(agenda: Agenda) -> None:
    appointment = book_online(agenda, agenda.slots[0])
    client = verified_client(agenda.cast.assistant_a)
    response = client.post(
        reverse("agenda:change_status", args=[appointment.public_id, "aangemeld"]),
        {"terug": "https://evil.example/phish"},
    )
    assert response["Location"] == reverse("agenda:day")


def test_figures_for_manager_and_gp_only(agenda: Agenda) -> None:
    book_online(agenda, agenda.slots[0])
    for who, status in (
        ("manager_a", 200),
        ("gp_a", 200),
        ("assistant_a", 403),
        ("patient_user_a", 403),
    ):
        response = verified_client(getattr(agenda.cast, who)).get(reverse("agenda:figures"))
        assert response.status_code == status, who
    page = verified_client(agenda.cast.manager_a).get(reverse("agenda:figures")).content.decode()
    assert agenda.cast.patient_a.display_name not in page


@pytest.mark.parametrize("who", ["assistant_a", "gp_a", "patient_user_a", "manager_b"])
def test_agenda_settings_are_for_the_manager(agenda: Agenda, who: str) -> None:
    client = verified_client(getattr(agenda.cast, who))
    status = client.get(reverse("agenda:settings")).status_code
    assert status == 403 if who != "manager_b" else status == 200
    if who == "manager_b":
        # Practice B's manager edits practice B: practice A's type is a 404.
        url = reverse("agenda:edit_type", args=[agenda.types["consult"].public_id])
        assert client.get(url).status_code == 404


def test_manager_sets_the_release_rules(agenda: Agenda) -> None:
    client = verified_client(agenda.cast.manager_a)
    response = client.post(
        reverse("agenda:settings"),
        {
            "formulier": "regels",
            "online_booking_enabled": "on",
            "horizon_days": "21",
            "min_notice_minutes": "60",
            "max_open_online": "3",
            "max_online_minutes": "10",
            "change_cutoff_hours": "12",
        },
    )
    assert response.status_code == 302
    rules = BookingRules.objects.get(practice=agenda.cast.practice_a)
    assert (rules.horizon_days, rules.max_open_online, rules.change_cutoff_hours) == (21, 3, 12)


def test_bad_rules_get_a_dutch_error(agenda: Agenda) -> None:
    client = verified_client(agenda.cast.manager_a)
    response = client.post(
        reverse("agenda:settings"),
        {
            "formulier": "regels",
            "horizon_days": "0",
            "min_notice_minutes": "-5",
            "max_open_online": "1",
            "max_online_minutes": "10",
            "change_cutoff_hours": "1",
        },
    )
    assert response.status_code == 200
    assert "minstens 1" in response.content.decode()
    assert BookingRules.objects.get(practice=agenda.cast.practice_a).horizon_days == 14


# --- kiosk and waiting room ----------------------------------------------------------------


def kiosk_client(kiosk: KioskDevice) -> Client:
    client = Client()
    from django.core.signing import get_cookie_signer

    signer = get_cookie_signer(salt=KIOSK_COOKIE + KIOSK_SALT)
    client.cookies[KIOSK_COOKIE] = signer.sign(str(kiosk.public_id))
    return client


@pytest.fixture
def today_appointment(agenda: Agenda) -> Appointment:
    now = timezone.localtime()
    soon = (now + timedelta(minutes=20)).replace(second=0, microsecond=0)
    if soon.date() != now.date():
        # Late in the evening 20 minutes from now is tomorrow, and arrival is for the day
        # itself: take the next minute instead (arrival opens two hours before the start).
        soon = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    slot = add_slots(agenda.gp, day=soon.date(), start=soon.time(), count=1)[0]
    return services.book_appointment(
        patient=agenda.cast.patient_a,
        slot=slot,
        appointment_type=agenda.types["consult"],
        reason="",
        by=agenda.cast.assistant_a,
        channel="telefoon",
    )


def test_staff_switch_a_device_on_as_kiosk(agenda: Agenda) -> None:
    client = verified_client(agenda.cast.assistant_a)
    response = client.post(reverse("agenda:kiosks"), {"name": "Zuil 1"})
    assert response["Location"] == reverse("agenda:kiosk", args=["praktijk-a"])
    assert KIOSK_COOKIE in response.cookies
    assert response.cookies[KIOSK_COOKIE]["httponly"]
    assert verified_client(agenda.cast.gp_a).get(reverse("agenda:kiosks")).status_code == 403


def test_kiosk_without_a_switched_on_device_is_off(agenda: Agenda) -> None:
    response = Client().get(reverse("agenda:kiosk", args=["praktijk-a"]))
    assert response.status_code == 403
    assert "staat uit" in response.content.decode()


def test_kiosk_checks_in_by_birth_date_and_house_number_without_showing_a_name(
    agenda: Agenda, today_appointment: Appointment
) -> None:
    kiosk = services.register_kiosk(
        practice=agenda.cast.practice_a, name="Zuil", by=agenda.cast.manager_a
    )
    born = agenda.cast.patient_a.date_of_birth
    response = kiosk_client(kiosk).post(
        reverse("agenda:kiosk", args=["praktijk-a"]),
        {
            "manier": "geboortedatum",
            "gb-date_of_birth_dag": str(born.day),
            "gb-date_of_birth_maand": str(born.month),
            "gb-date_of_birth_jaar": str(born.year),
            "gb-house_number": " 12 ",
        },
    )
    page = response.content.decode()
    assert "U bent aangemeld" in page
    assert agenda.cast.patient_a.family_name not in page
    assert agenda.cast.patient_a.given_name not in page
    today_appointment.refresh_from_db()
    assert today_appointment.status == AppointmentStatus.ARRIVED
    assert f">{today_appointment.queue_number}<" in page.replace(" ", "").replace("\n", "")


def test_kiosk_checks_in_by_code(agenda: Agenda, today_appointment: Appointment) -> None:
    kiosk = services.register_kiosk(
        practice=agenda.cast.practice_a, name="Zuil", by=agenda.cast.manager_a
    )
    response = kiosk_client(kiosk).post(
        reverse("agenda:kiosk", args=["praktijk-a"]),
        {"manier": "code", "qr-code": f"SPREEKUUR:{today_appointment.checkin_code.lower()}"},
    )
    assert "U bent aangemeld" in response.content.decode()


def test_kiosk_of_one_practice_does_not_check_in_at_another(
    agenda: Agenda, today_appointment: Appointment
) -> None:
    kiosk = services.register_kiosk(
        practice=agenda.cast.practice_a, name="Zuil", by=agenda.cast.manager_a
    )
    response = kiosk_client(kiosk).get(reverse("agenda:kiosk", args=["praktijk-b"]))
    assert response.status_code == 403


def test_a_revoked_kiosk_is_off(agenda: Agenda) -> None:
    kiosk = services.register_kiosk(
        practice=agenda.cast.practice_a, name="Zuil", by=agenda.cast.manager_a
    )
    services.revoke_kiosk(kiosk=kiosk, by=agenda.cast.manager_a)
    assert kiosk_client(kiosk).get(reverse("agenda:kiosk", args=["praktijk-a"])).status_code == 403


def test_kiosk_stops_guessing_after_sixty_attempts(agenda: Agenda) -> None:
    kiosk = services.register_kiosk(
        practice=agenda.cast.practice_a, name="Zuil", by=agenda.cast.manager_a
    )
    client = kiosk_client(kiosk)
    url = reverse("agenda:kiosk", args=["praktijk-a"])
    for _ in range(60):
        response = client.post(url, {"manier": "code", "qr-code": "NIETBESTAAND"})
        assert "geen afspraak" in response.content.decode()
    assert client.post(url, {"manier": "code", "qr-code": "NIETBESTAAND"}).status_code == 429


def test_waiting_room_shows_number_and_practitioner_never_the_name(
    agenda: Agenda, today_appointment: Appointment
) -> None:
    services.mark_arrived(appointment=today_appointment, by=agenda.cast.assistant_a)
    services.call_in(appointment=today_appointment, by=agenda.cast.gp_a)
    today_appointment.refresh_from_db()
    for name in ("waiting_room", "waiting_room_calls"):
        page = Client().get(reverse(f"agenda:{name}", args=["praktijk-a"])).content.decode()
        assert "Dokter A" in page
        assert f"nummer {today_appointment.queue_number}" in page
        assert agenda.cast.patient_a.family_name not in page


def test_no_mail_text_carries_the_reason(
    agenda: Agenda, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_online(agenda, agenda.slots[0])
        services.reschedule_appointment(
            appointment=appointment, slot=agenda.slots[3], by=agenda.cast.patient_user_a
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(
            appointment=Appointment.objects.get(status=AppointmentStatus.BOOKED),
            by=agenda.cast.assistant_a,
        )
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        assert "knie" not in message.body.lower()
        assert agenda.cast.patient_a.family_name not in message.body


def test_week_overview_of_the_whole_practice_shows_counts_and_no_names(agenda: Agenda) -> None:
    book_online(agenda, agenda.slots[0])
    client = verified_client(agenda.cast.assistant_a)
    page = client.get(
        reverse("agenda:week"), {"week": agenda.day.isoformat(), "zorgverlener": "iedereen"}
    ).content.decode()
    assert "de hele praktijk" in page
    assert "1 / 5" in page
    assert agenda.cast.patient_a.display_name not in page
    single = client.get(reverse("agenda:week"), {"week": agenda.day.isoformat()}).content.decode()
    assert agenda.cast.patient_a.display_name in single


def test_choosing_a_patient_to_book_for_is_logged_as_a_read(agenda: Agenda) -> None:
    client = verified_client(agenda.cast.assistant_a)
    client.post(
        reverse("agenda:book_for_patient", args=[agenda.slots[2].public_id]),
        {"stap": "kiezen", "patient": str(agenda.cast.other_patient_a.public_id)},
    )
    entry = AuditEntry.objects.get(action="read")
    assert entry.patient == agenda.cast.other_patient_a


# --- found in review ---------------------------------------------------------------------


def test_a_yes_stops_even_when_the_rest_of_the_form_is_incomplete_and_drops_an_old_draft(
    agenda: Agenda, patient_client: Client
) -> None:
    patient_client.post(reverse("agenda:book_start"), triage_post(agenda))
    assert SESSION_DRAFT in patient_client.session
    response = patient_client.post(
        reverse("agenda:book_start"), {"reason": "", "flag_pijn-op-de-borst": "ja"}
    )
    assert "Bel nu 112" in response.content.decode()
    assert SESSION_DRAFT not in patient_client.session
    confirm = patient_client.post(reverse("agenda:book_confirm"), confirm_post(agenda))
    assert confirm["Location"] == reverse("agenda:book_start")
    assert not Appointment.objects.exists()


def test_an_expired_draft_is_removed_from_the_session(
    agenda: Agenda, patient_client: Client
) -> None:
    patient_client.post(reverse("agenda:book_start"), triage_post(agenda))
    session = patient_client.session
    session[SESSION_DRAFT]["at"] = 0
    session.save()
    patient_client.get(reverse("agenda:book_choose"))
    assert SESSION_DRAFT not in patient_client.session


def test_switching_a_kiosk_on_logs_the_staff_member_out(agenda: Agenda) -> None:
    client = verified_client(agenda.cast.assistant_a)
    client.post(reverse("agenda:kiosks"), {"name": "Zuil 1"})
    response = client.get(reverse("agenda:day"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_waiting_room_screen_does_not_keep_a_session_alive(agenda: Agenda) -> None:
    from spreekuur.accounts.middleware import SESSION_LAST_SEEN

    client = verified_client(agenda.cast.assistant_a)
    client.get(reverse("agenda:day"))
    session = client.session
    stale = (timezone.now() - timedelta(minutes=14)).isoformat()
    session[SESSION_LAST_SEEN] = stale
    session.save()
    client.get(reverse("agenda:waiting_room_calls", args=["praktijk-a"]))
    assert client.session[SESSION_LAST_SEEN] == stale


def test_ambiguous_kiosk_matches_check_in_nobody(
    agenda: Agenda, today_appointment: Appointment
) -> None:
    twin = PatientFactory(
        practice=agenda.cast.practice_a,
        date_of_birth=agenda.cast.patient_a.date_of_birth,
        house_number="12",
    )
    soon = today_appointment.starts_at + timedelta(minutes=10)
    slot = add_slots(
        agenda.gp,
        day=timezone.localtime(soon).date(),
        start=timezone.localtime(soon).time(),
        count=1,
    )[0]
    services.book_appointment(
        patient=twin,
        slot=slot,
        appointment_type=agenda.types["consult"],
        reason="",
        by=agenda.cast.assistant_a,
        channel="balie",
    )
    kiosk = services.register_kiosk(
        practice=agenda.cast.practice_a, name="Zuil", by=agenda.cast.manager_a
    )
    born = agenda.cast.patient_a.date_of_birth
    page = (
        kiosk_client(kiosk)
        .post(
            reverse("agenda:kiosk", args=["praktijk-a"]),
            {
                "manier": "geboortedatum",
                "gb-date_of_birth_dag": str(born.day),
                "gb-date_of_birth_maand": str(born.month),
                "gb-date_of_birth_jaar": str(born.year),
                "gb-house_number": "12",
            },
        )
        .content.decode()
    )
    assert "meer dan één afspraak" in page
    assert not Appointment.objects.filter(status=AppointmentStatus.ARRIVED).exists()


@pytest.mark.parametrize("name", ["day", "week", "figures"])
def test_an_impossible_date_in_the_query_is_not_an_error(agenda: Agenda, name: str) -> None:
    client = verified_client(agenda.cast.gp_a)
    for parameter in ("dag", "week", "van", "tot"):
        assert client.get(reverse(f"agenda:{name}"), {parameter: "2025-02-30"}).status_code == 200


def test_a_mail_outage_does_not_undo_or_fail_a_booking(
    agenda: Agenda, patient_client: Client, settings
) -> None:
    settings.EMAIL_BACKEND = "tests.agenda.test_views.FailingMailBackend"
    patient_client.post(reverse("agenda:book_start"), triage_post(agenda))
    response = patient_client.post(reverse("agenda:book_confirm"), confirm_post(agenda))
    assert response.status_code == 302
    assert Appointment.objects.count() == 1


class FailingMailBackend:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise ConnectionRefusedError("smtp down")


def test_refused_appointment_ids_are_logged(agenda: Agenda) -> None:
    other = PatientFactory(practice=agenda.cast.practice_a, user=UserFactory())
    appointment = book_online(agenda, agenda.slots[0], patient=other)
    client = verified_client(agenda.cast.patient_user_a)
    client.get(reverse("agenda:my_appointment", args=[appointment.public_id]))
    entry = AuditEntry.objects.get(outcome="denied")
    assert entry.object_ids == [str(appointment.public_id)]
    assert entry.actor == agenda.cast.patient_user_a


def test_a_patient_moves_an_appointment_the_desk_made(
    agenda: Agenda, patient_client: Client
) -> None:
    desk_made = services.book_appointment(
        patient=agenda.cast.patient_a,
        slot=agenda.slots[0],
        appointment_type=agenda.types["consult"],
        reason="",
        by=agenda.cast.assistant_a,
        channel="telefoon",
    )
    response = patient_client.post(
        reverse("agenda:reschedule_my_appointment", args=[desk_made.public_id]),
        {"tijd": str(agenda.slots[3].public_id)},
    )
    assert response.status_code == 302
    moved = Appointment.objects.get(rescheduled_from=desk_made)
    assert moved.channel == "telefoon"
