"""The indicators as they leave the practice for the care group: anonymised (counts only,
never a patient) and with small counts suppressed, as CSV and as FHIR R4 MeasureReports
(one per indicator, in a collection Bundle). Also the region's view: every practice of
the care group side by side, suppressed the way the dashboard's regional view is."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from spreekuur.chroniccare.indicators import (
    SUPPRESS_BELOW,
    ProgrammeFigures,
    Share,
    programme_figures,
)
from spreekuur.chroniccare.programmes import Programme, programmes
from spreekuur.core.models import Practice
from spreekuur.core.spreadsheets import safe_cell
from spreekuur.dashboard.figures import COUNT, PERCENT, Figure
from spreekuur.dashboard.selectors import suppress

AGB = "http://fhir.nl/fhir/NamingSystem/agb-z"
MEASURE_BASE = f"{settings.SITE_URL}/fhir/Measure"
MASKED = {
    "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
    "valueCode": "masked",
}


def practice_figures(practice: Practice, first: date, last: date) -> list[ProgrammeFigures]:
    """Every programme's indicators for one practice (one query per programme)."""
    return [
        programme_figures([practice.pk], scheme, first, last)[practice.pk]
        for scheme in programmes().values()
    ]


def _count_text(count: int) -> str:
    return f"<{SUPPRESS_BELOW}" if 0 < count < SUPPRESS_BELOW else str(count)


def _percent_text(share: Share) -> str:
    if share.small or share.percent is None:
        return ""
    return number_format(share.percent, 1)


