"""Collects what every installed app contributes (core.registry) for the shell to show."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, TypeVar

from django.apps import apps
from django.core.signals import setting_changed

from spreekuur.core.registry import Contributions, Counter, Figure, NavEntry, PeriodicJob, Tile

T = TypeVar("T")


@cache
def _all() -> tuple[Contributions, ...]:
    found = []
    for config in apps.get_app_configs():
        declare: Callable[[], Contributions] | None = getattr(config, "shell_contributions", None)
        if callable(declare):
            found.append(declare())
    return tuple(found)


def _ordered(items: Iterator[T]) -> list[T]:
    return sorted(items, key=lambda item: getattr(item, "order", 0))


def navigation() -> list[NavEntry]:
    return _ordered(entry for c in _all() for entry in c.navigation)


def tiles() -> list[Tile]:
    return _ordered(tile for c in _all() for tile in c.tiles)


def counters() -> list[Counter]:
    return _ordered(counter for c in _all() for counter in c.counters)


def figures() -> list[Figure]:
    return _ordered(figure for c in _all() for figure in c.figures)


def periodic_jobs() -> list[PeriodicJob]:
    return [job for c in _all() for job in c.periodic_jobs]


def url_includes() -> list[tuple[str, str]]:
    return [include for c in _all() for include in c.urls]


def _forget(*, setting: str, **_kwargs: Any) -> None:
    if setting == "INSTALLED_APPS":  # a test that installs another app sees its entries
        _all.cache_clear()


setting_changed.connect(_forget)
