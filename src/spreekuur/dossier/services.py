"""Writes to the record: each checks the writer's capability and practice, validates,
and logs the change (NEN 7513) in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import active_membership
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction
from spreekuur.dossier import capabilities
from spreekuur.dossier.models import (
    DIASTOLIC,
    MEASUREMENT_LIMITS,
    SYSTOLIC,
    Allergy,
    ClinicalRow,
    Episode,
    JournalEntry,
    Measurement,
    MeasurementSource,
    Medication,
)
from spreekuur.patients.models import Patient
from spreekuur.patients.portal import portal_capacity


def _require(by: User, patient: Patient, allowed: bool) -> None:
    membership = active_membership(by)
    if not allowed or membership is None or membership.practice_id != patient.practice_id:
        raise PermissionDenied


def _save(row: ClinicalRow, *, by: User, detail: str = "") -> None:
    try:
        row.full_clean(exclude=["practice", "patient", "created_by", "shielded_by"])
    except DjangoValidationError as error:
        raise BusinessRuleError(" ".join(error.messages)) from error
    created = row.pk is None
    row.save()
    record_access(
        actor=by,
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        object_kind=type(row).__name__.lower(),
        practice=row.patient.practice,
        patient=row.patient,
        object_ids=[row.public_id],
        detail=detail,
    )


def _soep(*lines: str) -> list[str]:
    """The S, O, E and P lines, trimmed; at least one must say something."""
    texts = [line.strip() for line in lines]
    if not any(texts):
        raise BusinessRuleError(_("Vul minstens één van de regels S, O, E of P in."))
    return texts


def _not_in_future(day: date) -> None:
    if day > timezone.localdate():
        raise BusinessRuleError(_("Een datum in de toekomst kan hier niet."))


@transaction.atomic
def record_episode(
    *, patient: Patient, icpc_code: str, title: str, started_on: date, by: User
) -> Episode:
    _require(by, patient, capabilities.can_write_journal(by))
    _not_in_future(started_on)
    episode = Episode(
        practice_id=patient.practice_id,
        patient=patient,
        icpc_code=icpc_code.strip().upper(),
        title=title.strip(),
        started_on=started_on,
        created_by=by,
    )
    _save(episode, by=by)
    return episode


@transaction.atomic
def close_episode(*, episode: Episode, ended_on: date, by: User) -> Episode:
    _require(by, episode.patient, capabilities.can_write_journal(by))
    _not_in_future(ended_on)
    if episode.ended_on is not None:
        raise BusinessRuleError(_("Deze episode is al afgesloten."))
    episode.ended_on = ended_on
    _save(episode, by=by, detail="afgesloten")
    return episode


@transaction.atomic
def record_journal_entry(
    *,
    patient: Patient,
    contact_on: date,
    kind: str,
    subjective: str = "",
    objective: str = "",
    evaluation: str = "",
    plan: str = "",
    episode: Episode | None = None,
    by: User,
) -> JournalEntry:
    _require(by, patient, capabilities.can_write_journal(by))
    _not_in_future(contact_on)
    if episode is not None and episode.patient_id != patient.pk:
        raise PermissionDenied
    texts = _soep(subjective, objective, evaluation, plan)
    entry = JournalEntry(
        practice_id=patient.practice_id,
        patient=patient,
        episode=episode,
        contact_on=contact_on,
        kind=kind,
        subjective=texts[0],
        objective=texts[1],
        evaluation=texts[2],
        plan=texts[3],
        created_by=by,
    )
    _save(entry, by=by)
    return entry


@transaction.atomic
def correct_journal_entry(
    *,
    original: JournalEntry,
    subjective: str,
    objective: str,
    evaluation: str,
    plan: str,
    by: User,
) -> JournalEntry:
    """A correction is a new line that replaces the old one; the old one stays (for staff,
    marked as replaced) and a shield on it carries over, so a correction never reveals."""
    _require(by, original.patient, capabilities.can_write_journal(by))
    original = JournalEntry.objects.select_for_update(no_key=True).get(pk=original.pk)
    if JournalEntry.objects.filter(replaces=original).exists():
        raise BusinessRuleError(_("Deze regel is al verbeterd; verbeter de nieuwste versie."))
    texts = _soep(subjective, objective, evaluation, plan)
    correction = JournalEntry(
        practice_id=original.practice_id,
        patient_id=original.patient_id,
        episode=original.episode,
        contact_on=original.contact_on,
        kind=original.kind,
        subjective=texts[0],
        objective=texts[1],
        evaluation=texts[2],
        plan=texts[3],
        replaces=original,
        shielded=original.shielded,
        shielded_by=original.shielded_by,
        created_by=by,
    )
    correction.patient = original.patient
    _save(correction, by=by, detail=f"verbetering van {original.public_id}")
    return correction


@transaction.atomic
def record_medication(
    *,
    patient: Patient,
    name: str,
    dosage: str,
    started_on: date,
    chronic: bool = False,
    gstandaard_level: str = "",
    gstandaard_code: str = "",
    by: User,
) -> Medication:
    _require(by, patient, capabilities.can_record_medication(by))
    _not_in_future(started_on)
    medication = Medication(
        practice_id=patient.practice_id,
        patient=patient,
        name=name.strip(),
        dosage=dosage.strip(),
        started_on=started_on,
        chronic=chronic,
        gstandaard_level=gstandaard_level,
        gstandaard_code=gstandaard_code.strip(),
        prescriber=by,
        created_by=by,
    )
    _save(medication, by=by)
    return medication


@transaction.atomic
def stop_medication(*, medication: Medication, ended_on: date, by: User) -> Medication:
    _require(by, medication.patient, capabilities.can_record_medication(by))
    _not_in_future(ended_on)
    if medication.ended_on is not None:
        raise BusinessRuleError(_("Deze medicatie is al gestopt."))
    medication.ended_on = ended_on
    _save(medication, by=by, detail="gestopt")
    return medication


@transaction.atomic
def record_allergy(
    *, patient: Patient, substance: str, kind: str, reaction: str = "", by: User
) -> Allergy:
    _require(by, patient, capabilities.can_write_journal(by))
    allergy = Allergy(
        practice_id=patient.practice_id,
        patient=patient,
        substance=substance.strip(),
        kind=kind,
        reaction=reaction.strip(),
        recorded_on=timezone.localdate(),
        created_by=by,
    )
    _save(allergy, by=by)
    return allergy


@transaction.atomic
@transaction.atomic
def set_shielded(
    *, item: ClinicalRow, shielded: bool, by: User, together: Sequence[ClinicalRow] = ()
) -> ClinicalRow:
    """Shield an item (or a whole episode, with its journal lines) from the portal;
    `together`: rows of the same kind and patient that go with it (the diastolic of a
    blood pressure shown as one value), shielded or opened in the same step."""
    _require(by, item.patient, capabilities.can_shield(by))
    if any(
        type(other) is not type(item) or other.patient_id != item.patient_id for other in together
    ):
        raise PermissionDenied
    rows = [item, *(other for other in together if other.pk != item.pk)]
    for row in rows:
        row.shielded = shielded
        row.shielded_by = by if shielded else None
        row.save(update_fields=["shielded", "shielded_by"])
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind=type(item).__name__.lower(),
        practice=item.patient.practice,
        patient=item.patient,
        object_ids=[row.public_id for row in rows],
        detail="afgeschermd" if shielded else "afscherming opgeheven",
    )
    return item


def record_read(
    *,
    by: User,
    patient: Patient,
    object_ids: list[str],
    action: str = AuditAction.READ,
    detail: str = "",
    actor_role: str | None = None,
) -> None:
    """One log entry for a page of the record, or its PDF (staff, the patient, or a
    parent or gemachtigde acting for the patient: `actor_role`)."""
    record_access(
        actor=by,
        action=action,
        object_kind="record",
        practice=patient.practice,
        patient=patient,
        object_ids=object_ids,
        detail=detail,
        actor_role=actor_role,
    )


@transaction.atomic
def set_repeat(
    *,
    medication: Medication,
    repeatable: bool,
    quantity: str = "",
    control_due_on: date | None = None,
    by: User,
) -> Medication:
    """Put a medicine on the patient's repeat list (with the quantity per issue and when
    the next control is due), or take it off. The prescriber's call."""
    _require(by, medication.patient, capabilities.can_record_medication(by))
    quantity = quantity.strip()
    if repeatable:
        if medication.ended_on is not None:
            raise BusinessRuleError(_("Gestopte medicatie kan niet herhaald worden."))
        if not quantity or len(quantity) > 60:
            raise BusinessRuleError(
                _("Vul de hoeveelheid per uitgifte in, bijvoorbeeld 90 tabletten.")
            )
        if control_due_on is not None and control_due_on < timezone.localdate():
            raise BusinessRuleError(_("De volgende controle ligt in het verleden."))
    medication.repeatable = repeatable
    medication.quantity = quantity if repeatable else medication.quantity
    medication.control_due_on = control_due_on if repeatable else None
    _save(medication, by=by, detail="herhaalbaar" if repeatable else "niet meer herhaalbaar")
    return medication