def indicators_csv(practice: Practice, first: date, last: date) -> str:
    """One line per indicator: counts of 1 to 9 as "<10" and their share left empty."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            _("Praktijk"),
            _("AGB-code"),
            _("Van"),
            _("Tot en met"),
            _("Programma"),
            _("Indicator"),
            _("Teller"),
            _("Noemer"),
            _("Percentage"),
        ]
    )
    head = [safe_cell(practice.name), practice.agb_code, first.isoformat(), last.isoformat()]
    for figures in practice_figures(practice, first, last):
        name = figures.scheme.name
        writer.writerow(
            [
                *head,
                name,
                _("Deelnemers op de peildatum"),
                _count_text(figures.participants),
                "",
                "",
            ]
        )
        for share in figures.shares:
            writer.writerow(
                [
                    *head,
                    name,
                    share.indicator.label,
                    _count_text(share.numerator),
                    _count_text(share.denominator),
                    _percent_text(share),
                ]
            )
    return out.getvalue()


def _population(code: str, count: int) -> dict[str, Any]:
    population: dict[str, Any] = {
        "code": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/measure-population",
                    "code": code,
                }
            ]
        }
    }
    if 0 < count < SUPPRESS_BELOW:
        population["_count"] = {"extension": [MASKED]}
    else:
        population["count"] = count
    return population


def _measure_report(
    practice: Practice,
    scheme: Programme,
    figures: ProgrammeFigures,
    share: Share,
    period: dict[str, str],
) -> dict[str, Any]:
    group: dict[str, Any] = {
        "population": [
            _population("initial-population", figures.participants),
            _population("denominator", share.denominator),
            _population("numerator", share.numerator),
        ]
    }
    if not share.small and share.percent is not None:
        group["measureScore"] = {
            "value": share.percent,
            "unit": "%",
            "system": "http://unitsofmeasure.org",
            "code": "%",
        }
    return {
        "resourceType": "MeasureReport",
        "id": str(uuid.uuid4()),
        "status": "complete",
        "type": "summary",
        "measure": f"{MEASURE_BASE}/ketenzorg-{scheme.code}-{share.indicator.key}",
        "date": timezone.now().isoformat(timespec="seconds"),
        "reporter": {
            "identifier": {"system": AGB, "value": practice.agb_code},
            "display": practice.name,
        },
        "period": period,
        "group": [group],
        "extension": [
            {
                "url": f"{MEASURE_BASE}/StructureDefinition/indicator-label",
                "valueString": f"{scheme.name}: {share.indicator.label}",
            }
        ],
    }


def indicators_bundle(practice: Practice, first: date, last: date) -> dict[str, Any]:
    """A collection Bundle of MeasureReports, one per indicator: initial population (the
    participants on the peildatum), denominator and numerator; a count of 1 to 9 is left
    out and marked "masked", and so is the share made of it."""
    period = {"start": first.isoformat(), "end": last.isoformat()}
    entries = [
        _measure_report(practice, figures.scheme, figures, share, period)
        for figures in practice_figures(practice, first, last)
        for share in figures.shares
    ]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": timezone.now().isoformat(timespec="seconds"),
        "entry": [{"fullUrl": f"urn:uuid:{entry['id']}", "resource": entry} for entry in entries],
    }


# --- The region ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionCell:
    text: str
    hidden: bool


@dataclass(frozen=True)
class RegionProgramme:
    scheme: Programme
    labels: list[str]
    rows: list[tuple[str, list[RegionCell]]]  # per practice: its name and its cells
    total: list[RegionCell]


def _figures_of(figures: ProgrammeFigures) -> list[Figure]:
    row = [Figure("participants", _("Deelnemers"), COUNT, figures.participants)]
    row += [
        Figure(s.indicator.key, s.indicator.label, PERCENT, s.percent, s.numerator, s.denominator)
        for s in figures.shares
    ]
    return row


def _cell(figure: Figure, hidden: bool) -> RegionCell:
    if hidden:
        return RegionCell(f"<{SUPPRESS_BELOW}" if figure.kind == COUNT else "—", True)
    if figure.value is None:
        return RegionCell("—", False)
    if figure.kind == PERCENT:
        return RegionCell(f"{number_format(figure.value, 1)}% ({figure.denominator})", False)
    return RegionCell(number_format(figure.value, 0), False)


def region_programme(
    practices: Sequence[Practice], scheme: Programme, first: date, last: date
) -> RegionProgramme:
    """The programme's indicators for each practice of the region and in total: a share
    of fewer than ten patients, and a count of one to nine, hidden; where one practice's
    count is hidden, the next smallest too, so the total does not give it away."""
    by_practice = programme_figures([p.pk for p in practices], scheme, first, last)
    rows = [_figures_of(by_practice[p.pk]) for p in practices]
    hidden = [
        [h or _small_numerator(f) for f, h in zip(row, mask, strict=True)]
        for row, mask in zip(rows, suppress(rows), strict=True)
    ]
    total = ProgrammeFigures(
        practice_id=0,
        scheme=scheme,
        participants=sum(f.participants for f in by_practice.values()),
        whole_period=sum(f.whole_period for f in by_practice.values()),
        shares=[
            Share(
                indicator,
                sum(f.shares[n].numerator for f in by_practice.values()),
                sum(f.shares[n].denominator for f in by_practice.values()),
            )
            for n, indicator in enumerate(scheme.indicators)
        ],
    )
    total_figures = _figures_of(total)
    return RegionProgramme(
        scheme=scheme,
        labels=[figure.label for figure in total_figures],
        rows=[
            (practice.name, [_cell(f, h) for f, h in zip(row, mask, strict=True)])
            for practice, row, mask in zip(practices, rows, hidden, strict=True)
        ],
        total=[_cell(f, _too_small(f) or _small_numerator(f)) for f in total_figures],
    )


def _too_small(figure: Figure) -> bool:
    if figure.kind == COUNT:
        return figure.value is not None and 0 < figure.value < SUPPRESS_BELOW
    return figure.denominator is not None and figure.denominator < SUPPRESS_BELOW


def _small_numerator(figure: Figure) -> bool:
    """A share of one to nine patients: its percentage and denominator would tell it."""
    return (
        figure.kind == PERCENT
        and figure.numerator is not None
        and 0 < figure.numerator < SUPPRESS_BELOW
    )
