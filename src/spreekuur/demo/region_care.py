"""A year of care for the region practices of a benchmark database, written in bulk:
the agenda (slots and appointments for the past year and the weeks ahead), the record
(episodes, a journal line in SOEP form for every consult that took place, chronic and
short-course medication, measurements, allergies), repeat prescriptions with their
pharmacy messages, and e-consults with their answers and declarations.

How the year is made, per practice (a seed per practice, so the same practice always gets
the same year):

- The agenda's set-up goes in through the ORM, as a practice manager would make it:
  appointment types (those of De Linde), a weekly template sized to the practice (five
  GP days of 36 ten-minute slots for 2,500 patients; POH and assistant hours to match),
  three weeks of leave per practitioner, booking rules, two pharmacies, the e-consult
  codes. The slots are the ones the template makes (`desired_slots`, the same function
  the daily slot task uses), from a year back to the task's horizon ahead.
- Every patient gets their contacts: about 3.5 a year (the Dutch GP average: GP consults
  by age and sex, POH controls for the chronic conditions, the assistant's hours), the
  acute problems drawn from a vocabulary by age and sex, some with a follow-up. Each is
  placed in a free slot of the right practitioner on its day or a few days later: never
  two active appointments in one slot or one practitioner's time. Past ones are mostly
  afgerond, some niet verschenen; some were cancelled and rebooked (moved) or cancelled
  only, and a cancelled appointment holds no slot. Online bookings only by patients with
  a portal account, in released slots, with the red-flag questions answered. The weeks
  ahead fill as a real agenda does: the next days nearly full, later mostly open.
- The patients who use the portal (about a third of the adults) get an account: the demo
  password and authenticator secret, as the region's staff have.
- Every consult that took place has its journal line (S, O, E, P) by the practitioner
  who saw the patient, under the episode it belongs to; chronic patients have their
  episodes and medication from before the year, the repeatable medicines on their repeat
  list.
- Repeat prescriptions: every chronic medicine about every 90 days, by portal, phone or
  desk; nearly all approved, sent to the pharmacy and ready, a few refused with a reason,
  the newest still open. An approved item has its pharmacy message (the FHIR
  MedicationRequest the approval writes), already delivered: nothing waits in the outbox.
- E-consults: about three per hundred patients a month, by portal users; answered within
  the two working days (a few late), mostly closed, the newest still open; declared.

These are a picture of a past year, like demo/region_results.py: no audit entries. De
Linde gets its care through the real services instead (demo/agenda.py, dossier.py, ...).
PostgreSQL gets the rows through COPY in one transaction, loaded as pg_restore loads
(demo/bulk.py); other databases (the tests' SQLite) through plain INSERTs. Deterministic
(a seed per practice) except the keys, public ids and check-in codes; idempotent: a
region practice that has appointment types already is skipped. Nothing but the current
practice is held in memory.
"""

from __future__ import annotations

import math
import os
import random
import secrets
import time as clock
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda.models import (
    CHECKIN_ALPHABET,
    CHECKIN_CODE_LENGTH,
    AbsenceKind,
    Appointment,
    AppointmentMode,
    AppointmentStatus,
    AppointmentType,
    BookingChannel,
    BookingRules,
    Dagdeel,
    QueueCounter,
    ScheduleBlock,
    ScheduleException,
    Slot,
)
from spreekuur.agenda.selectors import red_flags_for
from spreekuur.agenda.services.schedule import SLOT_GENERATION_DAYS, desired_slots
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.core.working_days import working_day_deadline
from spreekuur.demo.agenda import REASONS as BOOKING_REASONS
from spreekuur.demo.agenda import create_demo_types
from spreekuur.demo.bulk import analyse, bulk_load, reserve_ids, write_rows
from spreekuur.demo.dossier import CONDITIONS, OBJECTIVE, SUBJECTIVE, Condition
from spreekuur.demo.econsult import QUESTIONS
from spreekuur.demo.generator import DEMO_PASSWORD, DEMO_TOTP_HEX
from spreekuur.demo.prescriptions import REASONS as REJECTIONS
from spreekuur.demo.prescriptions import _quantity
from spreekuur.dossier.models import (
    Allergy,
    AllergyKind,
    ContactKind,
    Episode,
    JournalEntry,
    Measurement,
    Medication,
)
from spreekuur.econsult.forms import ANSWER_TEMPLATES
from spreekuur.econsult.models import (
    ConsultCode,
    Declaration,
    Message,
    Thread,
    ThreadStatus,
)
from spreekuur.patients.models import Patient
from spreekuur.prescriptions.fhir import AGB_SYSTEM, BSN_SYSTEM, GENDER
from spreekuur.prescriptions.models import (
    Channel,
    DeliveryStatus,
    ItemStatus,
    OutboxMessage,
    Pharmacy,
    PharmacyChoice,
    RepeatRequest,
    RepeatRequestItem,
    RepeatSettings,
    Route,
    Transport,
)
from spreekuur.results.models import LabTest

REGION_PREFIX = "regio-"
DAYS_BACK = 365  # a year of care
DAYS_AHEAD = SLOT_GENERATION_DAYS  # slots as far ahead as the daily task makes them
TZ = ZoneInfo(settings.TIME_ZONE)

# --- Vocabularies (De Linde's where it has them) --------------------------------------------


@dataclass(frozen=True)
class Problem:
    """An acute problem a patient comes to the GP with, and how the consult is written."""

    code: str
    title: str
    min_age: int
    max_age: int
    weight: float
    reason: str  # in the patient's words, when booked online
    subjective: str
    objective: str
    evaluation: str
    plan: str
    sex: str = ""
    medication: tuple[str, str, int] | None = None  # name, dosage, days


def _from_condition(condition: Condition, weight: float, reason: str) -> Problem:
    medication = None
    if condition.medication is not None:
        name, dosage = condition.medication
        medication = (name, dosage, 28)
    return Problem(
        condition.code,
        condition.title,
        condition.min_age,
        condition.max_age,
        weight,
        reason,
        SUBJECTIVE[0],
        OBJECTIVE[0],
        condition.evaluation,
        condition.plan,
        condition.sex,
        medication,
    )


