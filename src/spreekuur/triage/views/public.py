"""Self-triage without logging in: on the practice's page and in the widget that the
practice embeds on its own website. Nothing here knows who is asking, and nothing is
stored about them: no cookie is needed (an iframe on another site often gets none), so
these forms carry no CSRF token; what they store is an anonymous session."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from spreekuur.core.selectors import get_public_practice
from spreekuur.triage import selectors
from spreekuur.triage.models import TriageChannel, TriageSession
from spreekuur.triage.views import walk

# Any https site may frame the widget (the practice's own site, wherever it is hosted);
# the pages hold no personal data and no logged-in action.
FRAME_ANCESTORS = ["'self'", "https:"]


def _embeddable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def framed(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response._csp_replace = {"frame-ancestors": FRAME_ANCESTORS}  # type: ignore[attr-defined]
        return response

    return xframe_options_exempt(framed)


def _door(slug: str, *, widget: bool) -> walk.Door:
    practice = get_public_practice(slug)
    prefix = "triage:widget" if widget else "triage:public"
    return walk.Door(
        practice=practice,
        channel=TriageChannel.WIDGET if widget else TriageChannel.WEBSITE,
        frame="triage/widget_base.html" if widget else "base.html",
        index_url=reverse(f"{prefix}_index", args=[slug]),
        step_url=lambda flow_id: reverse(f"{prefix}_step", args=[slug, flow_id]),
        outcome_url=lambda s: reverse(f"{prefix}_outcome", args=[slug, s.public_id]),
        extra={"widget": widget},
    )


def _portal_link(url_name: str, session: TriageSession) -> str:
    """Booking and e-consult are in the portal: after logging in, the anonymous session
    is taken over by the patient (triage.services.take_for)."""
    return reverse(url_name) + "?" + urlencode({"triage": str(session.public_id)})


def _outcome(request: HttpRequest, slug: str, public_id: str, *, widget: bool) -> HttpResponse:
    door = _door(slug, widget=widget)
    session = selectors.anonymous_session(door.practice, public_id)
    return walk.outcome(
        request,
        door,
        session,
        booking_url=_portal_link("agenda:book_start", session),
        econsult_url=_portal_link("econsult:ask", session),
    )


@login_not_required
@require_GET
def public_index(request: HttpRequest, slug: str) -> HttpResponse:
    return walk.index(request, _door(slug, widget=False))


@login_not_required
@csrf_exempt
@require_http_methods(["GET", "POST"])
def public_step(request: HttpRequest, slug: str, flow_id: str) -> HttpResponse:
    return walk.step(request, _door(slug, widget=False), flow_id)


@login_not_required
@require_GET
def public_outcome(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    return _outcome(request, slug, public_id, widget=False)


@login_not_required
@_embeddable
@require_GET
def widget_index(request: HttpRequest, slug: str) -> HttpResponse:
    return walk.index(request, _door(slug, widget=True))


@login_not_required
@_embeddable
@csrf_exempt
@require_http_methods(["GET", "POST"])
def widget_step(request: HttpRequest, slug: str, flow_id: str) -> HttpResponse:
    return walk.step(request, _door(slug, widget=True), flow_id)


@login_not_required
@_embeddable
@require_GET
def widget_outcome(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    return _outcome(request, slug, public_id, widget=True)


@login_not_required
@require_GET
@cache_control(public=True, max_age=3600)
def widget_script(request: HttpRequest, slug: str) -> HttpResponse:
    """The one-line embed: a script that puts the widget's iframe where it stands and
    lets the iframe tell its height (so there is no inner scroll bar on a phone)."""
    practice = get_public_practice(slug)
    src = request.build_absolute_uri(reverse("triage:widget_index", args=[practice.slug]))
    return render(
        request,
        "triage/widget.js",
        {"src": src, "title": practice.name},
        content_type="text/javascript; charset=utf-8",
    )
