"""Questionnaires in the portal: what waits for the patient (or for whom they act), and
filling one in."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.patients.portal import portal_subject
from spreekuur.triage import services
from spreekuur.triage.questionnaires import answered_items, form_rows
from spreekuur.triage.selectors import questionnaires as selectors


@require_GET
def my_questionnaires(request: HttpRequest) -> HttpResponse:
    subject = portal_subject(request)
    waiting = list(selectors.open_invitations(subject.patient)[:50])
    answered = list(selectors.answered_invitations(subject.patient)[:50])
    services.record_questionnaires_read(
        patient=subject.patient,
        by=subject.user,
        object_ids=[i.public_id for i in (*waiting, *answered)],
    )
    return render(
        request,
        "triage/my_questionnaires.html",
        {"subject": subject, "open": waiting, "answered": answered},
    )


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, public_id: str) -> HttpResponse:
    """The whole questionnaire on one page; questions with a condition show when it is
    met (a small script), and without script they say when to answer them. Only what
    was shown is stored."""
    subject = portal_subject(request)
    invitation = selectors.invitation_of_patient(subject.patient, public_id, by=subject.user)
    questionnaire = invitation.questionnaire
    document = selectors.document_of(questionnaire)
    if invitation.answered:
        response = selectors.named_response_of(invitation)
        services.record_questionnaires_read(
            patient=subject.patient,
            by=subject.user,
            object_ids=[invitation.public_id, *([response.public_id] if response else [])],
        )
        return render(
            request,
            "triage/answered.html",
            {
                "subject": subject,
                "questionnaire": questionnaire,
                "rows": answered_items(document, response.answers) if response else None,
            },
        )
    now = timezone.now()
    closed = (
        invitation.withdrawn_at is not None
        or (invitation.answer_before is not None and invitation.answer_before <= now)
        or (
            invitation.mailing is not None
            and invitation.mailing.closes_on < timezone.localdate(now)
        )
    )
    if closed:
        return render(
            request,
            "triage/answer_closed.html",
            {"subject": subject, "questionnaire": questionnaire, "invitation": invitation},
            status=410,
        )
    errors: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    if request.method == "GET":
        services.record_questionnaires_read(
            patient=subject.patient, by=subject.user, object_ids=[invitation.public_id]
        )
    if request.method == "POST":
        values = {item.id: request.POST.getlist(item.id) for item in document.items}
        try:
            services.submit_answers(invitation=invitation, submitted=values, by=subject.user)
        except services.AnswersInvalid as invalid:
            errors = invalid.errors
            messages.error(request, str(invalid))
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
            return redirect("triage:my_questionnaires")
        else:
            messages.success(request, _("Dank u wel! Uw antwoorden zijn opgeslagen."))
            return redirect("triage:answer", invitation.public_id)
    return render(
        request,
        "triage/answer.html",
        {
            "subject": subject,
            "questionnaire": questionnaire,
            "invitation": invitation,
            "document": document,
            "rows": form_rows(document, values, errors),
            "errors": errors,
            "preview": False,
        },
        status=422 if errors else 200,
    )
