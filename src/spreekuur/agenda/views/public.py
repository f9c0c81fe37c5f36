"""The waiting room: the check-in kiosk (aanmeldzuil) and the waiting-room screen.

Neither ever shows a name, a time or anything else about a patient: the kiosk answers
with a queue number, the screen with "practitioner — number". The kiosk works only on a
device that staff switched on as a kiosk (a signed cookie naming a KioskDevice), so its
date-of-birth check is not a public oracle; attempts are counted per device."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from spreekuur.accounts.capabilities import acting_user_in_practice
from spreekuur.agenda import capabilities, selectors, services
from spreekuur.agenda.forms import KioskBirthDateForm, KioskCodeForm, KioskForm
from spreekuur.agenda.models import KioskDevice
from spreekuur.core.models import Practice
from spreekuur.core.opening_hours import week_ahead
from spreekuur.core.selectors import published_news, schedule_for

KIOSK_COOKIE = "spreekuur_kiosk"
KIOSK_SALT = "spreekuur.agenda.kiosk"
KIOSK_COOKIE_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie
KIOSK_ATTEMPTS = 60  # per device per 10 minutes (a busy morning is ~20), then the desk
KIOSK_WINDOW = 600


def _attempts(key: str) -> int:
    """Count this attempt in the device's window and return the count so far."""
    if cache.add(key, 1, KIOSK_WINDOW):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.set(key, 1, KIOSK_WINDOW)
        return 1


def _kiosk_for(request: HttpRequest, practice: Practice) -> KioskDevice | None:
    raw = request.get_signed_cookie(KIOSK_COOKIE, default=None, salt=KIOSK_SALT)
    if not raw:
        return None
    return KioskDevice.objects.filter(
        public_id=raw, practice=practice, revoked_at__isnull=True
    ).first()


@require_http_methods(["GET", "POST"])
def kiosks_view(request: HttpRequest) -> HttpResponse:
    """Staff list and switch on kiosks; switching on makes *this* browser the kiosk."""
    user, practice = acting_user_in_practice(request, capabilities.can_register_kiosk)
    form = KioskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kiosk = services.register_kiosk(practice=practice, name=form.cleaned_data["name"], by=user)
        # The tablet stays in the waiting room: it must not keep this person logged in.
        logout(request)
        response = redirect("agenda:kiosk", slug=practice.slug)
        response.set_signed_cookie(
            KIOSK_COOKIE,
            str(kiosk.public_id),
            salt=KIOSK_SALT,
            max_age=KIOSK_COOKIE_AGE,
            httponly=True,
            secure=request.is_secure(),
            samesite="Strict",
        )
        return response
    return render(
        request,
        "agenda/kiosks.html",
        {
            "form": form,
            "kiosks": KioskDevice.objects.filter(practice=practice).select_related("created_by"),
            "practice": practice,
        },
    )


@require_POST
def revoke_kiosk(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_register_kiosk)
    kiosk = get_object_or_404(KioskDevice, practice=practice, public_id=public_id)
    services.revoke_kiosk(kiosk=kiosk, by=user)
    messages.success(request, _("De aanmeldzuil is uitgezet."))
    return redirect("agenda:kiosks")


@login_not_required
@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, slug: str) -> HttpResponse:
    practice = get_object_or_404(Practice, slug=slug)
    device = _kiosk_for(request, practice)
    if device is None:
        return render(request, "agenda/kiosk_off.html", {"practice": practice}, status=403)
    attempts_key = f"kiosk-attempts:{device.pk}"
    method = request.POST.get("manier", "")
    birth_form = KioskBirthDateForm(
        request.POST if method == "geboortedatum" else None, prefix="gb"
    )
    code_form = KioskCodeForm(request.POST if method == "code" else None, prefix="qr")
    context = {"practice": practice, "birth_form": birth_form, "code_form": code_form}
    if request.method == "POST":
        # Every attempt counts, found or not: the form must not become a way to test
        # dates of birth against house numbers.
        if _attempts(attempts_key) > KIOSK_ATTEMPTS:
            return render(request, "agenda/kiosk.html", {**context, "blocked": True}, status=429)
        result = None
        if method == "geboortedatum" and birth_form.is_valid():
            result = services.check_in_by_birth_date(
                kiosk=device,
                born=birth_form.cleaned_data["date_of_birth"],
                house_number=birth_form.cleaned_data["house_number"],
            )
        elif method == "code" and code_form.is_valid():
            result = services.check_in_by_code(kiosk=device, code=code_form.cleaned_data["code"])
        if result is not None and result.found:
            return render(
                request, "agenda/kiosk_done.html", {"practice": practice, "numbers": result.numbers}
            )
        if result is not None:
            context["ambiguous" if result.ambiguous else "not_found"] = True
    return render(request, "agenda/kiosk.html", context)


@login_not_required
@require_http_methods(["GET"])
def waiting_room(request: HttpRequest, slug: str) -> HttpResponse:
    practice = get_object_or_404(Practice, slug=slug)
    schedule = schedule_for(practice)
    return render(
        request,
        "agenda/waiting_room.html",
        {
            "practice": practice,
            "calls": selectors.waiting_room_calls(practice, now=timezone.now()),
            "news": published_news(practice, limit=5),
            "week": week_ahead(schedule, timezone.localdate()),
        },
    )


@login_not_required
@require_http_methods(["GET"])
def waiting_room_calls(request: HttpRequest, slug: str) -> HttpResponse:
    """The live part of the screen, polled by htmx every few seconds."""
    practice = get_object_or_404(Practice, slug=slug)
    return render(
        request,
        "agenda/_waiting_room_calls.html",
        {"calls": selectors.waiting_room_calls(practice, now=timezone.now())},
    )
