from __future__ import annotations

from collections import Counter
from io import StringIO

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from django_otp.oath import TOTP

from spreekuur.accounts.models import Membership, User
from spreekuur.core.models import Practice
from spreekuur.demo import generator
from spreekuur.patients.bsn import is_valid_bsn
from spreekuur.patients.models import Patient, PortalActivation
from spreekuur.patients.services import check_activation_code


def test_demo_practice_is_complete_and_idempotent(db: None) -> None:
    out = StringIO()
    call_command("load_demo", "--demo-patients", "600", stdout=out)
    assert "DEMO-LOGINS" in out.getvalue() and generator.DEMO_PASSWORD in out.getvalue()
    practice = Practice.objects.get(slug="de-linde")
    roles = Counter(Membership.objects.filter(practice=practice).values_list("role", flat=True))
    assert roles == {"huisarts": 3, "assistent": 4, "poh": 1, "praktijkmanager": 1}
    patients = Patient.objects.filter(practice=practice)
    assert patients.count() == 600
    assert all(
        is_valid_bsn(bsn) and bsn.startswith("99") for bsn in patients.values_list("bsn", flat=True)
    )
    assert practice.opening_hours.count() == 10 and practice.news.count() == 2

    call_command("load_demo", "--demo-patients", "600", "--quiet", stdout=StringIO())
    assert (
        Practice.objects.count() == 1
        and Patient.objects.count() == 600
        # staff and the demo patient, 40 patients who asked an e-consult (no password), and
        # the care group's analyst
        and User.objects.count() == 10 + 40 + 1
    )


def test_demo_population_looks_like_a_dutch_practice(db: None) -> None:
    generator.load(demo_patients=3000)
    today = timezone.localdate()
    ages = [
        (today - born).days // 365
        for born in Patient.objects.values_list("date_of_birth", flat=True)
    ]
    children = sum(age < 18 for age in ages) / len(ages)
    elderly = sum(age >= 65 for age in ages) / len(ages)
    assert 0.15 < children < 0.25  # NL: about 19 %
    assert 0.15 < elderly < 0.27  # NL: about 20 %
    sexes = Counter(Patient.objects.values_list("sex", flat=True))
    assert 0.45 < sexes["F"] / 3000 < 0.56
    assert Patient.objects.values("family_name").distinct().count() > 500


def test_demo_logins_work_with_password_and_totp(db: None) -> None:
    generator.load(demo_patients=200)
    for email in [
        "huisarts@de-linde.example",
        "manager@de-linde.example",
        generator.DEMO_PATIENT_EMAIL,
    ]:
        user = authenticate(
            RequestFactory().post("/"), username=email, password=generator.DEMO_PASSWORD
        )
        assert user is not None, email
        device = user.totpdevice_set.get()
        assert device.verify_token(f"{TOTP(device.bin_key).token():06d}")
    activation = PortalActivation.objects.get()
    assert check_activation_code(
        code=generator.DEMO_ACTIVATION_CODE, date_of_birth=activation.patient.date_of_birth
    )


def test_region_practices_get_distinct_valid_bsns(db: None) -> None:
    result = generator.load(region_practices=3, patients_per_practice=300, demo_patients=100)
    assert result.practices_created == 4 and result.patients_created == 1000
    bsns = list(Patient.objects.values_list("bsn", flat=True))
    assert len(set(bsns)) == len(bsns) == 1000
    assert Membership.objects.filter(practice__slug="regio-003").count() == 9


def test_demo_refuses_to_load_in_production(db: None, settings) -> None:
    import pytest
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("load_demo", "--demo-patients", "10", stdout=StringIO())
    assert not Practice.objects.exists()


def test_family_name_prefixes_are_split_longest_first() -> None:
    assert generator._split_family_name("van 't Erve") == ("van 't", "Erve")
    assert generator._split_family_name("van der Meer") == ("van der", "Meer")
    assert generator._split_family_name("'t Hart") == ("'t", "Hart")
    assert generator._split_family_name("Jansen") == ("", "Jansen")


def test_demo_practice_has_a_month_of_appointments_without_double_bookings(db: None) -> None:
    from spreekuur.agenda.models import Appointment, AppointmentStatus, Slot

    generator.load(demo_patients=600)
    practice = Practice.objects.get(slug="de-linde")
    appointments = Appointment.objects.filter(practice=practice)
    now = timezone.now()
    assert appointments.filter(starts_at__lt=now).count() > 500
    assert appointments.filter(starts_at__gt=now).count() > 200
    channels = Counter(appointments.values_list("channel", flat=True))
    assert set(channels) == {"online", "telefoon", "balie"}
    assert appointments.filter(status=AppointmentStatus.NO_SHOW).exists()
    assert Slot.objects.filter(practice=practice, online=True, appointment__isnull=True).exists()
    active = appointments.exclude(status=AppointmentStatus.CANCELLED)
    starts = Counter(active.values_list("practitioner_id", "starts_at"))
    assert max(starts.values()) == 1
    portal = Patient.objects.get(user__email=generator.DEMO_PATIENT_EMAIL)
    assert portal.appointments.filter(starts_at__gt=now).exists()