def _measurements(
    *, patient: Patient, measured_on: date, values: dict[str, Decimal | None], by: User, source: str
) -> list[Measurement]:
    """Unsaved rows for one moment's values, by NHG code, checked: a blood pressure has
    both values and the upper is the higher, each value is within what a body can have."""
    from spreekuur.results.models import LabTest

    _not_in_future(measured_on)
    given = {code: value for code, value in values.items() if value is not None}
    if not given:
        raise BusinessRuleError(_("Vul minstens één meting in."))
    if (SYSTOLIC in given) != (DIASTOLIC in given):
        raise BusinessRuleError(_("Vul bij een bloeddruk de boven- en onderdruk in."))
    if SYSTOLIC in given and given[SYSTOLIC] <= given[DIASTOLIC]:
        raise BusinessRuleError(_("De bovendruk moet hoger zijn dan de onderdruk."))
    tests = {test.nhg_code: test for test in LabTest.objects.filter(nhg_code__in=given)}
    rows = []
    for code, value in given.items():
        low, high = MEASUREMENT_LIMITS.get(code, (None, None))
        if code not in tests or low is None or high is None:
            raise BusinessRuleError(_("Deze meting kan hier niet worden vastgelegd."))
        if not low <= value <= high:
            raise BusinessRuleError(
                _("%(name)s: %(value)s %(unit)s kan niet kloppen.")
                % {"name": tests[code].patient_name, "value": value, "unit": tests[code].unit}
            )
        rows.append(
            Measurement(
                practice_id=patient.practice_id,
                patient=patient,
                test=tests[code],
                value=value,
                measured_on=measured_on,
                created_by=by,
                source=source,
            )
        )
    # The systolic first, so that the diastolic can name it as its pair.
    rows.sort(key=lambda row: row.test.nhg_code != SYSTOLIC)
    return rows


