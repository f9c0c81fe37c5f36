"""The agenda of a region practice's year.

Set up through the ORM, as a practice manager would: appointment types (those of De
Linde), a weekly template sized to the practice (five GP days of 36 ten-minute slots for
2,500 patients; POH and assistant hours to match), three weeks of leave per practitioner
and booking rules. The slots are the ones the template makes (`desired_slots`, the same
function the daily slot task uses), from a year back to the task's horizon ahead.

Every patient gets their contacts: about 3.5 a year (the Dutch GP average: GP consults by
age and sex, POH controls for the chronic conditions, the assistant's hours), the acute
problems drawn from a vocabulary by age and sex (dossier.py), some with a follow-up. Each
is placed in a free slot of the right practitioner on its day or a few days later: never
two active appointments in one slot or one practitioner's time. Past ones are mostly
afgerond, some niet verschenen; some were cancelled and rebooked (moved) or cancelled
only, and a cancelled appointment holds no slot. Online bookings only by patients with a
portal account, in released slots, with the red-flag questions answered. The weeks ahead
fill as a real agenda does: the next days nearly full, later mostly open."""

from __future__ import annotations

import math
import os
import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda.models import (
    CHECKIN_ALPHABET,
    CHECKIN_CODE_LENGTH,
    AbsenceKind,
    Appointment,
    AppointmentMode,
    AppointmentStatus,
    BookingChannel,
    BookingRules,
    Dagdeel,
    ScheduleBlock,
    ScheduleException,
    Slot,
)
from spreekuur.agenda.services.schedule import desired_slots
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.demo.agenda import create_demo_types
from spreekuur.demo.region.dossier import (
    ACUTE,
    ASSISTANT_VISITS,
    CHILD_WEIGHTS,
    CHRONIC,
    CHRONIC_GP,
    POH_CONTROLS,
)
from spreekuur.demo.region.rows import Table
from spreekuur.demo.region.year import (
    DAYS_AHEAD,
    DAYS_BACK,
    TZ,
    Contact,
    Kind,
    SlotTime,
    Visit,
    Year,
    lookup,
    poisson,
)

# GP contacts a year by age (women more between 12 and 65), before chronic conditions.
GP_RATE = ((5, 2.8, 2.8), (12, 1.1, 1.1), (18, 1.3, 1.5), (45, 1.3, 2.3), (65, 1.9, 2.5))
GP_RATE_OLD = ((75, 2.9), (85, 3.8), (200, 4.8))
# Contacts that get a GP appointment type: (name, weight for an acute first contact).
GP_TYPES = (("Consult", 0.68), ("Telefonisch consult", 0.22), ("Dubbel consult", 0.07))
VIDEO_SHARE = 0.03
CANCELLED_ONLY = 0.02  # cancelled and not rebooked
MOVED = 0.05  # cancelled and booked again later
NO_SHOW = 0.03

TABLES = {
    "appointment": Table(
        Appointment,
        {
            "id": "appointment",
            "booked_by_id": "user",
            "cancelled_by_id": "user",
            "rescheduled_from_id": "appointment",
        },
    ),
    "slot": Table(Slot, {"id": "slot", "appointment_id": "appointment"}),
}

# --- Set-up of one practice (ORM) -----------------------------------------------------------


