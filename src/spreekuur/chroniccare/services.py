"""Every write of the chronic-care programmes: taking part, not taking part, stopping,
a control.
Each checks who may (the POH or GP of the patient's practice), runs in one transaction
and writes its access-log entry there."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import Membership, User
from spreekuur.accounts.selectors import active_membership
from spreekuur.agenda.models import AppointmentType
from spreekuur.chroniccare.capabilities import can_see_due_lists, can_work_in_programmes
from spreekuur.chroniccare.models import (
    IN_FORCE,
    Control,
    ControlKind,
    EndReason,
    Enrolment,
    EnrolmentStatus,
    Goal,
    GoalStatus,
    Invitation,
    InvitationChannel,
)
from spreekuur.chroniccare.planning import PLANNED_FIELDS, next_dates
from spreekuur.chroniccare.programmes import programme, programmes
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import AuditAction
from spreekuur.core.roles import StaffRole
from spreekuur.dossier.services import record_measurements
from spreekuur.patients.models import Patient
from spreekuur.patients.notices import notify_new_in_portal


def _require(
    by: User, patient: Patient, allowed: Callable[[User], bool] = can_work_in_programmes
) -> None:
    membership = active_membership(by)
    if not allowed(by) or membership is None or membership.practice_id != patient.practice_id:
        raise PermissionDenied


# The access log's object kind of each row this app writes (core/audit_labels.py).
LOG_KINDS: dict[type, str] = {
    Enrolment: "enrolment",
    Goal: "care_goal",
    Control: "chronic_control",
    Invitation: "chronic_invitation",
}


def _known(programme: str) -> None:
    if programme not in programmes():
        raise BusinessRuleError(_("Dit ketenzorgprogramma bestaat niet."))


def _log(row: Enrolment | Goal | Control | Invitation, action: str, by: User, detail: str) -> None:
    """One access-log entry for a row about one patient, of the row's own kind."""
    record_access(
        actor=by,
        action=action,
        object_kind=LOG_KINDS[type(row)],
        practice=row.patient.practice,
        patient=row.patient,
        object_ids=[row.public_id],
        detail=detail,
    )


def _in_force(patient: Patient, programme: str) -> Enrolment | None:
    return (
        Enrolment.objects.select_for_update()
        .filter(
            practice_id=patient.practice_id,
            patient=patient,
            programme=programme,
            status__in=IN_FORCE,
        )
        .first()
    )


def _check_day(day: date, what: str) -> None:
    if day > timezone.localdate():
        raise BusinessRuleError(_("%(what)s kan niet in de toekomst liggen.") % {"what": what})


def _save_decision(decision: Enrolment, refusal: str) -> None:
    """Saved, or refused in words when another request decided about the same patient
    and programme at the same moment (the one-in-force index caught it)."""
    try:
        with transaction.atomic():
            decision.save()
    except IntegrityError:
        raise BusinessRuleError(refusal) from None


@transaction.atomic
def enrol_patient(
    *,
    patient: Patient,
    programme: str,
    started_on: date,
    by: User,
    main_practitioner: Membership | None = None,
    care_group: str = "",
    financing_period: str = "",
) -> Enrolment:
    """The patient takes part from `started_on`. An earlier "does not take part" gives
    way (kept, as ended); taking part twice is refused."""
    _require(by, patient)
    _known(programme)
    _check_day(started_on, _("De startdatum"))
    if started_on < patient.date_of_birth:
        raise BusinessRuleError(_("De startdatum ligt voor de geboortedatum."))
    if main_practitioner is not None and (
        main_practitioner.practice_id != patient.practice_id
        or not main_practitioner.active
        or main_practitioner.role not in (StaffRole.POH, StaffRole.HUISARTS)
    ):
        raise BusinessRuleError(_("De hoofdbehandelaar is een huisarts of POH van de praktijk."))
    earlier = _in_force(patient, programme)
    if earlier is not None and earlier.status == EnrolmentStatus.ACTIVE:
        raise BusinessRuleError(_("Deze patiënt doet al mee aan dit programma."))
    if earlier is not None:  # declined before: that decision ends today
        earlier.status = EnrolmentStatus.ENDED
        earlier.ended_on = max(timezone.localdate(), earlier.started_on)
        earlier.save(update_fields=["status", "ended_on", "changed_at"])
    first_control, first_checkup = next_dates(programme, started_on, None, None, None)
    enrolment = Enrolment(
        practice_id=patient.practice_id,
        patient=patient,
        programme=programme,
        started_on=started_on,
        next_control_on=first_control,
        next_checkup_on=first_checkup,
        main_practitioner=main_practitioner,
        care_group=care_group.strip()[:100],
        financing_period=financing_period.strip()[:20],
        created_by=by,
    )
    _save_decision(enrolment, _("Deze patiënt doet al mee aan dit programma."))
    _log(enrolment, AuditAction.CREATE, by, programme)
    return enrolment


