"""Collects what every installed app contributes (core.registry) for the shell to show."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from spreekuur.core.contributions import collected
from spreekuur.core.registry import (
    Contributions,
    Counter,
    Figure,
    NavEntry,
    PeriodicJob,
    Tile,
    Update,
)

T = TypeVar("T")


def _all() -> tuple[Contributions, ...]:
    return collected()


def _ordered(items: Iterator[T]) -> list[T]:
    return sorted(items, key=lambda item: getattr(item, "order", 0))


def navigation() -> list[NavEntry]:
    return _ordered(entry for c in _all() for entry in c.navigation)


def tiles() -> list[Tile]:
    return _ordered(tile for c in _all() for tile in c.tiles)


def counters() -> list[Counter]:
    return _ordered(counter for c in _all() for counter in c.counters)


def updates() -> list[Update]:
    return _ordered(update for c in _all() for update in c.updates)


def figures() -> list[Figure]:
    return _ordered(figure for c in _all() for figure in c.figures)


def periodic_jobs() -> list[PeriodicJob]:
    return [job for c in _all() for job in c.periodic_jobs]


def url_includes() -> list[tuple[str, str]]:
    return [include for c in _all() for include in c.urls]
