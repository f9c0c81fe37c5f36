"""Reads of the chronic-care programmes, each scoped to one practice: who is suggested
for a programme (an open episode with one of its ICPC codes, no decision yet), who takes
part, a patient's own programmes, and who is due for a control."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from spreekuur.accounts.models import Membership
from spreekuur.chroniccare.models import IN_FORCE, Control, ControlKind, Enrolment, EnrolmentStatus
from spreekuur.chroniccare.programmes import programme
from spreekuur.core.models import Practice
from spreekuur.dossier.models import Episode
from spreekuur.patients.models import Patient


def suggested_patients(practice: Practice, code: str) -> QuerySet[Patient]:
    """Patients of the practice with an open episode of the programme (T90: diabetes)
    and no decision about it yet, each with `since`: the start of their earliest such
    episode. Read each time, so a closed episode or a decision takes them off at once."""
    wanted = programme(code)
    episodes = Episode.objects.filter(
        practice_id=practice.pk,
        patient=OuterRef("pk"),
        icpc_code__in=wanted.icpc_codes,
        ended_on__isnull=True,
    )
    decided = Enrolment.objects.filter(
        practice_id=practice.pk, patient=OuterRef("pk"), programme=code, status__in=IN_FORCE
    )
    return (
        Patient.objects.filter(practice=practice)
        .filter(Exists(episodes))
        .exclude(Exists(decided))
        .annotate(since=Subquery(episodes.order_by("started_on").values("started_on")[:1]))
        .order_by("family_name", "given_name", "pk")
    )


def enrolments_in(practice: Practice, code: str) -> QuerySet[Enrolment]:
    """Who takes part in the programme now."""
    return (
        Enrolment.objects.filter(practice=practice, programme=code, status=EnrolmentStatus.ACTIVE)
        .select_related("patient", "main_practitioner__user")
        .order_by("patient__family_name", "patient__given_name", "pk")
    )


def enrolments_of(patient: Patient) -> QuerySet[Enrolment]:
    """Every decision about this patient, newest first (for the record and the portal)."""
    return (
        Enrolment.objects.filter(practice_id=patient.practice_id, patient=patient)
        .select_related("main_practitioner__user")
        .order_by("-started_on", "-pk")
    )


@dataclass(frozen=True)
class Due:
    """One patient's next control or annual check-up in one programme."""

    enrolment: Enrolment
    kind: str  # ControlKind
    due_on: date
    last_on: date | None  # the last one of this kind (None: never yet)

    def overdue_on(self, today: date) -> bool:
        return self.due_on < today


def _months_after(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 January + 1: 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_list(
    practice: Practice,
    *,
    today: date,
    within_days: int = 14,
    practitioner: Membership | None = None,
) -> list[Due]:
    """Who is due for a control or the annual check-up: due on or before `today` +
    `within_days` (overdue first, then by date), optionally for one main practitioner.
    A control is due at the next date the last one set, or the programme's interval after
    it; the check-up a year (the programme's) after the last; a new participant at once.
    One query: the last control and check-up come with each enrolment."""
    controls = Control.objects.filter(practice_id=practice.pk, enrolment=OuterRef("pk")).order_by(
        "-held_on", "-pk"
    )
    checkups = controls.filter(kind=ControlKind.CHECKUP)
    enrolments = (
        Enrolment.objects.filter(practice=practice, status=EnrolmentStatus.ACTIVE)
        .annotate(
            last_control_on=Subquery(controls.values("held_on")[:1]),
            next_set_on=Subquery(controls.values("next_on")[:1]),
            last_checkup_on=Subquery(checkups.values("held_on")[:1]),
        )
        .select_related("patient", "main_practitioner__user")
    )
    if practitioner is not None:
        enrolments = enrolments.filter(main_practitioner=practitioner)
    horizon = today + timedelta(days=within_days)
    found: list[Due] = []
    for enrolment in enrolments:
        scheme = programme(enrolment.programme)
        last_control = enrolment.last_control_on
        if last_control is None:
            control_due = enrolment.started_on
        else:
            control_due = enrolment.next_set_on or _months_after(
                last_control, scheme.control_every_months
            )
        last_checkup = enrolment.last_checkup_on
        checkup_due = (
            enrolment.started_on
            if last_checkup is None
            else _months_after(last_checkup, scheme.checkup_every_months)
        )
        # The check-up is a control too: when both fall due, it is the one to plan.
        if checkup_due <= horizon:
            found.append(Due(enrolment, ControlKind.CHECKUP, checkup_due, last_checkup))
        elif control_due <= horizon:
            found.append(Due(enrolment, ControlKind.CONTROL, control_due, last_control))
    return sorted(found, key=lambda due: (due.due_on, due.enrolment.patient.family_name))
