"""Reads of the chronic-care programmes, each scoped to one practice: who is suggested
for a programme (an open episode with one of its ICPC codes, no decision yet), who takes
part, a patient's own programmes, and who is due for a control."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Exists, F, Max, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Least
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode

from spreekuur.accounts.models import Membership, User
from spreekuur.accounts.selectors import active_membership
from spreekuur.agenda.models import AppointmentType
from spreekuur.chroniccare.models import (
    IN_FORCE,
    Control,
    ControlKind,
    Enrolment,
    EnrolmentStatus,
    Goal,
    GoalStatus,
    Invitation,
    InvitationChannel,
)
from spreekuur.chroniccare.planning import PLANNED_FIELDS, months_after
from spreekuur.chroniccare.programmes import Measure, Programme, Target, programme
from spreekuur.core.exceptions import OutOfReach
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.dashboard.models import Region, RegionPractice
from spreekuur.dossier.models import Episode, Measurement, MeasurementSource
from spreekuur.dossier.selectors import online_measurements
from spreekuur.patients.models import Patient
from spreekuur.results.charts import Chart, Value, line_chart
from spreekuur.results.models import LabResult, LabTest, local_decimals
from spreekuur.results.selectors import released_results


def programme_episodes(patient: Patient, scheme: Programme) -> list[Episode]:
    """The patient's episodes that make them a candidate for the programme, open first."""
    return list(
        Episode.objects.filter(
            practice_id=patient.practice_id, patient=patient, icpc_code__in=scheme.icpc_codes
        ).order_by("-ended_on", "started_on")
    )


