"""E-consults over HTTP: asking (behind the red-flag gate), the patient's threads, the
practice's inbox and thread page, photos through an access check, and the settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from spreekuur.accounts.capabilities import acting_user_in_practice
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import staff_of
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.middleware import takes_large_requests
from spreekuur.core.models import Practice
from spreekuur.core.registry import patient_facts
from spreekuur.econsult import capabilities, selectors, services
from spreekuur.econsult.forms import (
    AnswerForm,
    ConsultCodeForm,
    NoteForm,
    QuestionForm,
    ReplyForm,
    SettingsForm,
)
from spreekuur.econsult.models import ConsultCode, Thread, ThreadStatus
from spreekuur.patients.portal import portal_subject
from spreekuur.triage.forms import first_raised_flag
from spreekuur.triage.handover import before_online_step, call_advice_stop
from spreekuur.triage.models import TriageUse
from spreekuur.triage.selectors import red_flags_for
from spreekuur.triage.services import RedFlagRaised, TriageSaysCall

PAGE_SIZE = 50


def _too_large(request: HttpRequest, practice: Practice) -> bool:
    """Up to 3 photos at the practice's size, plus text (MAX_REQUEST_BYTES, checked before
    anything reads the body, is the hard limit)."""
    # Imported here, not at the top: the photo code (Pillow, pillow-heif) would sit in every
    # web worker; a question's POST is where photos come in.
    from spreekuur.econsult.photos import MAX_PHOTOS

    limit = services.settings_for(practice).max_photo_megabytes
    declared = request.META.get("CONTENT_LENGTH") or "0"
    return declared.isdigit() and int(declared) > MAX_PHOTOS * limit * 1024 * 1024 + 64 * 1024


def _uploads(request: HttpRequest) -> list[tuple[object, int]]:
    return [(f, f.size or 0) for f in request.FILES.getlist("photos")]


@require_http_methods(["GET"])
def my_questions(request: HttpRequest) -> HttpResponse:
    """The messages overview: every question with its first words, date, status and who
    answered; unread answers marked."""
    subject = portal_subject(request)
    threads = selectors.messages_overview(subject.patient)
    services.record_threads_read(
        by=subject.user, threads=threads, patient=subject.patient, **subject.audit()
    )
    return render(request, "econsult/my_questions.html", {"threads": threads, "subject": subject})


def _stop(request: HttpRequest, flag: object, practice: object) -> HttpResponse:
    """A red flag: 112 or the practice's urgent line, never an e-consult."""
    context = {"flag": flag, "practice": practice, "for_econsult": True}
    return render(request, "triage/red_flag_stop.html", context)


@takes_large_requests()  # photos; _too_large applies the practice's own size first
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    """A new question: red flags first (a "yes" stops with 112 or the urgent line)."""
    subject = portal_subject(request)
    practice = subject.patient.practice
    if request.method == "POST" and _too_large(request, practice):
        return render(request, "econsult/too_large.html", status=413)
    gate = before_online_step(request, subject.patient, use=TriageUse.ECONSULT)
    if gate.stop is not None:
        return gate.stop
    handed = gate.handed
    flags = red_flags_for(practice)
    form = QuestionForm(request.POST or None, request.FILES or None, flags=flags)
    if request.method == "POST":
        raised = first_raised_flag(flags, request.POST)
        if raised is not None:
            return _stop(request, raised, practice)
        if form.is_valid():
            try:
                thread = services.ask_question(
                    patient=subject.patient,
                    category=form.cleaned_data["category"],
                    body=form.cleaned_data["body"],
                    triage_answers=form.answers(),
                    consent=form.cleaned_data["consent"],
                    photos=_uploads(request),  # type: ignore[arg-type]
                    by=subject.user,
                    self_triage=str(handed.public_id) if handed else None,
                )
            except RedFlagRaised as stop:
                return _stop(request, stop.flag, practice)
            except TriageSaysCall:
                return call_advice_stop(request, practice)
            except BusinessRuleError as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, _("Uw vraag is verstuurd."))
                return redirect("econsult:my_thread", public_id=thread.public_id)
    settings = services.settings_for(practice)
    return render(
        request,
        "econsult/ask.html",
        {
            "form": form,
            "subject": subject,
            "settings": settings,
            "practice": practice,
            "handed": handed,
        },
    )


@require_http_methods(["GET", "POST"])
def my_thread(request: HttpRequest, public_id: str) -> HttpResponse:
    subject = portal_subject(request)
    thread = selectors.thread_for_patient(subject.user, subject.patient, public_id)
    if request.method == "POST" and _too_large(request, subject.patient.practice):
        return render(request, "econsult/too_large.html", status=413)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reply_as_patient(
                thread=thread,
                body=form.cleaned_data["body"],
                photos=_uploads(request),  # type: ignore[arg-type]
                by=subject.user,
            )
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("Uw reactie is verstuurd."))
        return redirect("econsult:my_thread", public_id=thread.public_id)
    services.open_thread_as_patient(thread=thread, by=subject.user, **subject.audit())
    visible = thread.visible  # type: ignore[attr-defined]
    return render(
        request,
        "econsult/my_thread.html",
        {
            "thread": thread,
            "form": form,
            "subject": subject,
            "can_reply": services.can_reply_as_patient(thread, messages=visible),
        },
    )


@require_http_methods(["GET"])
def inbox(request: HttpRequest) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_work_inbox)
    mine = request.GET.get("wie") == "mij"
    status = request.GET.get("status", ThreadStatus.OPEN)
    status = status if status in ThreadStatus.values else ThreadStatus.OPEN
    page = Paginator(selectors.inbox(by=user, mine=mine, status=status), PAGE_SIZE).get_page(
        request.GET.get("pagina")
    )
    services.record_threads_read(by=user, threads=list(page))
    query = "&".join(filter(None, ("wie=mij" if mine else "", f"status={status}")))
    return render(
        request,
        "econsult/inbox.html",
        {
            "page": page,
            "mine": mine,
            "status": status,
            "statuses": ThreadStatus.choices,
            "summary": selectors.day_summary(practice),
            "query": query,
        },
    )


