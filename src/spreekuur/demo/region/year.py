"""What every part of a region practice's year shares: the practice as the planner sees it
(`Setting`), its patients, the contacts and visits the agenda makes, and the planner's
state and helpers (`Year`), which the domain planners (accounts.py, agenda.py, dossier.py,
prescriptions.py, econsult.py) extend and care.py puts together."""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.conf import settings

from spreekuur.agenda.services.schedule import SLOT_GENERATION_DAYS
from spreekuur.core.roles import StaffRole
from spreekuur.demo.region.rows import Table

REGION_PREFIX = "regio-"
DAYS_BACK = 365  # a year of care
DAYS_AHEAD = SLOT_GENERATION_DAYS  # slots as far ahead as the daily task makes them
TZ = ZoneInfo(settings.TIME_ZONE)


def lookup(table: Sequence[tuple[int, float]], age: int) -> float:
    """The value for an age from (below this age, value) pairs."""
    return next(value for below, value in table if age < below)


def poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def random_public_ids(seed: object = None) -> Callable[[], str]:
    """Version-4 UUIDs as hex, faster than uuid4(); from a seed for tests."""
    rng = random.Random(secrets.randbits(128) if seed is None else f"public-ids-{seed}")
    bits = rng.getrandbits
    clear = ~((0xF << 76) | (0x3 << 62))
    version = (0x4 << 76) | (0x2 << 62)

    def public_id() -> str:
        return f"{(bits(128) & clear) | version:032x}"

    return public_id


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


# --- The planner's own records --------------------------------------------------------------


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
    rows: dict[str, list[list[Any]]]  # per table, in the order they are written
    portal_users: list[tuple[int, int]] = field(default_factory=list)  # patient id, user ref
    queue_today: int = 0


class Year:
    """One practice's year being planned: the state the domain planners share, and how a
    row is added. New keys are negative numbers (-1 the first row of a table) that the
    writer replaces."""

    tables: ClassVar[dict[str, Table]] = {}  # what the year writes, in order (care.py)

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
        self.plan = Plan(rows={name: [] for name in self.tables})
        self.rows = self.plan.rows
        self.by_role: dict[str, list[int]] = {}
        for i, person in enumerate(setting.staff):
            self.by_role.setdefault(person.role, []).append(i)
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
        # The repeat list: (medication ref, name, dosage, quantity).
        self.repeatable: list[list[tuple[int, str, str, str]]] = [[] for _ in patients]

    def new(self, table: str, **values: Any) -> int:
        """Add a row; returns its reference (negative: replaced by its key when written)."""
        rows = self.rows[table]
        ref = -(len(rows) + 1)
        rows.append(self.tables[table].row(id=ref, **values))
        return ref

    def at(self, day: int, hour: int, minute: int = 0) -> datetime:
        d = self.first_day + timedelta(days=day)
        return datetime(d.year, d.month, d.day, hour, minute, tzinfo=TZ)

    def date_of(self, day: int) -> date:
        return self.first_day + timedelta(days=day)

    def clinical(self, patient: PatientInfo, by: int, at: datetime) -> dict[str, Any]:
        """The columns every clinical row has (not shielded unless said)."""
        return {
            "public_id": self.uid(),
            "practice_id": self.s.practice_id,
            "patient_id": patient.id,
            "created_by_id": by,
            "created_at": min(at, self.now),
        }

    def seen(self, patient: int, at: datetime) -> None:
        if patient in self.user and at > self.last_seen.get(patient, at - timedelta(1)):
            self.last_seen[patient] = at

    def user_ref(self, patient: int) -> int:
        return -self.user[patient]

    @staticmethod
    def age(patient: PatientInfo, day: date) -> int:
        born = patient.born
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
