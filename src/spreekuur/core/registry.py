"""What an app gives the shell: menu entries, start-page tiles, work-queue counters,
figures and periodic jobs.

An app declares them in its own AppConfig, as a method `shell_contributions()` that
returns one `Contributions`; the shell (the top floor) collects them from every
installed app. So a new app plugs in without an edit to core or the shell, and neither
knows a feature by name. These are plain descriptions: the functions they hold (who may
see an entry, how many items wait) belong to the app that declares them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.http import HttpRequest
from django.utils.functional import Promise

Label = str | Promise  # a (lazy) translated text


class Audience(StrEnum):
    """Who an entry or tile is for. The shell decides which one a user is."""

    PATIENT = "patient"  # a patient with their own record here (they may also act for others)
    REPRESENTATIVE = "representative"  # acts only for others: a parent, a gemachtigde
    STAFF = "staff"  # practice staff; each entry narrows this with its capability


def everyone(request: HttpRequest) -> bool:
    return True


@dataclass(frozen=True)
class NavEntry:
    """One link in the main menu."""

    label: Label
    url_name: str
    audience: Audience
    order: int
    visible: Callable[[HttpRequest], bool] = everyone


@dataclass(frozen=True)
class Tile:
    """A task on a start page: a title, one line of what it does, and where it goes."""

    title: Label
    text: Label
    url_name: str
    audience: Audience
    order: int
    visible: Callable[[HttpRequest], bool] = everyone


@dataclass(frozen=True)
class Counter:
    """A work queue on the staff start page: "6 e-consults over tijd".

    `label` turns the number into its text (with the right plural); `count` is only
    called when `visible` allows it, so it may assume the user's role."""

    label: Callable[[int], str]
    count: Callable[[Any], int]
    url_name: str
    order: int
    visible: Callable[[Any], bool]
    urgent: bool = False  # shown as a warning when the count is above zero


@dataclass(frozen=True)
class Figure:
    """A plain number on the staff start page ("Ingeschreven patiënten")."""

    label: Label
    value: Callable[[Any], int]
    order: int
    visible: Callable[[Any], bool]


@dataclass(frozen=True)
class PeriodicJob:
    """A background task (a django-tasks Task, by dotted path) enqueued every so often.
    Jobs must be idempotent: a second worker or a restart may run one twice."""

    task_path: str
    every_seconds: int


@dataclass(frozen=True)
class Contributions:
    navigation: Sequence[NavEntry] = ()
    tiles: Sequence[Tile] = ()
    counters: Sequence[Counter] = ()
    figures: Sequence[Figure] = ()
    periodic_jobs: Sequence[PeriodicJob] = ()
    # (prefix, URLconf module) pairs the site includes, in the order of INSTALLED_APPS.
    urls: Sequence[tuple[str, str]] = ()


def for_user(capability: Callable[[Any], bool]) -> Callable[[HttpRequest], bool]:
    """An entry visible when the logged-in user has this capability."""

    def visible(request: HttpRequest) -> bool:
        return capability(request.user)

    return visible
