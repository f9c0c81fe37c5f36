"""Questionnaires and their answers as FHIR R4 Questionnaire and QuestionnaireResponse,
validated with fhir.resources (R4B) before they leave.

Base R4, no profile claimed (as in prescriptions.fhir: only a claim we can validate would
be honest). A choice is a Coding whose code is the option's number from 1 and whose
display is its text, in the Questionnaire's answerOption and in the answer alike; a scale
is an integer with the minValue and maxValue extensions; a "show if" is enableWhen (with
enableBehavior "any" when several options show the item). A response answers the
Questionnaire by its canonical URL and version; the patient is named by BSN (nl-core's
identifier system), and whoever filled it in for them as a RelatedPerson."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from spreekuur.core.fhir import BSN_SYSTEM
from spreekuur.triage.models import Questionnaire, QuestionnaireResponse, QuestionnaireStatus
from spreekuur.triage.questionnaires import Item, ItemType, QuestionnaireDocument, visible_items

MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
STATUS = {
    QuestionnaireStatus.DRAFT: "draft",
    QuestionnaireStatus.PUBLISHED: "active",
    QuestionnaireStatus.RETIRED: "retired",
}
ITEM_TYPE = {
    ItemType.CHOICE: "choice",
    ItemType.MULTIPLE: "choice",
    ItemType.TEXT: "text",
    ItemType.NUMBER: "decimal",
    ItemType.SCALE: "integer",
    ItemType.DATE: "date",
}


def canonical_url(questionnaire: Questionnaire) -> str:
    """Stable across versions of the same questionnaire of the same practice."""
    owner = questionnaire.practice.slug if questionnaire.practice is not None else "spreekuur"
    return f"{settings.SITE_URL}/fhir/Questionnaire/{owner}-{questionnaire.code}"


def _coding(item: Item, index: int) -> dict[str, str]:
    return {"code": str(index + 1), "display": item.options[index]}


def _question(item: Item, document: QuestionnaireDocument) -> dict[str, Any]:
    question: dict[str, Any] = {
        "linkId": item.id,
        "text": item.text,
        "type": ITEM_TYPE[item.type],
        "required": item.required,
    }
    if item.type == ItemType.MULTIPLE:
        question["repeats"] = True
    if item.type.has_options:
        question["answerOption"] = [
            {"valueCoding": _coding(item, n)} for n in range(len(item.options))
        ]
    extensions = []
    if item.minimum is not None:
        extensions.append(_bound(MIN_VALUE, item, item.minimum))
    if item.maximum is not None:
        extensions.append(_bound(MAX_VALUE, item, item.maximum))
    if extensions:
        question["extension"] = extensions
    if item.show_if is not None:
        target = document.item(item.show_if.item)
        if target is not None:
            question["enableWhen"] = [
                {
                    "question": target.id,
                    "operator": "=",
                    "answerCoding": _coding(target, answer),
                }
                for answer in item.show_if.answers
            ]
            if len(item.show_if.answers) > 1:
                question["enableBehavior"] = "any"
    return question


def _bound(url: str, item: Item, value: float) -> dict[str, Any]:
    if item.type == ItemType.SCALE:
        return {"url": url, "valueInteger": int(value)}
    return {"url": url, "valueDecimal": value}


def questionnaire_resource(
    questionnaire: Questionnaire, document: QuestionnaireDocument
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": str(questionnaire.public_id),
        "url": canonical_url(questionnaire),
        "version": str(questionnaire.version),
        # A computer-usable name (R4 que-0): "Consultvoorbereiding", "PraktijkEnquete2".
        "name": "".join(part.capitalize() for part in questionnaire.code.split("-")),
        "title": document.title,
        "status": STATUS[QuestionnaireStatus(questionnaire.status)],
        "subjectType": ["Patient"],
        "language": "nl",
        "item": [_question(item, document) for item in document.items],
    }
    if document.intro:
        resource["description"] = document.intro
    if questionnaire.published_at is not None:
        resource["date"] = questionnaire.published_at.isoformat()
    # Imported here, not at the top: fhir.resources is big, and every worker would hold it.
    from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire

    return FhirQuestionnaire.model_validate(resource).model_dump(mode="json", exclude_none=True)


def _answers(item: Item, value: Any) -> list[dict[str, Any]]:
    if item.type == ItemType.CHOICE:
        return [{"valueCoding": _coding(item, value)}]
    if item.type == ItemType.MULTIPLE:
        return [{"valueCoding": _coding(item, n)} for n in value]
    if item.type == ItemType.SCALE:
        return [{"valueInteger": int(value)}]
    if item.type == ItemType.NUMBER:
        return [{"valueDecimal": value}]
    if item.type == ItemType.DATE:
        return [{"valueDate": value}]
    return [{"valueString": str(value)}]


def submitted_answers(document: QuestionnaireDocument, items: list[Any]) -> dict[str, list[str]]:
    """A QuestionnaireResponse's answers (fhir.resources items) as the portal's form sends
    them: per item id, its values as text (a choice by its option's number from 0), so
    that the same clean_answers checks both. What does not fit an item's type is passed on
    as a value that fails there, with the portal's own words. Raises KeyError naming an
    item the questionnaire does not have."""
    known = {item.id: item for item in document.items}
    submitted: dict[str, list[str]] = {}
    for given in items:
        item = known.get(str(given.linkId))
        if item is None:
            raise KeyError(str(given.linkId))
        submitted[item.id] = [_as_form_value(item, answer) for answer in given.answer or []]
    return submitted


def _as_form_value(item: Item, answer: Any) -> str:
    if item.type.has_options:
        code = str(answer.valueCoding.code or "") if answer.valueCoding is not None else ""
        return str(int(code) - 1) if code.isdecimal() and 0 < int(code) < 1000 else "-"
    if item.type == ItemType.SCALE:
        return "-" if answer.valueInteger is None else str(answer.valueInteger)
    if item.type == ItemType.NUMBER:
        value = answer.valueDecimal if answer.valueDecimal is not None else answer.valueInteger
        return "-" if value is None else str(value)
    if item.type == ItemType.DATE:
        return "-" if answer.valueDate is None else str(answer.valueDate)
    return str(answer.valueString or "")


def questionnaire_response_resource(
    questionnaire: Questionnaire, document: QuestionnaireDocument, response: QuestionnaireResponse
) -> dict[str, Any]:
    """A named response (an anonymous one is never exported one by one)."""
    patient = response.patient
    if patient is None or response.submitted_at is None:
        raise ValueError("an anonymous response is not exported on its own")
    subject = {
        "type": "Patient",
        "identifier": {"system": BSN_SYSTEM, "value": patient.bsn},
        "display": patient.display_name,
    }
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.public_id),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{response.public_id}"},
        "questionnaire": f"{canonical_url(questionnaire)}|{questionnaire.version}",
        "status": "completed",
        "subject": subject,
        "authored": timezone.localtime(response.submitted_at).isoformat(),
    }
    answered = [
        {"linkId": item.id, "text": item.text, "answer": _answers(item, response.answers[item.id])}
        for item in visible_items(document, response.answers)
        if item.id in response.answers
    ]
    if answered:
        resource["item"] = answered
    by = response.answered_by
    if by is not None and by.pk == patient.user_id:
        resource["source"] = subject
    elif by is not None:
        resource["author"] = {"type": "RelatedPerson", "display": by.get_full_name()}
    # Imported here, not at the top: fhir.resources is big, and every worker would hold it.
    from fhir.resources.R4B.questionnaireresponse import (
        QuestionnaireResponse as FhirQuestionnaireResponse,
    )

    return FhirQuestionnaireResponse.model_validate(resource).model_dump(
        mode="json", exclude_none=True
    )


def validated_bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A collection Bundle of already validated resources, itself validated."""
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": [
            {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
            for resource in resources
        ],
    }
    # Imported here, not at the top: fhir.resources is big, and every worker would hold it.
    from fhir.resources.R4B.bundle import Bundle

    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)


RED_FLAGS_ID = "rode-vlaggen"


def red_flags_url() -> str:
    return f"{settings.FHIR_BASE_URL}/Questionnaire/{RED_FLAGS_ID}"


def red_flags_questionnaire(flags: list[Any]) -> dict[str, Any]:
    """The practice's red-flag questions as a Questionnaire of yes/no items: an app asks
    them before it books (eAfspraak) and sends the answers along, as the portal does. A
    yes to any of them stops online booking (call 112 or the practice instead)."""
    return {
        "resourceType": "Questionnaire",
        "id": RED_FLAGS_ID,
        "url": red_flags_url(),
        "name": "RodeVlaggen",
        "title": "Vragen over spoed voordat u online een afspraak maakt",
        "status": "active",
        "subjectType": ["Patient"],
        "language": "nl",
        "description": (
            "Beantwoord elke vraag met ja of nee. Bij ja: niet online boeken, maar bellen "
            "(112 of de spoedlijn van de praktijk)."
        ),
        "item": [
            {"linkId": flag.code, "text": flag.question, "type": "boolean", "required": True}
            for flag in flags
        ],
    }