_DEMO = {condition.code: condition for condition in CONDITIONS}
ACUTE = [
    _from_condition(_DEMO["R74"], 10, "Verkouden en keelpijn"),
    _from_condition(_DEMO["H71"], 5, "Oorpijn"),
    _from_condition(_DEMO["L03"], 8, BOOKING_REASONS[0]),
    _from_condition(_DEMO["D84"], 3, "Last van zuurbranden"),
    Problem(
        "U71",
        "Blaasontsteking",
        16,
        120,
        5,
        BOOKING_REASONS[9],
        "Branderig gevoel bij het plassen sinds twee dagen.",
        "Urine: nitriet positief.",
        _DEMO["U71"].evaluation,
        _DEMO["U71"].plan,
        "F",
        ("Nitrofurantoïne 100 mg", "2 keer per dag 1 capsule", 5),
    ),
    Problem(
        "R05",
        "Hoesten",
        0,
        120,
        6,
        BOOKING_REASONS[2],
        "Hoest al drie weken, geen koorts.",
        "Longen: vesiculair ademgeruis, geen bijgeluiden.",
        "Hoesten, waarschijnlijk na een virale infectie.",
        "Uitleg over beloop; terugkomen bij koorts of benauwdheid.",
    ),
    Problem(
        "S06",
        "Huiduitslag",
        0,
        120,
        5,
        BOOKING_REASONS[1],
        "Jeukende uitslag op de arm sinds een week.",
        "Rode schilferende plekken op de onderarm.",
        "Contacteczeem.",
        "Hormoonzalf klasse 1 gedurende een week.",
        medication=("Hydrocortisoncrème 1%", "2 keer per dag dun aanbrengen", 14),
    ),
    Problem(
        "L15",
        "Knieklachten",
        10,
        120,
        4,
        BOOKING_REASONS[6],
        "Knie verdraaid bij het voetballen.",
        "Lichte zwelling, stabiele knie.",
        "Distorsie knie, geen aanwijzingen voor meniscusletsel.",
        "Rust, daarna opbouwen; fysiotherapie bij aanhouden.",
    ),
    Problem(
        "A04",
        "Moeheid",
        18,
        120,
        3,
        BOOKING_REASONS[5],
        "Al weken moe en weinig energie.",
        OBJECTIVE[3],
        "Moeheid zonder duidelijke oorzaak.",
        "Laboratoriumonderzoek aangevraagd; terugkomen voor de uitslag.",
    ),
    Problem(
        "P06",
        "Slaapproblemen",
        18,
        120,
        2,
        BOOKING_REASONS[10],
        "Slaapt slecht sinds enkele maanden, piekert veel.",
        OBJECTIVE[0],
        "Slapeloosheid.",
        "Slaapadviezen meegegeven, geen medicatie.",
    ),
    Problem(
        "S82",
        "Moedervlek",
        18,
        120,
        3,
        BOOKING_REASONS[8],
        "Wil een moedervlek op de rug laten bekijken.",
        "Regelmatige pigmentvlek van 4 mm.",
        "Goedaardige moedervlek.",
        "Geen behandeling nodig; terugkomen bij verandering.",
    ),
    Problem(
        "N01",
        "Hoofdpijn",
        12,
        120,
        3,
        "Hoofdpijn",
        "Drukkende hoofdpijn aan het eind van de dag.",
        "Neurologisch onderzoek zonder afwijkingen.",
        "Spanningshoofdpijn.",
        "Paracetamol zo nodig, ontspanningsadviezen.",
    ),
    Problem(
        "F70",
        "Rood oog",
        0,
        120,
        2,
        "Rood oog",
        "Rood en plakkerig oog sinds gisteren.",
        "Conjunctivale roodheid, visus goed.",
        "Bacteriële conjunctivitis.",
        "Oog schoonhouden; terugkomen bij pijn of minder zien.",
    ),
    Problem(
        "L92",
        "Schouderklachten",
        30,
        120,
        3,
        "Pijnlijke schouder bij het optillen van de arm",
        "Pijn in de schouder bij het optillen van de arm.",
        "Pijnlijke boog tussen 60 en 120 graden.",
        "Subacromiale pijn.",
        "Uitleg, pijnstilling; fysiotherapie bij aanhouden na 6 weken.",
    ),
    Problem(
        "D11",
        "Diarree",
        0,
        120,
        3,
        "Diarree sinds drie dagen",
        "Waterdunne ontlasting sinds drie dagen, geen bloed.",
        "Buik soepel, geen drukpijn.",
        "Acute gastro-enteritis.",
        "Voldoende drinken; terugkomen bij bloed bij de ontlasting.",
    ),
]
CHILD_WEIGHTS = {"R74": 3.0, "H71": 3.0, "D11": 2.0, "S06": 1.5}  # more often under 12
FOLLOW_UP = (
    "Komt terug voor controle; klachten zijn afgenomen.",
    "Bij onderzoek verbeterd.",
    "Beleid voortzetten, terugkomen zo nodig.",
)
CHRONIC = [condition for condition in CONDITIONS if condition.chronic]
# POH controls a year per chronic condition (NHG standards: diabetes every quarter, ...).
POH_CONTROLS = {"T90": 4, "K86": 2, "T93": 1, "R95": 2, "R96": 1, "K78": 1, "P76": 3}
WITH_BLOOD_PRESSURE = {"T90", "K86", "T93", "K78"}
EXTRA_MEDICATION = {"R96": ("Beclometason inhalator 100 microgram", "2 keer per dag 1 pufje")}
CHRONIC_GP = (
    ("Controle bloeddruk", "Komt voor controle, gaat redelijk.", "Medicatie ongewijzigd."),
    ("Vraag over medicatie", "Vraagt om uitleg over de behandeling.", "Uitleg gegeven."),
)
POH_LINE = (
    "Komt voor de periodieke controle; gaat goed.",
    "Controle over 3 maanden bij de POH.",
)
POH_GGZ_LINE = (
    "Gesprek over stemming en slaap.",
    "Stemming iets beter, slaapt beter.",
    "Depressieve klachten, verbeterend.",
    "Vervolggesprek over 4 weken.",
)
# What the assistant does in her own hours: (reason, S, O, E, P); the first measures.
ASSISTANT_VISITS = [
    (
        "Controle bloeddruk",
        "Komt voor bloeddrukmeting.",
        "RR {systolic}/{diastolic}.",
        "Bloeddrukcontrole.",
        "Uitslag besproken met de huisarts.",
    ),
    (
        BOOKING_REASONS[11],
        "Hechtingen na een wond aan de hand.",
        "Wond rustig en gesloten.",
        "Hechtingen verwijderd.",
        "Geen vervolg nodig.",
    ),
    (
        "Oren uitspuiten",
        "Hoort minder door oorsmeer.",
        "Cerumen beiderzijds.",
        "Oren uitgespoten.",
        "Geen vervolg nodig.",
    ),
    (
        "Wondcontrole",
        "Controle van de wond.",
        "Wond schoon, geen tekenen van infectie.",
        "Wondcontrole, goede genezing.",
        "Verband verwisseld, controle over een week.",
    ),
    (
        "Vitamine B12-injectie",
        "Komt voor de injectie.",
        "Injectie gegeven in de bovenarm.",
        "Vitamine B12 toegediend.",
        "Volgende injectie over 2 maanden.",
    ),
]
MORE_QUESTIONS = [
    ("medicijnen", "Kan ik mijn herhaalrecept voor langer dan drie maanden krijgen?"),
    ("uitslag", "Is mijn bloeduitslag al binnen? Moet ik iets doen?"),
    ("klacht", "Mijn dochter heeft al vier dagen koorts. Moet ze gezien worden?"),
    ("verwijzing", "Ik heb een verklaring nodig voor mijn sportschool."),
]
FOLLOW_UP_QUESTION = "Dank u. En als het na een week nog niet over is?"
FOLLOW_UP_ANSWER = "Dan graag een afspraak maken op het spreekuur."
INTERNAL_NOTES = (
    "Graag even naar kijken voor het spreekuur.",
    "Patiënt belde ook al; terugbelverzoek staat.",
)
ECONSULT_EVALUATION = "Vraag via e-consult beantwoord."
# Share of patients with a portal account, by age (none under 16: their parents act).
PORTAL_SHARE = ((16, 0.0), (30, 0.38), (50, 0.45), (65, 0.40), (75, 0.30), (85, 0.16), (200, 0.05))
# GP contacts a year by age (women more between 12 and 65), before chronic conditions.
GP_RATE = ((5, 2.8, 2.8), (12, 1.1, 1.1), (18, 1.3, 1.5), (45, 1.3, 2.3), (65, 1.9, 2.5))
GP_RATE_OLD = ((75, 2.9), (85, 3.8), (200, 4.8))
ECONSULTS_PER_PORTAL_USER = 1.1  # a year: about 3 per 100 patients a month
# Contacts that get a GP appointment type: (name, weight for an acute first contact).
GP_TYPES = (("Consult", 0.68), ("Telefonisch consult", 0.22), ("Dubbel consult", 0.07))
VIDEO_SHARE = 0.03
CANCELLED_ONLY = 0.02  # cancelled and not rebooked
MOVED = 0.05  # cancelled and booked again later
NO_SHOW = 0.03
PAST_REJECTED = 0.06


