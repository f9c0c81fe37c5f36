"""What an app may write, each through the same service as the portal (never around
it): booking and cancelling an appointment (eAfspraak). A resource is parsed and checked
as FHIR R4 first (fhir.resources); what breaks a rule of the practice is a 422 with the
portal's own words, a race lost a 409, and nothing is half-written (the services run in
one transaction)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.medicationrequest import MedicationRequest as FhirMedicationRequest
from fhir.resources.R4B.observation import Observation as FhirObservation
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse as FhirQuestionnaireResponse,
)
from pydantic import BaseModel, ValidationError

from spreekuur.agenda import selectors as agenda
from spreekuur.agenda.fhir import appointment_type_system
from spreekuur.agenda.models import Slot
from spreekuur.agenda.services import cancel_appointment
from spreekuur.agenda.services.booking import SlotTaken, book_appointment
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.fhir import LOINC_SYSTEM, NHG_TABLE_45_SYSTEM
from spreekuur.core.problems import pydantic_problem
from spreekuur.dossier.fhir import BLOOD_PRESSURE_PANEL
from spreekuur.dossier.models import (
    DIASTOLIC,
    GLUCOSE_FASTING_METER,
    GLUCOSE_METER,
    HEART_RATE_HOME,
    MEASUREMENT_LIMITS,
    SYSTOLIC,
    WEIGHT,
)
from spreekuur.dossier.services import record_home_measurements
from spreekuur.fhir.api.auth import ApiCaller
from spreekuur.fhir.api.errors import FhirError, not_found
from spreekuur.fhir.api.handlers import kind_of
from spreekuur.patients.models import Patient
from spreekuur.prescriptions.selectors import pharmacies_for
from spreekuur.prescriptions.services import request_repeat
from spreekuur.triage.fhir import RED_FLAGS_ID, canonical_url, red_flags_url, submitted_answers
from spreekuur.triage.models import QuestionnaireInvitation
from spreekuur.triage.selectors.questionnaires import document_of, open_invitations
from spreekuur.triage.services import AnswersInvalid, RedFlagRaised, submit_answers


def _invalid(error: ValidationError, resource_type: str) -> FhirError:
    problems = [
        pydantic_problem(issue, whole=resource_type, stray="hoort niet in dit brontype")
        for issue in error.errors()[:10]
    ]
    english = "; ".join(
        f"{'.'.join(str(part) for part in issue['loc']) or resource_type}: {issue['type']}"
        for issue in error.errors()[:10]
    )
    return FhirError(
        400,
        "structure",
        f"Geen geldige FHIR R4 {resource_type}: " + "; ".join(problems),
        f"Not a valid FHIR R4 {resource_type}: {english}",
    )


ModelT = TypeVar("ModelT", bound=BaseModel)


def _parsed(model: type[ModelT], body: Any) -> ModelT:
    """The body as this FHIR R4 resource, or a 400 naming what is wrong where."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise _invalid(error, model.__name__) from None


def _own_subject(reference: Any, patient: Patient, dutch: str, english: str) -> None:
    """A resource that names a subject must name the connected patient (422 otherwise)."""
    subject = reference.reference if reference is not None else None
    if subject and _reference_id(subject, "Patient") != patient.public_id:
        raise _unprocessable(dutch, english)


def _unprocessable(dutch: str, english: str, code: str = "business-rule") -> FhirError:
    return FhirError(422, code, dutch, english)


def _english(message: str) -> str:
    """The rule's own message in English (the portal's translation of it), where the
    message has one."""
    with translation.override("en"):
        english = translation.gettext(message)
    return english if english != message else "The practice's rules do not allow this."


@contextmanager
def _rules(patient: Patient) -> Iterator[None]:
    """The portal's refusals as API answers."""
    try:
        yield
    except SlotTaken as error:
        raise FhirError(409, "conflict", str(error), _english(str(error))) from None
    except RedFlagRaised as error:
        raise _red_flag(error, patient) from None
    except AnswersInvalid as invalid:
        # The portal's words per question, each named by its linkId.
        wrong = "; ".join(f"{link_id}: {problem}" for link_id, problem in invalid.errors.items())
        with translation.override("en"):
            english = "; ".join(
                f"{link_id}: {translation.gettext(problem)}"
                for link_id, problem in invalid.errors.items()
            )
        raise _unprocessable(f"{invalid} {wrong}", english, code="value") from None
    except BusinessRuleError as error:
        raise _unprocessable(str(error), _english(str(error))) from None
    except PermissionDenied:
        raise FhirError(
            403, "forbidden", "Dit mag deze app niet.", "This app may not do this."
        ) from None


