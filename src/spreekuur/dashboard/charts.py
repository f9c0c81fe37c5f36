"""A bar chart as plain SVG geometry, drawn by the template: no script, readable through
its title and the table of the same numbers beside it."""

from __future__ import annotations

from dataclasses import dataclass

from spreekuur.dashboard.selectors import Series

WIDTH, HEIGHT = 640, 220
LEFT, BOTTOM, TOP = 8, 36, 12


@dataclass(frozen=True)
class DrawnBar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: float
    label_x: float
    short: str = ""


@dataclass(frozen=True)
class Chart:
    series: Series
    bars: list[DrawnBar]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM


def bar_chart(series: Series) -> Chart:
    count = max(1, len(series.bars))
    slot = (WIDTH - 2 * LEFT) / count
    room = HEIGHT - BOTTOM - TOP
    drawn = []
    for index, bar in enumerate(series.bars):
        height = round(room * bar.height, 1)
        x = round(LEFT + index * slot + slot * 0.15, 1)
        drawn.append(
            DrawnBar(
                x=x,
                y=round(HEIGHT - BOTTOM - height, 1),
                width=round(slot * 0.7, 1),
                height=height,
                label=bar.label,
                value=bar.value,
                label_x=round(x + slot * 0.35, 1),
                short=bar.short,
            )
        )
    return Chart(series, drawn)