def _lookup(table: Sequence[tuple[int, float]], age: int) -> float:
    return next(value for below, value in table if age < below)


# --- The tables and their columns -----------------------------------------------------------


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    columns: tuple[str, ...]
    # Columns that may hold a row made in this run (a negative number, -1 the first row
    # of that table): the table it points at.
    refs: dict[str, str] = field(default_factory=dict)

    def row(self, **values: Any) -> list[Any]:
        return [values[column] for column in self.columns]


CLINICAL = (
    "id",
    "public_id",
    "practice_id",
    "patient_id",
    "created_by_id",
    "created_at",
    "shielded",
    "shielded_by_id",
)
# In the order they are written (a row's references before it, where a constraint stays).
TABLES: dict[str, Table] = {
    "user": Table(
        User,
        (
            "id",
            "password",
            "last_login",
            "is_superuser",
            "public_id",
            "email",
            "full_name",
            "is_active",
            "date_joined",
            "email_confirmed_at",
            "security_stamp",
        ),
        {"id": "user"},
    ),
    "totp": Table(
        TOTPDevice,
        tuple(f.column for f in TOTPDevice._meta.concrete_fields),
        {"id": "totp", "user_id": "user"},
    ),
    "appointment": Table(
        Appointment,
        (
            "id",
            "public_id",
            "practice_id",
            "patient_id",
            "practitioner_id",
            "appointment_type_id",
            "starts_at",
            "ends_at",
            "status",
            "channel",
            "reason",
            "triage_answers",
            "booked_by_id",
            "booked_at",
            "lead_time_minutes",
            "rescheduled_from_id",
            "cancelled_at",
            "cancelled_by_id",
            "checkin_code",
            "arrived_at",
            "queue_number",
            "called_at",
            "reminder_sent_at",
        ),
        {
            "id": "appointment",
            "booked_by_id": "user",
            "cancelled_by_id": "user",
            "rescheduled_from_id": "appointment",
        },
    ),
    "slot": Table(
        Slot,
        (
            "id",
            "public_id",
            "practice_id",
            "practitioner_id",
            "starts_at",
            "ends_at",
            "online",
            "appointment_id",
        ),
        {"id": "slot", "appointment_id": "appointment"},
    ),
    "episode": Table(
        Episode,
        (*CLINICAL, "icpc_code", "title", "started_on", "ended_on"),
        {"id": "episode"},
    ),
    "journal": Table(
        JournalEntry,
        (
            *CLINICAL,
            "episode_id",
            "contact_on",
            "kind",
            "subjective",
            "objective",
            "evaluation",
            "plan",
            "replaces_id",
        ),
        {"id": "journal", "episode_id": "episode"},
    ),
    "medication": Table(
        Medication,
        (
            *CLINICAL,
            "name",
            "dosage",
            "started_on",
            "ended_on",
            "prescriber_id",
            "chronic",
            "repeatable",
            "quantity",
            "control_due_on",
        ),
        {"id": "medication"},
    ),
    "measurement": Table(
        Measurement, (*CLINICAL, "test_id", "value", "measured_on"), {"id": "measurement"}
    ),
    "allergy": Table(
        Allergy, (*CLINICAL, "substance", "kind", "reaction", "recorded_on"), {"id": "allergy"}
    ),
    "pharmacy_choice": Table(
        PharmacyChoice, ("id", "patient_id", "pharmacy_id"), {"id": "pharmacy_choice"}
    ),
    "request": Table(
        RepeatRequest,
        (
            "id",
            "public_id",
            "practice_id",
            "patient_id",
            "requested_by_id",
            "channel",
            "pharmacy_id",
            "note",
            "route",
            "created_at",
        ),
        {"id": "request", "requested_by_id": "user"},
    ),
    "item": Table(
        RepeatRequestItem,
        (
            "id",
            "public_id",
            "practice_id",
            "request_id",
            "medication_id",
            "status",
            "reason",
            "explanation",
            "forwarded_by_id",
            "decided_by_id",
            "decided_at",
            "sent_at",
            "ready_at",
            "updated_at",
        ),
        {"id": "item", "request_id": "request", "medication_id": "medication"},
    ),
    "outbox": Table(
        OutboxMessage,
        (
            "id",
            "public_id",
            "practice_id",
            "item_id",
            "pharmacy_id",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "delivered_at",
            "created_at",
        ),
        {"id": "outbox", "item_id": "item"},
    ),
    "thread": Table(
        Thread,
        (
            "id",
            "public_id",
            "practice_id",
            "patient_id",
            "asked_by_id",
            "category",
            "status",
            "assignee_id",
            "triage",
            "created_at",
            "due_at",
            "answered_at",
            "last_answer_at",
            "patient_read_at",
            "reminder_sent_at",
            "closed_at",
        ),
        {"id": "thread", "asked_by_id": "user"},
    ),
    "message": Table(
        Message,
        (
            "id",
            "public_id",
            "practice_id",
            "thread_id",
            "author_id",
            "from_patient",
            "internal",
            "body",
            "created_at",
        ),
        {"id": "message", "thread_id": "thread", "author_id": "user"},
    ),
    "declaration": Table(
        Declaration,
        ("id", "thread_id", "practice_id", "code", "tariff", "declared_on", "answered_by_id"),
        {"id": "declaration", "thread_id": "thread"},
    ),
}
# Loaded as pg_restore loads; the accounts tables keep their constraints (the rest of
# the application uses them meanwhile) and get few rows.
BULK_TABLES = [name for name in TABLES if name not in ("user", "totp")]


@dataclass(frozen=True)
class Care:
    practices: int
    appointments: int
    journal_entries: int
    repeat_requests: int
    econsults: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)  # per table
    rows_seconds: float = 0.0  # making and copying the rows
    index_seconds: float = 0.0  # indexes, constraints and foreign keys again, and ANALYZE