def _red_flag(error: RedFlagRaised, patient: Patient) -> FhirError:
    """The gate's answer, as the portal gives it: 112, or the practice's urgent line."""
    flag = error.flag
    if flag.calls_112:
        dutch = "Bij deze klacht kunt u niet online een afspraak maken. Bel direct 112."
        english = "This complaint cannot be booked online. Call 112 now."
    else:
        number = patient.practice.phone_urgent
        dutch = (
            "Bij deze klacht kunt u niet online een afspraak maken. Bel nu de spoedlijn "
            f"van de praktijk: {number}."
        )
        english = (
            f"This complaint cannot be booked online. Call the practice's urgent line now: "
            f"{number}."
        )
    return FhirError(422, "business-rule", dutch, english, expression=f"triage.{flag.code}")


def _patient_context(caller: ApiCaller) -> Patient:
    if caller.patient is None or caller.user is None:
        raise FhirError(
            403,
            "forbidden",
            "Alleen een app van een patiënt kan dit (met de toestemming van de patiënt).",
            "Only a patient's app can do this (with the patient's consent).",
        )
    return caller.patient


def _reference_id(reference: str | None, resource_type: str) -> UUID | None:
    if not reference or "/" not in reference:
        return None
    kind, _sep, raw = reference.rstrip("/").rpartition("/")
    if kind.rsplit("/", 1)[-1] != resource_type:
        return None
    try:
        return UUID(raw)
    except ValueError:
        return None


def _not_a_code(where: str, value_set: str) -> FhirError:
    """A code FHIR does not know is malformed input (400), not a broken rule (422);
    fhir.resources checks the shape, not the bound value sets."""
    return FhirError(
        400,
        "code-invalid",
        f"{where}: geen geldige code van {value_set}.",
        f"{where}: not a code of {value_set}.",
        expression=where,
    )


OBSERVATION_STATUSES = {
    "registered",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "cancelled",
    "entered-in-error",
    "unknown",
}
MEDICATION_REQUEST_STATUSES = {
    "active",
    "on-hold",
    "cancelled",
    "completed",
    "entered-in-error",
    "stopped",
    "draft",
    "unknown",
}
MEDICATION_REQUEST_INTENTS = {
    "proposal",
    "plan",
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
}

# --- Appointment (eAfspraak) -----------------------------------------------------------------

APPOINTMENT_STATUSES = {
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
}


def _triage_answers(resource: FhirAppointment) -> dict[str, bool]:
    """The red-flag answers from the QuestionnaireResponse the Appointment carries
    (contained, named in supportingInformation)."""
    contained: dict[str, Any] = {
        str(item.id): item for item in resource.contained or [] if getattr(item, "id", None)
    }
    answers: dict[str, bool] = {}
    for info in resource.supportingInformation or []:
        target = contained.get((info.reference or "").lstrip("#"))
        if target is None or target.get_resource_type() != "QuestionnaireResponse":
            continue
        questionnaire = str(target.questionnaire or "").split("|")[0]
        if questionnaire not in (red_flags_url(), f"Questionnaire/{RED_FLAGS_ID}"):
            continue
        for item in target.item or []:
            values = [a.valueBoolean for a in item.answer or [] if a.valueBoolean is not None]
            if len(values) == 1:
                answers[item.linkId] = bool(values[0])
    return answers


