"""Every dashboard figure against a hand count over a small practice: one month of care
made row by row, refreshed into the summary table, and read back as the dashboard, its
CSV and the monthly review show it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from spreekuur.accounts.models import Membership
from spreekuur.agenda.models import Appointment, AppointmentType
from spreekuur.dashboard.figures import figures_of
from spreekuur.dashboard.models import DailyFigure, Tariff
from spreekuur.dashboard.periods import period_named
from spreekuur.dashboard.selectors import practice_dashboard, sums_for
from spreekuur.dashboard.services import refresh_figures
from spreekuur.econsult.models import Declaration, Thread
from spreekuur.patients.models import Patient
from spreekuur.prescriptions.models import Pharmacy, RepeatRequest
from spreekuur.telephony.models import CallHour
from tests.conftest import verified_client
from tests.factories import PatientFactory, add_appointment_types

pytestmark = pytest.mark.django_db


def _at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _month_of_care(cast):
    """The last full month (and a little of the month before): returns the period."""
    practice = cast.practice_a
    period = period_named("vorige-maand", timezone.localdate())
    day = period.first + timedelta(days=2)
    earlier = period.previous_first + timedelta(days=3)
    types = add_appointment_types(practice)
    consult, visit = types["consult"], types.get("visite") or types["dubbel"]
    AppointmentType.objects.filter(pk=consult.pk).update(performance_code="12011")
    AppointmentType.objects.filter(pk=visit.pk).update(performance_code="12002")
    gp = Membership.objects.get(user=cast.gp_a)
    patient = cast.patient_a

    def appointment(when, kind, status, channel="telefoon", booked=None):
        return Appointment.objects.create(
            practice=practice,
            patient=patient,
            practitioner=gp,
            appointment_type=kind,
            starts_at=when,
            ends_at=when + timedelta(minutes=10),
            status=status,
            reason="controle",
            channel=channel,
            booked_at=booked or when - timedelta(days=1),
            booked_by=cast.assistant_a,
        )

    for n in range(3):
        appointment(_at(day, 9 + n), consult, "afgerond", channel="online" if n < 2 else "telefoon")
    appointment(_at(day, 14), visit, "aangemeld", channel="balie")
    appointment(_at(day, 15), consult, "niet_verschenen")
    appointment(_at(day, 16), consult, "geannuleerd")
    # The month before: one held consult, booked then.
    appointment(_at(earlier, 9), consult, "afgerond", booked=_at(earlier - timedelta(days=1)))
    Tariff.objects.create(
        practice=practice,
        year=day.year,
        code="12011",
        description="consult",
        amount=Decimal("12.43"),
    )
    Tariff.objects.create(
        practice=practice,
        year=day.year,
        code="12002",
        description="visite",
        amount=Decimal("18.64"),
    )
    for n, (answered_after, due_after) in enumerate([(1, 2), (1, 2), (3, 2), (None, 2)]):
        thread = Thread.objects.create(
            practice=practice,
            patient=patient,
            asked_by=cast.patient_user_a,
            category="klacht",
            status="open",
            due_at=_at(day + timedelta(days=due_after)),
            answered_at=_at(day + timedelta(days=answered_after)) if answered_after else None,
        )
        Thread.objects.filter(pk=thread.pk).update(created_at=_at(day, 8 + n))
        if n == 0:
            Declaration.objects.create(
                thread=thread,
                practice=practice,
                code="12007",
                tariff=Decimal("9.51"),
                declared_on=day + timedelta(days=1),
                answered_by=cast.gp_a,
            )
    pharmacy = Pharmacy.objects.create(practice=practice, name="Apotheek", transport="print")
    for channel in ("portaal", "portaal", "portaal", "telefoon"):
        request = RepeatRequest.objects.create(
            practice=practice,
            patient=patient,
            requested_by=cast.patient_user_a,
            channel=channel,
            pharmacy=pharmacy,
            route="assistent",
        )
        RepeatRequest.objects.filter(pk=request.pk).update(created_at=_at(day))
    CallHour.objects.create(
        practice=practice,
        day=day,
        hour=8,
        incoming=44,
        offered=40,
        answered=30,
        abandoned=6,
        callbacks=4,
        wait_seconds_total=2400,
        waits_counted=36,
    )
    CallHour.objects.create(
        practice=practice, day=earlier, hour=8, incoming=20, offered=20, answered=20, abandoned=0
    )
    # Enrolment: the cast's three patients of A, one more enrolled after the month.
    PatientFactory(practice=practice, enrolled_on=period.last + timedelta(days=1))
    return period


def _refresh(period):
    refresh_figures(practice_ids=None, first=period.previous_first, last=timezone.localdate())


def test_each_figure_equals_the_hand_count(cast):
    period = _month_of_care(cast)
    _refresh(period)
    practice = cast.practice_a
    enrolled = Patient.objects.filter(practice=practice, enrolled_on__lte=period.last).count()
    accounts = Patient.objects.filter(
        practice=practice, user__isnull=False, user__date_joined__date__lte=period.last
    ).count()
    figures = {f.key: f for f in figures_of(sums_for(practice, period.first, period.last))}
    assert figures["consults"].value == 4  # 3 completed consults + 1 visit the patient came to
    assert figures["no_show_percent"].value == 20.0  # 1 of the 5 who were expected
    assert figures["bookings"].value == 6  # every appointment booked in the month
    assert figures["online_share"].value == round(100 * 2 / 6, 1)
    assert figures["econsults"].value == 4
    assert figures["econsults_in_time"].value == round(100 * 2 / 3, 1)  # 2 of the 3 answered
    assert figures["repeat_requests"].value == 4
    assert figures["repeat_portal_share"].value == 75.0
    assert figures["enrolled"].value == enrolled
    assert figures["portal_accounts"].value == accounts
    assert figures["portal_share"].value == round(100 * accounts / enrolled, 1)
    # 3 consults x 12.43 + 1 visit x 18.64 + the e-consult at its declared 9.51
    assert figures["revenue"].value == pytest.approx(3 * 12.43 + 18.64 + 9.51)
    assert figures["calls_offered"].value == 40
    assert figures["abandoned_percent"].value == 15.0
    assert figures["average_wait"].value == round(2400 / 36)
    assert figures["callbacks"].value == 4
    board = practice_dashboard(practice, period)
    consults = next(c for c in board.figures if c.figure.key == "consults")
    assert consults.previous.value == 1
    assert consults.change == 300.0
    calls = next(c for c in board.figures if c.figure.key == "abandoned_percent")
    assert calls.previous.value == 0.0 and calls.change == 15.0 and calls.stands_out
    assert board.refreshed_at is not None


def test_the_page_and_the_csv_show_the_same_numbers(cast):
    period = _month_of_care(cast)
    _refresh(period)
    client = verified_client(cast.manager_a)
    page = client.get(reverse("dashboard:dashboard"), {"periode": "vorige-maand"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "20,0%" in text  # no-shows, Dutch decimal comma
    assert "Consulten per maand" in text and "<svg" in text
    csv = client.get(reverse("dashboard:dashboard_csv"), {"periode": "vorige-maand"})
    lines = csv.content.decode("utf-8-sig").splitlines()
    consults = next(line for line in lines if line.startswith("Consulten gehouden"))
    assert consults.split(";")[2:5] == ["4", "1", "300,0"]


def test_a_refresh_twice_gives_the_same_rows_and_other_practices_stay_apart(cast):
    period = _month_of_care(cast)
    _refresh(period)
    first = sorted(
        DailyFigure.objects.values_list("practice_id", "day", "metric", "dimension", "value")
    )
    _refresh(period)
    again = sorted(
        DailyFigure.objects.values_list("practice_id", "day", "metric", "dimension", "value")
    )
    assert first == again
    assert not DailyFigure.objects.filter(practice=cast.practice_b, metric="consults").exists()


def test_a_code_without_tariff_is_named_not_counted(cast):
    period = _month_of_care(cast)
    Tariff.objects.filter(code="12002").delete()
    _refresh(period)
    sums = sums_for(cast.practice_a, period.first, period.last)
    assert sums.codes_without_tariff == {"12002"}
    assert sums.revenue_cents == 3 * 1243 + 951


@pytest.mark.parametrize("role", ["assistant_a", "poh_a", "patient_user_a"])
def test_only_the_manager_and_the_gps_see_the_dashboard(cast, role):
    client = verified_client(getattr(cast, role))
    assert client.get(reverse("dashboard:dashboard")).status_code == 403
    assert client.get(reverse("dashboard:dashboard_csv")).status_code == 403


def test_a_gp_sees_the_dashboard(cast):
    assert verified_client(cast.gp_a).get(reverse("dashboard:dashboard")).status_code == 200


def test_odd_periods_get_a_dutch_answer(cast):
    client = verified_client(cast.manager_a)
    for query in (
        {"van": "2026-05-01"},
        {"van": "2026-05-01", "tot": "2026-01-01"},
        {"van": "1900-01-01", "tot": "1900-02-01"},
        {"periode": "nooit"},
    ):
        page = client.get(reverse("dashboard:dashboard"), query)
        assert page.status_code == 200


def test_the_monthly_review_keeps_the_teams_notes(cast):
    period = _month_of_care(cast)
    _refresh(period)
    client = verified_client(cast.gp_a)
    url = reverse("dashboard:monthly_review") + f"?maand={period.first:%Y-%m}"
    page = client.get(url)
    assert "Wat opvalt" in page.content.decode()
    response = client.post(
        url, {"notes": "Meer no-shows op maandag.", "actions": "SMS-herinnering."}
    )
    assert response.status_code == 302
    assert "SMS-herinnering." in client.get(url).content.decode()
