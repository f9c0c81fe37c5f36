"""Reads of the record: the whole record for staff, and what the patient may see online.

The online view is built here and nowhere else: from the practice's "records online
from" date, nothing shielded (nor any line of a shielded episode), the E and P lines of
the journal only, and never a row that a correction replaced."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import active_membership
from spreekuur.core.exceptions import OutOfReach
from spreekuur.dossier.models import (
    DIASTOLIC,
    SYSTOLIC,
    Allergy,
    ClinicalRow,
    Episode,
    JournalEntry,
    Measurement,
    Medication,
)
from spreekuur.patients.models import Patient

JOURNAL_PAGE = 50
MEASUREMENTS_SHOWN = 30


@dataclass(frozen=True)
class MeasurementLine:
    """Measurements as people read them: a blood pressure is one value, "134/82 mmHg" (its
    systolic and diastolic rows together); any other measurement stands on its own. The
    text is made when shown, in the reader's language ("81,5 kg" in Dutch)."""

    measured_on: date
    rows: tuple[Measurement, ...]

    @property
    def is_blood_pressure(self) -> bool:
        return len(self.rows) == 2

    @property
    def name(self) -> str:
        return _("Bloeddruk") if self.is_blood_pressure else self.rows[0].test.patient_name

    @property
    def value(self) -> str:
        if self.is_blood_pressure:
            return "/".join(formats.number_format(row.value.normalize()) for row in self.rows)
        return formats.number_format(self.rows[0].value.normalize())

    @property
    def unit(self) -> str:
        return self.rows[0].test.unit

    @property
    def shielded(self) -> bool:
        return any(row.shielded for row in self.rows)

    @property
    def public_id(self) -> UUID:
        """The first row's: the line is shielded through it, with `others` along."""
        return self.rows[0].public_id

    @property
    def others(self) -> tuple[Measurement, ...]:
        """The rows shielded together with the first (the diastolic of a blood pressure)."""
        return self.rows[1:]


def measurement_lines(rows: list[Measurement]) -> list[MeasurementLine]:
    """Lines for measurements ordered newest first: the systolic and diastolic of one day
    are paired in the order they were recorded (a second reading that day is a second
    pair); one without its partner (say, shielded) stays a line of its own."""
    days: dict[date, list[Measurement]] = defaultdict(list)
    for row in rows:
        days[row.measured_on].append(row)
    lines: list[MeasurementLine] = []
    for day, taken in days.items():
        by_code: dict[str, list[Measurement]] = defaultdict(list)
        for row in sorted(taken, key=lambda row: row.pk):
            by_code[row.test.nhg_code].append(row)
        systolic, diastolic = by_code.pop(SYSTOLIC, []), by_code.pop(DIASTOLIC, [])
        pairs = list(zip(systolic, diastolic, strict=False))
        singles = systolic[len(pairs) :] + diastolic[len(pairs) :]
        singles += [row for rest in by_code.values() for row in rest]
        day_lines = [MeasurementLine(day, pair) for pair in pairs]
        day_lines += [MeasurementLine(day, (row,)) for row in singles]
        lines += sorted(day_lines, key=lambda line: -max(row.pk for row in line.rows))
    return lines


@dataclass(frozen=True)
class Record:
    episodes: list[Episode]
    journal: list[JournalEntry]
    more_journal: bool
    medication: list[Medication]
    allergies: list[Allergy]
    online_from: date | None = None
    measurements: list[Measurement] = field(default_factory=list)

    @property
    def measurement_lines(self) -> list[MeasurementLine]:
        return measurement_lines(self.measurements)


def _journal(patient: Patient, *, with_replaced: bool = False) -> QuerySet[JournalEntry]:
    lines = JournalEntry.objects.filter(practice_id=patient.practice_id, patient=patient)
    if not with_replaced:
        lines = lines.filter(replaced_by__isnull=True)
    return lines.select_related("episode", "created_by", "replaced_by")


def _page(queryset: QuerySet[JournalEntry], page: int | None) -> tuple[list[JournalEntry], bool]:
    """One page of 50, or every line (page None: the PDF)."""
    if page is None:
        return list(queryset), False
    start = max(0, page - 1) * JOURNAL_PAGE
    rows = list(queryset[start : start + JOURNAL_PAGE + 1])
    return rows[:JOURNAL_PAGE], len(rows) > JOURNAL_PAGE


