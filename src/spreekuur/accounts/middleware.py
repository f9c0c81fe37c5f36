from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.selectors import is_staff_member, second_factor_done

SESSION_LAST_SEEN = "spreekuur_last_seen"
# Writing the session on every request would cost a database write per page; a minute of
# slack on a 15-minute timeout is harmless.
_TOUCH_INTERVAL_SECONDS = 60


class IdleTimeoutMiddleware:
    """Ends a session after a quiet spell: 15 minutes for staff, 30 for patients."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], *args: object
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        if getattr(view_func, "login_required", True) is False:
            # A public page (the waiting-room screen polling every few seconds, the kiosk)
            # is not activity: it must not keep a forgotten staff session alive.
            return None
        now = timezone.now()
        timeout = (
            settings.STAFF_IDLE_TIMEOUT if is_staff_member(user) else settings.PATIENT_IDLE_TIMEOUT
        )
        raw = request.session.get(SESSION_LAST_SEEN)
        last_seen = datetime.fromisoformat(raw) if raw else now
        if now - last_seen > timeout:
            logout(request)
            messages.info(
                request, _("U bent automatisch uitgelogd omdat u een tijd niet actief was.")
            )
            return redirect(settings.LOGIN_URL)
        if raw is None or (now - last_seen).total_seconds() > _TOUCH_INTERVAL_SECONDS:
            request.session[SESSION_LAST_SEEN] = now.isoformat()
        return None


class SecondFactorRequiredMiddleware:
    """Nothing behind the login opens before the second factor is done.

    Views that belong to the login itself are marked with @second_factor_not_required.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], *args: object
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        if getattr(view_func, "second_factor_not_required", False):
            return None
        if getattr(view_func, "login_required", True) is False:
            return None  # a public page: nothing behind the login
        if second_factor_done(user):
            return None
        from spreekuur.accounts.services import has_confirmed_second_factor

        if has_confirmed_second_factor(user):
            return redirect("accounts:verify")
        return redirect("accounts:setup_totp")


ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])


def second_factor_not_required(view_func: ViewFunc) -> ViewFunc:
    """Marks a view that belongs to the login itself (reachable before the second factor)."""
    view_func.second_factor_not_required = True  # type: ignore[attr-defined]
    return view_func
