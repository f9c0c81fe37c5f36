"""The roster's numbers from a small hand-made practice: Erlang C per hour against the
shifts (leave subtracted), the quietest blocks, and consults per dagdeel."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from spreekuur.accounts.models import Membership
from spreekuur.agenda.models import Appointment, ScheduleException
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.roster import selectors
from spreekuur.roster.services import add_leave, add_shift, remove_shift
from spreekuur.telephony.models import CallHour, PhoneSettings
from tests.conftest import verified_client
from tests.factories import MembershipFactory, PatientFactory, add_appointment_types

pytestmark = pytest.mark.django_db

# A Monday with the practice open (not a holiday), and the quarter before it.
MONDAY = date(2027, 3, 1)


def _calls(practice, hour, per_day, weekday=0, weeks=13):
    """`per_day` calls offered in this hour on each of the last `weeks` such weekdays."""
    for week in range(1, weeks + 1):
        day = MONDAY - timedelta(weeks=week) + timedelta(days=weekday)
        CallHour.objects.create(
            practice=practice, day=day, hour=hour, incoming=per_day, offered=per_day
        )


def _assistant(practice, name):
    return MembershipFactory(practice=practice, role="assistent", user__full_name=name)


def _shift(member, by, starts, ends, task="telefoon", weekday=0):
    return add_shift(
        member=member,
        weekday=weekday,
        task=task,
        starts=starts,
        ends=ends,
        valid_from=None,
        valid_until=None,
        by=by,
    )


def test_needed_against_planned_per_hour(cast):
    practice = cast.practice_a
    PhoneSettings.objects.create(
        practice=practice, service_level_percent=80, service_level_seconds=60, handling_seconds=180
    )
    _calls(practice, 8, 30)  # 30 calls an hour, 180 s each: 1.5 Erlang
    _calls(practice, 10, 20)  # 1 Erlang
    _calls(practice, 13, 4)
    anna, bert, carla = (_assistant(practice, n) for n in ("Anna", "Bert", "Carla"))
    manager = cast.manager_a
    _shift(anna, manager, time(8), time(12, 30))
    _shift(bert, manager, time(8, 30), time(10))
    _shift(carla, manager, time(8), time(12, 30))
    _shift(carla, manager, time(13), time(17), task="balie")  # not on the phone
    add_leave(member=carla, starts_on=MONDAY, ends_on=MONDAY, kind="verlof", note="", by=manager)
    plan = selectors.phone_plan(practice, MONDAY)
    eight = next(h for h in plan.hours if h.day == MONDAY and h.hour == 8)
    # By hand (Erlang B recursion, A = 1.5): B1 = 0.6, B2 = 0.3103, B3 = 0.1343;
    # C(3) = 3·B3 / (3 - 1.5·(1 - B3)) = 0.2369; SL(3) = 1 - 0.2369·e^(-1.5·60/180) = 0.856,
    # and with 2 assistants C = 1.5²/3.5 = 0.643, SL = 1 - 0.643·e^(-0.5/3) = 0.456 < 0.8.
    assert eight.expected_calls == 30.0
    assert eight.needed == 3
    # Anna the whole hour, Bert half of it (from 8:30), Carla on leave.
    assert eight.planned == 1.5
    assert eight.short and eight.difference == -1.5
    assert eight.reached == 0.0  # one whole assistant for 1.5 Erlang: the queue only grows
    nine = next(h for h in plan.hours if h.day == MONDAY and h.hour == 9)
    assert nine.planned == 2.0
    assert nine.expected_calls == 0.0  # no calls known at 9: nobody needed, two planned
    assert nine.spare
    ten = next(h for h in plan.hours if h.day == MONDAY and h.hour == 10)
    # 1 Erlang: two assistants reach 1 - ⅓·e^(-1/3) = 0.761 < 0.8, three reach 0.953, so 3
    # are needed; only Anna is on the phone (Bert stops at 10:00), and one alone never copes.
    assert (ten.planned, ten.needed, ten.reached) == (1.0, 3, 0.0)
    thirteen = next(h for h in plan.hours if h.day == MONDAY and h.hour == 13)
    # 4 calls an hour (0.2 Erlang): one assistant reaches 80 % in 60 s; nobody planned.
    assert (thirteen.needed, thirteen.planned) == (1, 0.0)
    quiet = next(h for h in plan.hours if h.day == MONDAY + timedelta(days=1) and h.hour == 8)
    assert (quiet.expected_calls, quiet.needed) == (0.0, 0)


def test_the_week_marks_who_is_away(cast):
    practice = cast.practice_a
    anna, carla = _assistant(practice, "Anna"), _assistant(practice, "Carla")
    _shift(anna, cast.manager_a, time(8), time(12, 30))
    _shift(carla, cast.manager_a, time(8), time(12, 30), task="balie")
    add_leave(
        member=carla, starts_on=MONDAY, ends_on=MONDAY, kind="ziek", note="", by=cast.manager_a
    )
    monday = selectors.week_roster(practice, MONDAY)[0]
    lines = dict(monday.parts)["ochtend"]
    assert [(line.name, line.working) for line in lines] == [("Anna", True), ("Carla", False)]
    assert lines[1].away == "ziek"
    tuesday = selectors.week_roster(practice, MONDAY)[1]
    assert all(line.working for _label, lines in tuesday.parts for line in lines)


def test_quietest_blocks_avoid_the_peak_and_each_other(cast):
    practice = cast.practice_a
    for hour, calls in {8: 30, 9: 20, 10: 10, 11: 8, 13: 2, 14: 1, 15: 3, 16: 4}.items():
        for weekday in range(5):
            _calls(practice, hour, calls, weekday=weekday, weeks=2)
    blocks = selectors.quiet_blocks(practice, MONDAY, minutes=60, count=3)
    assert len(blocks) == 3
    assert all(block.starts >= time(12) for block in blocks)
    assert blocks[0].expected_calls <= blocks[1].expected_calls <= blocks[2].expected_calls
    for a in blocks:
        for b in blocks:
            assert a is b or a.day != b.day or a.ends <= b.starts or b.ends <= a.starts


def test_consults_per_dagdeel_from_the_agenda(cast):
    practice = cast.practice_a
    gp = Membership.objects.get(user=cast.gp_a)
    consult = add_appointment_types(practice)["consult"]
    patient = PatientFactory(practice=practice)
    held = [("afgerond", time(9)), ("aangemeld", time(9, 15)), ("afgerond", time(14))]
    for weeks_back in (1, 2):
        for status, moment in [*held, ("niet_verschenen", time(10)), ("geannuleerd", time(10, 30))]:
            starts = timezone.make_aware(
                datetime.combine(MONDAY - timedelta(weeks=weeks_back), moment)
            )
            Appointment.objects.create(
                practice=practice,
                patient=patient,
                practitioner=gp,
                appointment_type=consult,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=10),
                status=status,
                reason="controle",
                booked_at=starts - timedelta(days=3),
                booked_by=cast.gp_a,
            )
    production = selectors.production_per_dagdeel(
        practice, until=MONDAY - timedelta(days=1), weeks=2
    )
    assert [(p.weekday, p.dagdeel, p.consults) for p in production] == [
        (0, "ochtend", 2.0),
        (0, "middag", 1.0),
    ]


def test_shifts_may_not_overlap_and_only_the_manager_rosters(cast):
    anna = _assistant(cast.practice_a, "Anna")
    shift = _shift(anna, cast.manager_a, time(8), time(12, 30))
    with pytest.raises(BusinessRuleError):
        _shift(anna, cast.manager_a, time(12), time(13))
    with pytest.raises(PermissionDenied):
        _shift(anna, cast.assistant_a, time(13), time(17))
    with pytest.raises(PermissionDenied):  # another practice's manager
        _shift(anna, cast.manager_b, time(13), time(17))
    with pytest.raises(BusinessRuleError):
        _shift(anna, cast.manager_a, time(14), time(13))
    remove_shift(shift=shift, by=cast.manager_a)
    _shift(anna, cast.manager_a, time(12), time(13))


def test_leave_is_the_agendas_absence(cast):
    anna = _assistant(cast.practice_a, "Anna")
    add_leave(
        member=anna,
        starts_on=MONDAY,
        ends_on=MONDAY + timedelta(days=4),
        kind="verlof",
        note="",
        by=cast.manager_a,
    )
    assert ScheduleException.objects.get(practitioner=anna).kind == "verlof"


def test_the_pages(cast):
    anna = _assistant(cast.practice_a, "Anna")
    manager = verified_client(cast.manager_a)
    response = manager.post(
        reverse("roster:shifts"),
        {
            "member": str(anna.public_id),
            "weekday": "0",
            "task": "telefoon",
            "starts": "08:00",
            "ends": "12:30",
        },
    )
    assert response.status_code == 302
    page = verified_client(cast.assistant_a).get(
        reverse("roster:week"), {"week": MONDAY.isoformat()}
    )
    assert page.status_code == 200
    assert "Anna" in page.content.decode()
    planner = verified_client(cast.gp_a).get(reverse("roster:meeting_planner"), {"minutes": "90"})
    assert planner.status_code == 200
    assert verified_client(cast.assistant_a).get(reverse("roster:shifts")).status_code == 403
    other = verified_client(cast.manager_b).post(
        reverse("roster:shifts"),
        {
            "member": str(anna.public_id),
            "weekday": "0",
            "task": "telefoon",
            "starts": "13:00",
            "ends": "14:00",
        },
    )
    assert other.status_code == 200  # the form does not offer another practice's staff
    assert "Anna" not in other.content.decode()


def test_odd_weeks_are_refused_with_a_dutch_error_not_a_500(cast):
    client = verified_client(cast.assistant_a)
    for week in ("9999-12-31", "0001-01-01", "0001-01-10"):
        for name in ("roster:week", "roster:meeting_planner"):
            page = client.get(reverse(name), {"week": week})
            assert page.status_code == 200
            assert "vijf jaar" in page.content.decode()


def test_an_impossible_load_says_so_instead_of_failing(cast):
    practice = cast.practice_a
    PhoneSettings.objects.create(practice=practice, handling_seconds=1800)
    _calls(practice, 8, 300_000, weeks=1)
    eight = next(h for h in selectors.phone_plan(practice, MONDAY).hours if h.hour == 8)
    assert eight.needed is None and not eight.short and eight.difference is None
    assert (
        verified_client(cast.assistant_a)
        .get(reverse("roster:week"), {"week": MONDAY.isoformat()})
        .status_code
        == 200
    )


def test_leave_longer_than_a_year_is_refused(cast):
    anna = _assistant(cast.practice_a, "Anna")
    with pytest.raises(BusinessRuleError):
        add_leave(
            member=anna,
            starts_on=MONDAY,
            ends_on=MONDAY + timedelta(days=400),
            kind="verlof",
            note="",
            by=cast.manager_a,
        )
    response = verified_client(cast.manager_a).post(
        reverse("roster:leave"),
        {
            "member": str(anna.public_id),
            "starts_on": "2027-03-01",
            "ends_on": "2076-03-01",
            "kind": "verlof",
        },
    )
    assert response.status_code == 200
    assert (
        "hoogstens een jaar" in response.content.decode()
        or "vijf jaar" in response.content.decode()
    )
    assert not ScheduleException.objects.filter(practitioner=anna).exists()


def test_only_the_manager_sees_why_someone_is_away(cast):
    carla = _assistant(cast.practice_a, "Carla")
    _shift(carla, cast.manager_a, time(8), time(12, 30), task="balie")
    add_leave(
        member=carla, starts_on=MONDAY, ends_on=MONDAY, kind="ziek", note="", by=cast.manager_a
    )
    week = {"week": MONDAY.isoformat()}
    colleague = verified_client(cast.poh_a).get(reverse("roster:week"), week).content.decode()
    assert "<s>Carla</s>" in colleague and "(afwezig)" in colleague and "(ziek)" not in colleague
    manager = verified_client(cast.manager_a).get(reverse("roster:week"), week).content.decode()
    assert "(ziek)" in manager
