from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

__all__ = ["BusinessRuleError", "ChooseFirst", "OutOfReach", "PermissionDenied", "ValidationError"]


class BusinessRuleError(Exception):
    """A request that breaks a rule of the practice; the message is shown to the user (Dutch)."""


class ChooseFirst(PermissionDenied):
    """Not a refusal: the page needs a choice the person has not made yet (whom a
    gemachtigde acts for). The 403 handler sends them to `url` with `message` instead."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url
        self.message = message


class OutOfReach(Http404):
    """An object asked for by id that this user may not reach: another practice's, someone
    else's, or none at all. It answers 404 like any other, and it is a refused attempt for
    the access log (NEN 7513), with the ids as they were asked and nothing looked up.

    Access helpers (selectors) raise it and write nothing; the request's middleware
    (core.middleware.RequestContextMiddleware) writes the denied entry, once, in one place."""

    def __init__(
        self,
        *,
        actor: Any,
        object_kind: str,
        object_ids: Sequence[object] = (),
        detail: str = "",
    ) -> None:
        super().__init__(object_kind)
        self.actor = actor
        self.object_kind = object_kind
        self.object_ids = list(object_ids)
        self.detail = detail
