"""A telephony platform as the webhook sees it: signed requests (Standard Webhooks)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from spreekuur.telephony.models import TelephonyLink
from spreekuur.telephony.services import create_link


@pytest.fixture
def link_and_secret(cast: Any) -> tuple[TelephonyLink, str]:
    return create_link(practice=cast.practice_a, name="Centrale", by=cast.manager_a)


def event(kind: str, call_id: str, at: datetime | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{call_id}-{kind}-{uuid.uuid4().hex[:6]}",
        "type": kind,
        "call_id": call_id,
        "at": (at or timezone.now()).isoformat(),
        **extra,
    }


def signed_headers(
    secret: str, body: bytes, *, message_id: str | None = None, when: datetime | None = None
) -> dict[str, str]:
    moment = when or timezone.now()
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    signature = Webhook(secret).sign(message_id, moment, body)
    return {
        "HTTP_WEBHOOK_ID": message_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(moment.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": signature,
    }


Poster = Callable[..., Any]


@pytest.fixture
def post_events(link_and_secret: tuple[TelephonyLink, str]) -> Poster:
    """POST a body (events, or raw bytes) signed with the link's secret."""
    link, secret = link_and_secret

    def post(
        payload: Any,
        *,
        secret_to_use: str | None = None,
        when: datetime | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        signed = signed_headers(secret_to_use or secret, body, when=when)
        return Client().post(
            reverse("telephony:events", args=[link.public_id]),
            data=body,
            content_type=content_type,
            **(headers if headers is not None else signed),
        )

    return post


def minutes_ago(n: float) -> datetime:
    return timezone.now() - timedelta(minutes=n)
