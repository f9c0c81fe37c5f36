"""The agenda as FHIR R4 Schedule, Slot and Appointment (eAfspraak): a practitioner's
agenda is a Schedule, each bookable piece a Slot, a booking an Appointment. The kind of
appointment is a code of this deployment's own code system (the type's public id), since
there is no national list of GP appointment types; the patient's reason is the
Appointment's description."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spreekuur.accounts.models import Membership
from spreekuur.agenda.models import Appointment, AppointmentStatus, AppointmentType, Slot
from spreekuur.core.fhir import base_url, instant, reference

STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ARRIVED: "arrived",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.NO_SHOW: "noshow",
    AppointmentStatus.CANCELLED: "cancelled",
}
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"


def appointment_type_system() -> str:
    return f"{base_url()}/CodeSystem/afspraaksoort"


def type_concept(appointment_type: AppointmentType) -> dict[str, Any]:
    return {
        "coding": [
            {
                "system": appointment_type_system(),
                "code": str(appointment_type.public_id),
                "display": appointment_type.name,
            }
        ],
        "text": appointment_type.name,
    }


def schedule_resource(membership: Membership, offered: Sequence[AppointmentType]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Schedule",
        "id": str(membership.public_id),
        "active": membership.active,
        "actor": [reference("Practitioner", membership.public_id, membership.user.full_name)],
        "comment": membership.get_role_display(),
    }
    if offered:
        resource["serviceType"] = [type_concept(t) for t in offered]
    return resource


def slot_resource(slot: Slot, offered: Sequence[AppointmentType]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Slot",
        "id": str(slot.public_id),
        "schedule": reference("Schedule", slot.practitioner.public_id),
        "status": "busy" if slot.appointment_id is not None else "free",
        "start": instant(slot.starts_at),
        "end": instant(slot.ends_at),
    }
    if offered:
        resource["serviceType"] = [type_concept(t) for t in offered]
    return resource


def appointment_resource(appointment: Appointment, slots: Sequence[Slot] = ()) -> dict[str, Any]:
    patient = appointment.patient
    practitioner = appointment.practitioner
    status = STATUS.get(AppointmentStatus(appointment.status), "booked")
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": str(appointment.public_id),
        "status": status,
        "serviceType": [type_concept(appointment.appointment_type)],
        "start": instant(appointment.starts_at),
        "end": instant(appointment.ends_at),
        "minutesDuration": appointment.appointment_type.duration_minutes,
        "created": instant(appointment.booked_at),
        "participant": [
            {
                "actor": reference("Patient", patient.public_id, patient.display_name),
                "required": "required",
                "status": "accepted",
            },
            {
                "type": [{"coding": [{"system": PARTICIPATION, "code": "PPRF"}]}],
                "actor": reference(
                    "Practitioner", practitioner.public_id, practitioner.user.full_name
                ),
                "required": "required",
                "status": "accepted",
            },
        ],
    }
    if appointment.reason:
        resource["description"] = appointment.reason
    if slots:
        resource["slot"] = [reference("Slot", slot.public_id) for slot in slots]
    if appointment.status == AppointmentStatus.CANCELLED and appointment.cancelled_at:
        resource["cancelationReason"] = {"text": "geannuleerd"}
    return resource