ANSWERING = ("antwoorden", "antwoorden-sluiten")


@require_http_methods(["GET", "POST"])
def staff_thread(request: HttpRequest, public_id: str) -> HttpResponse:
    """One thread for the practice: read it, or act on it (POST `actie`: answer, note,
    assign, close)."""
    user, practice = acting_user_in_practice(request, capabilities.can_work_inbox)
    thread = selectors.thread_for_staff(user, public_id)
    action = request.POST.get("actie", "")
    answer_form = AnswerForm(request.POST if action in ANSWERING else None)
    note_form = NoteForm(request.POST if action == "notitie" else None)
    if request.method == "POST":
        try:
            done = _act_on_thread(request, action, user, practice, thread, answer_form, note_form)
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
            return redirect("econsult:staff_thread", public_id=thread.public_id)
        if done is not None:
            return done
    services.record_threads_read(by=user, threads=[thread], patient=thread.patient)
    staff = [m for m in staff_of(practice) if capabilities.can_work_inbox(m.user)]
    context = {
        "thread": thread,
        "answer_form": answer_form,
        "note_form": note_form,
        "staff": staff,
        "age": thread.patient.age_on(timezone.localdate()),
        # Beside the question: what other apps know that matters (current medication,
        # allergies), each read logged by the app that owns it.
        "facts": [(fact.label, fact.lines(thread.patient, user)) for fact in patient_facts()],
    }
    return render(request, "econsult/staff_thread.html", context)


def _act_on_thread(
    request: HttpRequest,
    action: str,
    user: User,
    practice: Practice,
    thread: Thread,
    answer_form: AnswerForm,
    note_form: NoteForm,
) -> HttpResponse | None:
    """Do what the POST asks; None shows the page again (a form with its errors)."""
    if action in ANSWERING:
        close = action == "antwoorden-sluiten"
        return _answer(request, user, thread, answer_form, close=close)
    if action == "notitie":
        return _add_note(request, user, thread, note_form)
    if action == "toewijzen":
        return _assign(request, user, practice, thread)
    if action == "sluiten":
        services.close_thread(thread=thread, by=user)
        messages.success(request, _("Afgesloten."))
        return redirect("econsult:inbox")
    raise Http404


def _answer(
    request: HttpRequest, user: User, thread: Thread, form: AnswerForm, *, close: bool
) -> HttpResponse | None:
    if not form.is_valid():
        return None
    services.answer_thread(thread=thread, body=form.cleaned_data["text"], by=user, close=close)
    messages.success(request, _("Het antwoord is verstuurd."))
    return redirect("econsult:inbox")


def _add_note(
    request: HttpRequest, user: User, thread: Thread, form: NoteForm
) -> HttpResponse | None:
    if not form.is_valid():
        return None
    services.add_internal_note(thread=thread, body=form.cleaned_data["note"], by=user)
    messages.success(request, _("Notitie opgeslagen (niet zichtbaar voor de patiënt)."))
    return redirect("econsult:staff_thread", public_id=thread.public_id)


def _assign(request: HttpRequest, user: User, practice: Practice, thread: Thread) -> HttpResponse:
    colleagues = {str(m.user.public_id): m.user for m in staff_of(practice)}
    chosen = request.POST.get("behandelaar", "")
    if chosen and chosen not in colleagues:
        raise Http404
    services.assign_thread(thread=thread, assignee=colleagues.get(chosen), by=user)
    messages.success(request, _("Toegewezen."))
    return redirect("econsult:staff_thread", public_id=thread.public_id)


@require_http_methods(["GET"])
def photo(request: HttpRequest, public_id: str) -> HttpResponse | FileResponse:
    """A photo, only through this check; never from a public URL."""
    user = request.user
    if not isinstance(user, User):
        raise Http404
    acting: dict[str, Any] = {}
    if capabilities.can_work_inbox(user):
        found = selectors.photo_for(user, public_id, patient=None)
    else:
        subject = portal_subject(request)
        found = selectors.photo_for(user, public_id, patient=subject.patient)
        acting = subject.audit()
    services.record_photo_read(by=user, photo=found, **acting)
    response = FileResponse(
        default_storage.open(found.stored_name, "rb"), content_type="image/jpeg"
    )
    response["Content-Disposition"] = 'inline; filename="foto.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_manage_econsult)
    current = services.settings_for(practice)
    chosen = request.POST.get("formulier")
    form = SettingsForm(
        request.POST if chosen == "instellingen" else None,
        initial={
            "sla_working_days": current.sla_working_days,
            "max_open_per_patient": current.max_open_per_patient,
            "max_photo_megabytes": current.max_photo_megabytes,
        },
    )
    code_form = ConsultCodeForm(request.POST if chosen == "tarief" else None)
    if request.method == "POST":
        if chosen == "instellingen" and form.is_valid():
            services.save_settings(practice=practice, by=user, **form.cleaned_data)
            messages.success(request, _("Opgeslagen."))
            return redirect("econsult:settings")
        if chosen == "tarief" and code_form.is_valid():
            services.set_consult_code(practice=practice, by=user, **code_form.cleaned_data)
            messages.success(request, _("Het tarief is opgeslagen."))
            return redirect("econsult:settings")
    return render(
        request,
        "econsult/settings.html",
        {
            "form": form,
            "code_form": code_form,
            "codes": ConsultCode.objects.filter(practice=practice),
        },
    )
