"""Questionnaires for the practice: the builder, sending to a group, the results and the
exports. Building holds no patient data; named answers are read by care roles only."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from spreekuur.accounts.capabilities import acting_user_in_practice
from spreekuur.accounts.models import User
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.triage import capabilities, services
from spreekuur.triage.forms import (
    GroupForm,
    QuestionForm,
    QuestionnaireDetailsForm,
    condition_choices,
    question_initial,
)
from spreekuur.triage.models import Questionnaire
from spreekuur.triage.questionnaires import (
    Item,
    QuestionnaireInvalid,
    answered_items,
    condition_text,
    form_rows,
    parse_questionnaire,
)
from spreekuur.triage.selectors import questionnaires as selectors
from spreekuur.triage.services.questionnaires import MAILING_OPEN_DAYS

RESPONSES_PER_PAGE = 50


def _can_see(user: User | None) -> bool:
    """The list, a questionnaire, its results: who builds, who counts, who reads answers."""
    return capabilities.can_see_questionnaires(user)


def _draft_items(questionnaire: Questionnaire) -> list[Item]:
    return [Item.model_validate(item) for item in questionnaire.definition.get("items", [])]


@require_http_methods(["GET", "POST"])
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    """The practice's questionnaires, the shipped sets to take over, and a new one."""
    user, practice = acting_user_in_practice(request, _can_see)
    builds = capabilities.can_build_questionnaires(user)
    form = QuestionnaireDetailsForm(request.POST or None, initial={"purpose": "enquete"})
    if request.method == "POST" and builds and form.is_valid():
        try:
            created = services.create_questionnaire(practice=practice, by=user, **form.cleaned_data)
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("De vragenlijst is aangemaakt. Voeg nu de vragen toe."))
            return redirect("triage:questionnaire", created.public_id)
    today = timezone.localdate()
    own = selectors.practice_questionnaires(practice)
    sent: dict[int, tuple[int, int]] = {}
    for rate in selectors.response_rates(practice, start=today - timedelta(days=365), end=today):
        before = sent.get(rate.questionnaire.pk, (0, 0))
        sent[rate.questionnaire.pk] = (before[0] + rate.sent, before[1] + rate.answered)
    for questionnaire in own:
        questionnaire.sent, questionnaire.answered = sent.get(questionnaire.pk, (0, 0))  # type: ignore[attr-defined]
    return render(
        request,
        "triage/questionnaires.html",
        {
            "own": own,
            "shipped": selectors.shipped_questionnaires(),
            "owned_codes": {q.code for q in own},
            "form": form,
            "builds": builds,
        },
    )


@require_POST
def adopt(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_build_questionnaires)
    shipped = selectors.get_shipped_questionnaire(public_id)
    try:
        draft = services.adopt_shipped_questionnaire(practice=practice, shipped=shipped, by=user)
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
        return redirect("triage:questionnaires")
    messages.success(
        request, _("De vragenlijst staat als concept klaar: pas hem aan en zet hem in gebruik.")
    )
    return redirect("triage:questionnaire", draft.public_id)


@require_http_methods(["GET", "POST"])
def questionnaire_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """A draft in the builder (its details form saves here), or a version in use."""
    user, practice = acting_user_in_practice(request, _can_see)
    questionnaire = selectors.get_practice_questionnaire(practice, public_id)
    builds = capabilities.can_build_questionnaires(user)
    details = QuestionnaireDetailsForm(
        request.POST or None,
        initial={
            "title": questionnaire.title,
            "intro": questionnaire.definition.get("intro", ""),
            "purpose": questionnaire.purpose,
            "anonymous": questionnaire.anonymous,
        },
    )
    if request.method == "POST":
        if not (builds and questionnaire.is_draft):
            raise Http404
        if details.is_valid():
            try:
                services.save_questionnaire_details(
                    questionnaire=questionnaire, by=user, **details.cleaned_data
                )
            except BusinessRuleError as refused:
                messages.error(request, str(refused))
            else:
                messages.success(request, _("De gegevens zijn opgeslagen."))
                return redirect("triage:questionnaire", questionnaire.public_id)
    items = _draft_items(questionnaire)
    problems: list[str] = []
    if questionnaire.is_draft:
        try:
            parse_questionnaire(questionnaire.definition)
        except QuestionnaireInvalid as invalid:
            problems = invalid.problems
    return render(
        request,
        "triage/questionnaire.html",
        {
            "questionnaire": questionnaire,
            "items": items,
            "rows": [(item, condition_text(item, items)) for item in items],
            "details": details,
            "problems": problems,
            "builds": builds,
            "sends_to_group": capabilities.can_send_to_group(user),
            "reads_answers": capabilities.can_read_named_answers(user),
            "versions": selectors.versions_of(questionnaire),
            "mailings": selectors.mailings_of(questionnaire),
        },
    )