@transaction.atomic
def decline_enrolment(*, patient: Patient, programme: str, reason: str, by: User) -> Enrolment:
    """The patient does not take part (their wish, the specialist treats them, ...): the
    suggestion goes away until someone enrols them after all."""
    _require(by, patient)
    _known(programme)
    if reason not in EndReason.values:
        raise BusinessRuleError(_("Kies een reden."))
    if _in_force(patient, programme) is not None:
        raise BusinessRuleError(_("Voor deze patiënt is over dit programma al besloten."))
    decision = Enrolment(
        practice_id=patient.practice_id,
        patient=patient,
        programme=programme,
        status=EnrolmentStatus.DECLINED,
        started_on=timezone.localdate(),
        end_reason=reason,
        created_by=by,
    )
    _save_decision(decision, _("Voor deze patiënt is over dit programma al besloten."))
    _log(decision, AuditAction.CREATE, by, f"{programme}: {reason}")
    return decision


@transaction.atomic
def end_enrolment(*, enrolment: Enrolment, ended_on: date, reason: str, by: User) -> Enrolment:
    """The patient stops taking part on `ended_on` (deceased, left the practice, ...);
    the care group's figures count them until that day."""
    _require(by, enrolment.patient)
    if reason not in EndReason.values:
        raise BusinessRuleError(_("Kies een reden."))
    locked = (
        Enrolment.objects.select_for_update()
        .select_related("patient__practice")
        .get(pk=enrolment.pk)
    )
    if locked.status != EnrolmentStatus.ACTIVE:
        raise BusinessRuleError(_("Deze deelname is al gestopt."))
    _check_day(ended_on, _("De stopdatum"))
    if ended_on < locked.started_on:
        raise BusinessRuleError(_("De stopdatum ligt voor de startdatum."))
    locked.status = EnrolmentStatus.ENDED
    locked.ended_on = ended_on
    locked.end_reason = reason
    locked.save(update_fields=["status", "ended_on", "end_reason", "changed_at"])
    _log(locked, AuditAction.CHANGE, by, f"{locked.programme}: {reason}")
    return locked


@transaction.atomic
def record_control(
    *,
    enrolment: Enrolment,
    kind: str,
    held_on: date,
    measurements: Mapping[str, Decimal],
    by: User,
    advice: str = "",
    next_on: date | None = None,
) -> Control:
    """A control or the annual check-up, recorded in one go: the values measured (by NHG
    number; only the programme's own) go into the record as the practice's measurements,
    with the advice and the next date. All or nothing."""
    _require(by, enrolment.patient)
    locked = (
        Enrolment.objects.select_for_update()
        .select_related("patient__practice")
        .get(pk=enrolment.pk)
    )
    if locked.status != EnrolmentStatus.ACTIVE:
        raise BusinessRuleError(_("Deze patiënt doet niet (meer) mee aan dit programma."))
    if kind not in ControlKind.values:
        raise BusinessRuleError(_("Kies controle of jaarcontrole."))
    _check_day(held_on, _("De datum van de controle"))
    if held_on < locked.started_on:
        raise BusinessRuleError(_("De controle ligt voor de start in het programma."))
    if next_on is not None and next_on <= held_on:
        raise BusinessRuleError(_("De volgende controle ligt na deze."))
    own = set(programme(locked.programme).nhg_codes)
    if set(measurements) - own:
        raise BusinessRuleError(_("Deze meting hoort niet bij dit programma."))
    if measurements:
        record_measurements(
            patient=locked.patient, measured_on=held_on, values=dict(measurements), by=by
        )
    control = Control.objects.create(
        practice_id=locked.practice_id,
        patient=locked.patient,
        enrolment=locked,
        kind=kind,
        held_on=held_on,
        advice=advice.strip()[:2000],
        next_on=next_on,
        created_by=by,
    )
    replan(Enrolment.objects.filter(pk=locked.pk))
    _log(control, AuditAction.CREATE, by, f"{locked.programme}: {kind}")
    return control


def replan(enrolments: QuerySet[Enrolment]) -> int:
    """Each enrolment's planning made again from its controls (planning.next_dates): the
    last control and check-up, and when the next of each is due. One read, and one
    update per thousand rows; for a control just recorded, and for rows written in bulk
    (the demo). Returns how many rows it planned."""
    controls = Control.objects.filter(
        practice_id=OuterRef("practice_id"), enrolment=OuterRef("pk")
    ).order_by("-held_on", "-pk")
    planned = list(
        enrolments.annotate(
            latest_held_on=Subquery(controls.values("held_on")[:1]),
            latest_next_on=Subquery(controls.values("next_on")[:1]),
            latest_checkup_on=Subquery(
                controls.filter(kind=ControlKind.CHECKUP).values("held_on")[:1]
            ),
        ).only("pk", "programme", "started_on", *PLANNED_FIELDS)
    )
    for enrolment in planned:
        enrolment.last_control_on = enrolment.latest_held_on
        enrolment.last_checkup_on = enrolment.latest_checkup_on
        enrolment.next_control_on, enrolment.next_checkup_on = next_dates(
            enrolment.programme,
            enrolment.started_on,
            enrolment.last_control_on,
            enrolment.latest_next_on,
            enrolment.last_checkup_on,
        )
    Enrolment.objects.bulk_update(planned, PLANNED_FIELDS, batch_size=1000)
    return len(planned)


