"""Triage settings for the practice: red flags, complaint flows (texts and own flows),
the widget's snippet, and the figures."""

from __future__ import annotations

import json
from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from spreekuur.accounts.capabilities import acting_user_in_practice
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.triage import capabilities, selectors, services
from spreekuur.triage.assistant import DEFAULT_FAQ
from spreekuur.triage.faq import practice_facts
from spreekuur.triage.flows import COMPLAINTS_DIR
from spreekuur.triage.forms import (
    FaqAnswerForm,
    FiguresPeriodForm,
    OwnFlowForm,
    RedFlagForm,
    flow_texts_form,
)
from spreekuur.triage.models import ComplaintFlow, FaqAnswer
from spreekuur.triage.selectors import questionnaires as questionnaire_selectors


@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    """Red flags (the manager adds the practice's own), the complaints offered, and the
    snippet for the practice's website."""
    user, practice = acting_user_in_practice(request, capabilities.can_edit_flows)
    form = RedFlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_red_flag(practice=practice, by=user, **form.cleaned_data)
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("De vraag is toegevoegd aan de spoedvragen."))
            return redirect("triage:settings")
    script = request.build_absolute_uri(reverse("triage:widget_script", args=[practice.slug]))
    frame = request.build_absolute_uri(reverse("triage:widget_index", args=[practice.slug]))
    context = {
        "flag_form": form,
        "flags": selectors.red_flags_with_switched_off(practice),
        "manages_flags": capabilities.can_manage_triage(user),
        "offered": selectors.offered_flows(practice),
        "script_snippet": f'<script src="{script}" async></script>',
        "frame_snippet": (
            f'<iframe src="{frame}" title="{practice.name}: zelftriage" '
            'style="width:100%;max-width:40rem;height:40rem;border:0"></iframe>'
        ),
        "public_url": reverse("triage:public_index", args=[practice.slug]),
    }
    return render(request, "triage/settings.html", context)


@require_POST
def switch_off_flag(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_manage_triage)
    flag = selectors.get_practice_red_flag(practice, public_id)
    services.switch_off_red_flag(flag=flag, by=user)
    messages.success(request, _("De vraag is uitgezet."))
    return redirect("triage:settings")


@require_http_methods(["GET", "POST"])
def edit_texts(request: HttpRequest, public_id: str) -> HttpResponse:
    """The practice's wording of one national complaint's advice."""
    user, practice = acting_user_in_practice(request, capabilities.can_edit_flows)
    national = get_object_or_404(ComplaintFlow, practice__isnull=True, public_id=public_id)
    offered = next((o for o in selectors.offered_flows(practice) if o.national == national), None)
    if offered is None:
        messages.info(request, _("Er is een nieuwere landelijke versie van deze klacht."))
        return redirect("triage:settings")
    form = flow_texts_form(offered.flow, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_flow_texts(
                practice=practice, national=national, texts=form.cleaned_data, by=user
            )
        except BusinessRuleError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("De adviesteksten zijn opgeslagen."))
            return redirect("triage:settings")
    outcomes = [(form[o.id], o) for o in offered.flow.document.outcomes]
    return render(
        request,
        "triage/edit_texts.html",
        {"form": form, "offered": offered, "outcomes": outcomes, "national": national},
    )


def _example_document() -> str:
    """A shipped flow as the starting point of the practice's own."""
    with (COMPLAINTS_DIR / "keelpijn.json").open(encoding="utf-8") as handle:
        example = json.load(handle)
    example["code"] = "praktijk-voorbeeld"
    example["title"] = _("Voorbeeld")
    return json.dumps(example, ensure_ascii=False, indent=2)


@require_http_methods(["GET", "POST"])
def add_flow(request: HttpRequest) -> HttpResponse:
    """A complaint flow the practice writes itself, checked like the national ones."""
    user, practice = acting_user_in_practice(request, capabilities.can_edit_flows)
    form = OwnFlowForm(request.POST or None, initial={"document": _example_document()})
    if request.method == "POST" and form.is_valid():
        try:
            row = services.add_own_flow(
                practice=practice, document_text=form.cleaned_data["document"], by=user
            )
        except BusinessRuleError as refused:
            form.add_error("document", str(refused))
        else:
            messages.success(
                request,
                _("Klacht '%(title)s' is opgeslagen (versie %(version)s).")
                % {"title": row.title, "version": row.version},
            )
            return redirect("triage:settings")
    return render(request, "triage/add_flow.html", {"form": form})


@require_POST
def switch_off_flow(request: HttpRequest, code: str) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_edit_flows)
    if services.switch_off_own_flow(practice=practice, code=code, by=user):
        messages.success(request, _("De eigen versie is uitgezet."))
    return redirect("triage:settings")


@require_GET
def figures(request: HttpRequest) -> HttpResponse:
    """Self-triage by complaint and outcome, for a period (no patient data)."""
    _user, practice = acting_user_in_practice(request, capabilities.can_view_triage_figures)
    today = timezone.localdate()
    form = FiguresPeriodForm(request.GET or None)
    start: date = today - timedelta(days=29)
    end: date = today
    if form.is_valid():
        start = form.cleaned_data["van"] or start
        end = form.cleaned_data["tot"] or end
    shown = selectors.triage_figures(practice, start=start, end=end)
    return render(
        request,
        "triage/figures.html",
        {
            "figures": shown,
            "form": form,
            "urgencies": selectors.URGENCIES,
            # Sent in the period, answered since (withdrawn ones not counted).
            "response_rates": questionnaire_selectors.response_rates(
                practice, start=start, end=end
            ),
        },
    )


@require_GET
def faq_answers(request: HttpRequest) -> HttpResponse:
    """The assistant's answers: the defaults with the practice's own on top."""
    _user, practice = acting_user_in_practice(request, capabilities.can_edit_flows)
    own = {row.key: row for row in FaqAnswer.objects.filter(practice=practice)}
    rows = [(entry, own.pop(entry.key, None)) for entry in DEFAULT_FAQ]
    return render(
        request,
        "triage/faq_answers.html",
        {
            "rows": rows,
            "extra": list(own.values()),
            "facts": practice_facts(practice),
            "public_url": reverse("triage:public_assistant", args=[practice.slug]),
        },
    )


@require_http_methods(["GET", "POST"])
def edit_faq(request: HttpRequest, key: str) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_edit_flows)
    own = FaqAnswer.objects.filter(practice=practice, key=key).first()
    default = next((entry for entry in DEFAULT_FAQ if entry.key == key), None)
    if own is None and default is None:
        raise Http404
    if own is not None:
        initial = {
            "question": own.question,
            "answer": own.answer,
            "keywords": own.keywords,
            "active": own.active,
        }
    elif default is not None:
        initial = {
            "question": default.question,
            "answer": default.answer,
            "keywords": ", ".join(default.keywords),
            "active": True,
        }
    form = FaqAnswerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_faq_answer(practice=practice, key=key, by=user, **form.cleaned_data)
        except BusinessRuleError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Het antwoord is opgeslagen."))
            return redirect("triage:faq_answers")
    return render(request, "triage/edit_faq.html", {"form": form, "default": default})


@require_http_methods(["GET", "POST"])
def add_faq(request: HttpRequest) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_edit_flows)
    form = FaqAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "active"}
        try:
            services.add_faq_answer(practice=practice, by=user, **data)
        except BusinessRuleError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("De vraag is toegevoegd."))
            return redirect("triage:faq_answers")
    return render(request, "triage/edit_faq.html", {"form": form, "default": None, "new": True})
