"""Self-triage pages, the same for every door (portal, practice page, embedded widget).

Each door is a `Door`: where its links go, which template frame it uses, and who the
session is for. A step page carries the answers so far in the form ("0.2.1", see
`triage.flows`), so no step writes anything and the widget needs no cookie; only the
last answer stores the session and leads to its outcome page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.throttle import client_network
from spreekuur.core.models import Practice
from spreekuur.core.templatetags.emergency import PhoneNumber
from spreekuur.patients.models import Patient
from spreekuur.triage import selectors, services
from spreekuur.triage.flows import Outcome, Urgency, format_walk, parse_walk
from spreekuur.triage.models import TriageSession
from spreekuur.triage.selectors import OfferedFlow


@dataclass(frozen=True)
class Door:
    practice: Practice
    channel: str
    frame: str  # the base template the pages extend
    index_url: str
    step_url: Callable[[str], str]
    outcome_url: Callable[[TriageSession], str]
    patient: Patient | None = None
    user: User | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def context(self, **more: Any) -> dict[str, Any]:
        return {
            "practice": self.practice,
            "practice_phone": PhoneNumber.of(self.practice.phone_main),
            "frame": self.frame,
            "door": self,
            "index_url": self.index_url,
            **self.extra,
            **more,
        }


def matching(flows: list[OfferedFlow], query: str) -> list[OfferedFlow]:
    """The complaints whose title, summary or keywords hold every word typed."""
    words = [w for w in query.casefold().split() if w]
    if not words:
        return flows

    def text(item: OfferedFlow) -> str:
        doc = item.flow.document
        return " ".join([doc.title, doc.summary, *doc.keywords]).casefold()

    return [item for item in flows if all(word in text(item) for word in words)]


def index(request: HttpRequest, door: Door) -> HttpResponse:
    query = request.GET.get("zoek", "")[:80]
    flows = selectors.offered_flows(door.practice)
    shown = matching(flows, query)
    context = door.context(
        flows=[(item, door.step_url(str(item.row.public_id))) for item in shown],
        query=query,
        total=len(flows),
    )
    return render(request, "triage/index.html", context)


def step(request: HttpRequest, door: Door, flow_id: str) -> HttpResponse:
    """GET: the first question. POST: one more answer (or one back); the answers so far
    travel in the form, never in the address. The last answer stores the session and
    goes to its outcome page."""
    offered = selectors.offered_flow_by_id(door.practice, flow_id)
    if offered is None:
        # An older version (the practice changed this complaint meanwhile): start again.
        return render(request, "triage/restart.html", door.context(), status=409)
    walk: list[int] = []
    error = ""
    if request.method == "POST":
        try:
            walk = parse_walk(request.POST.get("a", ""))
            at = offered.flow.walk(walk)
        except ValueError:
            return HttpResponseBadRequest(_("Deze antwoorden horen niet bij deze vragen."))
        if at.question is None:
            return HttpResponseBadRequest(_("Deze antwoorden horen niet bij deze vragen."))
        chosen = request.POST.get("antwoord", "")
        if "terug" in request.POST:
            walk = walk[:-1]
        elif chosen not in {str(number) for number in range(len(at.question.answers))}:
            error = _("Kies een antwoord.")  # also for "²", which isdigit() yet int() refuses
        else:
            walk = [*walk, int(chosen)]
            if offered.flow.walk(walk).outcome is not None:
                if door.patient is None and not _may_store_anonymous(request, door.practice):
                    return _unstored_outcome(request, door, offered, walk)
                session = services.record_triage(
                    practice=door.practice,
                    offered=offered,
                    walk=walk,
                    channel=door.channel,
                    patient=door.patient,
                    by=door.user,
                )
                return redirect(door.outcome_url(session))
    question = offered.flow.walk(walk).question
    if question is None:  # an outcome returns above; this is never reached
        return HttpResponseBadRequest()
    context = door.context(
        offered=offered,
        question=question,
        answers=list(enumerate(question.answers)),
        walk=format_walk(walk),
        number=len(walk) + 1,
        error=error,
        action=door.step_url(str(offered.row.public_id)),
    )
    return render(request, "triage/step.html", context, status=422 if error else 200)


def _may_store_anonymous(request: HttpRequest, practice: Practice) -> bool:
    """Anonymous triages are stored up to TRIAGE_ANONYMOUS_PER_HOUR per client network
    (IPv6: its /64) and practice an hour: a script that walks the widget in a loop fills
    no table and skews no figures. The key holds a keyed hash, never the address."""
    limit = settings.TRIAGE_ANONYMOUS_PER_HOUR
    if limit <= 0:
        return True
    network = salted_hmac("spreekuur.triage.anonymous", client_network(request)).hexdigest()
    key = f"triage-anonymous:{practice.pk}:{network[:32]}"
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the key expired between add and incr: a new hour
        return True


def _unstored_outcome(
    request: HttpRequest, door: Door, offered: OfferedFlow, walk: list[int]
) -> HttpResponse:
    """Over the limit: the same advice, shown at once and stored nowhere. Booking and
    e-consult then start without a triage to take along (they ask the red flags)."""
    reached = offered.flow.walk(walk)
    if reached.outcome is None:  # the caller checked; never reached
        return HttpResponseBadRequest()
    unstored = TriageSession(
        practice=door.practice,
        flow=offered.row,
        channel=door.channel,
        walk=format_walk(walk),
        urgency=reached.outcome.urgency.value,
        outcome_id=reached.outcome.id,
        red_flag=reached.red_flag,
        created_at=timezone.now(),
    )
    return outcome(
        request,
        door,
        unstored,
        booking_url=reverse("agenda:book_start"),
        econsult_url=reverse("econsult:ask"),
    )


@dataclass(frozen=True)
class OutcomeView:
    """What the outcome page shows and offers, by urgency."""

    outcome: Outcome
    urgency: Urgency

    @property
    def calls_112(self) -> bool:
        return self.urgency.rank <= 1

    @property
    def calls_urgent(self) -> bool:
        return self.urgency == Urgency.U2

    @property
    def calls_today(self) -> bool:
        return self.urgency == Urgency.U3

    @property
    def books(self) -> bool:
        return self.urgency in (Urgency.U4, Urgency.U5)

    @property
    def self_care(self) -> bool:
        return self.urgency == Urgency.U5


def outcome(
    request: HttpRequest,
    door: Door,
    session: TriageSession,
    *,
    booking_url: str,
    econsult_url: str,
) -> HttpResponse:
    flow = selectors.parsed(session.flow)
    result = flow.outcomes[session.outcome_id]
    shown = OutcomeView(result, result.urgency)  # the page asks who is open itself
    answers = [int(part) for part in session.walk.split(".") if part]
    context = door.context(
        session=session,
        shown=shown,
        title=session.flow.title,
        asked=flow.asked(answers),
        booking_url=booking_url,
        econsult_url=econsult_url,
        restart_url=door.index_url,
    )
    return render(request, "triage/outcome.html", context)