GOAL_LENGTH = 300


@transaction.atomic
def add_goal(
    *, enrolment: Enrolment, text: str, by: User, action: str = "", review_on: date | None = None
) -> Goal:
    """A goal of the patient's own, agreed at a control, for their care plan."""
    _require(by, enrolment.patient)
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise BusinessRuleError(_("Deze patiënt doet niet (meer) mee aan dit programma."))
    text, action = text.strip(), action.strip()
    if not text:
        raise BusinessRuleError(_("Schrijf het doel op, in de woorden van de patiënt."))
    if len(text) > GOAL_LENGTH or len(action) > GOAL_LENGTH:
        raise BusinessRuleError(_("Houd het doel kort: hoogstens 300 tekens."))
    if review_on is not None and review_on <= timezone.localdate():
        raise BusinessRuleError(_("De datum om terug te kijken ligt in de toekomst."))
    goal = Goal.objects.create(
        practice_id=enrolment.practice_id,
        patient=enrolment.patient,
        enrolment=enrolment,
        text=text,
        action=action,
        review_on=review_on,
        created_by=by,
    )
    _log(goal, AuditAction.CREATE, by, "nieuw")
    return goal


@transaction.atomic
def close_goal(*, goal: Goal, status: str, by: User) -> Goal:
    """The goal is reached, or the patient stops with it (kept in the care plan)."""
    _require(by, goal.patient)
    if status not in (GoalStatus.REACHED, GoalStatus.STOPPED):
        raise BusinessRuleError(_("Kies bereikt of gestopt."))
    locked = Goal.objects.select_for_update().select_related("patient__practice").get(pk=goal.pk)
    if locked.status != GoalStatus.ACTIVE:
        raise BusinessRuleError(_("Dit doel is al afgesloten."))
    locked.status = status
    locked.closed_on = timezone.localdate()
    locked.save(update_fields=["status", "closed_on"])
    _log(locked, AuditAction.CHANGE, by, status)
    return locked


@transaction.atomic
def invite(
    *,
    enrolment: Enrolment,
    kind: str,
    due_on: date,
    channel: str,
    by: User,
    appointment_type: AppointmentType | None = None,
) -> Invitation:
    """Invite the patient to their control or annual check-up: in the portal (a notice
    by e-mail or SMS that says only that there is a message; the portal shows what for,
    with a link to book `appointment_type` when it is booked online) or by letter (the
    practice prints it). The assistants invite too."""
    _require(by, enrolment.patient, can_see_due_lists)
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise BusinessRuleError(_("Deze patiënt doet niet (meer) mee aan dit programma."))
    if kind not in ControlKind.values:
        raise BusinessRuleError(_("Kies controle of jaarcontrole."))
    if channel not in InvitationChannel.values:
        raise BusinessRuleError(_("Kies hoe u de patiënt uitnodigt."))
    patient = enrolment.patient
    if channel == InvitationChannel.PORTAL and patient.user_id is None:
        raise BusinessRuleError(
            _("Deze patiënt gebruikt het portaal niet: nodig hem of haar uit met een brief.")
        )
    if appointment_type is not None and (
        appointment_type.practice_id != enrolment.practice_id or not appointment_type.active
    ):
        raise BusinessRuleError(_("Deze soort afspraak bestaat niet in de praktijk."))
    invitation = Invitation.objects.create(
        practice_id=enrolment.practice_id,
        patient=patient,
        enrolment=enrolment,
        kind=kind,
        due_on=due_on,
        channel=channel,
        appointment_type=appointment_type,
        created_by=by,
    )
    if channel == InvitationChannel.PORTAL:
        notify_new_in_portal(patient)  # content-free: the portal says what it is about
    _log(invitation, AuditAction.CREATE, by, f"{enrolment.programme}: {kind}, {channel}")
    return invitation


def record_programme_read(
    *,
    by: User,
    patient: Patient | None = None,
    object_kind: str,
    object_ids: Sequence[object],
    detail: str = "",
    actor_role: str | None = None,
) -> None:
    """Chronic-care data was shown: one patient's (their control page, their portal
    view, a letter), or a list of the practice's (the ids of the rows and patients)."""
    membership = active_membership(by)
    practice = patient.practice if patient is not None else None
    if patient is None and membership is not None:
        practice = membership.practice
    if practice is None:
        raise PermissionDenied
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind=object_kind,
        practice=practice,
        patient=patient,
        object_ids=list(object_ids),
        detail=detail,
        actor_role=actor_role,
    )
