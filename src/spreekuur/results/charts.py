"""A trend chart as plain SVG geometry, drawn by the template: no script, readable by
screen readers through its title and the table of numbers beside it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats, timezone

from spreekuur.results.models import LabResult

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    out_of_range: bool

    @property
    def corner_x(self) -> float:  # an out-of-range point is drawn as a 10 px square
        return round(self.x - 5, 1)

    @property
    def corner_y(self) -> float:
        return round(self.y - 5, 1)


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: list[Point]
    path: str
    band: tuple[float, float] | None  # the reference range as a shaded band (top, height)
    ticks: list[Tick]
    first_label: str
    last_label: str
    left: int = LEFT
    tick_x: int = LEFT - 6
    right_edge: int = WIDTH - RIGHT
    plot_width: int = WIDTH - LEFT - RIGHT
    label_y: int = HEIGHT - 14


@dataclass(frozen=True)
class Value:
    """One value to draw: when (seconds since the epoch), what, its label for the point's
    tooltip, and whether to draw it as a square (outside the range or off target)."""

    moment: float
    value: float
    label: str
    flagged: bool


def trend_chart(results: list[LabResult]) -> Chart | None:
    """Numeric results in time order; None when there are fewer than two to draw."""
    numeric = [r for r in results if r.value is not None]
    if len(numeric) < 2:
        return None
    latest = numeric[-1]
    return line_chart(
        [
            Value(r.observed_at.timestamp(), float(r.value), _label(r), r.out_of_range)
            for r in numeric
            if r.value is not None
        ],
        band_low=latest.reference_low,
        band_high=latest.reference_high,
        first_label=_day(numeric[0]),
        last_label=_day(latest),
    )


def line_chart(
    values: list[Value],
    *,
    band_low: Decimal | None,
    band_high: Decimal | None,
    first_label: str,
    last_label: str,
) -> Chart | None:
    """Values in time order as a line with points, and the band between `band_low` and
    `band_high` shaded (a reference range, or a target: one end may be open); None when
    there are fewer than two values to draw."""
    if len(values) < 2:
        return None
    numbers = [v.value for v in values]
    bounds = [float(b) for b in (band_low, band_high) if b is not None]
    low, high, step = _nice_axis(min(numbers + bounds), max(numbers + bounds))
    start, end = values[0].moment, values[-1].moment
    span = (end - start) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * plot_h, 1)

    points = [
        Point(
            x=round(LEFT + (v.moment - start) / span * plot_w, 1),
            y=y_of(v.value),
            label=v.label,
            out_of_range=v.flagged,
        )
        for v in values
    ]
    band = None
    if band_low is not None or band_high is not None:
        top = y_of(float(band_high)) if band_high is not None else TOP
        bottom = y_of(float(band_low)) if band_low is not None else HEIGHT - BOTTOM
        band = (max(top, TOP), max(0.0, min(bottom, HEIGHT - BOTTOM) - max(top, TOP)))
    ticks = []
    tick = low
    while tick <= high + step / 2:
        ticks.append(Tick(y=y_of(tick), label=number_label(tick)))
        tick += step
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        points=points,
        path="M " + " L ".join(f"{p.x},{p.y}" for p in points),
        band=band,
        ticks=ticks,
        first_label=first_label,
        last_label=last_label,
    )


def _nice_axis(low: float, high: float) -> tuple[float, float, float]:
    """Round axis ends and a step of 1, 2 or 5 times a power of ten (about four steps),
    so the axis reads 40, 50, 60 rather than 36.5, 46.4."""
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    raw = (high - low) / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _day(result: LabResult) -> str:
    return formats.date_format(timezone.localtime(result.observed_at), "j N Y")


def _label(result: LabResult) -> str:
    return f"{_day(result)}: {result.value_display} {result.unit}".strip()


def number_label(value: float) -> str:
    rounded = round(value, 2)
    decimals = 0 if rounded == int(rounded) else (1 if round(value, 1) == rounded else 2)
    return formats.number_format(Decimal(str(rounded)), decimal_pos=decimals)