# --- What the planner gets from the practice's set-up ---------------------------------------


@dataclass(frozen=True)
class Person:
    membership_id: int
    user_id: int
    role: str
    name: str
    agb: str


@dataclass(frozen=True)
class Kind:
    id: int
    name: str
    minutes: int
    mode: str
    online: bool


@dataclass(frozen=True)
class SlotTime:
    practitioner: int  # index in Setting.staff
    starts_at: datetime
    ends_at: datetime
    online: bool


@dataclass(frozen=True)
class PatientInfo:
    id: int
    bsn: str
    born: date
    sex: str
    given: str
    prefix: str
    family: str
    gp: int  # user id of their own GP
    enrolled: date


@dataclass(frozen=True)
class Setting:
    """The practice as the planner needs it: no database access after this."""

    practice_id: int
    slug: str
    route: str
    pharmacies: list[tuple[int, str]]  # id, transport; the linked one first
    kinds: dict[str, Kind]
    staff: list[Person]
    slots: list[SlotTime]  # by practitioner, then time
    codes: dict[int, tuple[str, str]]  # year: e-consult code and tariff
    triage: list[dict[str, Any]]  # the red-flag questions, answered "no"
    tests: dict[str, int]  # NHG code: lab test id (blood pressure, weight)
    password: str
    totp_key: str


# --- Set-up of one practice (ORM) -----------------------------------------------------------