def _item_of(questionnaire: Questionnaire, item_id: str) -> Item:
    item = next((i for i in _draft_items(questionnaire) if i.id == item_id), None)
    if item is None:
        raise Http404
    return item


@require_http_methods(["GET", "POST"])
def edit_question(request: HttpRequest, public_id: str, item_id: str | None = None) -> HttpResponse:
    """Add a question to a draft, or change one."""
    user, practice = acting_user_in_practice(request, capabilities.can_build_questionnaires)
    questionnaire = selectors.get_practice_questionnaire(practice, public_id)
    if not questionnaire.is_draft:
        messages.info(
            request, _("Deze versie is in gebruik. Maak een nieuwe versie om te wijzigen.")
        )
        return redirect("triage:questionnaire", questionnaire.public_id)
    item = _item_of(questionnaire, item_id) if item_id is not None else None
    conditions = condition_choices(_draft_items(questionnaire), item_id)
    form = QuestionForm(
        request.POST or None,
        conditions=conditions,
        initial=question_initial(item) if item is not None else {"type": "choice"},
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.save_item(
                questionnaire=questionnaire, item_id=item_id, given=form.item_input(), by=user
            )
        except services.DraftInvalid as invalid:
            problems = invalid.problems
        except BusinessRuleError as refused:
            problems = [str(refused)]
        else:
            messages.success(request, _("De vraag is opgeslagen."))
            return redirect("triage:questionnaire", questionnaire.public_id)
    return render(
        request,
        "triage/edit_question.html",
        {"questionnaire": questionnaire, "form": form, "item": item, "problems": problems},
        status=422 if problems else 200,
    )


@require_POST
def question_action(
    request: HttpRequest, public_id: str, item_id: str, action: str
) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_build_questionnaires)
    questionnaire = selectors.get_practice_questionnaire(practice, public_id)
    try:
        if action == "omhoog":
            services.move_item(questionnaire=questionnaire, item_id=item_id, up=True, by=user)
        elif action == "omlaag":
            services.move_item(questionnaire=questionnaire, item_id=item_id, up=False, by=user)
        elif action == "verwijderen":
            services.remove_item(questionnaire=questionnaire, item_id=item_id, by=user)
            messages.success(request, _("De vraag is verwijderd."))
        else:
            raise Http404
    except services.DraftInvalid as invalid:
        for problem in invalid.problems:
            messages.error(request, problem)
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
    return redirect("triage:questionnaire", questionnaire.public_id)


@require_POST
def publish(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_build_questionnaires)
    questionnaire = selectors.get_practice_questionnaire(practice, public_id)
    try:
        services.publish_questionnaire(questionnaire=questionnaire, by=user)
    except services.DraftInvalid as invalid:
        for problem in invalid.problems:
            messages.error(request, problem)
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("De vragenlijst is in gebruik."))
    return redirect("triage:questionnaire", questionnaire.public_id)


@require_POST
def new_version(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_build_questionnaires)
    questionnaire = selectors.get_practice_questionnaire(practice, public_id)
    try:
        draft = services.new_version(questionnaire=questionnaire, by=user)
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
        return redirect("triage:questionnaire", questionnaire.public_id)
    return redirect("triage:questionnaire", draft.public_id)


@require_POST
def discard(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_build_questionnaires)
    questionnaire = selectors.get_practice_questionnaire(practice, public_id)
    try:
        services.discard_draft(questionnaire=questionnaire, by=user)
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
        return redirect("triage:questionnaire", questionnaire.public_id)
    messages.success(request, _("Het concept is weggegooid."))
    return redirect("triage:questionnaires")


@require_GET
def preview(request: HttpRequest, public_id: str) -> HttpResponse:
    """The questionnaire as the patient sees it (nothing is sent)."""
    _user, practice = acting_user_in_practice(request, _can_see)
    questionnaire = selectors.get_practice_questionnaire(practice, public_id)
    try:
        document = parse_questionnaire(questionnaire.definition)
    except QuestionnaireInvalid as invalid:
        for problem in invalid.problems:
            messages.error(request, problem)
        return redirect("triage:questionnaire", questionnaire.public_id)
    return render(
        request,
        "triage/answer.html",
        {
            "document": document,
            "rows": form_rows(document, {}, {}),
            "errors": {},
            "preview": True,
            "questionnaire": questionnaire,
        },
    )


