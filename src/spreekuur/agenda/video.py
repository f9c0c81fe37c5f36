"""Video consults ("beeldbellen") on the practice's own secure video service, such as a
self-hosted Jitsi Meet with token authentication: an unguessable room per appointment
and a token valid only around the appointment. Spreekuur has no video stack of its own.

The token carries no patient data (not even a name): it travels in the join URL."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from django.conf import settings

from spreekuur.agenda.models import Appointment, AppointmentMode, AppointmentStatus

OPENS_BEFORE = timedelta(minutes=10)
CLOSES_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class VideoLink:
    opens_at: datetime
    closes_at: datetime
    url: str = ""  # empty outside the window


def configured() -> bool:
    return bool(settings.VIDEO_BASE_URL and settings.VIDEO_APP_SECRET)


def room_name(appointment: Appointment) -> str:
    """Unguessable and stable: an HMAC of the appointment's id with the service's secret."""
    digest = hmac.new(
        settings.VIDEO_APP_SECRET.encode(), f"room:{appointment.public_id}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:32]


def video_link(appointment: Appointment, *, practitioner: bool, now: datetime) -> VideoLink | None:
    """The join link for the patient or the practitioner, only within the window. Only
    the appointment's own practitioner moderates (lets the patient in from the lobby)."""
    if (
        appointment.appointment_type.mode != AppointmentMode.VIDEO
        or appointment.status != AppointmentStatus.BOOKED
        or not configured()
    ):
        return None
    opens, closes = appointment.starts_at - OPENS_BEFORE, appointment.ends_at + CLOSES_AFTER
    if not opens <= now <= closes:
        return VideoLink(opens_at=opens, closes_at=closes)
    room = room_name(appointment)
    token = jwt.encode(
        {
            "aud": "jitsi",
            "iss": settings.VIDEO_APP_ID,
            "sub": "*",
            "room": room,
            "nbf": int(opens.timestamp()),
            "exp": int(closes.timestamp()),
            # Both forms: Jitsi's token_affiliation module reads context.user, others the
            # top-level claim (docs/video-consult.md).
            "context": {
                "user": {
                    "name": "Zorgverlener" if practitioner else "Patiënt",
                    "moderator": practitioner,
                    "affiliation": "owner" if practitioner else "member",
                }
            },
            "moderator": practitioner,
        },
        settings.VIDEO_APP_SECRET,
        algorithm="HS256",
    )
    base = settings.VIDEO_BASE_URL.rstrip("/")
    return VideoLink(opens_at=opens, closes_at=closes, url=f"{base}/{room}?jwt={token}")
