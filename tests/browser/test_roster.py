"""The roster in a real browser: the manager puts an assistant on the phone, gives her a
day off, and sees next week's roster strike her through on that day while the phone table
says "te weinig"; then plans a meeting of an hour and a half in the quietest blocks. An
assistant reads the same week, and the manager's pages refuse her.

Every page is loaded through `ui.goto` or `ui.submit`, so axe-core checks each of them
(the 403 pages too), at 360 px and, for the key pages, at 1280 px."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import dateformat, timezone, translation
from playwright.sync_api import expect

from spreekuur.agenda.models import Appointment, AppointmentStatus, ScheduleException
from spreekuur.core.current_hours import current_schedule
from spreekuur.core.models import Practice
from spreekuur.core.opening_hours import hours_on
from spreekuur.core.roles import StaffRole
from spreekuur.roster.models import Shift, ShiftTask
from spreekuur.roster.selectors import monday_of
from spreekuur.roster.services import add_shift
from spreekuur.telephony.models import CallHour
from tests.browser.conftest import UI
from tests.browser.people import (
    both_widths,
    expect_forbidden,
    log_in,
    nav,
    staff,
)
from tests.factories import (
    MembershipFactory,
    PatientFactory,
    PracticeFactory,
    add_appointment_types,
)

pytestmark = pytest.mark.browser

DASH = "\u2013"  # an en dash, between two times
# Callers offered per hour on the chosen weekday, each of the 13 weeks before: a busy
# morning (two or three assistants needed), nothing in the afternoon.
CALLS = {8: 30, 9: 24, 10: 14, 11: 8}


@pytest.fixture
def practice(transactional_db: None) -> Practice:
    return PracticeFactory(slug="de-linde", name="Huisartsenpraktijk De Linde")


def dutch(day: date, form: str) -> str:
    with translation.override("nl"):
        return dateformat.format(day, form)


def open_day_next_week(practice: Practice) -> date:
    """The first day of next week the practice is open (a holiday is skipped)."""
    monday = monday_of(timezone.localdate() + timedelta(days=7))
    schedule = current_schedule(practice)
    return next(
        day
        for day in (monday + timedelta(days=n) for n in range(5))
        if hours_on(schedule, day).intervals
    )


def call_history(practice: Practice, day: date) -> None:
    """The hourly summaries of the quarter before: what the link or a call report fills."""
    for weeks_back in range(1, 14):
        earlier = day - timedelta(weeks=weeks_back)
        for hour, offered in CALLS.items():
            CallHour.objects.create(
                practice=practice,
                day=earlier,
                hour=hour,
                incoming=offered,
                offered=offered,
                answered=offered,
            )


def consults_held(practice: Practice, day: date) -> None:
    """Three consults on this weekday's morning and one in its afternoon, each week of the
    quarter before: the agenda's production per dagdeel."""
    gp = MembershipFactory(
        practice=practice, role=StaffRole.HUISARTS, user__full_name="Anna Jansen"
    )
    consult = add_appointment_types(practice)["consult"]
    patient = PatientFactory(practice=practice)
    for weeks_back in range(1, 14):
        earlier = day - timedelta(weeks=weeks_back)
        for moment in (time(8, 30), time(9), time(10, 10), time(14)):
            starts = timezone.make_aware(datetime.combine(earlier, moment))
            Appointment.objects.create(
                practice=practice,
                patient=patient,
                practitioner=gp,
                appointment_type=consult,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=10),
                status=AppointmentStatus.COMPLETED,
                reason="controle",
                booked_at=starts - timedelta(days=3),
                booked_by=gp.user,
            )