def schedule(
    practice: Practice, staff: list[Membership], patients: int, rng: random.Random
) -> list[ScheduleBlock]:
    """A weekly template sized to the practice: GP days of 8:00-11:30 and 13:30-16:00 at
    10 minutes (every weekday someone), POH dagdelen at 30 minutes, assistant hours."""
    gps = [m for m in staff if m.role == StaffRole.HUISARTS]
    poh = [m for m in staff if m.role == StaffRole.POH]
    assistants = [m for m in staff if m.role == StaffRole.ASSISTENT][:2]
    weekly = patients / 46  # contacts come in about 46 working weeks
    gp_days = min(5 * len(gps), max(5, math.ceil(weekly * 2.7 / (36 * 0.8))))
    poh_parts = min(10, max(1, math.ceil(weekly * 0.55 / (7 * 0.8))))
    assistant_parts = min(5 * len(assistants), max(1, math.ceil(weekly * 0.45 / (9 * 0.8))))
    blocks: list[ScheduleBlock] = []

    def block(
        who: Membership, weekday: int, part: str, hours: tuple[time, time], **kw: int
    ) -> None:
        blocks.append(
            ScheduleBlock(
                practice=practice,
                practitioner=who,
                weekday=weekday,
                dagdeel=part,
                starts=hours[0],
                ends=hours[1],
                **kw,
            )
        )

    for day in range(gp_days):  # (day % 3, day % 5) differ for 15 days
        gp = gps[day % len(gps)]
        block(gp, day % 5, Dagdeel.OCHTEND, (time(8), time(11, 30)), online_per_hour=2)
        block(gp, day % 5, Dagdeel.MIDDAG, (time(13, 30), time(16)), online_per_hour=1)
    for part in range(poh_parts if poh else 0):
        hours = (time(8, 30), time(12)) if part < 5 else (time(13, 30), time(16, 30))
        part_name = Dagdeel.OCHTEND if part < 5 else Dagdeel.MIDDAG
        block(poh[0], (part * 2) % 5, part_name, hours, slot_minutes=30, online_per_hour=0)
    start = rng.randrange(5)
    for part in range(assistant_parts if assistants else 0):
        who = assistants[part // 5 % len(assistants)]
        block(who, (start + part) % 5, Dagdeel.MIDDAG, (time(14), time(15, 30)), online_per_hour=2)
    return ScheduleBlock.objects.bulk_create(blocks)


def leave(
    practice: Practice, staff: list[Membership], manager: User, today: date, rng: random.Random
) -> list[ScheduleException]:
    """Three weeks of leave a year per practitioner, never two GPs in the same week; for
    some, a week in the weeks ahead."""
    first_monday = today - timedelta(days=DAYS_BACK + today.weekday())
    weeks = list(range(1, DAYS_BACK // 7))
    rng.shuffle(weeks)
    taken: set[int] = set()
    rows = []
    for member in staff:
        own = [w for w in weeks if w not in taken][:3] if member.role == StaffRole.HUISARTS else []
        own = own or rng.sample(weeks, 3)
        if member.role == StaffRole.HUISARTS:
            taken.update(own)
        if rng.random() < 0.3:
            own.append(DAYS_BACK // 7 + rng.randint(2, DAYS_AHEAD // 7 - 1))
        for week in own:
            monday = first_monday + timedelta(weeks=week)
            rows.append(
                ScheduleException(
                    practice=practice,
                    practitioner=member,
                    starts_on=monday,
                    ends_on=monday + timedelta(days=4),
                    kind=AbsenceKind.LEAVE,
                    note="Vakantie",
                    created_by=manager,
                )
            )
    return ScheduleException.objects.bulk_create(rows)


def set_up_agenda(
    practice: Practice, members: list[Membership], patients: int, today: date, rng: random.Random
) -> tuple[dict[str, Kind], list[SlotTime]]:
    """The practice's booking rules, appointment types, weekly template and leave, as its
    manager would set them up; returns the types and the slots the template makes (a
    practitioner is their index in `members`)."""
    manager = next(m.user for m in members if m.role == StaffRole.PRAKTIJKMANAGER)
    BookingRules.objects.get_or_create(practice=practice)
    kinds = list(create_demo_types(practice).values())
    working = [m for m in members if m.role in (StaffRole.HUISARTS, StaffRole.POH)]
    working += [m for m in members if m.role == StaffRole.ASSISTENT][:2]
    blocks = schedule(practice, members, patients, rng)
    absences = leave(practice, working, manager, today, rng)
    first_day = today - timedelta(days=DAYS_BACK)
    index = {m.pk: i for i, m in enumerate(members)}
    slots: list[SlotTime] = []
    for member in working:
        wanted = desired_slots(
            practitioner=member,
            start=first_day,
            days=DAYS_BACK + DAYS_AHEAD,
            blocks=[b for b in blocks if b.practitioner_id == member.pk],
            absences=[a for a in absences if a.practitioner_id == member.pk],
        )
        slots += [
            SlotTime(index[member.pk], s.starts_at, s.ends_at, s.online)
            for s in sorted(wanted.values(), key=lambda s: s.starts_at)
        ]
    return {
        k.name: Kind(k.pk, k.name, k.duration_minutes, k.mode, k.online_bookable) for k in kinds
    }, slots


# --- The planner ----------------------------------------------------------------------------


class AgendaYear(Year):
    """The contacts the patients need, placed in the agenda."""

    def acute_table(self, age: int, sex: str) -> tuple[list[int], list[float]]:
        key = (min(age, 90) // 6, sex)
        cached = self._acute.get(key)
        if cached is None:
            choices = [
                (i, p.weight * (CHILD_WEIGHTS.get(p.code, 1.0) if age < 12 else 1.0))
                for i, p in enumerate(ACUTE)
                if p.min_age <= age <= p.max_age and (not p.sex or p.sex == sex)
            ]
            cached = self._acute[key] = ([i for i, _w in choices], [w for _i, w in choices])
        return cached

    _acute: dict[tuple[int, str], tuple[list[int], list[float]]] = {}

    def booked_share(self, role: str, day: int) -> float:
        """How much of the need on a day ahead is booked already (POH controls early)."""
        ahead = day - DAYS_BACK
        if ahead <= 0:
            return 1.0
        if role == StaffRole.POH:
            return 0.9 if ahead <= 42 else 0.3
        return max(0.04, 0.88 - 0.08 * ahead)

    def contacts(self) -> list[Contact]:
        rng = self.rng
        wanted: list[Contact] = []
        problem = 0
        weights = [w for _n, w in GP_TYPES]
        names = [n for n, _w in GP_TYPES]
        for i, patient in enumerate(self.patients):
            age = self.age(patient, self.today)
            first = max(0, (patient.enrolled - self.first_day).days)
            span = self.days - first
            if span <= 0:
                continue
            chronic = self.chronic[i]
            if age < 65:
                rate = next(
                    (f if patient.sex == "F" else m) for below, m, f in GP_RATE if age < below
                )
            else:
                rate = lookup(GP_RATE_OLD, age)
            rate += 0.35 * len(chronic)
            acute_ids, acute_weights = self.acute_table(age, patient.sex)
            for _ in range(poisson(rng, rate * span / 365)):
                day = first + rng.randrange(span)
                if chronic and rng.random() < 0.3:
                    wanted.append(
                        Contact(i, StaffRole.HUISARTS, day, "Consult", -1 - rng.choice(chronic), -1)
                    )
                    continue
                kind = rng.choices(names, weights)[0]
                if rng.random() < VIDEO_SHARE:
                    kind = "Beeldbellen"
                topic = rng.choices(acute_ids, acute_weights)[0]
                problem += 1
                wanted.append(Contact(i, StaffRole.HUISARTS, day, kind, topic, problem))
                if rng.random() < 0.25:
                    later = day + rng.randint(7, 21)
                    kind = "Telefonisch consult" if rng.random() < 0.4 else "Consult"
                    wanted.append(Contact(i, StaffRole.HUISARTS, later, kind, topic, problem, True))
            controls = min(4, sum(POH_CONTROLS.get(CHRONIC[c].code, 0) for c in chronic))
            if controls:
                gap = 365 / controls
                control_day = first + rng.uniform(0, gap)
                while control_day < self.days:
                    c = rng.choice([c for c in chronic if CHRONIC[c].code in POH_CONTROLS])
                    wanted.append(
                        Contact(i, StaffRole.POH, int(control_day), "POH-controle", -1 - c, -1)
                    )
                    control_day += gap * rng.uniform(0.85, 1.15)
            assistant = 0.3 + (0.3 if age >= 50 else 0.0)
            for _ in range(poisson(rng, assistant * span / 365)):
                visit = (
                    0 if age >= 40 and rng.random() < 0.5 else rng.randrange(len(ASSISTANT_VISITS))
                )
                day = first + rng.randrange(span)
                wanted.append(
                    Contact(i, StaffRole.ASSISTENT, day, "Assistentespreekuur", visit, -1)
                )
        kept = []
        for contact in wanted:
            if contact.day >= self.days or rng.random() >= self.booked_share(
                contact.role, contact.day
            ):
                continue
            joined = self.joined.get(contact.patient)
            bookable = self.s.kinds[contact.kind].online
            contact.online = (
                joined is not None and contact.day > joined and bookable and rng.random() < 0.45
            )
            kept.append(contact)
        rng.shuffle(kept)
        return kept

    # -- the agenda

    def place(self, contacts: list[Contact]) -> list[Visit]:
        """Each contact in a free slot of its role on its day or up to a week later."""
        rng = self.rng
        slots = self.s.slots
        key = self.tables["appointment"].index("id")
        taken = bytearray(len(slots))
        pools: dict[tuple[str, int, bool], list[int]] = {}
        for index, slot in enumerate(slots):
            day = (slot.starts_at.date() - self.first_day).days
            role = self.s.staff[slot.practitioner].role
            pools.setdefault((role, day, False), []).append(index)
            if slot.online:
                pools.setdefault((role, day, True), []).append(index)
        busy: set[tuple[int, int]] = set()
        visits: list[Visit] = []
        online_ahead: Counter[int] = Counter()

        def free(pool: list[int]) -> int | None:
            while pool:
                pick = rng.randrange(len(pool))
                index = pool[pick]
                pool[pick] = pool[-1]
                pool.pop()
                if not taken[index]:
                    return index
            return None

        for contact in contacts:
            found = None
            for day in range(contact.day, min(contact.day + 7, self.days)):
                if (contact.patient, day) in busy:
                    continue
                if contact.online and day > DAYS_BACK and online_ahead[contact.patient] >= 2:
                    contact.online = False  # the practice's limit of open online bookings
                if contact.online:
                    found = free(pools.get((contact.role, day, True), []))
                    if found is None:
                        contact.online = False
                if found is None:
                    found = free(pools.get((contact.role, day, False), []))
                if found is not None:
                    contact.day = day
                    break
            if found is None:
                continue  # the agenda was full that week: the need went elsewhere
            slot = slots[found]
            indexes = [found]
            if contact.kind == "Dubbel consult":
                after = found + 1
                if (
                    after < len(slots)
                    and not taken[after]
                    and slots[after].practitioner == slot.practitioner
                    and slots[after].starts_at == slot.ends_at
                ):
                    indexes.append(after)
                else:
                    contact.kind = "Consult"
            visit = self.appointment(contact, [slots[i] for i in indexes])
            if visit.status == AppointmentStatus.CANCELLED:
                continue  # cancelled and not rebooked: the slot stayed free
            for index in indexes:
                taken[index] = 1
                self.new(
                    "slot",
                    public_id=self.uid(),
                    practice_id=self.s.practice_id,
                    practitioner_id=self.s.staff[slots[index].practitioner].membership_id,
                    starts_at=slots[index].starts_at,
                    ends_at=slots[index].ends_at,
                    online=slots[index].online,
                    appointment_id=visit.row[key],
                )
            busy.add((contact.patient, contact.day))
            if contact.online and contact.day > DAYS_BACK:
                online_ahead[contact.patient] += 1
            visits.append(visit)
        for index, slot in enumerate(slots):
            if not taken[index]:
                self.new(
                    "slot",
                    public_id=self.uid(),
                    practice_id=self.s.practice_id,
                    practitioner_id=self.s.staff[slot.practitioner].membership_id,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    online=slot.online,
                )
        self.waiting_room(visits)
        return visits

    def booking(self, contact: Contact, starts: datetime) -> tuple[datetime, int, int, str]:
        """When and by whom it was booked: (booked at, by, lead time minutes, channel)."""
        rng = self.rng
        if contact.role == StaffRole.POH:
            hours = rng.randint(14, 100) * 24
        elif contact.online:
            hours = rng.choice((3, 20, 26, 50, 75, 120, 170, 300))
        else:
            hours = rng.choice((1, 2, 3, 20, 26, 50, 75, 120, 170))
        booked = min(starts - timedelta(hours=hours, minutes=rng.randint(0, 50)), self.now)
        lead = int(hours * 60 * rng.uniform(0.3, 0.9))
        if contact.online:
            return booked, self.user_ref(contact.patient), lead, BookingChannel.ONLINE
        channel = BookingChannel.DESK if rng.random() < 0.15 else BookingChannel.PHONE
        return booked, rng.choice(self.assistants), lead, channel

    def appointment(self, contact: Contact, parts: list[SlotTime]) -> Visit:
        rng = self.rng
        patient = self.patients[contact.patient]
        kind = self.s.kinds[contact.kind]
        starts = parts[0].starts_at
        ends = starts + timedelta(minutes=kind.minutes)
        booked_at, booked_by, lead, channel = self.booking(contact, starts)
        status = AppointmentStatus.BOOKED
        in_person = kind.mode == AppointmentMode.IN_PERSON
        arrived = called = cancelled_at = cancelled_by = None
        roll = rng.random()
        if roll < CANCELLED_ONLY:
            status = AppointmentStatus.CANCELLED
            cancelled_at = booked_at + (min(starts, self.now) - booked_at) * rng.uniform(0.1, 0.9)
            cancelled_by = booked_by
        elif ends <= self.now:
            status = (
                AppointmentStatus.NO_SHOW
                if roll < NO_SHOW + CANCELLED_ONLY
                else AppointmentStatus.COMPLETED
            )
            if status == AppointmentStatus.COMPLETED and in_person:
                arrived = starts - timedelta(minutes=rng.randint(2, 15))
                called = starts + timedelta(minutes=rng.randint(0, 8))
        elif starts <= self.now and in_person:
            status = AppointmentStatus.ARRIVED
            arrived = min(starts - timedelta(minutes=rng.randint(2, 15)), self.now)
        reason = ""
        if contact.role == StaffRole.ASSISTENT:
            reason = ASSISTANT_VISITS[contact.topic][0]
        elif contact.topic >= 0:
            reason = ACUTE[contact.topic].reason
        elif contact.topic < 0:
            reason = CHRONIC_GP[0][0] if contact.role == StaffRole.HUISARTS else "Controle"
        if not contact.online and rng.random() < 0.6:
            reason = ""  # by phone the assistant often notes nothing
        moved = None
        if status != AppointmentStatus.CANCELLED and rng.random() < MOVED:
            moved = self.moved(contact, booked_at, kind)
            if moved is not None:
                booked_at, booked_by = moved[1], moved[2]
        # A reminder goes out at 09:00 the day before, to what is booked by then.
        day_before = datetime.combine(
            timezone.localtime(starts, TZ).date() - timedelta(days=1), time(9), tzinfo=TZ
        )
        reminded = None
        if booked_at < day_before <= self.now and (
            cancelled_at is None or cancelled_at > day_before
        ):
            reminded = day_before + timedelta(minutes=rng.randint(0, 20))
        person = self.practitioner_for(contact, parts[0])
        ref = self.new(
            "appointment",
            public_id=self.uid(),
            practice_id=self.s.practice_id,
            patient_id=patient.id,
            practitioner_id=self.s.staff[person].membership_id,
            appointment_type_id=kind.id,
            starts_at=starts,
            ends_at=ends,
            status=status,
            channel=channel,
            reason=reason,
            triage_answers={"asked": self.s.triage if contact.online else []},
            booked_by_id=booked_by,
            booked_at=booked_at,
            lead_time_minutes=lead,
            rescheduled_from_id=moved[0] if moved else None,
            cancelled_at=cancelled_at,
            cancelled_by_id=cancelled_by,
            checkin_code="",  # made from the key when written
            arrived_at=arrived,
            called_at=called,
            reminder_sent_at=reminded,
        )
        if contact.online:
            self.seen(contact.patient, booked_at)
        return Visit(contact, self.rows["appointment"][-ref - 1], person, status)

    def practitioner_for(self, contact: Contact, slot: SlotTime) -> int:
        return slot.practitioner

    def moved(
        self, contact: Contact, booked_at: datetime, kind: Kind
    ) -> tuple[int, datetime, int] | None:
        """An earlier appointment for the same need, cancelled when this one was booked
        (the patient moved it): (its ref, when it was moved, by whom)."""
        rng = self.rng
        day = contact.day - rng.randint(1, 10)
        candidates = [
            s for s in self.day_slots(contact.role, day) if not contact.online or s.online
        ]
        if not candidates:
            return None
        slot = rng.choice(candidates)
        starts = slot.starts_at
        earlier, by, lead, channel = self.booking(contact, starts)
        if earlier >= booked_at:
            return None
        moved_at = earlier + (min(starts, self.now, booked_at) - earlier) * rng.uniform(0.2, 0.9)
        if moved_at > self.now:
            return None
        ref = self.new(
            "appointment",
            public_id=self.uid(),
            practice_id=self.s.practice_id,
            patient_id=self.patients[contact.patient].id,
            practitioner_id=self.s.staff[slot.practitioner].membership_id,
            appointment_type_id=kind.id,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=kind.minutes),
            status=AppointmentStatus.CANCELLED,
            channel=channel,
            reason="",
            triage_answers={"asked": self.s.triage if contact.online else []},
            booked_by_id=by,
            booked_at=earlier,
            lead_time_minutes=lead,
            cancelled_at=moved_at,
            cancelled_by_id=by,
            checkin_code="",
        )
        return ref, moved_at, by

    def day_slots(self, role: str, day: int) -> list[SlotTime]:
        if not hasattr(self, "_day_slots"):
            self._day_slots: dict[tuple[str, int], list[SlotTime]] = {}
            for slot in self.s.slots:
                key = (
                    self.s.staff[slot.practitioner].role,
                    (slot.starts_at.date() - self.first_day).days,
                )
                self._day_slots.setdefault(key, []).append(slot)
        return self._day_slots.get((role, day), [])

    def waiting_room(self, visits: list[Visit]) -> None:
        """Waiting-room numbers per day, in the order patients arrived."""
        appointments = self.tables["appointment"]
        arrived_at, number = appointments.index("arrived_at"), appointments.index("queue_number")
        by_day: dict[int, list[list[Any]]] = {}
        for visit in visits:
            if visit.row[arrived_at] is not None:
                by_day.setdefault(visit.contact.day, []).append(visit.row)
        for day, rows in by_day.items():
            rows.sort(key=lambda row: row[arrived_at])
            for n, row in enumerate(rows, start=1):
                row[number] = n % 999 or 999
            if day == DAYS_BACK:
                self.plan.queue_today = len(rows)


# --- Writing ---------------------------------------------------------------------------------


class CheckinCodes:
    """Kiosk check-in codes as the model makes them (CHECKIN_CODE_LENGTH characters of
    CHECKIN_ALPHABET from the system's random source), unique in the database and in the
    run: 50 bits each, so among millions a repeat is rare but possible."""

    def __init__(self) -> None:
        self.used = set(Appointment.objects.values_list("checkin_code", flat=True))

    def new(self) -> str:
        alphabet, length = CHECKIN_ALPHABET, CHECKIN_CODE_LENGTH
        bits = 5 * length  # the alphabet has 32 characters
        while True:
            number = int.from_bytes(os.urandom(7)) >> (56 - bits)
            code = "".join(alphabet[(number >> (5 * i)) & 31] for i in range(length))
            if code not in self.used:
                self.used.add(code)
                return code