def test_demo_patients_have_a_record_and_the_demo_patient_a_shielded_line(db: None) -> None:
    from spreekuur.dossier.models import Episode, JournalEntry, Medication
    from spreekuur.dossier.selectors import record_online

    generator.load(demo_patients=600)
    practice = Practice.objects.get(slug="de-linde")
    assert Episode.objects.filter(practice=practice).values("patient").distinct().count() > 300
    assert JournalEntry.objects.filter(practice=practice).count() > 600
    assert Medication.objects.filter(practice=practice, chronic=True).exists()
    codes = set(Episode.objects.filter(practice=practice).values_list("icpc_code", flat=True))
    assert {"K86", "T90", "R74"} <= codes
    portal = Patient.objects.get(user__email=generator.DEMO_PATIENT_EMAIL)
    online = record_online(portal)
    assert online.journal and online.medication
    assert JournalEntry.objects.filter(patient=portal, shielded=True).exists()
    assert all(not line.shielded for line in online.journal)


def test_the_demo_patients_record_does_not_contradict_itself(db: None) -> None:
    """One 'Hoge bloeddruk', one running Amlodipine (so one to request), and the
    allergies the PDF shows are the ones the web record shows (issue 15, defect 9)."""
    from spreekuur.dossier.models import Episode, Medication
    from spreekuur.dossier.selectors import record_online

    generator.load(demo_patients=600)
    portal = Patient.objects.get(user__email=generator.DEMO_PATIENT_EMAIL)
    titles = Counter(Episode.objects.filter(patient=portal).values_list("title", flat=True))
    assert titles["Hoge bloeddruk"] == 1
    assert max(titles.values()) == 1
    running = Counter(
        Medication.objects.filter(patient=portal, ended_on__isnull=True).values_list(
            "name", flat=True
        )
    )
    assert running["Amlodipine 5 mg"] == 1
    assert max(running.values()) == 1
    web, pdf = record_online(portal), record_online(portal, page=None)
    assert web.allergies
    assert [a.pk for a in web.allergies] == [a.pk for a in pdf.allergies]


def test_demo_practice_has_three_months_of_calls_and_callers_waiting(db: None) -> None:
    from spreekuur.telephony.models import Call as PhoneCall
    from spreekuur.telephony.models import CallbackRequest, CallEvent, CallHour, CallSource

    call_command("load_demo", "--demo-patients", "600", "--quiet", stdout=StringIO())
    practice = Practice.objects.get(slug="de-linde")
    today = timezone.localdate()
    days = set(CallHour.objects.filter(practice=practice).values_list("day", flat=True))
    assert min(days) <= today - timezone.timedelta(weeks=12)
    assert all(day.weekday() < 5 for day in days)
    # Two months from the call report, the last one through the link, all folded.
    sources = Counter(PhoneCall.objects.filter(practice=practice).values_list("source", flat=True))
    assert sources[CallSource.IMPORT] > 0 and sources[CallSource.WEBHOOK] > 0
    assert (
        not CallEvent.objects.filter(folded=False, kind="incoming")
        .exclude(call_id__startswith="demo-now")
        .exists()
    )
    monday_8 = CallHour.objects.filter(practice=practice, hour=8, day__week_day=2)
    friday_14 = CallHour.objects.filter(practice=practice, hour=14, day__week_day=6)
    assert sum(h.offered for h in monday_8) / monday_8.count() > 2 * (
        sum(h.offered for h in friday_14) / friday_14.count()
    )
    waiting = CallbackRequest.objects.filter(practice=practice, status="wachtend")
    assert waiting.count() == 4
    assert waiting.filter(patient__isnull=False).count() == 3


def test_demo_practice_has_a_roster_that_the_phone_plan_reads(db: None) -> None:
    from spreekuur.roster.models import Shift
    from spreekuur.roster.selectors import monday_of, phone_plan

    call_command("load_demo", "--demo-patients", "600", "--quiet", stdout=StringIO())
    practice = Practice.objects.get(slug="de-linde")
    assert Shift.objects.filter(practice=practice, task="telefoon", weekday=0).count() == 4
    assert Shift.objects.filter(practice=practice, task="spreekuur").exists()
    plan = phone_plan(practice, monday_of(timezone.localdate()) + timezone.timedelta(days=7))
    eight = [hour for hour in plan.hours if hour.hour == 8]
    assert eight and all(hour.expected_calls > 0 for hour in eight)
    assert any(hour.planned < 2 for hour in eight)  # someone's leave shows


def test_demo_dashboard_has_its_figures_and_the_care_group_its_analyst(db: None) -> None:
    from spreekuur.dashboard.models import DailyFigure, FigureRefresh, RegionAnalyst, Tariff
    from spreekuur.dashboard.periods import period_named
    from spreekuur.dashboard.selectors import practice_dashboard

    call_command("load_demo", "--demo-patients", "600", "--quiet", stdout=StringIO())
    practice = Practice.objects.get(slug="de-linde")
    assert FigureRefresh.objects.filter(practice=practice).exists()
    assert DailyFigure.objects.filter(practice=practice, metric="consults").exists()
    assert Tariff.objects.filter(practice=practice, code="12011").count() == 2
    board = practice_dashboard(practice, period_named("vorige-maand", timezone.localdate()))
    values = {row.figure.key: row.figure.value for row in board.figures}
    assert values["consults"] > 0 and values["calls_offered"] > 0 and values["revenue"] > 0
    assert values["enrolled"] == 600
    analyst = RegionAnalyst.objects.select_related("user", "region").get()
    assert analyst.region.members.filter(practice=practice).exists()