def test_the_manager_rosters_the_phone_gives_leave_and_plans_a_meeting(
    ui: UI, practice: Practice
) -> None:
    manager = staff(practice, StaffRole.PRAKTIJKMANAGER, "Ruud Hendriks")
    fatima = MembershipFactory(
        practice=practice, role=StaffRole.ASSISTENT, user__full_name="Fatima el Amrani"
    )
    lisa = MembershipFactory(
        practice=practice, role=StaffRole.ASSISTENT, user__full_name="Lisa Peters"
    )
    day = open_day_next_week(practice)
    weekday = dutch(day, "l")  # "maandag"
    call_history(practice, day)
    consults_held(practice, day)
    add_shift(
        member=lisa,
        weekday=day.weekday(),
        task=ShiftTask.TELEFOON,
        starts=time(8),
        ends=time(12, 30),
        valid_from=None,
        valid_until=None,
        by=manager,
    )
    page = ui.page
    log_in(ui, manager)

    ui.submit(nav(page, "Rooster"))
    expect(page.get_by_role("heading", name="Rooster", level=1)).to_be_visible()
    ui.submit(page.get_by_role("navigation", name="Weken").get_by_role("link", name="Diensten"))

    # A phone shift for Fatima on the chosen weekday's morning (the hours offered).
    expect(page.get_by_role("heading", name="Diensten", level=1)).to_be_visible()
    add = page.get_by_role("region", name="Dienst toevoegen")
    add.get_by_label("Medewerker").select_option(label="Fatima el Amrani (Doktersassistent)")
    add.get_by_label("Dag").select_option(label=weekday)
    add.get_by_label("Taak").select_option(label="telefoon")
    # The usual morning is offered (the time widget has no format, so seconds show).
    expect(add.get_by_label("Van", exact=True)).to_have_value(re.compile(r"^08:00(:00)?$"))
    expect(add.get_by_label("Tot", exact=True)).to_have_value(re.compile(r"^12:30(:00)?$"))
    both_widths(ui, "roster-shift-form")
    ui.submit(add.get_by_role("button", name="Toevoegen"))
    expect(page.get_by_text("De dienst is toegevoegd.")).to_be_visible()
    shifts = page.get_by_role("region", name="Vaste diensten")
    row = shifts.get_by_role("row").filter(has_text="Fatima el Amrani")
    expect(row).to_contain_text(f"{weekday} (ochtend)")
    expect(row).to_contain_text(f"08:00{DASH}12:30")
    expect(row).to_contain_text("Telefoon")
    expect(row).to_contain_text("elke week")
    assert Shift.objects.filter(member=fatima, task="telefoon", weekday=day.weekday()).exists()
    both_widths(ui, "roster-shifts")

    # The same morning again is refused: one person, one shift at a time.
    add = page.get_by_role("region", name="Dienst toevoegen")
    add.get_by_label("Medewerker").select_option(label="Fatima el Amrani (Doktersassistent)")
    add.get_by_label("Dag").select_option(label=weekday)
    add.get_by_label("Taak").select_option(label="balie")
    ui.submit(add.get_by_role("button", name="Toevoegen"))
    expect(page.get_by_text("Deze medewerker heeft dan al een dienst.")).to_be_visible()
    expect(page.get_by_text("De dienst is toegevoegd.")).to_have_count(0)
    assert Shift.objects.filter(member=fatima).count() == 1
    ui.screenshot("roster-shift-refused-phone")

    # Leave for Fatima on that day.
    ui.submit(page.get_by_role("link", name="Verlof en afwezigheid"))
    expect(page.get_by_role("heading", name="Verlof en afwezigheid", level=1)).to_be_visible()
    form = page.get_by_role("region", name="Afwezigheid vastleggen")
    form.get_by_label("Medewerker").select_option(label="Fatima el Amrani (Doktersassistent)")
    form.get_by_label("Van", exact=True).fill(day.isoformat())
    form.get_by_label("Tot en met").fill(day.isoformat())
    form.get_by_label("Soort").select_option(label="verlof")
    form.get_by_label(re.compile("^Toelichting")).fill("Vakantie")
    ui.submit(form.get_by_role("button", name="Vastleggen"))
    expect(page.get_by_text("De afwezigheid is vastgelegd.")).to_be_visible()
    ahead = page.get_by_role("region", name="Komende afwezigheid")
    expect(ahead).to_contain_text(f"Fatima el Amrani: {dutch(day, 'j F Y')} (verlof, Vakantie)")
    assert ScheduleException.objects.get().practitioner == fatima
    both_widths(ui, "roster-leave")

    # Next week: Fatima struck through on that day, the phone short in the morning.
    ui.submit(page.get_by_role("link", name="Naar het rooster"))
    day_title = dutch(day, "l j F")
    who = page.get_by_role("region", name="Wie werkt wanneer")
    expect(who.get_by_role("heading", name=day_title, level=3)).to_be_visible()
    morning = who.locator("p", has_text="Ochtend:").filter(has=page.locator("s"))
    expect(morning.locator("s")).to_have_text("Fatima el Amrani")
    expect(morning).to_contain_text("Fatima el Amrani (verlof)")
    expect(morning).to_contain_text(f"Lisa Peters (telefoon, 08:00{DASH}12:30)")
    expect(who.locator("s")).to_have_count(1)  # only on her day off

    phone = page.get_by_role("region", name="Telefoon: nodig en ingepland per uur")
    summary = phone.locator("summary", has_text=day_title)
    table = phone.get_by_role("region", name=f"Telefoon op {day_title}")
    if not table.is_visible():
        summary.click()
    expect(table).to_be_visible()
    eight = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="08:00"))
    expect(eight).to_contain_text("te weinig")
    expect(eight).to_have_class(re.compile("spreekuur-short"))
    # Lisa alone for 30 callers an hour: the planned column says 1.
    expect(eight.get_by_role("cell").nth(2)).to_contain_text("1")
    expect(phone).to_contain_text(
        re.compile(r"\d+ uren? met te weinig assistentes aan de telefoon")
    )
    production = page.get_by_role("region", name="Consulten per dagdeel")
    expect(production.get_by_role("row").filter(has_text=weekday).first).to_contain_text("3")
    ui.check_page()
    both_widths(ui, "roster-week-manager")

    # The meeting planner, for an hour and a half.
    ui.submit(page.get_by_role("link", name="Overleg plannen"))
    expect(page.get_by_role("heading", name="Overleg plannen", level=1)).to_be_visible()
    page.get_by_label("Duur van het overleg").select_option(label="anderhalf uur")
    ui.submit(page.get_by_role("button", name="Voorstellen"))
    assert "minutes=90" in page.url
    expect(page.get_by_label("Duur van het overleg")).to_have_value("90")
    proposals = page.get_by_role("region", name=re.compile("^Voorstellen voor de week van"))
    blocks = proposals.get_by_role("listitem")
    expect(blocks).to_have_count(3)
    for index in range(3):
        text = blocks.nth(index).inner_text()
        found = re.search(rf"(\d\d):(\d\d){DASH}(\d\d):(\d\d)", text)
        assert found, text
        start_h, start_m, end_h, end_m = (int(part) for part in found.groups())
        assert (end_h * 60 + end_m) - (start_h * 60 + start_m) == 90, text
        # Never in the busy morning of the chosen weekday.
        if text.startswith(day_title):
            assert start_h >= 12, text
        assert "0 bellers" in text, text
    both_widths(ui, "roster-meeting")