def _book(caller: ApiCaller, body: dict[str, Any]) -> dict[str, Any]:
    patient = _patient_context(caller)
    resource = _parsed(FhirAppointment, body)
    if resource.status not in APPOINTMENT_STATUSES:
        raise _not_a_code("Appointment.status", "AppointmentStatus")
    if resource.status not in ("proposed", "pending", "booked"):
        raise _unprocessable(
            "Een nieuwe afspraak heeft status booked (of proposed/pending).",
            "A new appointment has status booked (or proposed or pending).",
        )
    for participant in resource.participant or []:
        reference = str(participant.actor.reference or "") if participant.actor else ""
        names_patient = reference.startswith("Patient/") or "/Patient/" in reference
        if names_patient and _reference_id(reference, "Patient") != patient.public_id:
            raise _unprocessable(
                "Deze app boekt alleen voor de patiënt van de koppeling.",
                "This app books only for the connected patient.",
            )
    slots = [_reference_id(ref.reference, "Slot") for ref in resource.slot or []]
    if len(slots) != 1 or slots[0] is None:
        raise _unprocessable(
            "Noem precies één vrij tijdstip (slot), het eerste van de afspraak.",
            "Name exactly one Slot: the first of the appointment.",
            code="required",
        )
    slot = (
        Slot.objects.filter(practice_id=patient.practice_id, public_id=slots[0])
        .select_related("practitioner")
        .first()
    )
    if slot is None:
        raise _unprocessable("Dit tijdstip bestaat niet (meer).", "No such Slot.")
    codes = [
        coding.code
        for concept in [*(resource.serviceType or []), resource.appointmentType]
        if concept is not None
        for coding in concept.coding or []
        if coding.system == appointment_type_system() and coding.code
    ]
    rules = agenda.booking_rules_for(patient.practice)
    types = {str(t.public_id): t for t in agenda.online_types_for(patient.practice, rules)}
    chosen = [types[code] for code in dict.fromkeys(codes) if code in types]
    if len(chosen) != 1:
        raise _unprocessable(
            "Kies één soort afspraak die online te boeken is (serviceType, uit de Schedule "
            "of de Slot).",
            "Choose one online appointment type (serviceType, from the Schedule or Slot).",
            code="required",
        )
    reason = resource.description or ""
    if not reason and resource.reasonCode:
        reason = resource.reasonCode[0].text or ""
    with _rules(patient):
        appointment = book_appointment(
            patient=patient,
            slot=slot,
            appointment_type=chosen[0],
            reason=reason,
            by=caller.user,  # type: ignore[arg-type]
            triage_answers=_triage_answers(resource),
        )
    kind = kind_of("Appointment")
    fresh = kind.rows(patient).get(pk=appointment.pk)
    return kind.to_fhir(fresh)


def _cancel(caller: ApiCaller, public_id: str, body: Any, *, patch: bool) -> dict[str, Any]:
    patient = _patient_context(caller)
    kind = kind_of("Appointment")
    try:
        wanted = UUID(public_id)
    except ValueError:
        raise not_found("Appointment") from None
    appointment = kind.rows(patient).filter(public_id=wanted).first()
    if appointment is None:
        raise not_found("Appointment")
    status = _patched_status(body) if patch else _put_status(body, public_id)
    if status != "cancelled":
        raise _unprocessable(
            "Via de API kan een afspraak alleen worden afgezegd (status cancelled). Verzetten "
            "is afzeggen en opnieuw boeken.",
            "An appointment can only be cancelled here (status cancelled); to move it, "
            "cancel it and book again.",
        )
    with _rules(patient):
        cancel_appointment(appointment=appointment, by=caller.user)  # type: ignore[arg-type]
    return kind.to_fhir(kind.rows(patient).get(pk=appointment.pk))


def _patched_status(body: Any) -> str | None:
    """JSON Patch: one `replace` of /status."""
    if (
        not isinstance(body, list)
        or len(body) != 1
        or not isinstance(body[0], dict)
        or body[0].get("op") != "replace"
        or body[0].get("path") != "/status"
    ):
        raise _unprocessable(
            'Stuur één JSON Patch-operatie: {"op": "replace", "path": "/status", '
            '"value": "cancelled"}.',
            'Send one JSON Patch operation: {"op": "replace", "path": "/status", '
            '"value": "cancelled"}.',
        )
    value = body[0].get("value")
    return value if isinstance(value, str) else None


def _put_status(body: Any, public_id: str) -> str | None:
    resource = _parsed(FhirAppointment, body)
    if resource.id != public_id:
        raise FhirError(
            400,
            "invalid",
            "Het id in de gegevens is niet dat van het adres.",
            "The resource's id does not match the URL.",
        )
    return str(resource.status)


# --- Observation: a home measurement --------------------------------------------------------

