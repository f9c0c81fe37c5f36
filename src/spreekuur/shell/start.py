"""The start pages' contents as the apps contribute them: tiles, work queues, figures."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from spreekuur.accounts.models import User
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
            queues.append(
                WorkQueue(counter.label(count), count, reverse(counter.url_name), counter.urgent)
            )
    figures = [
        StartFigure(str(figure.label), figure.value(user))
        for figure in registry.figures()
        if figure.visible(user)
    ]
    return {"work_queues": queues, "figures": figures}