def _pair(rows: list[Measurement]) -> None:
    """After the systolic is saved: the diastolic names it (one blood-pressure reading)."""
    systolic = next((row for row in rows if row.test.nhg_code == SYSTOLIC), None)
    for row in rows:
        if row.test.nhg_code == DIASTOLIC and systolic is not None:
            row.pair = systolic


@transaction.atomic
def record_measurements(
    *, patient: Patient, measured_on: date, values: dict[str, Decimal | None], by: User
) -> list[Measurement]:
    """Blood pressure and/or weight of one moment, by NHG code; all or none are stored."""
    _require(by, patient, capabilities.can_write_journal(by))
    rows = _measurements(
        patient=patient,
        measured_on=measured_on,
        values=values,
        by=by,
        source=MeasurementSource.PRACTICE,
    )
    for row in rows:
        _pair(rows)
        _save(row, by=by)
    return rows


HOME_MEASUREMENT_DAYS = 365  # a home reading older than a year is not passed on


@transaction.atomic
def record_home_measurements(
    *, patient: Patient, measured_on: date, values: dict[str, Decimal | None], by: User
) -> list[Measurement]:
    """Values the patient measured at home (blood pressure, weight, blood glucose from a
    meter, heart rate), passed on by them or
    by whoever acts for them (an app through the FHIR API). Stored as the patient's own,
    marked so wherever the record shows them; all or none."""
    capacity = portal_capacity(by, patient)  # PermissionDenied for anyone else
    if measured_on < timezone.localdate() - timedelta(days=HOME_MEASUREMENT_DAYS):
        raise BusinessRuleError(_("Een thuismeting van meer dan een jaar geleden kan niet."))
    rows = _measurements(
        patient=patient,
        measured_on=measured_on,
        values=values,
        by=by,
        source=MeasurementSource.PATIENT,
    )
    for row in rows:
        _pair(rows)
        try:
            row.full_clean(exclude=["practice", "patient", "created_by", "shielded_by", "pair"])
        except DjangoValidationError as error:
            raise BusinessRuleError(" ".join(error.messages)) from error
        row.save()
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="measurement",
        practice=patient.practice,
        patient=patient,
        object_ids=[row.public_id for row in rows],
        detail="thuismeting",
        actor_role=capacity,
    )
    return rows