NHG_SYSTEMS = (NHG_TABLE_45_SYSTEM, "urn:oid:2.16.840.1.113883.2.4.4.30.45")
# What a home measurement may be, by LOINC (as the MedMij self-measurements code them) or
# by NHG-Tabel 45 number: the codes of our table. The NHG's own numbers for a blood
# pressure or weight measured at home (2055/2056, 2408) are read as the practice's; the
# row is marked as the patient's own all the same.
SINGLE_VALUES = {
    "29463-7": WEIGHT,
    "14770-2": GLUCOSE_FASTING_METER,
    "14743-9": GLUCOSE_METER,
    "8867-4": HEART_RATE_HOME,
}
HOME_CODES = {
    (LOINC_SYSTEM, "8480-6"): SYSTOLIC,
    (LOINC_SYSTEM, "8462-4"): DIASTOLIC,
    **{(LOINC_SYSTEM, loinc): code for loinc, code in SINGLE_VALUES.items()},
    **{
        (system, code): code
        for system in NHG_SYSTEMS
        for code in (SYSTOLIC, DIASTOLIC, *SINGLE_VALUES.values())
    },
    **{(system, "2055"): SYSTOLIC for system in NHG_SYSTEMS},
    **{(system, "2056"): DIASTOLIC for system in NHG_SYSTEMS},
    **{(system, "2408"): WEIGHT for system in NHG_SYSTEMS},
}
MMOL_PER_LITRE = {"mmol/L", "mmol/l"}
UNITS = {
    SYSTOLIC: {"mm[Hg]", "mmHg"},
    DIASTOLIC: {"mm[Hg]", "mmHg"},
    WEIGHT: {"kg"},
    GLUCOSE_FASTING_METER: MMOL_PER_LITRE,
    GLUCOSE_METER: MMOL_PER_LITRE,
    HEART_RATE_HOME: {"/min", "{beats}/min", "{slagen}/min"},
}


def _codes(concept: Any) -> set[tuple[str, str]]:
    return {
        (str(coding.system or ""), str(coding.code or ""))
        for coding in (concept.coding or [] if concept is not None else [])
    }


def _value(code: str, quantity: Any) -> Decimal:
    unit = str(quantity.code or quantity.unit or "") if quantity is not None else ""
    if quantity is None or quantity.value is None or unit not in UNITS[code]:
        wanted = " of ".join(sorted(UNITS[code]))
        raise _unprocessable(
            f"Geef de waarde als getal met eenheid {wanted}.",
            f"Give the value as a number with unit {wanted}.",
            code="value",
        )
    value = Decimal(str(quantity.value))
    low, high = MEASUREMENT_LIMITS[code]
    if not value.is_finite() or not low <= value <= high:
        # Checked here too (the service checks the rounded value): 10^30 cannot even be
        # rounded to one decimal.
        raise _unprocessable(
            f"{value:f} {unit} kan niet kloppen.",
            f"{value:f} {unit} cannot be right.",
            code="value",
        )
    return value.quantize(Decimal("0.1"))


def _measured_on(resource: FhirObservation) -> date:
    if resource.effectiveDateTime is not None:
        moment = resource.effectiveDateTime
        if isinstance(moment, datetime):
            return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
        if isinstance(moment, date):
            return moment
    raise _unprocessable(
        "Geef de datum (en tijd) van de meting: effectiveDateTime.",
        "Give when it was measured: effectiveDateTime.",
        code="required",
    )


def _home_values(resource: FhirObservation) -> dict[str, Decimal | None]:
    if _codes(resource.code) & {(LOINC_SYSTEM, BLOOD_PRESSURE_PANEL)}:
        values: dict[str, Decimal | None] = {}
        for component in resource.component or []:
            codes = {HOME_CODES[c] for c in _codes(component.code) if c in HOME_CODES}
            if len(codes) == 1:
                code = codes.pop()
                values[code] = _value(code, component.valueQuantity)
        if set(values) != {SYSTOLIC, DIASTOLIC}:
            raise _unprocessable(
                "Een bloeddruk heeft een bovendruk (8480-6) en een onderdruk (8462-4).",
                "A blood pressure has a systolic (8480-6) and a diastolic (8462-4) component.",
                code="required",
            )
        return values
    codes = {HOME_CODES[c] for c in _codes(resource.code) if c in HOME_CODES}
    if len(codes) == 1 and (code := codes.pop()) in SINGLE_VALUES.values():
        return {code: _value(code, resource.valueQuantity)}
    raise _unprocessable(
        "Als thuismeting kunnen worden doorgegeven: een bloeddruk (LOINC 85354-9 met "
        "boven- en onderdruk), het gewicht (29463-7), de bloedsuiker met een meter, "
        "nuchter (14770-2) of niet nuchter (14743-9), en de hartslag (8867-4).",
        "A home measurement is a blood pressure (LOINC 85354-9 with systolic and "
        "diastolic), a body weight (29463-7), a blood glucose from a meter, fasting "
        "(14770-2) or not (14743-9), or a heart rate (8867-4).",
        code="not-supported",
    )


