"""Who an actor is, as the ground floor needs to know it for the audit log.

The user model and its roles live a floor up (accounts). The audit log still has to
record an actor's role and find their practice, so accounts registers how to answer
those two questions when it starts (AccountsConfig.ready); core never imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from spreekuur.core.models import Practice


class ActorDirectory(Protocol):
    def role_of(self, user: Any) -> str: ...

    def practice_of(self, user: Any) -> Practice | None: ...


_directory: ActorDirectory | None = None


def register_actor_directory(directory: ActorDirectory) -> None:
    global _directory
    _directory = directory


def _current() -> ActorDirectory:
    if _directory is None:
        raise ImproperlyConfigured("No actor directory registered (is accounts installed?)")
    return _directory


def role_of(user: Any) -> str:
    return _current().role_of(user)


def practice_of(user: Any) -> Practice | None:
    return _current().practice_of(user)
