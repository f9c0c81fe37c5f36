"""The FAQ assistant: a chat for practical questions, on the practice's page and in the
portal. A question is answered and forgotten: nothing of it is stored or logged. A
medical question is sent to self-triage, an emergency to 112."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from spreekuur.core.models import Practice
from spreekuur.core.selectors import get_public_practice
from spreekuur.core.templatetags.emergency import PhoneNumber
from spreekuur.patients.portal import portal_subject
from spreekuur.triage.assistant import ReplyKind
from spreekuur.triage.faq import assistant_for
from spreekuur.triage.forms import AssistantForm


def _chat(
    request: HttpRequest, practice: Practice, *, triage_url: str, frame: dict[str, Any]
) -> HttpResponse:
    form = AssistantForm(request.POST or None)
    context: dict[str, Any] = {
        "practice": practice,
        "form": form,
        "triage_url": triage_url,
        "practice_phone": PhoneNumber.of(practice.phone_main),
        "kinds": ReplyKind,
        **frame,
    }
    if request.method == "POST" and form.is_valid():
        question = form.cleaned_data["vraag"]
        context |= {"asked": question, "reply": assistant_for(practice).reply(question)}
        context["form"] = AssistantForm()  # an empty box for the next question
    template = "triage/_assistant_exchange.html" if request.htmx else "triage/assistant.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def portal_assistant(request: HttpRequest) -> HttpResponse:
    subject = portal_subject(request)
    return _chat(
        request,
        subject.patient.practice,
        triage_url=reverse("triage:self_index"),
        frame={"subject": subject, "action": reverse("triage:portal_assistant")},
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def public_assistant(request: HttpRequest, slug: str) -> HttpResponse:
    practice = get_public_practice(slug)
    return _chat(
        request,
        practice,
        triage_url=reverse("triage:public_index", args=[slug]),
        frame={"action": reverse("triage:public_assistant", args=[slug])},
    )
