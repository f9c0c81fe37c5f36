"""The start pages' contents as the apps contribute them: tiles, work queues, figures,
the greeting, and what is new for a patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.core.registry import UpdateLine
from spreekuur.core.roles import StaffRole
from spreekuur.shell import registry
from spreekuur.shell.navigation import audience_of


@dataclass(frozen=True)
class StartTile:
    title: str
    text: str
    url: str


@dataclass(frozen=True)
class WorkQueue:
    text: str
    count: int
    url: str
    urgent: bool


@dataclass(frozen=True)
class StartFigure:
    label: str
    value: int


def start_tiles(request: HttpRequest) -> list[StartTile]:
    audience = audience_of(request.user)  # type: ignore[arg-type]
    return [
        StartTile(str(tile.title), str(tile.text), reverse(tile.url_name))
        for tile in registry.tiles()
        if tile.audience == audience and tile.visible(request)
    ]


def work_queues(user: User) -> dict[str, object]:
    """The staff start page's queues ("6 e-consults over tijd") and the practice figures."""
    queues = []
    for counter in registry.counters():
        if counter.visible(user):
            count = counter.count(user)
            url = reverse(counter.url_name)
            query = counter.query(user) if counter.query is not None else ""
            queues.append(
                WorkQueue(
                    counter.label(count),
                    count,
                    f"{url}?{query}" if query else url,
                    counter.urgent,
                )
            )
    figures = [
        StartFigure(str(figure.label), figure.value(user))
        for figure in registry.figures()
        if figure.visible(user)
    ]
    return {"work_queues": queues, "figures": figures}


def updates_for(user: User, patient: object) -> list[UpdateLine]:
    """'Nieuw voor u' on the patient's start page: each app's lines, in the apps' order."""
    return [line for update in registry.updates() for line in update.lines(user, patient)]


# --- The greeting ------------------------------------------------------------------------------

_TITLES = {"dr.", "dr", "drs.", "drs", "mr.", "mr", "ir.", "ir", "prof.", "prof"}


def _name_parts(full_name: str) -> tuple[str, str]:
    """Given name and surname (with its prefix: "de Boer") of a name as staff enter it,
    without a title ("Dr. Anna de Boer" → "Anna", "de Boer")."""
    words = [word for word in full_name.split() if word.lower() not in _TITLES]
    if not words:
        return "", ""
    return words[0], " ".join(words[1:])


def part_of_day(moment: datetime) -> str:
    """Morning until 12:00, afternoon until 18:00, then evening, in the practice's time
    zone (Europe/Amsterdam, the site's)."""
    hour = timezone.localtime(moment).hour
    if hour < 12:
        return _("Goedemorgen")
    if hour < 18:
        return _("Goedemiddag")
    return _("Goedenavond")


def address(user: User, role: str) -> str:
    """How the start page addresses a staff member: a GP as "dokter De Boer" (the
    surname with a capital prefix, as Dutch writes it without the given name), everyone
    else in the team by their given name, as colleagues do."""
    given, surname = _name_parts(user.full_name)
    if role == StaffRole.HUISARTS and surname:
        return _("dokter %(surname)s") % {"surname": surname[:1].upper() + surname[1:]}
    return given or user.email


def greeting(user: User, role: str, *, now: datetime | None = None) -> str:
    return f"{part_of_day(now or timezone.now())}, {address(user, role)}"