def _home_measurement(caller: ApiCaller, body: dict[str, Any]) -> dict[str, Any]:
    patient = _patient_context(caller)
    resource = _parsed(FhirObservation, body)
    _own_subject(
        resource.subject,
        patient,
        "Deze app geeft alleen metingen door van de patiënt van de koppeling.",
        "This app passes on measurements of the connected patient only.",
    )
    if resource.status not in OBSERVATION_STATUSES:
        raise _not_a_code("Observation.status", "ObservationStatus")
    if resource.status not in ("final", "preliminary", "amended", "corrected"):
        raise _unprocessable(
            "Een thuismeting heeft status final of preliminary.",
            "A home measurement has status final or preliminary.",
            code="value",
        )
    values = _home_values(resource)
    with _rules(patient):
        rows = record_home_measurements(
            patient=patient,
            measured_on=_measured_on(resource),
            values=values,
            by=caller.user,  # type: ignore[arg-type]
        )
    kind = kind_of("Observation")
    found = kind.read(patient.practice, rows[0].public_id)
    if found is None:  # pragma: no cover - just written, in this patient's record
        raise not_found("Observation")
    return kind.to_fhir(found[1])


# --- MedicationRequest: a repeat request (herhaalrecept) -----------------------------------


def _repeat_request(caller: ApiCaller, body: dict[str, Any]) -> dict[str, Any]:
    """A repeat of a medicine on the patient's repeat list: `supportingInformation` names
    its MedicationStatement (with the herhaalbaar extension true); the pharmacy is
    `dispenseRequest.performer` (an Organization of the practice), or the one the
    patient chose last time; `note` is the patient's remark."""
    patient = _patient_context(caller)
    resource = _parsed(FhirMedicationRequest, body)
    _own_subject(
        resource.subject,
        patient,
        "Deze app vraagt alleen herhaalrecepten aan voor de patiënt van de koppeling.",
        "This app requests repeats for the connected patient only.",
    )
    if resource.status not in MEDICATION_REQUEST_STATUSES:
        raise _not_a_code("MedicationRequest.status", "MedicationrequestStatus")
    if resource.intent not in MEDICATION_REQUEST_INTENTS:
        raise _not_a_code("MedicationRequest.intent", "MedicationRequestIntent")
    if resource.status not in ("active", "draft") or resource.intent not in ("proposal", "order"):
        raise _unprocessable(
            "Een aanvraag heeft status active en intent proposal.",
            "A request has status active and intent proposal.",
            code="value",
        )
    medications = [
        found
        for info in resource.supportingInformation or []
        if (found := _reference_id(info.reference, "MedicationStatement")) is not None
    ]
    if not medications:
        raise _unprocessable(
            "Noem het medicijn van de herhaallijst: supportingInformation → "
            "MedicationStatement/<id>.",
            "Name the medicine on the repeat list: supportingInformation → "
            "MedicationStatement/<id>.",
            code="required",
        )
    pharmacies, preferred = pharmacies_for(patient)
    pharmacy = preferred if len(pharmacies) != 1 else pharmacies[0]
    performer = resource.dispenseRequest.performer if resource.dispenseRequest else None
    if performer is not None and performer.reference:
        wanted = _reference_id(performer.reference, "Organization")
        pharmacy = next((p for p in pharmacies if p.public_id == wanted), None)
        if pharmacy is None:
            raise _unprocessable(
                "Deze apotheek kent de praktijk niet (zie Organization).",
                "The practice does not know this pharmacy (see Organization).",
            )
    if pharmacy is None:
        raise _unprocessable(
            "Kies de apotheek: dispenseRequest.performer → Organization/<id>.",
            "Choose the pharmacy: dispenseRequest.performer → Organization/<id>.",
            code="required",
        )
    note = " ".join(str(n.text or "") for n in resource.note or []).strip()
    with _rules(patient):
        request = request_repeat(
            patient=patient,
            medication_ids=medications,
            pharmacy=pharmacy,
            note=note,
            by=caller.user,  # type: ignore[arg-type]
        )
    kind = kind_of("MedicationRequest")
    return kind.to_fhir(kind.rows(patient).filter(request=request).order_by("id").first())


# --- QuestionnaireResponse: answering a questionnaire the practice sent ----------------------