def _schedule(
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


def _leave(
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


def _set_up(practice: Practice, patients: int, today: date, password: str) -> Setting:
    """The practice's agenda, pharmacies and e-consult codes, as its staff would set them
    up; returns what the planner needs."""
    rng = random.Random(f"region-care-setup-{practice.slug}")
    members = list(
        Membership.objects.filter(practice=practice, active=True)
        .select_related("user", "practice")
        .order_by("user__email")
    )
    manager = next(m.user for m in members if m.role == StaffRole.PRAKTIJKMANAGER)
    BookingRules.objects.get_or_create(practice=practice)
    kinds = list(create_demo_types(practice).values())
    working = [m for m in members if m.role in (StaffRole.HUISARTS, StaffRole.POH)]
    working += [m for m in members if m.role == StaffRole.ASSISTENT][:2]
    blocks = _schedule(practice, members, patients, rng)
    absences = _leave(practice, working, manager, today, rng)
    first_day = today - timedelta(days=DAYS_BACK)
    staff = [Person(m.pk, m.user_id, m.role, m.user.full_name, m.agb_code) for m in members]
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
    route = Route.STRAIGHT_TO_GP if rng.random() < 0.25 else Route.ASSISTANT_FIRST
    RepeatSettings.objects.update_or_create(practice=practice, defaults={"route": route})
    number = practice.slug.removeprefix(REGION_PREFIX)
    linked = Pharmacy.objects.create(
        practice=practice,
        name=f"Apotheek {practice.city}",
        city=practice.city,
        agb_code=f"06{int(number or 0):06d}",
        transport=Transport.HTTP,
        endpoint=f"https://apotheek-{practice.slug}.example/fhir/MedicationRequest",
        token_hash=Pharmacy.hash_token(Pharmacy.new_token()),
    )
    printed = Pharmacy.objects.create(
        practice=practice, name=f"Apotheek Centrum {practice.city}", transport=Transport.PRINT
    )
    codes = {}
    for year, tariff in ((today.year - 1, "9.19"), (today.year, "9.51")):
        # Demo values: a practice copies code and tariff from the NZa list for the year.
        code, _created = ConsultCode.objects.get_or_create(
            practice=practice,
            year=year,
            defaults={"code": "12007", "description": "E-consult (demowaarde)", "tariff": tariff},
        )
        codes[year] = (code.code, str(code.tariff))
    return Setting(
        practice_id=practice.pk,
        slug=practice.slug,
        route=route,
        pharmacies=[(linked.pk, Transport.HTTP), (printed.pk, Transport.PRINT)],
        kinds={
            k.name: Kind(k.pk, k.name, k.duration_minutes, k.mode, k.online_bookable) for k in kinds
        },
        staff=staff,
        slots=slots,
        codes=codes,
        triage=[
            {"code": flag.code, "question": flag.question, "answer": False}
            for flag in red_flags_for(practice)
        ],
        tests=dict(
            LabTest.objects.filter(nhg_code__in=["1744", "1740", "357"]).values_list(
                "nhg_code", "id"
            )
        ),
        password=password,
        totp_key=DEMO_TOTP_HEX,
    )


def _patients(practice: Practice) -> list[PatientInfo]:
    return [
        PatientInfo(*row)
        for row in Patient.objects.filter(practice=practice)
        .order_by("id")
        .values_list(
            "id",
            "bsn",
            "date_of_birth",
            "sex",
            "given_name",
            "name_prefix",
            "family_name",
            "gp_id",
            "enrolled_on",
        )
    ]


# --- The planner: one practice's year as rows (no database) ---------------------------------


def random_public_ids(seed: object = None) -> Callable[[], str]:
    """Version-4 UUIDs as hex, faster than uuid4(); from a seed for tests."""
    rng = random.Random(secrets.randbits(128) if seed is None else f"public-ids-{seed}")
    bits = rng.getrandbits
    clear = ~((0xF << 76) | (0x3 << 62))
    version = (0x4 << 76) | (0x2 << 62)

    def public_id() -> str:
        return f"{(bits(128) & clear) | version:032x}"

    return public_id


@dataclass
class Contact:
    """A contact the patient needs: with whom, on which day (index from the first day)."""

    patient: int  # index in the practice's patient list
    role: str
    day: int
    kind: str  # appointment type name
    topic: int  # acute: index in ACUTE; chronic: -1 - index in CHRONIC; assistant: visit
    problem: int  # the occurrence of the problem (episode key); -1 for none
    follow_up: bool = False
    online: bool = False


@dataclass
class Visit:
    """A contact placed in the agenda: the appointment row and what the journal needs."""

    contact: Contact
    row: list[Any]
    practitioner: int  # index in Setting.staff
    status: str


@dataclass
class Plan:
    rows: dict[str, list[list[Any]]] = field(default_factory=lambda: {t: [] for t in TABLES})
    portal_users: list[tuple[int, int]] = field(default_factory=list)  # patient id, user ref
    queue_today: int = 0


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class PracticeYear:
    """Plans one practice's year; `plan()` returns its rows, with new keys as negative
    numbers (-1 the first row of a table) that the writer replaces."""

    def __init__(
        self,
        setting: Setting,
        patients: list[PatientInfo],
        *,
        today: date,
        now: datetime,
        public_id: Callable[[], str],
    ) -> None:
        self.s = setting
        self.patients = patients
        self.today = today
        self.now = now
        self.first_day = today - timedelta(days=DAYS_BACK)
        self.days = DAYS_BACK + DAYS_AHEAD
        self.uid = public_id
        self.rng = random.Random(f"region-care-{setting.slug}")
        self.plan = Plan()
        self.rows = self.plan.rows
        self.by_role: dict[str, list[int]] = {}
        for i, person in enumerate(setting.staff):
            self.by_role.setdefault(person.role, []).append(i)
        self.gp_of_user = {p.user_id: i for i, p in enumerate(setting.staff)}
        self.assistants = [setting.staff[i].user_id for i in self.by_role[StaffRole.ASSISTENT]]
        self.gps = [setting.staff[i].user_id for i in self.by_role[StaffRole.HUISARTS]]
        poh = self.by_role.get(StaffRole.POH, [])
        self.poh = setting.staff[poh[0]].user_id if poh else self.gps[0]
        # Per patient: user ref, the day they joined the portal, chronic conditions.
        self.user: dict[int, int] = {}
        self.joined: dict[int, int] = {}
        self.last_seen: dict[int, datetime] = {}
        self.chronic: list[list[int]] = [[] for _ in patients]  # indexes in CHRONIC
        self.chronic_episode: dict[tuple[int, int], int] = {}  # (patient, condition): ref
        self.repeatable: list[list[tuple[int, str, str, str]]] = [[] for _ in patients]
        self.weight: list[float] = []

    # -- helpers

    def new(self, table: str, **values: Any) -> int:
        """Add a row; returns its reference (negative: replaced by its key when written)."""
        rows = self.rows[table]
        ref = -(len(rows) + 1)
        rows.append(TABLES[table].row(id=ref, **values))
        return ref

    def at(self, day: int, hour: int, minute: int = 0) -> datetime:
        d = self.first_day + timedelta(days=day)
        return datetime(d.year, d.month, d.day, hour, minute, tzinfo=TZ)

    def date_of(self, day: int) -> date:
        return self.first_day + timedelta(days=day)

    def clinical(self, patient: PatientInfo, by: int, at: datetime) -> dict[str, Any]:
        return {
            "public_id": self.uid(),
            "practice_id": self.s.practice_id,
            "patient_id": patient.id,
            "created_by_id": by,
            "created_at": min(at, self.now),
            "shielded": False,
            "shielded_by_id": None,
        }

    def seen(self, patient: int, at: datetime) -> None:
        if patient in self.user and at > self.last_seen.get(patient, at - timedelta(1)):
            self.last_seen[patient] = at

    # -- the plan

    def make(self) -> Plan:
        self.accounts()
        self.records_before_the_year()
        placed = self.place(self.contacts())
        self.journal(placed)
        self.repeats()
        self.econsults()
        self.finish_accounts()
        return self.plan

    def accounts(self) -> None:
        """A portal account for about a third of the adults."""
        rng = self.rng
        for i, patient in enumerate(self.patients):
            age = self.age(patient, self.today)
            if rng.random() >= _lookup(PORTAL_SHARE, age):
                continue
            enrolled = (patient.enrolled - self.first_day).days
            joined = max(enrolled + rng.randint(1, 60), -rng.randint(0, 1500))
            if joined >= DAYS_BACK - 1:
                continue
            self.joined[i] = joined
            self.user[i] = len(self.plan.portal_users) + 1  # filled in finish_accounts
            self.plan.portal_users.append((patient.id, 0))

    def finish_accounts(self) -> None:
        rng = self.rng
        template = TOTPDevice(name="Demo", key=self.s.totp_key, confirmed=True)
        for number, (i, _ref) in enumerate(
            sorted(self.user.items(), key=lambda item: item[1]), start=1
        ):
            patient = self.patients[i]
            joined = self.at(self.joined[i], rng.randint(7, 22), rng.randint(0, 59))
            name = " ".join(p for p in (patient.given, patient.prefix, patient.family) if p)
            ref = self.new(
                "user",
                password=self.s.password,
                last_login=self.last_seen.get(i),
                is_superuser=False,
                public_id=self.uid(),
                email=f"portaal{patient.id}@{self.s.slug}.example",
                full_name=name,
                is_active=True,
                date_joined=joined,
                email_confirmed_at=joined + timedelta(minutes=rng.randint(1, 30)),
                security_stamp=self.uid(),
            )
            if ref != -number:  # users are referred to in the order they were made
                raise RuntimeError("portal users written out of order")
            values = {f.column: getattr(template, f.attname) for f in TOTPDevice._meta.fields}
            values.update(user_id=ref, created_at=joined)
            self.new("totp", **{k: v for k, v in values.items() if k != "id"})
            self.plan.portal_users[number - 1] = (patient.id, ref)

    def user_ref(self, patient: int) -> int:
        return -self.user[patient]

    @staticmethod
    def age(patient: PatientInfo, day: date) -> int:
        born = patient.born
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def records_before_the_year(self) -> None:
        """Chronic conditions with their episode and medication, and allergies."""
        rng = self.rng
        for i, patient in enumerate(self.patients):
            age = self.age(patient, self.today)
            for c, condition in enumerate(CHRONIC):
                if not condition.min_age <= age <= condition.max_age:
                    continue
                if condition.sex and condition.sex != patient.sex:
                    continue
                if rng.random() > condition.chance:
                    continue
                years = max(1, min(age - condition.min_age, 10))
                started = self.first_day - timedelta(days=rng.randint(30, 365 * years))
                started = max(started, patient.born + timedelta(days=30))
                if started > self.today - timedelta(days=14):
                    continue
                self.chronic[i].append(c)
                moment = datetime.combine(started, time(10), tzinfo=TZ)
                shielded = condition.code == "P76" and rng.random() < 0.2
                self.chronic_episode[i, c] = self.new(
                    "episode",
                    **{
                        **self.clinical(patient, patient.gp, moment),
                        "shielded": shielded,
                        "shielded_by_id": patient.gp if shielded else None,
                    },
                    icpc_code=condition.code,
                    title=condition.title,
                    started_on=started,
                    ended_on=None,
                )
                medicines = [condition.medication, EXTRA_MEDICATION.get(condition.code)]
                for medicine in medicines:
                    if medicine is None:
                        continue
                    name, dosage = medicine
                    repeatable = "zo nodig" not in f"{name} {dosage}".lower()
                    quantity = _quantity(name) if repeatable else ""
                    ref = self.new(
                        "medication",
                        **self.clinical(patient, patient.gp, moment + timedelta(minutes=5)),
                        name=name,
                        dosage=dosage,
                        started_on=started,
                        ended_on=None,
                        prescriber_id=patient.gp,
                        chronic=True,
                        repeatable=repeatable,
                        quantity=quantity,
                        control_due_on=(
                            self.today + timedelta(days=rng.randint(-40, 300))
                            if repeatable
                            else None
                        ),
                    )
                    if repeatable:
                        self.repeatable[i].append((ref, name, dosage, quantity))
            if rng.random() < 0.05:
                recorded = self.today - timedelta(days=rng.randint(30, 2000))
                self.new(
                    "allergy",
                    **self.clinical(
                        patient, patient.gp, datetime.combine(recorded, time(11), tzinfo=TZ)
                    ),
                    substance="Penicilline",
                    kind=AllergyKind.ALLERGY,
                    reaction="Huiduitslag",
                    recorded_on=recorded,
                )

    # -- contacts

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
                rate = _lookup(GP_RATE_OLD, age)
            rate += 0.35 * len(chronic)
            acute_ids, acute_weights = self.acute_table(age, patient.sex)
            for _ in range(_poisson(rng, rate * span / 365)):
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
            for _ in range(_poisson(rng, assistant * span / 365)):
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
                    appointment_id=visit.row[0],
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
                    appointment_id=None,
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
            queue_number=None,
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
            rescheduled_from_id=None,
            cancelled_at=moved_at,
            cancelled_by_id=by,
            checkin_code="",
            arrived_at=None,
            queue_number=None,
            called_at=None,
            reminder_sent_at=None,
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
        columns = TABLES["appointment"].columns
        arrived_at, number = columns.index("arrived_at"), columns.index("queue_number")
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

    # -- the record

    def journal(self, visits: list[Visit]) -> None:
        """A journal line for every consult that took place, under its episode."""
        rng = self.rng
        columns = TABLES["appointment"].columns
        starts_at, ends_at = columns.index("starts_at"), columns.index("ends_at")
        done = [v for v in visits if v.status == AppointmentStatus.COMPLETED]
        done.sort(key=lambda v: (v.contact.patient, v.row[starts_at]))
        episodes: dict[int, tuple[int, list[Any]]] = {}  # problem: (ref, row)
        last_contact: dict[int, date] = {}
        base_weight: dict[int, float] = {}
        kinds = {
            "Telefonisch consult": ContactKind.PHONE,
            "Beeldbellen": ContactKind.VIDEO,
        }
        episode_columns = TABLES["episode"].columns
        ended_on = episode_columns.index("ended_on")
        for visit in done:
            contact = visit.contact
            patient = self.patients[contact.patient]
            by = self.s.staff[visit.practitioner].user_id
            day = self.date_of(contact.day)
            written = visit.row[ends_at] + timedelta(minutes=rng.randint(1, 30))
            episode = None
            measured: list[tuple[str, str]] = []
            if contact.role == StaffRole.ASSISTENT:
                _reason, subjective, objective, evaluation, plan = ASSISTANT_VISITS[contact.topic]
                if contact.topic == 0:
                    systolic, diastolic = self.blood_pressure(contact.patient)
                    objective = objective.format(systolic=systolic, diastolic=diastolic)
                    measured = [("1744", str(systolic)), ("1740", str(diastolic))]
            elif contact.topic < 0:  # a chronic condition
                c = -1 - contact.topic
                condition = CHRONIC[c]
                episode = self.chronic_episode.get((contact.patient, c))
                evaluation = condition.evaluation
                if contact.role == StaffRole.POH and condition.code == "P76":
                    subjective, objective, evaluation, plan = POH_GGZ_LINE
                elif contact.role == StaffRole.POH:
                    subjective, plan = POH_LINE
                    objective = rng.choice(OBJECTIVE[:2])
                    if condition.code in WITH_BLOOD_PRESSURE:
                        systolic, diastolic = self.blood_pressure(contact.patient)
                        weight = base_weight.setdefault(
                            contact.patient, max(45.0, rng.gauss(84, 14))
                        ) + rng.uniform(-1.5, 1.5)
                        objective = f"RR {systolic}/{diastolic}, gewicht {weight:.1f} kg."
                        measured = [
                            ("1744", str(systolic)),
                            ("1740", str(diastolic)),
                            ("357", f"{weight:.1f}"),
                        ]
                else:
                    _reason, subjective, plan = rng.choice(CHRONIC_GP)
                    objective = rng.choice(OBJECTIVE)
                    plan = f"{plan} {condition.plan}"
            else:
                problem = ACUTE[contact.topic]
                known = episodes.get(contact.problem)
                if known is None:
                    subjective, objective = problem.subjective, problem.objective
                    evaluation, plan = problem.evaluation, problem.plan
                    episode = self.new(
                        "episode",
                        **self.clinical(patient, by, written),
                        icpc_code=problem.code,
                        title=problem.title,
                        started_on=day,
                        ended_on=None,
                    )
                    episodes[contact.problem] = (episode, self.rows["episode"][-episode - 1])
                    if problem.medication is not None and rng.random() < 0.6:
                        name, dosage, days = problem.medication
                        self.new(
                            "medication",
                            **self.clinical(patient, by, written),
                            name=name,
                            dosage=dosage,
                            started_on=day,
                            ended_on=day + timedelta(days=days),
                            prescriber_id=by,
                            chronic=False,
                            repeatable=False,
                            quantity="",
                            control_due_on=None,
                        )
                else:
                    episode = known[0]
                    subjective, objective, plan = FOLLOW_UP
                    evaluation = problem.evaluation
                last_contact[contact.problem] = day
            self.new(
                "journal",
                **self.clinical(patient, by, written),
                episode_id=episode,
                contact_on=day,
                kind=kinds.get(contact.kind, ContactKind.CONSULT),
                subjective=subjective,
                objective=objective,
                evaluation=evaluation,
                plan=plan,
                replaces_id=None,
            )
            for code, value in measured:
                if code in self.s.tests:
                    self.new(
                        "measurement",
                        **self.clinical(patient, by, written),
                        test_id=self.s.tests[code],
                        value=value,
                        measured_on=day,
                    )
        for key, (_ref, row) in episodes.items():
            end = last_contact[key] + timedelta(days=rng.randint(7, 42))
            row[ended_on] = end if end <= self.today else None

    def blood_pressure(self, patient: int) -> tuple[int, int]:
        rng = self.rng
        systolic = int(min(220, max(95, rng.gauss(138, 14))))
        diastolic = int(min(120, max(55, rng.gauss(84, 9))))
        return systolic, min(diastolic, systolic - 25)

    # -- repeat prescriptions

    def repeats(self) -> None:
        """Every chronic medicine about every 90 days; the newest request may be open."""
        rng = self.rng
        s = self.s
        for i, medicines in enumerate(self.repeatable):
            if not medicines:
                continue
            patient = self.patients[i]
            linked = rng.random() < 0.8
            pharmacy, transport = s.pharmacies[0] if linked else s.pharmacies[1]
            self.new("pharmacy_choice", patient_id=patient.id, pharmacy_id=pharmacy)
            first = max(0, (patient.enrolled - self.first_day).days)
            day = first + rng.uniform(0, 90)
            while day <= DAYS_BACK:
                portal = i in self.user and int(day) > self.joined[i] and rng.random() < 0.75
                if portal:
                    created = self.at(int(day), rng.randint(7, 22), rng.randint(0, 59))
                    channel, by = Channel.PORTAL, self.user_ref(i)
                else:
                    created = self.at(int(day), rng.randint(8, 16), rng.choice((0, 20, 40)))
                    channel = Channel.DESK if rng.random() < 0.15 else Channel.PHONE
                    by = rng.choice(self.assistants)
                day += rng.uniform(80, 100)
                if created > self.now:
                    continue
                if portal:
                    self.seen(i, created)
                asked = (
                    medicines
                    if len(medicines) == 1 or rng.random() < 0.8
                    else [rng.choice(medicines)]
                )
                request = self.new(
                    "request",
                    public_id=self.uid(),
                    practice_id=s.practice_id,
                    patient_id=patient.id,
                    requested_by_id=by,
                    channel=channel,
                    pharmacy_id=pharmacy,
                    note="",
                    route=s.route,
                    created_at=created,
                )
                rejected = rng.random() < PAST_REJECTED
                gp = patient.gp if rng.random() < 0.7 else rng.choice(self.gps)
                # The steps, each some hours after the one before (None: not yet).
                forwarded = decided = sent = ready = None
                forwarder = None
                step = created
                if s.route == Route.ASSISTANT_FIRST:
                    step = created + timedelta(minutes=rng.randint(20, 360))
                    if rejected and rng.random() < 0.5:
                        decided, gp = step, rng.choice(self.assistants)  # the filter refuses
                    else:
                        forwarded, forwarder = step, rng.choice(self.assistants)
                if decided is None:
                    decided = step + timedelta(minutes=rng.randint(30, 1200))
                if not rejected:
                    if transport == Transport.HTTP:
                        sent = decided + timedelta(seconds=rng.randint(5, 90))
                        ready = sent + timedelta(minutes=rng.randint(240, 1800))
                    else:
                        sent = decided + timedelta(minutes=rng.randint(30, 240))  # printed
                now = self.now
                if forwarded is not None and forwarded > now:
                    forwarded = forwarder = None
                if decided > now:
                    decided = None
                if decided is None or (sent is not None and sent > now):
                    sent = ready = None
                if ready is not None and ready > now:
                    ready = None
                if decided is None:
                    status = ItemStatus.IN_REVIEW if forwarded else ItemStatus.REQUESTED
                elif rejected:
                    status = ItemStatus.REJECTED
                elif ready is not None:
                    status = ItemStatus.READY
                elif sent is not None:
                    status = ItemStatus.SENT
                elif transport == Transport.HTTP:
                    # The worker delivers within a minute of the approval.
                    sent, status = min(decided + timedelta(seconds=5), now), ItemStatus.SENT
                else:
                    status = ItemStatus.APPROVED  # waits to be printed
                updated = max(t for t in (created, forwarded, decided, sent, ready) if t)
                reason = rng.choice(REJECTIONS) if status == ItemStatus.REJECTED else ""
                approved = status not in (
                    ItemStatus.REQUESTED,
                    ItemStatus.IN_REVIEW,
                    ItemStatus.REJECTED,
                )
                for medication, name, dosage, quantity in asked:
                    item_id = self.uid()
                    item = self.new(
                        "item",
                        public_id=item_id,
                        practice_id=s.practice_id,
                        request_id=request,
                        medication_id=medication,
                        status=status,
                        reason=reason,
                        explanation="",
                        forwarded_by_id=forwarder,
                        decided_by_id=gp if decided else None,
                        decided_at=decided,
                        sent_at=sent,
                        ready_at=ready,
                        updated_at=updated,
                    )
                    if not approved or decided is None:
                        continue
                    self.new(
                        "outbox",
                        public_id=self.uid(),
                        practice_id=s.practice_id,
                        item_id=item,
                        pharmacy_id=pharmacy,
                        payload=self.medication_request(
                            item_id, patient, (name, dosage, quantity), gp, decided
                        ),
                        status=DeliveryStatus.DELIVERED if sent else DeliveryStatus.TO_PRINT,
                        attempts=1 if transport == Transport.HTTP else 0,
                        next_attempt_at=decided,
                        last_error="",
                        delivered_at=sent,
                        created_at=decided,
                    )

    def medication_request(
        self,
        item_id: str,
        patient: PatientInfo,
        medicine: tuple[str, str, str],
        prescriber: int,
        decided: datetime,
    ) -> dict[str, Any]:
        """What prescriptions/fhir.py `medication_request` writes for the item (the same
        JSON; its validation costs too much time for a region's worth)."""
        name, dosage, quantity = medicine
        person = self.s.staff[self.gp_of_user[prescriber]]
        amount = quantity.split(" ", 1)
        practitioner: dict[str, Any] = {
            "resourceType": "Practitioner",
            "id": "prescriber",
            "name": [{"text": person.name}],
        }
        if person.agb:
            practitioner["identifier"] = [{"system": AGB_SYSTEM, "value": person.agb}]
        return {
            "resourceType": "MedicationRequest",
            "contained": [
                {
                    "resourceType": "Patient",
                    "id": "patient",
                    "identifier": [{"system": BSN_SYSTEM, "value": patient.bsn}],
                    "name": [
                        {
                            "family": " ".join(p for p in (patient.prefix, patient.family) if p),
                            "given": [patient.given],
                        }
                    ],
                    "gender": GENDER.get(patient.sex, "unknown"),
                    "birthDate": patient.born.isoformat(),
                },
                practitioner,
            ],
            "identifier": [
                {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.UUID(item_id)}"}
            ],
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"text": name},
            "subject": {"reference": "#patient"},
            "authoredOn": decided.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "requester": {"reference": "#prescriber"},
            "dosageInstruction": [{"text": dosage}],
            "dispenseRequest": {"quantity": {"value": int(amount[0]), "unit": amount[1]}},
        }

    # -- e-consults

    def econsults(self) -> None:
        rng = self.rng
        questions = [*QUESTIONS, *MORE_QUESTIONS]
        answers = [str(text) for text in ANSWER_TEMPLATES]
        for i, joined in self.joined.items():
            patient = self.patients[i]
            first = max(0, joined + 1)
            span = DAYS_BACK + 1 - first
            if span <= 0:
                continue
            age = self.age(patient, self.today)
            rate = ECONSULTS_PER_PORTAL_USER * (1.3 if age >= 50 else 0.8)
            for _ in range(_poisson(rng, rate * span / 365)):
                asked = self.at(first + rng.randrange(span), rng.randint(7, 22), rng.randint(0, 59))
                if asked > self.now:
                    continue
                self.econsult(i, asked, rng.choice(questions), answers)

    def econsult(
        self, i: int, asked: datetime, question: tuple[str, str], answers: list[str]
    ) -> None:
        rng = self.rng
        s = self.s
        patient = self.patients[i]
        user = self.user_ref(i)
        category, body = question
        due = working_day_deadline(asked, 2)
        if rng.random() < 0.05:
            answered = due + timedelta(hours=rng.randint(2, 30))  # late
        else:
            answered = asked + (due - asked) * rng.uniform(0.05, 0.95)
        chronic = bool(self.chronic[i])
        answerer = (
            self.poh
            if chronic and rng.random() < 0.15
            else patient.gp
            if rng.random() < 0.8
            else rng.choice(self.gps)
        )
        messages: list[tuple[int, bool, bool, str, datetime]] = [(user, True, False, body, asked)]
        if rng.random() < 0.1:
            note_at = asked + (answered - asked) * rng.uniform(0.1, 0.9)
            if note_at <= self.now:
                messages.append(
                    (
                        rng.choice([*self.assistants, self.poh]),
                        False,
                        True,
                        rng.choice(INTERNAL_NOTES),
                        note_at,
                    )
                )
        status = ThreadStatus.OPEN
        first_answer = last_answer = read = reminded = closed = None
        assignee = None
        answer = rng.choice(answers)
        if answered <= self.now:
            first_answer = last_answer = answered
            assignee = answerer
            messages.append((answerer, False, False, answer, answered))
            status = ThreadStatus.ANSWERED
            if rng.random() < 0.85:
                read = answered + timedelta(minutes=rng.randint(10, 2880))
                if read > self.now:
                    read = None
            if read is not None and rng.random() < 0.1:
                reply = read + timedelta(minutes=rng.randint(5, 600))
                again = working_day_deadline(reply, 2)
                second = reply + (again - reply) * rng.uniform(0.05, 0.9)
                if second <= self.now:
                    messages.append((user, True, False, FOLLOW_UP_QUESTION, reply))
                    messages.append((answerer, False, False, FOLLOW_UP_ANSWER, second))
                    due, last_answer = again, second
                    read = second + timedelta(minutes=rng.randint(10, 1440))
                    if read > self.now:
                        read = None
                elif reply <= self.now:  # asked again, the answer still to come
                    messages.append((user, True, False, FOLLOW_UP_QUESTION, reply))
                    due, status = again, ThreadStatus.OPEN
            if status == ThreadStatus.ANSWERED:
                age = (self.now - last_answer).days
                if rng.random() < (0.85 if age > 14 else 0.5):
                    closed = last_answer + (
                        timedelta(0) if rng.random() < 0.6 else timedelta(days=rng.randint(1, 5))
                    )
                    if closed <= self.now:
                        status = ThreadStatus.CLOSED
                    else:
                        closed = None
            if read is None and last_answer + timedelta(days=3) <= self.now:
                reminded = last_answer + timedelta(days=3, minutes=rng.randint(0, 59))
        elif rng.random() < 0.5:
            assignee = rng.choice(self.gps)
        self.seen(i, read or asked)
        thread = self.new(
            "thread",
            public_id=self.uid(),
            practice_id=s.practice_id,
            patient_id=patient.id,
            asked_by_id=user,
            category=category,
            status=status,
            assignee_id=assignee,
            triage=s.triage,
            created_at=asked,
            due_at=due,
            answered_at=first_answer,
            last_answer_at=last_answer,
            patient_read_at=read,
            reminder_sent_at=reminded,
            closed_at=closed,
        )
        for author, from_patient, internal, text, at in sorted(messages, key=lambda m: m[4]):
            self.new(
                "message",
                public_id=self.uid(),
                practice_id=s.practice_id,
                thread_id=thread,
                author_id=author,
                from_patient=from_patient,
                internal=internal,
                body=text,
                created_at=at,
            )
        if first_answer is None:
            return
        day = timezone.localtime(first_answer, TZ).date()
        code, tariff = s.codes.get(day.year, ("", None))
        self.new(
            "declaration",
            thread_id=thread,
            practice_id=s.practice_id,
            code=code,
            tariff=tariff,
            declared_on=day,
            answered_by_id=answerer,
        )
        self.new(
            "journal",
            **self.clinical(patient, answerer, first_answer + timedelta(minutes=1)),
            episode_id=None,
            contact_on=day,
            kind=ContactKind.ECONSULT,
            subjective=body,
            objective="",
            evaluation=ECONSULT_EVALUATION,
            plan=answer,
            replaces_id=None,
        )


# --- Writing a practice's year --------------------------------------------------------------


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


def _write(plan: Plan, setting: Setting, codes: CheckinCodes, after: dict[str, int]) -> None:
    """Give the plan's rows their keys, point the references at them and write the
    tables in order; then link the portal users to their patients."""
    keys = {
        name: reserve_ids(TABLES[name].model, len(plan.rows[name]), after=after) for name in TABLES
    }
    for name, table in TABLES.items():
        rows = plan.rows[name]
        for column, target in table.refs.items():
            position, new_keys = table.columns.index(column), keys[target]
            for row in rows:
                value = row[position]
                if value is not None and value < 0:
                    row[position] = new_keys[-value - 1]
        if name == "appointment":
            position = table.columns.index("checkin_code")
            for row in rows:
                row[position] = codes.new()
        write_rows(table.model, table.columns, rows)
    users = keys["user"]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {Patient._meta.db_table} SET user_id = %s WHERE id = %s",  # noqa: S608 (a model's table)
            [(users[-ref - 1], patient) for patient, ref in plan.portal_users],
        )
    if plan.queue_today:
        QueueCounter.objects.update_or_create(
            practice_id=setting.practice_id,
            day=timezone.localdate(),
            defaults={"last_number": plan.queue_today},
        )


