"""The phone line over HTTP: the platform's webhook, the callback queue, the settings
(menu, callback offer, links, the platform's configuration) and the call load."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from standardwebhooks import Webhook, WebhookVerificationError

from spreekuur.accounts.capabilities import acting_user_in_practice
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.middleware import takes_large_requests
from spreekuur.telephony import capabilities, selectors, services
from spreekuur.telephony.call_report import MAX_REPORT_BYTES, ReportUnreadable
from spreekuur.telephony.forms import (
    PERIODS,
    AttemptForm,
    CallReportForm,
    LinkForm,
    PeriodForm,
    PhoneSettingsForm,
)
from spreekuur.telephony.models import AttemptOutcome
from spreekuur.telephony.webhook import MAX_BODY_BYTES, Refusal, parse_message, readable_number

security_log = logging.getLogger("spreekuur.security")

# ---- the platform's webhook ---------------------------------------------------------------

_SIGNING_PROBLEMS = {
    "headers": (
        "De kopregels webhook-id, webhook-timestamp en webhook-signature zijn verplicht.",
        "The webhook-id, webhook-timestamp and webhook-signature headers are required.",
    ),
    "timestamp": (
        "Het tijdstempel wijkt meer dan 5 minuten af van nu: een herhaald of vertraagd "
        "verzoek wordt niet aangenomen.",
        "The timestamp is more than 5 minutes from now: a replayed or delayed request is "
        "not accepted.",
    ),
    "signature": (
        "De handtekening klopt niet.",
        "The signature does not match.",
    ),
    "link": (
        "Onbekende of uitgeschakelde koppeling.",
        "Unknown or disabled link.",
    ),
}


def _refused(code: str, status: int) -> JsonResponse:
    dutch, english = _SIGNING_PROBLEMS[code]
    refusal = Refusal(code, (dutch,), (english,))
    return JsonResponse(refusal.as_json(), status=status)


def _signing_code(error: WebhookVerificationError) -> str:
    text = str(error).lower()
    if "missing" in text:
        return "headers"
    if "timestamp" in text:
        return "timestamp"
    return "signature"


@csrf_exempt  # a machine door, signed with its own secret, no cookies
@login_not_required
@takes_large_requests(MAX_BODY_BYTES)
@require_POST
def events(request: HttpRequest, link_id: str) -> HttpResponse:
    """Call events from the telephony platform, signed as Standard Webhooks says. The
    signature is checked before the body is read as JSON; a refused request stores
    nothing, and an event sent again (by its id) changes nothing."""
    link = selectors.active_link(link_id)
    if link is None:
        security_log.warning("telephony door: unknown link")
        return _refused("link", 401)
    declared = request.headers.get("Content-Length", "")
    if not (declared.isascii() and declared.isdigit()):
        return JsonResponse(
            Refusal(
                "length", ("Content-Length ontbreekt.",), ("Content-Length missing.",)
            ).as_json(),
            status=411,
        )
    if int(declared) > MAX_BODY_BYTES:
        return JsonResponse(
            Refusal(
                "size", ("Het bericht is groter dan 512 kB.",), ("The body exceeds 512 kB.",)
            ).as_json(),
            status=413,
        )
    raw = request.read(int(declared))
    headers = {name: request.headers.get(name, "")[:1000] for name in _SIGNED_HEADERS}
    try:
        Webhook(services.link_secret(link)).verify(raw, headers, json_parse=False)
    except WebhookVerificationError as error:
        code = _signing_code(error)
        security_log.warning("telephony door: refused", extra={"reason": code})
        return _refused(code, 401)
    if not (request.content_type or "").endswith("json"):
        return JsonResponse(
            Refusal(
                "media_type",
                ("Stuur het bericht als application/json.",),
                ("Send the body as application/json.",),
            ).as_json(),
            status=415,
        )
    try:
        parsed = parse_message(raw)
    except Refusal as refusal:
        return JsonResponse(refusal.as_json(), status=400)
    receipt = services.receive_events(link=link, events=parsed)
    return JsonResponse(
        {
            "status": "ontvangen",
            "accepted": receipt.accepted,
            "duplicates": receipt.duplicates,
            "callbacks": receipt.callbacks,
            "conflicts": receipt.conflicts,
        }
    )


_SIGNED_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


# ---- the callback queue ---------------------------------------------------------------------

SHOWN_KEY = "telephony_callers_shown"


def _queue_context(request: HttpRequest, user: Any, practice: Any) -> dict[str, Any]:
    waiting = list(selectors.open_callbacks(practice)[:200])
    closed_today = list(selectors.closed_since(practice, timezone.localdate())[:50])
    before = set(request.session.get(SHOWN_KEY, []))
    shown = services.record_callers_shown(
        by=user, callbacks=[*waiting, *closed_today], already=before
    )
    if shown != before:  # the screen polls every 2 s: write the session only for news
        request.session[SHOWN_KEY] = sorted(shown)[-500:]
    now = timezone.now()
    return {
        "waiting": [
            {
                "callback": callback,
                "number": readable_number(callback.number),
                "minutes": int((now - callback.requested_at).total_seconds() // 60),
                "mine": callback.claimed_by_id == user.pk,
            }
            for callback in waiting
        ],
        "closed_today": closed_today,
        "outcomes": AttemptOutcome.choices,
        "now": now,
    }


@require_GET
def callbacks(request: HttpRequest) -> HttpResponse:
    """The assistants' screen: it refreshes itself (htmx) every few seconds."""
    user, practice = acting_user_in_practice(request, capabilities.can_work_callbacks)
    context = _queue_context(request, user, practice)
    template = (
        "telephony/_queue.html" if request.htmx else "telephony/callbacks.html"  # type: ignore[attr-defined]
    )
    return render(request, template, context)


