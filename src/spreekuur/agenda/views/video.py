"""Joining a video consult: a POST that issues the person's own token (logged) and
redirects into the room with the token in the URL's fragment (see agenda/video.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from spreekuur.accounts.capabilities import acting_user, acting_user_in_practice
from spreekuur.accounts.models import User
from spreekuur.agenda import capabilities, selectors
from spreekuur.agenda.models import Appointment
from spreekuur.agenda.video import configured, join_video, service_origin
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.patients.selectors import patient_profile

View = Callable[..., HttpResponse]


def allows_joining_video(view: View) -> View:
    """For a page with a join button: its form goes to Spreekuur and is redirected on to
    the video service, which the page's form-action (CSP) must then allow."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if configured():
            response._csp_update = {"form-action": [service_origin()]}  # type: ignore[attr-defined]
        return response

    return wrapped


def _into_the_room(
    request: HttpRequest, appointment: Appointment, by: User, back: str
) -> HttpResponseBase:
    try:
        address = join_video(appointment=appointment, by=by, now=timezone.now())
    except BusinessRuleError as refused:
        messages.error(request, str(refused))
        return redirect(back, public_id=appointment.public_id)
    return HttpResponseRedirect(address)


@require_POST
@never_cache
def join_my_video(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """The patient's button on their appointment page."""
    user = acting_user(request, capabilities.can_book_online)
    if patient_profile(user) is None:  # as on the appointment page itself (portal._portal)
        raise PermissionDenied
    appointment = selectors.get_own_appointment(user, public_id)
    return _into_the_room(request, appointment, user, "agenda:my_appointment")


@require_POST
@never_cache
def join_video_as_practitioner(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """The practitioner's button on the appointment page (other staff are refused)."""
    user, _practice = acting_user_in_practice(request, capabilities.can_use_agenda)
    appointment = selectors.get_practice_appointment(user, public_id)
    return _into_the_room(request, appointment, user, "agenda:appointment")