def _demo_password() -> str:
    """The region staff's password hash (the demo password), for the portal users too."""
    staff = (
        User.objects.filter(membership__practice__slug__startswith=REGION_PREFIX)
        .values_list("password", flat=True)
        .first()
    )
    return staff or make_password(DEMO_PASSWORD)


def build_region_care(
    *,
    today: date | None = None,
    progress: Callable[[str], None] = lambda message: None,
    public_ids: Callable[[], str] | None = None,
) -> Care:
    """A year of care for every region practice (slug `regio-…`) without an agenda yet."""
    started = clock.perf_counter()
    now = timezone.now()
    today = today or timezone.localdate()
    practices = list(
        Practice.objects.filter(slug__startswith=REGION_PREFIX)
        .exclude(pk__in=AppointmentType.objects.values("practice_id"))
        .order_by("slug")
    )
    if not practices:
        return Care(0, 0, 0, 0, 0, clock.perf_counter() - started)
    postgresql = connection.vendor == "postgresql"
    password = _demo_password()
    codes = CheckinCodes()
    after: dict[str, int] = {}
    rows: Counter[str] = Counter()
    tables = [TABLES[name].model._meta.db_table for name in BULK_TABLES]
    with transaction.atomic(), bulk_load(tables) if postgresql else nullcontext():
        for index, practice in enumerate(practices, start=1):
            patients = _patients(practice)
            setting = _set_up(practice, len(patients), today, password)
            plan = PracticeYear(
                setting,
                patients,
                today=today,
                now=now,
                public_id=public_ids or random_public_ids(),
            ).make()
            _write(plan, setting, codes, after)
            rows.update({name: len(made) for name, made in plan.rows.items()})
            if index % 20 == 0 or index == len(practices):
                progress(f"zorg: {index}/{len(practices)} regiopraktijken")
        rows_done = clock.perf_counter()
    done = analyse(tables, started=started, rows_done=rows_done, label="zorg", progress=progress)
    return Care(
        practices=len(practices),
        appointments=rows["appointment"],
        journal_entries=rows["journal"],
        repeat_requests=rows["request"],
        econsults=rows["thread"],
        seconds=done - started,
        rows=dict(rows),
        rows_seconds=rows_done - started,
        index_seconds=done - rows_done,
    )