def suggested_patients(practice: Practice, code: str) -> QuerySet[Patient]:
    """Patients of the practice with an open episode of the programme (T90: diabetes),
    old enough for it, and no decision about it yet, each with `since`: the start of their
    earliest such episode. Read each time, so a closed episode or a decision takes them
    off at once."""
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
    patients = Patient.objects.filter(practice=practice)
    if wanted.suggest_from_age:
        born_by = months_after(timezone.localdate(), -12 * wanted.suggest_from_age)
        patients = patients.filter(date_of_birth__lte=born_by)
    return (
        patients.filter(Exists(episodes))
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


DUE_WITHIN_DAYS = 14  # the due list looks two weeks ahead by default


@dataclass(frozen=True)
class Due:
    """One patient's next control or annual check-up in one programme."""

    enrolment_id: int
    programme: str
    kind: str  # ControlKind
    due_on: date
    last_on: date | None  # the last one of this kind (None: never yet)
    invited_at: datetime | None = None  # the last invitation (None: not invited yet)
    # With the patient and main practitioner when read by due_list (select_related).
    enrolment: Enrolment | None = None

    def overdue_on(self, today: date) -> bool:
        return self.due_on < today

    @property
    def kind_label(self) -> str:
        return str(ControlKind(self.kind).label)


def due_list(
    practice: Practice,
    *,
    today: date,
    within_days: int = DUE_WITHIN_DAYS,
    practitioner: Membership | None = None,
    programme_code: str = "",
) -> QuerySet[Enrolment]:
    """Who is due for a control or the annual check-up: due on or before `today` +
    `within_days`, overdue first, then by date and name; optionally for one main
    practitioner or one programme. A query on the planning the enrolments keep (the
    practice's `enrolment_due` index), so counting and paging it stay cheap at any size;
    `due_rows` makes a page's enrolments into rows."""
    horizon = today + timedelta(days=within_days)
    enrolments = Enrolment.objects.filter(practice=practice, status=EnrolmentStatus.ACTIVE)
    if practitioner is not None:
        enrolments = enrolments.filter(main_practitioner=practitioner)
    if programme_code:
        enrolments = enrolments.filter(programme=programme_code)
    return (
        enrolments.alias(first_due=Least("next_control_on", "next_checkup_on"))
        .filter(first_due__lte=horizon)
        # The date _due_of plans: the check-up once it falls within the horizon.
        .alias(
            due_on=Case(
                When(next_checkup_on__lte=horizon, then=F("next_checkup_on")),
                default=F("next_control_on"),
            )
        )
        .select_related("patient", "main_practitioner__user")
        .order_by("due_on", "patient__family_name", "pk")
    )


def due_rows(
    enrolments: Iterable[Enrolment], *, today: date, within_days: int = DUE_WITHIN_DAYS
) -> list[Due]:
    """The due list's enrolments as rows: what is due, when, the last one of its kind and
    the last invitation (one query, for a page's rows)."""
    enrolments = list(enrolments)
    invited = (
        dict(
            Invitation.objects.filter(
                practice_id__in={e.practice_id for e in enrolments},
                enrolment__in=[e.pk for e in enrolments],
            )
            .values("enrolment_id")
            .annotate(last=Max("created_at"))
            .values_list("enrolment_id", "last")
        )
        if enrolments
        else {}
    )
    horizon = today + timedelta(days=within_days)
    return [
        replace(_due_of(enrolment, horizon), invited_at=invited.get(enrolment.pk))
        for enrolment in enrolments
    ]


def due_counts(practice: Practice, *, today: date) -> dict[str, int]:
    """How many are on the due list, per programme (one query)."""
    return dict(
        due_list(practice, today=today)
        .order_by()
        .values("programme")
        .annotate(count=Count("pk"))
        .values_list("programme", "count")
    )


def _due_of(enrolment: Enrolment, horizon: date) -> Due:
    """The enrolment's next control or check-up from its planning. The check-up is a
    control too: when it falls due first, or both fall due by `horizon`, it is the one
    to plan."""
    control_due = enrolment.next_control_on or enrolment.started_on
    checkup_due = enrolment.next_checkup_on or enrolment.started_on
    if checkup_due <= max(control_due, horizon):
        kind, due_on, last_on = ControlKind.CHECKUP, checkup_due, enrolment.last_checkup_on
    else:
        kind, due_on, last_on = ControlKind.CONTROL, control_due, enrolment.last_control_on
    return Due(enrolment.pk, enrolment.programme, kind, due_on, last_on, enrolment=enrolment)


def next_due_of(enrolment: Enrolment, *, today: date) -> Due:
    """This participant's next control or check-up, as the due list plans it (read anew:
    one query, so a control just recorded counts)."""
    planned = Enrolment.objects.only("pk", "programme", "started_on", *PLANNED_FIELDS).get(
        pk=enrolment.pk
    )
    return replace(_due_of(planned, today + timedelta(days=DUE_WITHIN_DAYS)), enrolment=enrolment)


# --- One participant: the control consult and the patient's own view -------------------------

RECENT = 24  # values per measurement on the page: six years of quarterly controls


class Source(StrEnum):
    LAB = "lab"
    PRACTICE = "praktijk"
    HOME = "thuis"


@dataclass(frozen=True)
class TrendValue:
    on: date
    value: Decimal
    display: str  # as measured, in the reader's language ("5,4"; "<0,5" from a lab)
    source: Source
    on_target: bool | None  # None: the measurement has no target (for this patient)

    @property
    def from_home(self) -> bool:
        return self.source == Source.HOME

    @property
    def from_lab(self) -> bool:
        return self.source == Source.LAB


@dataclass(frozen=True)
class Trend:
    """One of the programme's measurements for one patient: its values (oldest first,
    the newest RECENT), its target at the patient's age, and whether it is due again."""

    test: LabTest
    measure: Measure
    target: Target | None
    values: list[TrendValue]
    due: bool  # never measured, or the last value is older than the measure's interval
    chart: Chart | None

    @property
    def target_text(self) -> str:
        return self.target.text(self.test.unit) if self.target is not None else ""

    @property
    def latest(self) -> TrendValue | None:
        return self.values[-1] if self.values else None

    @property
    def newest_first(self) -> list[TrendValue]:
        return self.values[::-1]


def trends(
    patient: Patient,
    scheme: Programme,
    *,
    today: date,
    measurements: QuerySet[Measurement],
    results: QuerySet[LabResult],
) -> list[Trend]:
    """The programme's measurements for the patient, from the record's measurements (the
    practice's and the patient's own, marked) and the lab's results, in the programme's
    order. The caller chooses the rows: all of them for staff, what the portal shows for
    the patient. Three queries, however long the history."""
    codes = scheme.nhg_codes
    tests = {test.nhg_code: test for test in LabTest.objects.filter(nhg_code__in=codes)}
    age = patient.age_on(today)
    targets = {
        m.nhg_code: m.target if m.target is not None and m.target.applies_at(age) else None
        for m in scheme.measures
    }
    found: dict[str, list[TrendValue]] = {code: [] for code in codes}
    for row in measurements.filter(test__nhg_code__in=codes).values_list(
        "test__nhg_code", "measured_on", "value", "source"
    ):
        code, on, value, source = row
        target = targets[code]
        test = tests.get(code)
        found[code].append(
            TrendValue(
                on,
                value,
                # As the test is written (a blood pressure 84, not the stored 84.0).
                formats.number_format(value, decimal_pos=test.decimals if test else None),
                Source.HOME if source == MeasurementSource.PATIENT else Source.PRACTICE,
                None if target is None else target.met_by(value),
            )
        )
    lab = results.filter(test__nhg_code__in=codes, value__isnull=False).values_list(
        "test__nhg_code", "observed_at", "value", "value_text"
    )
    for code, observed_at, number, text in lab:
        if number is None:  # filtered out above; the type does not know
            continue
        target = targets[code]
        found[code].append(
            TrendValue(
                timezone.localtime(observed_at).date(),
                number,
                local_decimals(text),
                Source.LAB,
                None if target is None else target.met_by(number),
            )
        )
    made = []
    for measure in scheme.measures:
        test = tests.get(measure.nhg_code)
        if test is None:
            continue  # a programme measurement this installation has no test for
        values = sorted(found[measure.nhg_code], key=lambda v: v.on)[-RECENT:]
        due = not values or months_after(values[-1].on, measure.every_months) <= today
        made.append(
            Trend(
                test,
                measure,
                targets[measure.nhg_code],
                values,
                due,
                _chart(test, values, targets[measure.nhg_code]),
            )
        )
    return made


def _chart(test: LabTest, values: list[TrendValue], target: Target | None) -> Chart | None:
    def label(v: TrendValue) -> str:
        return f"{formats.date_format(v.on, 'j N Y')}: {v.display} {test.unit}".strip()

    def moment(day: date) -> float:
        return datetime.combine(day, time(12)).timestamp()

    low: Decimal | None = None
    high: Decimal | None = None
    if target is not None:
        low = target.at_least
        high = target.below if target.below is not None else target.at_most
    return line_chart(
        [Value(moment(v.on), float(v.value), label(v), v.on_target is False) for v in values],
        band_low=low,
        band_high=high,
        first_label=formats.date_format(values[0].on, "j N Y") if values else "",
        last_label=formats.date_format(values[-1].on, "j N Y") if values else "",
    )


@dataclass(frozen=True)
class ControlPage:
    """What the POH sees at a control: what is due, each measurement's trend with its
    target, the care plan (the patient's own goals), and the controls before."""

    enrolment: Enrolment
    scheme: Programme
    due: Due
    trends: list[Trend]
    goals: list[Goal]
    controls: list[Control]
    invitations: list[Invitation]

    @property
    def active_goals(self) -> list[Goal]:
        return [goal for goal in self.goals if goal.status == GoalStatus.ACTIVE]

    @property
    def closed_goals(self) -> list[Goal]:
        return [goal for goal in self.goals if goal.status != GoalStatus.ACTIVE]

    def object_ids(self) -> list[object]:
        return [
            self.enrolment.public_id,
            *(goal.public_id for goal in self.goals),
            *(control.public_id for control in self.controls),
        ]


CONTROLS_SHOWN = 12  # three years of quarterly controls


def get_enrolment_for(user: User, public_id: UUID | str) -> Enrolment:
    """A participation in the user's own practice (a decision of any status), or 404
    (a refused attempt for the access log)."""
    membership = active_membership(user)
    try:
        if membership is None:
            raise Enrolment.DoesNotExist
        return Enrolment.objects.select_related("patient__practice", "main_practitioner__user").get(
            practice_id=membership.practice_id, public_id=public_id
        )
    except (Enrolment.DoesNotExist, ValueError, ValidationError):
        raise OutOfReach(actor=user, object_kind="enrolment", object_ids=[public_id]) from None


def control_page(enrolment: Enrolment, *, today: date) -> ControlPage:
    """Everything the control consult shows, in a fixed number of queries."""
    patient = enrolment.patient
    scheme = programme(enrolment.programme)
    measurements = Measurement.objects.filter(practice_id=patient.practice_id, patient=patient)
    results = LabResult.objects.filter(
        practice_id=patient.practice_id, patient=patient, replaced=False
    )
    return ControlPage(
        enrolment=enrolment,
        scheme=scheme,
        due=_due_of(enrolment, today + timedelta(days=DUE_WITHIN_DAYS)),
        trends=trends(patient, scheme, today=today, measurements=measurements, results=results),
        goals=list(Goal.objects.filter(enrolment=enrolment).order_by("-created_at", "-pk")),
        controls=list(
            Control.objects.filter(enrolment=enrolment)
            .select_related("created_by")
            .order_by("-held_on", "-pk")[:CONTROLS_SHOWN]
        ),
        invitations=list(
            Invitation.objects.filter(enrolment=enrolment)
            .select_related("created_by")
            .order_by("-created_at")[:3]
        ),
    )


@dataclass(frozen=True)
class MyProgramme:
    """A programme as the patient sees it: since when, their goals, the next control and
    their own values (what the portal shows of the record: released results only)."""

    enrolment: Enrolment
    scheme: Programme
    due: Due
    goals: list[Goal]
    trends: list[Trend]
    invitation: Invitation | None  # an open invitation: book the control

    @property
    def invitation_link(self) -> str:
        return booking_link(self.invitation) if self.invitation is not None else ""


def my_programmes(patient: Patient, *, today: date) -> list[MyProgramme]:
    """The programmes the patient takes part in now, with what the portal may show."""
    enrolments = list(
        Enrolment.objects.filter(
            practice_id=patient.practice_id, patient=patient, status=EnrolmentStatus.ACTIVE
        ).order_by("started_on", "pk")
    )
    if not enrolments:
        return []
    measurements = online_measurements(patient)
    results = released_results(patient)
    horizon = today + timedelta(days=DUE_WITHIN_DAYS)
    goals = Goal.objects.filter(enrolment__in=enrolments, status=GoalStatus.ACTIVE).order_by(
        "created_at", "pk"
    )
    open_invitations = {i.enrolment_id: i for i in open_invitations_of(patient)}
    shown = []
    for enrolment in enrolments:
        scheme = programme(enrolment.programme)
        shown.append(
            MyProgramme(
                enrolment=enrolment,
                scheme=scheme,
                due=_due_of(enrolment, horizon),
                goals=[goal for goal in goals if goal.enrolment_id == enrolment.pk],
                trends=[
                    trend
                    for trend in trends(
                        patient, scheme, today=today, measurements=measurements, results=results
                    )
                    if trend.values
                ],
                invitation=open_invitations.get(enrolment.pk),
            )
        )
    return shown


def open_invitations_of(patient: Patient) -> list[Invitation]:
    """Portal invitations still open: no control held since it was sent, the patient
    still takes part (the newest per programme)."""
    held_since = Control.objects.filter(
        enrolment=OuterRef("enrolment"), created_at__gte=OuterRef("created_at")
    )
    rows = (
        Invitation.objects.filter(
            practice_id=patient.practice_id,
            patient=patient,
            channel=InvitationChannel.PORTAL,
            enrolment__status=EnrolmentStatus.ACTIVE,
        )
        .exclude(Exists(held_since))
        .select_related("enrolment", "appointment_type")
        .order_by("-created_at")
    )
    newest: dict[int, Invitation] = {}
    for invitation in rows:
        newest.setdefault(invitation.enrolment_id, invitation)
    return list(newest.values())


def booking_link(invitation: Invitation) -> str:
    """Where the patient books the control: the booking steps with the kind of
    appointment chosen, when the practice offers it online; empty otherwise."""
    kind = invitation.appointment_type
    if kind is None or not kind.online_bookable or not kind.active:
        return ""
    return f"{reverse('agenda:book_start')}?{urlencode({'soort': str(kind.public_id)})}"


# --- Small reads the pages need ----------------------------------------------------------------

CARE_ROLES = (StaffRole.POH, StaffRole.HUISARTS)


def care_staff(practice: Practice) -> list[Membership]:
    """The practice's POH and GPs: who can be a participant's main practitioner."""
    return list(
        Membership.objects.filter(practice=practice, active=True, role__in=CARE_ROLES)
        .select_related("user")
        .order_by("user__full_name")
    )


def invite_types(practice: Practice) -> list[AppointmentType]:
    """The kinds of appointment a POH or GP offers: what an invitation books."""
    return [
        t
        for t in AppointmentType.objects.filter(practice=practice, active=True)
        if any(t.offered_by_role(role) for role in CARE_ROLES)
    ]


def get_goal_for(user: User, enrolment: Enrolment, public_id: UUID | str) -> Goal:
    """A goal of this participation, or 404 (a refused attempt for the access log)."""
    try:
        return Goal.objects.select_related("patient__practice").get(
            practice_id=enrolment.practice_id, enrolment=enrolment, public_id=public_id
        )
    except (Goal.DoesNotExist, ValueError, ValidationError):
        raise OutOfReach(actor=user, object_kind="care_goal", object_ids=[public_id]) from None


def get_invitation_for(user: User, practice: Practice, public_id: UUID | str) -> Invitation:
    """An invitation of the user's practice, or 404 (a refused attempt for the log)."""
    try:
        return Invitation.objects.select_related(
            "patient__practice", "enrolment", "appointment_type"
        ).get(practice=practice, public_id=public_id)
    except (Invitation.DoesNotExist, ValueError, ValidationError):
        raise OutOfReach(
            actor=user, object_kind="chronic_invitation", object_ids=[public_id]
        ) from None


def region_practices(region: Region) -> list[Practice]:
    """The practices of a care group's region, by name."""
    return [
        member.practice
        for member in RegionPractice.objects.filter(region=region)
        .select_related("practice")
        .order_by("practice__name")
    ]