def _answer_questionnaire(caller: ApiCaller, body: dict[str, Any]) -> dict[str, Any]:
    """The answers to a questionnaire that waits for the patient (the practice sent it):
    `questionnaire` is its canonical URL (as Questionnaire.url gives it, a |version may
    follow) or Questionnaire/<id>; checked and stored by the portal's own service, with
    its words for each answer that does not fit."""
    patient = _patient_context(caller)
    resource = _parsed(FhirQuestionnaireResponse, body)
    _own_subject(
        resource.subject,
        patient,
        "Deze app vult alleen vragenlijsten in van de patiënt van de koppeling.",
        "This app answers questionnaires of the connected patient only.",
    )
    if resource.status not in RESPONSE_STATUSES:
        raise _not_a_code("QuestionnaireResponse.status", "QuestionnaireResponseStatus")
    if resource.status != "completed":
        raise _unprocessable(
            "Stuur de antwoorden als ze af zijn: status completed.",
            "Send the answers when they are complete: status completed.",
            code="value",
        )
    invitation = _waiting_invitation(patient, str(resource.questionnaire or ""))
    document = document_of(invitation.questionnaire)
    try:
        submitted = submitted_answers(document, list(resource.item or []))
    except KeyError as unknown:
        raise _unprocessable(
            f"Deze vragenlijst heeft geen vraag {unknown.args[0]} (linkId).",
            f"This questionnaire has no item {unknown.args[0]} (linkId).",
            code="value",
        ) from None
    with _rules(patient):
        response = submit_answers(
            invitation=invitation,
            submitted=submitted,
            by=caller.user,  # type: ignore[arg-type]
        )
    if response is None:  # pragma: no cover - anonymous ones are refused above
        raise not_found("QuestionnaireResponse")
    kind = kind_of("QuestionnaireResponse")
    return kind.to_fhir(kind.rows(patient).get(pk=response.pk))


RESPONSE_STATUSES = {"in-progress", "completed", "amended", "entered-in-error", "stopped"}


def _waiting_invitation(patient: Patient, questionnaire: str) -> QuestionnaireInvitation:
    url = questionnaire.split("|")[0].rstrip("/")
    for invitation in open_invitations(patient):
        named = invitation.questionnaire
        if url in (canonical_url(named), f"Questionnaire/{named.public_id}") or url.endswith(
            f"/Questionnaire/{named.public_id}"
        ):
            if named.anonymous:
                raise _unprocessable(
                    "Een anonieme vragenlijst vult u in via het portaal van de praktijk: "
                    "zo blijven uw antwoorden los van uw naam.",
                    "An anonymous questionnaire is answered in the practice's portal, so "
                    "that the answers stay apart from the patient's name.",
                )
            return invitation
    raise _unprocessable(
        "Er staat geen vragenlijst met dit adres voor deze patiënt open (al ingevuld, "
        "verlopen of nooit gestuurd).",
        "No questionnaire with this URL waits for this patient (answered, expired, or never sent).",
        code="not-found",
    )


# --- The doors -------------------------------------------------------------------------------

CREATE: dict[str, Callable[[ApiCaller, dict[str, Any]], dict[str, Any]]] = {
    "Appointment": _book,
    "Observation": _home_measurement,
    "MedicationRequest": _repeat_request,
    "QuestionnaireResponse": _answer_questionnaire,
}
UPDATE: dict[str, Callable[..., dict[str, Any]]] = {"Appointment": _cancel}


def _not_writable(resource_type: str, what: str) -> FhirError:
    return FhirError(
        405,
        "not-supported",
        f"{resource_type} kan hier niet worden {what}.",
        f"{resource_type} cannot be {'created' if what == 'aangemaakt' else 'changed'} here.",
        headers={"Allow": "GET"},
    )


def create_resource(caller: ApiCaller, resource_type: str, body: Any) -> dict[str, Any]:
    kind_of(resource_type)  # 404 for a type the server does not have
    if resource_type not in CREATE:
        raise _not_writable(resource_type, "aangemaakt")
    caller.require(resource_type, "create")
    if not isinstance(body, dict) or body.get("resourceType") != resource_type:
        raise FhirError(
            400,
            "invalid",
            f"Stuur een {resource_type} (resourceType).",
            f"Send a {resource_type} (resourceType).",
        )
    return CREATE[resource_type](caller, body)


def update_resource(
    caller: ApiCaller, resource_type: str, public_id: str, body: Any, *, patch: bool
) -> dict[str, Any]:
    kind_of(resource_type)
    if resource_type not in UPDATE:
        raise _not_writable(resource_type, "gewijzigd")
    caller.require(resource_type, "update")
    return UPDATE[resource_type](caller, public_id, body, patch=patch)