def test_the_assistant_reads_the_roster_but_may_not_change_it(ui: UI, practice: Practice) -> None:
    manager = staff(practice, StaffRole.PRAKTIJKMANAGER, "Ruud Hendriks")
    fatima = MembershipFactory(
        practice=practice, role=StaffRole.ASSISTENT, user__full_name="Fatima el Amrani"
    )
    day = open_day_next_week(practice)
    call_history(practice, day)
    add_shift(
        member=fatima,
        weekday=day.weekday(),
        task=ShiftTask.TELEFOON,
        starts=time(8),
        ends=time(12, 30),
        valid_from=None,
        valid_until=None,
        by=manager,
    )
    page = ui.page
    log_in(ui, fatima.user)

    ui.submit(nav(page, "Rooster"))
    expect(page.get_by_role("heading", name="Rooster", level=1)).to_be_visible()
    weeks = page.get_by_role("navigation", name="Weken")
    expect(weeks.get_by_role("link", name="Overleg plannen")).to_be_visible()
    expect(weeks.get_by_role("link", name="Diensten")).to_have_count(0)
    expect(weeks.get_by_role("link", name="Verlof en afwezigheid")).to_have_count(0)
    who = page.get_by_role("region", name="Wie werkt wanneer")
    expect(who).to_contain_text(f"Fatima el Amrani (telefoon, 08:00{DASH}12:30)")
    expect(who.locator("s")).to_have_count(0)
    expect(
        page.get_by_text("Nog geen gehouden consulten in het afgelopen kwartaal.")
    ).to_be_visible()
    both_widths(ui, "roster-week-assistant")

    ui.submit(weeks.get_by_role("link", name="Volgende week →"))
    assert f"week={monday_of(day) + timedelta(days=7):%Y-%m-%d}" in page.url
    ui.goto("/rooster/overleg/")
    expect(page.get_by_role("heading", name="Overleg plannen", level=1)).to_be_visible()

    for path in ("/beheer/rooster/diensten/", "/beheer/rooster/verlof/"):
        ui.goto(path)
        expect_forbidden(ui)
    ui.screenshot("roster-forbidden-phone")
