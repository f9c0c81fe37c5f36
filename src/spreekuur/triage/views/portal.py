"""Self-triage in the portal: for the patient, or for whom they act (a child)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from spreekuur.patients.portal import PortalSubject, portal_subject
from spreekuur.triage import selectors, services
from spreekuur.triage.models import TriageChannel, TriageSession
from spreekuur.triage.views import walk


def _door(subject: PortalSubject) -> walk.Door:
    return walk.Door(
        practice=subject.patient.practice,
        channel=TriageChannel.PORTAL,
        frame="base.html",
        index_url=reverse("triage:self_index"),
        step_url=lambda flow_id: reverse("triage:self_step", args=[flow_id]),
        outcome_url=lambda s: reverse("triage:self_outcome", args=[s.public_id]),
        patient=subject.patient,
        user=subject.user,
        extra={"subject": subject},
    )


@require_GET
def self_index(request: HttpRequest) -> HttpResponse:
    return walk.index(request, _door(portal_subject(request)))


@require_http_methods(["GET", "POST"])
def self_step(request: HttpRequest, flow_id: str) -> HttpResponse:
    return walk.step(request, _door(portal_subject(request)), flow_id)


def _with_triage(url_name: str, session: TriageSession) -> str:
    return reverse(url_name) + "?" + urlencode({"triage": str(session.public_id)})


@require_GET
def self_outcome(request: HttpRequest, public_id: str) -> HttpResponse:
    subject = portal_subject(request)
    door = _door(subject)
    session = selectors.session_of_patient(subject.patient, public_id, by=subject.user)
    services.record_triage_read(session=session, by=subject.user)
    return walk.outcome(
        request,
        door,
        session,
        booking_url=_with_triage("agenda:book_start", session),
        econsult_url=_with_triage("econsult:ask", session),
    )