@require_POST
def callback_action(request: HttpRequest, public_id: str) -> HttpResponse:
    """Claim, release or record a try (POST `actie`: oppakken, vrijgeven, poging)."""
    user, practice = acting_user_in_practice(request, capabilities.can_work_callbacks)
    callback = selectors.get_callback_for(user, public_id)
    action = request.POST.get("actie", "")
    try:
        if action == "oppakken":
            services.claim_callback(callback=callback, by=user)
        elif action == "vrijgeven":
            services.release_callback(callback=callback, by=user)
        elif action == "poging":
            form = AttemptForm(request.POST)
            if not form.is_valid():
                raise BusinessRuleError(_("Kies hoe het terugbellen ging."))
            services.record_attempt(
                callback=callback, outcome=form.cleaned_data["outcome"], by=user
            )
        else:
            raise BusinessRuleError(_("Onbekende actie."))
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
    if request.htmx:  # type: ignore[attr-defined]
        context = _queue_context(request, user, practice)
        if action == "oppakken":
            # Only in the answer to one's own click (never in a poll): the keyboard lands
            # on "Hoe ging het?" of the caller just picked up, not at the top of the page.
            context["just_claimed"] = callback.public_id
        return render(request, "telephony/_queue.html", context)
    return redirect("telephony:callbacks")


# ---- settings, links, configuration --------------------------------------------------------


@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_manage_telephony)
    phone = selectors.settings_for(practice)
    form = PhoneSettingsForm(request.POST or None, instance=phone)
    if request.method == "POST" and form.is_valid():
        services.save_phone_settings(settings=form.save(commit=False), by=user)
        messages.success(request, _("De instellingen van de telefoon zijn opgeslagen."))
        return redirect("telephony:settings")
    return render(
        request,
        "telephony/settings.html",
        {
            "form": form,
            "link_form": LinkForm(),
            "links": selectors.links_of(practice),
            "practice": practice,
        },
    )


@require_POST
def link_create(request: HttpRequest) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_manage_telephony)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Geef de koppeling een naam (hoogstens 120 tekens)."))
        return redirect("telephony:settings")
    link, secret = services.create_link(practice=practice, name=form.cleaned_data["name"], by=user)
    return _show_secret(request, link, secret)


@require_POST
def link_action(request: HttpRequest, public_id: str) -> HttpResponse:
    user, _practice = acting_user_in_practice(request, capabilities.can_manage_telephony)
    link = selectors.get_link_for(user, public_id)
    action = request.POST.get("actie", "")
    if action == "nieuw-geheim":
        return _show_secret(request, link, services.renew_link_secret(link=link, by=user))
    if action in ("aan", "uit"):
        services.set_link_active(link=link, active=action == "aan", by=user)
        messages.success(request, _("De koppeling is bijgewerkt."))
    return redirect("telephony:settings")


def _show_secret(request: HttpRequest, link: Any, secret: str) -> HttpResponse:
    """Shown once, on this answer to a POST; never stored, never in a URL."""
    response = render(
        request,
        "telephony/link_secret.html",
        {
            "link": link,
            "secret": secret,
            "url": request.build_absolute_uri(reverse("telephony:events", args=[link.public_id])),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def config_export(request: HttpRequest) -> HttpResponse:
    """The settings as the configuration file the telephony platform needs."""
    _user, practice = acting_user_in_practice(request, capabilities.can_manage_telephony)
    config = services.platform_config(practice, base_url=request.build_absolute_uri("/")[:-1])
    response = HttpResponse(
        json.dumps(config, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="spreekuur-telefonie.json"'
    return response


# ---- call load and the call report ------------------------------------------------------------


@require_GET
def call_load(request: HttpRequest) -> HttpResponse:
    _user, practice = acting_user_in_practice(request, capabilities.can_view_call_load)
    form = PeriodForm(request.GET or None)
    weeks = PERIODS.get(form.data.get("weeks", "13"), 13) if form.is_bound else 13
    # Whole days only: today's calls so far would pull today's weekday down.
    until = timezone.localdate() - timedelta(days=1)
    since = until - timedelta(weeks=weeks) + timedelta(days=1)
    load = selectors.call_load(practice, since=since, until=until)
    return render(
        request,
        "telephony/call_load.html",
        {
            "form": form if form.is_bound else PeriodForm(initial={"weeks": "13"}),
            "load": load,
            "weeks": weeks,
            "can_import": capabilities.can_manage_telephony(_user),
        },
    )


@takes_large_requests(MAX_REPORT_BYTES + 64 * 1024)
@require_http_methods(["GET", "POST"])
def call_report_import(request: HttpRequest) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_manage_telephony)
    form = CallReportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["report"]
        try:
            done = services.import_call_report(
                practice=practice, file_name=upload.name or "", raw=upload.read(), by=user
            )
        except ReportUnreadable as unreadable:
            problems = unreadable.problems
        else:
            messages.success(
                request,
                _(
                    "%(added)d gesprekken toegevoegd (%(rows)d in het bestand, %(skipped)d "
                    "overgeslagen: uitgaand, intern of al eerder ingelezen)."
                )
                % {
                    "added": done.calls_added,
                    "rows": done.rows,
                    "skipped": done.rows - done.calls_added,
                },
            )
            return redirect("telephony:call_report_import")
    return render(
        request,
        "telephony/call_report.html",
        {"form": form, "problems": problems, "imports": selectors.imports_of(practice)[:20]},
    )