@require_http_methods(["GET", "POST"])
def send_to_group(request: HttpRequest, public_id: str) -> HttpResponse:
    """Choose a group, see how many it reaches, send."""
    user, practice = acting_user_in_practice(request, capabilities.can_send_to_group)
    questionnaire = selectors.get_practice_questionnaire(practice, public_id)
    today = timezone.localdate()
    form = GroupForm(
        request.POST or None,
        initial={"closes_on": today + timedelta(days=MAILING_OPEN_DAYS)},
    )
    reach = None
    if request.method == "POST" and form.is_valid():
        group = form.group()
        reach = selectors.group_size(practice, group, today=today)
        # Sent only as counted: a group changed after counting is counted again first.
        if request.POST.get("bevestigd") == "1" and request.POST.get("aantal") == str(reach):
            try:
                mailing = services.send_to_group(
                    questionnaire=questionnaire,
                    group=group,
                    closes_on=form.cleaned_data["closes_on"],
                    by=user,
                )
            except BusinessRuleError as refused:
                messages.error(request, str(refused))
            else:
                messages.success(request, _("De vragenlijst is verstuurd."))
                return redirect("triage:mailing", mailing.public_id)
    return render(
        request,
        "triage/send_to_group.html",
        {"questionnaire": questionnaire, "form": form, "reach": reach},
    )


@require_GET
def mailing_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """How far a mailing is (the notices go out in batches); htmx polls the progress."""
    _user, practice = acting_user_in_practice(request, _can_see)
    mailing = selectors.get_practice_mailing(practice, public_id)
    progress = selectors.mailing_progress(mailing)
    context = {
        "mailing": mailing,
        "progress": progress,
        "done": progress["waiting"] == 0,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "triage/_mailing_progress.html", context)
    return render(request, "triage/mailing.html", context)


@require_GET
def results(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = acting_user_in_practice(request, _can_see)
    questionnaire = selectors.get_practice_questionnaire(practice, public_id)
    mailing = None
    if request.GET.get("verzending"):
        mailing = selectors.get_practice_mailing(practice, request.GET["verzending"])
        if mailing.questionnaire_id != questionnaire.pk:
            raise Http404
    counted = services.results_for(questionnaire=questionnaire, mailing=mailing, by=user)
    return render(
        request,
        "triage/results.html",
        {
            "questionnaire": questionnaire,
            "mailing": mailing,
            "results": counted,
            "reads_answers": capabilities.can_read_named_answers(user),
            "exports": capabilities.can_export_named_answers(user),
        },
    )


@require_GET
def responses(request: HttpRequest, public_id: str) -> HttpResponse:
    """Named answers, one patient per row, paged; every row shown is in that patient's
    access log."""
    user, practice = acting_user_in_practice(request, capabilities.can_read_named_answers)
    questionnaire = selectors.get_practice_questionnaire(practice, public_id)
    if questionnaire.anonymous:
        raise Http404
    page = Paginator(selectors.responses_of(questionnaire), RESPONSES_PER_PAGE).get_page(
        request.GET.get("pagina")
    )
    shown = list(page.object_list)
    services.record_answers_read(responses=shown, by=user)
    document = selectors.document_of(questionnaire)
    return render(
        request,
        "triage/responses.html",
        {
            "questionnaire": questionnaire,
            "page": page,
            "rows": [(r, answered_items(document, r.answers)) for r in shown],
        },
    )


@require_GET
def export(request: HttpRequest, public_id: str, kind: str) -> HttpResponse:
    """CSV (named: one row per response; anonymous: the counted results) or a FHIR R4
    Bundle of QuestionnaireResponse resources (named only)."""
    user, practice = acting_user_in_practice(request, _can_see)
    questionnaire = selectors.get_practice_questionnaire(practice, public_id)
    name = f"{questionnaire.code}-v{questionnaire.version}"
    try:
        if kind == "csv":
            body = services.export_answers_csv(questionnaire=questionnaire, by=user)
            response = HttpResponse(
                body.encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        elif kind == "fhir":
            bundle = services.export_answers_fhir(questionnaire=questionnaire, by=user)
            response = HttpResponse(
                json.dumps(bundle, ensure_ascii=False, indent=2),
                content_type="application/fhir+json; charset=utf-8",
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.fhir.json"'
        else:
            raise Http404
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
        return redirect("triage:questionnaire_results", questionnaire.public_id)
    response["Cache-Control"] = "no-store"
    return response
