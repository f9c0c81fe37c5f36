"""The dashboard's figures, computed from the summed summary rows of a period (one
practice, or a whole region) in plain Python: the same code for the practice's dashboard,
the monthly review, the region and the CSV, so they can never disagree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# How each figure reads: a count, a share in percent, seconds, or euros.
COUNT, PERCENT, SECONDS, EUROS = "count", "percent", "seconds", "euros"


@dataclass
class Sums:
    """What the summary rows of a period add up to."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    snapshots: dict[str, int] = field(default_factory=dict)  # the latest on or before the end
    revenue_cents: int = 0
    codes_without_tariff: set[str] = field(default_factory=set)

    def total(self, metric: str) -> int:
        return sum(value for (name, _dim), value in self.counts.items() if name == metric)

    def by_dimension(self, metric: str) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for (name, dimension), value in self.counts.items():
            if name == metric:
                found[dimension] += value
        return dict(found)

    def get(self, metric: str, dimension: str = "") -> int:
        return self.counts.get((metric, dimension), 0)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    kind: str
    value: float | None  # None: nothing to divide by
    numerator: int | None = None  # for shares and averages: what the value is made of
    denominator: int | None = None


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def figures_of(sums: Sums) -> list[Figure]:
    consults = sums.total("consults")
    no_shows = sums.total("no_shows")
    bookings = sums.total("bookings")
    online = sums.get("bookings", "online")
    answered = sums.total("econsults_answered")
    in_time = sums.total("econsults_in_time")
    repeats = sums.total("repeat_requests")
    portal_repeats = sums.get("repeat_requests", "portaal")
    enrolled = sums.snapshots.get("enrolled", 0)
    accounts = sums.snapshots.get("portal_accounts", 0)
    active = sums.snapshots.get("portal_active_90d", 0)
    offered = sums.total("calls_offered")
    abandoned = sums.total("calls_abandoned")
    waits = sums.total("call_waits")
    wait_seconds = sums.total("call_wait_seconds")
    return [
        Figure("consults", str(_("Consulten gehouden")), COUNT, consults),
        Figure(
            "no_show_percent",
            str(_("Niet verschenen")),
            PERCENT,
            _share(no_shows, consults + no_shows),
            no_shows,
            consults + no_shows,
        ),
        Figure("bookings", str(_("Afspraken gemaakt")), COUNT, bookings),
        Figure(
            "online_share",
            str(_("Online geboekt")),
            PERCENT,
            _share(online, bookings),
            online,
            bookings,
        ),
        Figure("econsults", str(_("E-consults gesteld")), COUNT, sums.total("econsults_received")),
        Figure(
            "econsults_in_time",
            str(_("E-consults op tijd beantwoord")),
            PERCENT,
            _share(in_time, answered),
            in_time,
            answered,
        ),
        Figure("repeat_requests", str(_("Herhaalrecepten aangevraagd")), COUNT, repeats),
        Figure(
            "repeat_portal_share",
            str(_("Herhaalrecepten via het portaal")),
            PERCENT,
            _share(portal_repeats, repeats),
            portal_repeats,
            repeats,
        ),
        Figure("enrolled", str(_("Ingeschreven patiënten (einde periode)")), COUNT, enrolled),
        Figure("portal_accounts", str(_("Portaalaccounts geactiveerd")), COUNT, accounts),
        Figure(
            "portal_share",
            str(_("Ingeschrevenen met een portaalaccount")),
            PERCENT,
            _share(accounts, enrolled),
            accounts,
            enrolled,
        ),
        Figure("portal_active", str(_("Actief in het portaal (90 dagen)")), COUNT, active),
        Figure(
            "portal_active_share",
            str(_("Ingeschrevenen actief in het portaal")),
            PERCENT,
            _share(active, enrolled),
            active,
            enrolled,
        ),
        Figure("revenue", str(_("Omzet consulten en e-consults")), EUROS, sums.revenue_cents / 100),
        Figure("calls_offered", str(_("Bellers aangeboden")), COUNT, offered),
        Figure(
            "abandoned_percent",
            str(_("Opgehangen tijdens wachten")),
            PERCENT,
            _share(abandoned, offered),
            abandoned,
            offered,
        ),
        Figure(
            "average_wait",
            str(_("Gemiddelde wachttijd telefoon")),
            SECONDS,
            round(wait_seconds / waits) if waits else None,
            wait_seconds,
            waits,
        ),
        Figure("callbacks", str(_("Terugbelverzoeken")), COUNT, sums.total("callbacks")),
        Figure("self_triages", str(_("Zelftriages afgerond")), COUNT, sums.total("self_triages")),
    ]


@dataclass(frozen=True)
class Compared:
    figure: Figure
    previous: Figure

    @property
    def change(self) -> float | None:
        """Percentage points for a share, percent change for the rest."""
        now, before = self.figure.value, self.previous.value
        if now is None or before is None:
            return None
        if self.figure.kind == PERCENT:
            return round(now - before, 1)
        return round(100 * (now - before) / before, 1) if before else None

    @property
    def stands_out(self) -> bool:
        """Worth a word in the monthly review: 10 % more or less, or 5 points in a share."""
        change = self.change
        if change is None:
            return False
        return abs(change) >= (5 if self.figure.kind == PERCENT else 10)


def compare(now: Sums, before: Sums) -> list[Compared]:
    return [Compared(a, b) for a, b in zip(figures_of(now), figures_of(before), strict=True)]


def revenue_cents(
    declared: dict[tuple[int, str], int], tariffs: dict[tuple[int, str], Decimal]
) -> tuple[int, set[str]]:
    """Held consults per (year, code) times the tariff of that year; the codes without a
    tariff that year are named so the table can be completed."""
    total = 0
    missing: set[str] = set()
    for (year, code), count in declared.items():
        tariff = tariffs.get((year, code))
        if tariff is None:
            missing.add(code)
            continue
        total += int(tariff * 100) * count
    return total, missing
