"""The start pages: staff see the day's work per role, counted from a small hand-made
scene (each number worked out by hand below); a patient sees what is new for them; the
greeting follows the practice's clock and the role."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    BookingChannel,
)
from spreekuur.econsult import services as econsult_services
from spreekuur.econsult.models import Message, Thread, ThreadStatus
from spreekuur.patients.models import Patient
from spreekuur.prescriptions.models import ItemStatus
from spreekuur.prescriptions.services import approve_items, forward_to_gp
from spreekuur.shell.start import address, greeting, part_of_day
from tests.conftest import Cast, verified_client
from tests.factories import PatientFactory, UserFactory, add_appointment_types
from tests.prescriptions.conftest import Repeats
from tests.results.conftest import HBA1C_HIGH, LDL, oru, receive, released

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


# --- The greeting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # 4 December: Amsterdam is UTC+1.
        (datetime(2026, 12, 4, 5, 0, tzinfo=ZoneInfo("UTC")), "Goedemorgen"),  # 06:00
        (datetime(2026, 12, 4, 10, 59, tzinfo=ZoneInfo("UTC")), "Goedemorgen"),  # 11:59
        (datetime(2026, 12, 4, 11, 0, tzinfo=ZoneInfo("UTC")), "Goedemiddag"),  # 12:00
        (datetime(2026, 12, 4, 16, 59, tzinfo=ZoneInfo("UTC")), "Goedemiddag"),  # 17:59
        (datetime(2026, 12, 4, 17, 0, tzinfo=ZoneInfo("UTC")), "Goedenavond"),  # 18:00
        # 1 July: UTC+2, so 10:30 UTC is already afternoon in the practice.
        (datetime(2026, 7, 1, 10, 30, tzinfo=ZoneInfo("UTC")), "Goedemiddag"),
        (datetime(2026, 7, 1, 9, 59, tzinfo=ZoneInfo("UTC")), "Goedemorgen"),
    ],
)
def test_the_part_of_the_day_is_the_practices(utc: datetime, expected: str) -> None:
    assert part_of_day(utc) == expected


def test_a_gp_is_addressed_as_dokter_and_the_team_by_given_name() -> None:
    def user(name: str) -> User:
        return User(full_name=name, email="x@test.example")

    assert address(user("Dr. Anna de Boer"), "huisarts") == "dokter De Boer"
    assert address(user("Fatima el Amrani"), "huisarts") == "dokter El Amrani"
    assert address(user("Fatima el Amrani"), "assistent") == "Fatima"
    assert address(user("Marieke Mulder"), "poh") == "Marieke"
    assert address(user("Ruud Hendriks"), "praktijkmanager") == "Ruud"
    morning = datetime(2026, 12, 4, 8, 0, tzinfo=AMSTERDAM)
    assert greeting(user("Dr. Anna de Boer"), "huisarts", now=morning) == (
        "Goedemorgen, dokter De Boer"
    )


def test_the_staff_start_page_greets_by_name(cast: Cast) -> None:
    page = verified_client(cast.assistant_a).get(reverse("shell:start")).content.decode()
    assert f"{part_of_day(timezone.now())}, Assistent</h1>" in page
    page = verified_client(cast.gp_a).get(reverse("shell:start")).content.decode()
    assert f"{part_of_day(timezone.now())}, dokter A</h1>" in page


# --- The day's work ----------------------------------------------------------------------------


def _thread(patient: Patient, *, due_at: datetime, status: str = ThreadStatus.OPEN) -> Thread:
    thread = Thread.objects.create(
        practice=patient.practice,
        patient=patient,
        asked_by=patient.user or UserFactory(),
        category="klacht",
        status=status,
        due_at=due_at,
    )
    Message.objects.create(
        practice=patient.practice,
        thread=thread,
        author=thread.asked_by,
        from_patient=True,
        body="Een vraag zonder haast",
    )
    return thread


def _appointment(
    practitioner: Membership, patient: Patient, at: datetime, **extra: object
) -> Appointment:
    consult = (
        AppointmentType.objects.filter(practice=practitioner.practice, name="Consult").first()
        or add_appointment_types(practitioner.practice)["consult"]
    )
    return Appointment.objects.create(
        practice=practitioner.practice,
        patient=patient,
        practitioner=practitioner,
        appointment_type=consult,
        starts_at=at,
        ends_at=at + timedelta(minutes=10),
        channel=BookingChannel.PHONE,
        booked_by=practitioner.user,
        booked_at=timezone.now(),
        **extra,
    )


def _today_at(hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), time(hour, minute)))


@pytest.fixture
def day(repeats: Repeats) -> Cast:
    """The scene, with its numbers worked out by hand:

    e-consults of practice A: 3 open (1 over time, 1 due later today, 1 in three days),
    1 answered; practice B: 1 open, over time (counts for nobody in A).
    appointments today: Dokter A 2 standing (1 booked, 1 arrived) + 1 cancelled; POH A 1;
    Dokter A 1 tomorrow; practice B 1 today. So Dokter A 2, POH A 1, the desk 3.
    repeats: 2 requested (assistant first), then 1 forwarded to the GP: the assistant's
    check 1, the accorderingslijst 1.
    results: 2 of patient A to review (Dokter A); 1 lab message for nobody in practice A
    (on the work list of the assistant and the GP)."""
    cast = repeats.cast
    now = timezone.now()
    end_of_day = timezone.make_aware(datetime.combine(timezone.localdate(), time.max))
    _thread(cast.patient_a, due_at=now - timedelta(hours=1))
    _thread(cast.patient_a, due_at=now + (end_of_day - now) / 2)
    _thread(cast.other_patient_a, due_at=now + timedelta(days=3))
    _thread(cast.other_patient_a, due_at=now - timedelta(days=1), status=ThreadStatus.ANSWERED)
    _thread(cast.patient_b, due_at=now - timedelta(hours=1))

    gp = Membership.objects.get(user=cast.gp_a)
    poh = Membership.objects.get(user=cast.poh_a)
    gp_b = Membership.objects.get(user=cast.gp_b)
    _appointment(gp, cast.patient_a, _today_at(9))
    _appointment(gp, cast.other_patient_a, _today_at(9, 10), status=AppointmentStatus.ARRIVED)
    _appointment(gp, cast.other_patient_a, _today_at(9, 20), status=AppointmentStatus.CANCELLED)
    _appointment(gp, cast.patient_a, _today_at(9) + timedelta(days=1))
    _appointment(poh, cast.patient_a, _today_at(14))
    _appointment(gp_b, cast.patient_b, _today_at(9))

    items = repeats.request(repeats.metformin, repeats.simvastatin)
    forward_to_gp(items=items[:1], by=cast.assistant_a)

    receive(cast, oru(cast.patient_a, HBA1C_HIGH, LDL))
    stranger = PatientFactory(practice=cast.practice_b)
    receive(cast, oru(stranger, LDL))
    return cast


def _queues(user: User) -> list[str]:
    response = verified_client(user).get(reverse("shell:start"))
    assert response.status_code == 200
    return [queue.text for queue in response.context["work_queues"]]


def test_the_gp_sees_their_own_day(day: Cast) -> None:
    queues = _queues(day.gp_a)
    assert "2 afspraken vandaag" in queues  # their own, not the POH's
    assert "1 e-consult over tijd" in queues
    assert "3 open e-consults" in queues
    assert "1 e-consult vandaag te beantwoorden" in queues
    assert "1 aanvraag op de accorderingslijst" in queues
    assert "2 uitslagen te beoordelen" in queues
    assert "1 labbericht wacht op verwerking" in queues
    assert not any("te controleren" in text for text in queues)  # the GP approves instead


def test_the_gp_link_opens_their_own_agenda_column(day: Cast) -> None:
    response = verified_client(day.gp_a).get(reverse("shell:start"))
    gp = Membership.objects.get(user=day.gp_a)
    queue = next(q for q in response.context["work_queues"] if "vandaag" in q.text)
    assert queue.url == f"{reverse('agenda:day')}?zorgverlener={gp.public_id}"


def test_the_desk_sees_the_practices_day(day: Cast) -> None:
    queues = _queues(day.assistant_a)
    assert "3 afspraken vandaag" in queues
    assert "3 open e-consults" in queues
    assert "1 herhaalrecept te controleren" in queues
    assert "1 labbericht wacht op verwerking" in queues
    assert not any("accorderingslijst" in text or "beoordelen" in text for text in queues)


def test_the_poh_sees_their_own_appointments_and_the_econsults(day: Cast) -> None:
    queues = _queues(day.poh_a)
    assert "1 afspraak vandaag" in queues
    assert "1 e-consult over tijd" in queues
    assert not any("herhaal" in text or "uitslag" in text for text in queues)


def test_the_manager_sees_no_patient_work(day: Cast) -> None:
    queues = _queues(day.manager_a)
    assert not any("afspra" in text or "e-consult" in text for text in queues)


def test_practice_b_counts_only_its_own(day: Cast) -> None:
    queues = _queues(day.gp_b)
    assert "1 afspraak vandaag" in queues
    assert "1 e-consult over tijd" in queues
    assert "1 open e-consult" in queues


def test_the_counters_cost_the_same_however_much_waits(day: Cast) -> None:
    client = verified_client(day.gp_a)
    client.get(reverse("shell:start"))  # warm (session, caches)
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("shell:start"))
    now = timezone.now()
    gp = Membership.objects.get(user=day.gp_a)
    for minutes in range(4):
        _thread(day.other_patient_a, due_at=now - timedelta(minutes=minutes + 1))
        _appointment(gp, day.patient_a, _today_at(15, minutes * 10))
    with CaptureQueriesContext(connection) as after:
        page = client.get(reverse("shell:start"))
    assert "6 afspraken vandaag" in [q.text for q in page.context["work_queues"]]
    assert len(after) == len(before)


# --- The patient's "new for you" ---------------------------------------------------------------


def _updates(cast: Cast) -> list[tuple[str, str, bool]]:
    response = verified_client(cast.patient_user_a).get(reverse("shell:start"))
    assert response.status_code == 200
    return [(line.text, line.detail, line.new) for line in response.context["updates"]]


def test_the_patient_sees_the_next_appointment(cast: Cast) -> None:
    gp = Membership.objects.get(user=cast.gp_a)
    later = _today_at(10) + timedelta(days=9)
    sooner = _today_at(11, 30) + timedelta(days=2)
    _appointment(gp, cast.patient_a, later)
    _appointment(gp, cast.patient_a, sooner)
    _appointment(gp, cast.patient_a, _today_at(8) - timedelta(days=3))  # past
    _appointment(
        gp,
        cast.patient_a,
        _today_at(8) + timedelta(days=1),
        status=AppointmentStatus.CANCELLED,
    )
    lines = [line for line in _updates(cast) if line[0].startswith("Uw volgende afspraak")]
    assert len(lines) == 1
    text, detail, new = lines[0]
    assert timezone.localtime(sooner).strftime("%H:%M") in text
    assert str(timezone.localtime(sooner).day) in text
    assert detail == "Consult bij Dokter A" and not new


def test_an_unread_answer_is_new_until_the_patient_opens_it(cast: Cast) -> None:
    thread = _thread(cast.patient_a, due_at=timezone.now() + timedelta(days=2))
    econsult_services.answer_thread(thread=thread, body="Smeer het twee keer.", by=cast.gp_a)
    client = verified_client(cast.patient_user_a)
    page = client.get(reverse("shell:start"))
    news = [line for line in page.context["updates"] if line.new]
    assert [line.text[:24] for line in news] == ["Nieuw antwoord op uw vra"]
    assert "antwoord van de huisarts" in news[0].detail
    assert "“Een vraag zonder haast”" in news[0].detail
    html = page.content.decode()
    assert '1<span class="spreekuur-visually-hidden"> nieuw</span>' in html  # the menu badge
    client.get(reverse("econsult:my_thread", args=[thread.public_id]))
    page = client.get(reverse("shell:start"))
    assert not [line for line in page.context["updates"] if line.new]
    assert 'spreekuur-visually-hidden"> nieuw' not in page.content.decode()


def test_a_question_waiting_shows_its_deadline_not_as_new(cast: Cast) -> None:
    _thread(cast.patient_a, due_at=timezone.now() + timedelta(days=2))
    [(text, detail, new)] = _updates(cast)
    assert "wacht op antwoord" in text and "antwoord uiterlijk" in detail and not new


def test_new_results_count_since_the_patient_last_looked(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    cast.practice_a.records_online_from = timezone.localdate() - timedelta(days=365)
    cast.practice_a.save(update_fields=["records_online_from"])
    released(cast, HBA1C_HIGH, LDL)  # two released, never looked at
    receive(cast, oru(cast.patient_a, HBA1C_HIGH))  # not yet reviewed: not online
    assert ("2 nieuwe uitslagen met commentaar van de huisarts", "", True) in _updates(cast)
    client = verified_client(cast.patient_user_a)
    assert client.get(reverse("dossier:my_results")).status_code == 200
    assert not [line for line in _updates(cast) if "uitslag" in line[0]]
    with django_capture_on_commit_callbacks(execute=True):  # the notice forgets the badges
        released(cast, LDL, days_ago=1)  # one more after the look
    assert ("1 nieuwe uitslag met commentaar van de huisarts", "", True) in _updates(cast)
    # Someone else looking (the GP in the record) does not make it seen for the patient.
    page = client.get(reverse("shell:start")).content.decode()
    assert 'Uitslagen <span class="spreekuur-badge spreekuur-badge--closed">1<span' in page


def test_repeat_status_is_new_until_the_patient_opens_their_repeats(
    repeats: Repeats, django_capture_on_commit_callbacks: Any
) -> None:
    cast = repeats.cast
    [item] = repeats.request(repeats.metformin)
    assert _updates(cast) == [("Herhaalrecept Metformine 500 mg", "aangevraagd", False)]
    forward_to_gp(items=[item], by=cast.assistant_a)
    with django_capture_on_commit_callbacks(execute=True):  # the notice forgets the badges
        approve_items(items=[item], by=cast.gp_a)
    item.refresh_from_db()
    assert item.status == ItemStatus.APPROVED
    assert _updates(cast) == [("Herhaalrecept Metformine 500 mg", "goedgekeurd", True)]
    client = verified_client(cast.patient_user_a)
    assert (
        'Herhaalrecepten <span class="spreekuur-badge'
        in client.get(reverse("shell:start")).content.decode()
    )
    client.get(reverse("prescriptions:my_repeats"))
    assert _updates(cast) == [("Herhaalrecept Metformine 500 mg", "goedgekeurd", False)]


def test_nothing_new_says_so(cast: Cast) -> None:
    page = verified_client(cast.patient_user_a).get(reverse("shell:start")).content.decode()
    assert "Er is niets nieuws" in page


def test_a_second_visit_to_the_start_page_writes_nothing(cast: Cast) -> None:
    """The start page remembers whether the patient acts for others (for the menu) in the
    session; once remembered, a visit writes no session and reads the hours from the cache
    (issue 18: every write is a transaction of its own)."""
    client = verified_client(cast.patient_user_a)
    assert client.get(reverse("shell:start")).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("shell:start")).status_code == 200
    written = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    assert written == []
    assert not any("core_openinghours" in q["sql"] for q in queries.captured_queries)