def record_for_staff(patient: Patient, *, page: int = 1) -> Record:
    episodes = list(Episode.objects.filter(practice_id=patient.practice_id, patient=patient))
    # Staff see the history too: a replaced line stays, marked as replaced.
    journal, more = _page(_journal(patient, with_replaced=True), page)
    return Record(
        episodes=episodes,
        journal=journal,
        more_journal=more,
        medication=list(
            Medication.objects.filter(
                practice_id=patient.practice_id, patient=patient
            ).select_related("prescriber")
        ),
        allergies=list(Allergy.objects.filter(practice_id=patient.practice_id, patient=patient)),
        measurements=_measurements(
            Measurement.objects.filter(practice_id=patient.practice_id, patient=patient),
            limit=MEASUREMENTS_SHOWN,
        ),
    )


def record_online(patient: Patient, *, page: int | None = 1) -> Record:
    """What the patient sees in the portal; empty until the practice opens its records."""
    online_from = patient.practice.records_online_from
    if online_from is None or online_from > timezone.localdate():
        # Not opened yet (a date still to come counts as not yet): nothing at all.
        return Record([], [], False, [], [], None)
    mine = {"practice_id": patient.practice_id, "patient": patient, "shielded": False}
    episodes = list(
        Episode.objects.filter(**mine).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=online_from)
        )
    )
    journal = (
        _journal(patient)
        .filter(shielded=False, contact_on__gte=online_from)
        .filter(Q(episode__isnull=True) | Q(episode__shielded=False))
        .exclude(evaluation="", plan="")
    )
    entries, more = _page(journal, page)
    medication = list(
        Medication.objects.filter(**mine)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=online_from))
        .select_related("prescriber")
    )
    return Record(
        episodes=episodes,
        journal=entries,
        more_journal=more,
        medication=medication,
        allergies=list(Allergy.objects.filter(**mine)),
        online_from=online_from,
        # The portal shows measurements beside the results (measurements_online); the
        # PDF, which is the whole record, has them here.
        measurements=(
            _measurements(Measurement.objects.filter(**mine, measured_on__gte=online_from))
            if page is None
            else []
        ),
    )


def _measurements(rows: QuerySet[Measurement], *, limit: int | None = None) -> list[Measurement]:
    """The newest measurements (all of them without a limit), with their test."""
    ordered = rows.select_related("test").order_by("-measured_on", "-id")
    return list(ordered if limit is None else ordered[:limit])


def measurements_online(patient: Patient) -> list[Measurement]:
    """The patient's newest measurements as opened online (not shielded, from the date)."""
    online_from = patient.practice.records_online_from
    if online_from is None or online_from > timezone.localdate():
        return []
    rows = Measurement.objects.filter(
        practice_id=patient.practice_id,
        patient=patient,
        shielded=False,
        measured_on__gte=online_from,
    )
    return _measurements(rows, limit=MEASUREMENTS_SHOWN)


def object_ids(record: Record) -> list[str]:
    rows: list[ClinicalRow] = [*record.episodes, *record.journal, *record.medication]
    rows += record.allergies
    rows += record.measurements
    return [str(row.public_id) for row in rows]


SHIELDABLE: dict[str, type[ClinicalRow]] = {
    "episode": Episode,
    "journaal": JournalEntry,
    "medicatie": Medication,
    "allergie": Allergy,
    "meting": Measurement,
}


def get_record_item(user: User, kind: str, public_id: UUID | str) -> ClinicalRow:
    """A record row of the staff member's own practice, or 404 (a refused attempt)."""
    membership = active_membership(user)
    model = SHIELDABLE.get(kind)
    if membership is None or model is None:
        raise Http404
    try:
        return model._default_manager.select_related("patient__practice").get(
            practice_id=membership.practice_id, public_id=public_id
        )
    except model.DoesNotExist:
        raise OutOfReach(
            actor=user, object_kind=model.__name__.lower(), object_ids=[public_id]
        ) from None


def current_medication(patient: Patient) -> list[Medication]:
    """Medication not stopped (today or later ends count as running), for staff."""
    today = timezone.localdate()
    return list(
        Medication.objects.filter(practice_id=patient.practice_id, patient=patient)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
        .order_by("name")
    )


def allergies_of(patient: Patient) -> list[Allergy]:
    return list(
        Allergy.objects.filter(practice_id=patient.practice_id, patient=patient).order_by(
            "substance"
        )
    )
