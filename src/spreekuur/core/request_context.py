"""Per-request facts (request id, client address) that the audit log and logs need.

Held in a context variable so services can record where an access came from without
every call passing the request along.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip_address: str | None
    # Set for the rest of a request that came in through an app (the FHIR API): every
    # audit entry written meanwhile says so (channel "api", "app: <name>" in its detail),
    # also when a portal service (booking, a repeat request) writes it.
    channel: str | None = None
    via: str = ""


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "spreekuur_request_context", default=None
)


def set_current(context: RequestContext | None) -> contextvars.Token[RequestContext | None]:
    return _current.set(context)


def reset_current(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def current() -> RequestContext | None:
    return _current.get()


@contextmanager
def through_app(*, channel: str, via: str) -> Iterator[None]:
    """For the duration of the block, this request acts through an app (see channel/via)."""
    context = current()
    token = set_current(
        replace(context, channel=channel, via=via)
        if context is not None
        else RequestContext("", None, channel, via)
    )
    try:
        yield
    finally:
        reset_current(token)
