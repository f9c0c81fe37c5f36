"""Video consults ("beeldbellen") on the practice's own secure video service, such as a
self-hosted Jitsi Meet with token authentication: an unguessable room per appointment
and a token valid only around the appointment. Spreekuur has no video stack of its own.

Only the people of the appointment join: the patient, or a parent or gemachtigde who may
act for them today (the representation rules of patients.portal), as a participant, and
the appointment's own practitioner as moderator. Other staff get no way in at all.

Each token is bound to its holder: `context.user.id` is their account's public id (never
a BSN or an e-mail address), `context.user.name` the name the other side sees and
`context.user.role` what they are in this call. A name is personal data, and the
patient's is patient data, so a token never appears in a page, a query string or any
server's request log: the page shows a button that POSTs to Spreekuur, which writes the
issuance to the access log and redirects to `<room>#jwt="<token>"`. Browsers send the
fragment to no server (nor in a Referer); Jitsi Meet's web app reads the token from it.
Each token names only its own holder, so the patient's name reaches only the patient's
own browser and the video service."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

import jwt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.naming import staff_label
from spreekuur.agenda.models import Appointment, AppointmentMode, AppointmentStatus
from spreekuur.core.audit import record_access
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import AuditAction
from spreekuur.patients.models import RepresentationKind
from spreekuur.patients.portal import portal_capacity

OPENS_BEFORE = timedelta(minutes=10)
CLOSES_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Participant:
    """Who joins, as their token names them."""

    id: str  # the account's public id: stable and opaque
    name: str
    role: str
    moderator: bool
    capacity: str | None = None  # "ouder" or "gemachtigde" when acting for the patient


@dataclass(frozen=True)
class VideoLink:
    """What the appointment page shows someone who joins: when, and whether now."""

    opens_at: datetime
    closes_at: datetime
    is_open: bool  # within the window: the page shows the button to join


def configured() -> bool:
    return bool(settings.VIDEO_BASE_URL and settings.VIDEO_APP_SECRET)


def service_origin() -> str:
    """The video service's origin, which the join button's form may be sent on to."""
    parts = urlsplit(settings.VIDEO_BASE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def offers_video(appointment: Appointment) -> bool:
    """A booked video appointment while the practice has a video service."""
    return (
        appointment.appointment_type.mode == AppointmentMode.VIDEO
        and appointment.status == AppointmentStatus.BOOKED
        and configured()
    )


def room_name(appointment: Appointment) -> str:
    """Unguessable and stable: an HMAC of the appointment's id with the service's secret."""
    digest = hmac.new(
        settings.VIDEO_APP_SECRET.encode(), f"room:{appointment.public_id}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:32]


def participant(appointment: Appointment, by: User) -> Participant | None:
    """The appointment's own practitioner (moderator), the patient, or someone who may act
    for the patient today; None for anyone else, colleagues of the practitioner too."""
    practitioner = appointment.practitioner
    if practitioner.user_id == by.pk and practitioner.active:
        return Participant(
            id=str(by.public_id),
            name=staff_label(practitioner.role, by.full_name),
            role=practitioner.get_role_display(),
            moderator=True,
        )
    try:
        capacity = portal_capacity(by, appointment.patient)
    except PermissionDenied:
        return None
    if capacity is None:
        # The name as the practice knows the patient, not as they typed it at sign-up.
        return Participant(
            id=str(by.public_id),
            name=appointment.patient.display_name,
            role=_("Patiënt"),
            moderator=False,
        )
    return Participant(
        id=str(by.public_id),
        name=by.full_name,
        role=_("%(capacity)s namens de patiënt")
        % {"capacity": RepresentationKind(capacity).label.capitalize()},
        moderator=False,
        capacity=capacity,
    )


def _window(appointment: Appointment) -> tuple[datetime, datetime]:
    return appointment.starts_at - OPENS_BEFORE, appointment.ends_at + CLOSES_AFTER


def video_link(appointment: Appointment, *, by: User, now: datetime) -> VideoLink | None:
    """What the appointment page shows `by`: None unless they join this consult."""
    if not offers_video(appointment) or participant(appointment, by) is None:
        return None
    opens, closes = _window(appointment)
    return VideoLink(opens_at=opens, closes_at=closes, is_open=opens <= now <= closes)


def join_video(*, appointment: Appointment, by: User, now: datetime) -> str:
    """Issue `by` their own token and return the address that takes them into the room.
    Each issuance is in the access log; anyone who does not join this consult is refused
    (the 403 handler logs that), and outside the window there is no token."""
    who = participant(appointment, by) if offers_video(appointment) else None
    if who is None:
        raise PermissionDenied
    opens, closes = _window(appointment)
    if not opens <= now <= closes:
        raise BusinessRuleError(_("Het beeldbellen is nu niet open."))
    token = video_token(appointment, who)
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind="appointment",
        practice=appointment.practice,
        patient=appointment.patient,
        object_ids=[appointment.public_id],
        actor_role=who.capacity,
        detail="beeldbellen: toegang als " + ("moderator" if who.moderator else "deelnemer"),
    )
    base = settings.VIDEO_BASE_URL.rstrip("/")
    # Jitsi Meet reads the fragment's values as JSON: the token as a quoted string.
    return f"{base}/{room_name(appointment)}#jwt={quote(json.dumps(token))}"


def video_token(appointment: Appointment, who: Participant) -> str:
    opens, closes = _window(appointment)
    return jwt.encode(
        {
            "aud": "jitsi",
            "iss": settings.VIDEO_APP_ID,
            # Jitsi's `sub` names the server or tenant (it checks it), not the person:
            # the person is context.user.id.
            "sub": "*",
            "room": room_name(appointment),
            "nbf": int(opens.timestamp()),
            "exp": int(closes.timestamp()),
            # Both forms: Jitsi's token_affiliation module reads context.user, others the
            # top-level claim (docs/video-consult.md).
            "context": {
                "user": {
                    "id": who.id,
                    "name": who.name,
                    "role": who.role,
                    "moderator": who.moderator,
                    "affiliation": "owner" if who.moderator else "member",
                }
            },
            "moderator": who.moderator,
        },
        settings.VIDEO_APP_SECRET,
        algorithm="HS256",
    )
