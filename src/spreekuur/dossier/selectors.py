"""Reads of the record: the whole record for staff, and what the patient may see online.

The online view is built here and nowhere else: from the practice's "records online
from" date, nothing shielded (nor any line of a shielded episode), the E and P lines of
the journal only, and never a row that a correction replaced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import active_membership
from spreekuur.core.exceptions import OutOfReach
from spreekuur.dossier.models import (
    Allergy,
    ClinicalRow,
    Episode,
    JournalEntry,
    Measurement,
    Medication,
)
from spreekuur.patients.models import Patient

JOURNAL_PAGE = 50
Row = TypeVar("Row", bound=ClinicalRow)
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
    def patient_reported(self) -> bool:
        """Measured at home and passed on by the patient (marked wherever it shows)."""
        return any(row.patient_reported for row in self.rows)

    @property
    def public_id(self) -> UUID:
        """The first row's: the line is shielded through it, with `others` along."""
        return self.rows[0].public_id

    @property
    def others(self) -> tuple[Measurement, ...]:
        """The rows shielded together with the first (the diastolic of a blood pressure)."""
        return self.rows[1:]


def measurement_lines(rows: list[Measurement]) -> list[MeasurementLine]:
    """Lines for measurements ordered newest first: a diastolic row goes with the systolic
    it names (`pair`, one blood-pressure reading); one without its partner in `rows`
    (say, shielded) stays a line of its own."""
    by_pk = {row.pk: row for row in rows}
    partner_of = {row.pair_id: row for row in rows if row.pair_id in by_pk}
    lines = [
        MeasurementLine(row.measured_on, (row, partner_of[row.pk]))
        if row.pk in partner_of
        else MeasurementLine(row.measured_on, (row,))
        for row in rows
        if row.pair_id not in by_pk
    ]
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


def online_from_of(patient: Patient) -> date | None:
    """The day the practice opened its records online; None while not yet (a date still
    to come counts as not yet): then nothing of the record is online at all."""
    online_from = patient.practice.records_online_from
    if online_from is None or online_from > timezone.localdate():
        return None
    return online_from


def _online_rows(model: type[Row], patient: Patient) -> QuerySet[Row]:
    """The patient's unshielded rows of a kind; callers check online_from_of first."""
    return model._default_manager.filter(
        practice_id=patient.practice_id, patient=patient, shielded=False
    )


# What online access opens, one queryset per kind of row, for the portal, its PDF and
# the FHIR API alike: never shielded, nothing before the day the records went online
# (an episode or medication still running then counts), and of the journal only the
# E and P lines of entries that have them, outside shielded episodes.
def online_episodes(patient: Patient) -> QuerySet[Episode]:
    online_from = online_from_of(patient)
    if online_from is None:
        return Episode.objects.none()
    return _online_rows(Episode, patient).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=online_from)
    )


def online_journal(patient: Patient) -> QuerySet[JournalEntry]:
    online_from = online_from_of(patient)
    if online_from is None:
        return JournalEntry.objects.none()
    return (
        _journal(patient)
        .filter(shielded=False, contact_on__gte=online_from)
        .filter(Q(episode__isnull=True) | Q(episode__shielded=False))
        .exclude(evaluation="", plan="")
    )


def online_medication(patient: Patient) -> QuerySet[Medication]:
    online_from = online_from_of(patient)
    if online_from is None:
        return Medication.objects.none()
    return (
        _online_rows(Medication, patient)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=online_from))
        .select_related("prescriber")
    )


def online_allergies(patient: Patient) -> QuerySet[Allergy]:
    if online_from_of(patient) is None:
        return Allergy.objects.none()
    return _online_rows(Allergy, patient)


def online_measurements(patient: Patient) -> QuerySet[Measurement]:
    online_from = online_from_of(patient)
    if online_from is None:
        return Measurement.objects.none()
    return _online_rows(Measurement, patient).filter(measured_on__gte=online_from)


def record_online(patient: Patient, *, page: int | None = 1) -> Record:
    """What the patient sees in the portal; empty until the practice opens its records."""
    online_from = online_from_of(patient)
    if online_from is None:
        return Record([], [], False, [], [], None)
    entries, more = _page(online_journal(patient), page)
    return Record(
        episodes=list(online_episodes(patient)),
        journal=entries,
        more_journal=more,
        medication=list(online_medication(patient)),
        allergies=list(online_allergies(patient)),
        online_from=online_from,
        # The portal shows measurements beside the results (measurements_online); the
        # PDF, which is the whole record, has them here.
        measurements=(_measurements(online_measurements(patient)) if page is None else []),
    )


def _measurements(rows: QuerySet[Measurement], *, limit: int | None = None) -> list[Measurement]:
    """The newest measurements (all of them without a limit), with their test."""
    ordered = rows.select_related("test").order_by("-measured_on", "-id")
    return list(ordered if limit is None else ordered[:limit])


def measurements_online(patient: Patient) -> list[Measurement]:
    """The patient's newest measurements as opened online (not shielded, from the date)."""
    return _measurements(online_measurements(patient), limit=MEASUREMENTS_SHOWN)


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
