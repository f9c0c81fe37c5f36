"""The chronic-care programmes (ketenzorg), read from data/programmes.json: which open
episode makes a patient a candidate (ICPC-1 NL), how often a control and the annual
check-up come round, and each programme's measurements (NHG-Tabel 45 numbers) with their
interval and target. Data, not code: a care group changes an interval or a target in the
file. The file is checked when it is read, so a broken one stops the start-up with the
reason rather than a control screen later."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.utils import formats
from django.utils.translation import gettext

DATA = Path(__file__).resolve().parent / "data" / "programmes.json"
ICPC_LENGTH = 3  # the chapter letter and two digits (the record stores no subcodes)


class ProgrammeDataError(ValueError):
    """The programmes file breaks a rule: says which programme and what."""


@dataclass(frozen=True)
class Target:
    """A value is on target when it is below `below`, at most `at_most` or at least
    `at_least` (one of them); `until_age`: only for patients younger than that."""

    below: Decimal | None = None
    at_most: Decimal | None = None
    at_least: Decimal | None = None
    until_age: int | None = None
    source: str = ""

    def applies_at(self, age: int) -> bool:
        return self.until_age is None or age < self.until_age

    def text(self, unit: str = "") -> str:
        """The target in words: "onder 140 mmHg", "53 mmol/mol of lager", "21 of hoger"."""

        def value(number: Decimal | None) -> str:
            return f"{formats.number_format(number or 0)} {unit}".strip()

        if self.below is not None:
            return gettext("onder %(value)s") % {"value": value(self.below)}
        if self.at_most is not None:
            return gettext("%(value)s of lager") % {"value": value(self.at_most)}
        return gettext("%(value)s of hoger") % {"value": value(self.at_least)}

    def met_by(self, value: Decimal) -> bool:
        if self.below is not None:
            return value < self.below
        if self.at_most is not None:
            return value <= self.at_most
        return self.at_least is not None and value >= self.at_least


@dataclass(frozen=True)
class Measure:
    nhg_code: str
    every_months: int
    target: Target | None = None


INDICATOR_KINDS = ("control", "checkup", "measured", "at_target")


@dataclass(frozen=True)
class Indicator:
    """One figure the care group reports, as a share of the participants: `control` or
    `checkup` held in the period, `measured` (the NHG number done in the period), or
    `at_target` (its latest value in the period on the programme's target)."""

    key: str
    label: str
    kind: str
    nhg_code: str = ""


@dataclass(frozen=True)
class Programme:
    code: str
    name: str
    icpc_codes: tuple[str, ...]
    control_every_months: int
    checkup_every_months: int
    measures: tuple[Measure, ...]
    indicators: tuple[Indicator, ...] = ()
    # Suggested from an open episode only from this age (asthma: the care groups'
    # programme is for adults; a child with asthma sees the GP).
    suggest_from_age: int = 0

    def measure(self, nhg_code: str) -> Measure:
        return next(m for m in self.measures if m.nhg_code == nhg_code)

    @property
    def nhg_codes(self) -> tuple[str, ...]:
        return tuple(measure.nhg_code for measure in self.measures)


def _number(raw: Any, where: str) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ProgrammeDataError(f"{where}: a target is a number, not {raw!r}")
    return Decimal(str(raw))


def _target(raw: dict[str, Any] | None, where: str) -> Target | None:
    if raw is None:
        return None
    bounds = {key: _number(raw.get(key), where) for key in ("below", "at_most", "at_least")}
    if sum(value is not None for value in bounds.values()) != 1:
        raise ProgrammeDataError(f"{where}: a target has one of below, at_most, at_least")
    until_age = raw.get("until_age")
    if until_age is not None and (not isinstance(until_age, int) or until_age <= 0):
        raise ProgrammeDataError(f"{where}: until_age is a whole number of years")
    return Target(**bounds, until_age=until_age, source=str(raw.get("source", "")))


def _months(raw: Any, where: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= 60:
        raise ProgrammeDataError(f"{where}: an interval is 1 to 60 months, not {raw!r}")
    return raw


def _programme(raw: dict[str, Any]) -> Programme:
    code = str(raw.get("code", ""))
    if not code.isidentifier():
        raise ProgrammeDataError(f"programme {code!r}: a code is one plain word")
    icpc = tuple(str(c).upper() for c in raw.get("icpc", []))
    if not icpc or any(
        len(c) != ICPC_LENGTH or not c[0].isalpha() or not c[1:].isdigit() for c in icpc
    ):
        raise ProgrammeDataError(f"{code}: ICPC codes are a letter and two digits ({icpc})")
    measures = []
    for index, measure in enumerate(raw.get("measures", [])):
        where = f"{code}, measure {index + 1}"
        nhg = str(measure.get("nhg", ""))
        if not nhg.isdigit():
            raise ProgrammeDataError(f"{where}: an NHG number, not {nhg!r}")
        measures.append(
            Measure(
                nhg,
                _months(measure.get("every_months"), where),
                _target(measure.get("target"), where),
            )
        )
    if len({m.nhg_code for m in measures}) != len(measures):
        raise ProgrammeDataError(f"{code}: a measurement is named twice")
    indicators = tuple(
        _indicator(raw_indicator, code, measures) for raw_indicator in raw.get("indicators", [])
    )
    if len({i.key for i in indicators}) != len(indicators):
        raise ProgrammeDataError(f"{code}: an indicator key is used twice")
    return Programme(
        code=code,
        name=str(raw.get("name", "")) or code,
        icpc_codes=icpc,
        control_every_months=_months(raw.get("control_every_months"), code),
        checkup_every_months=_months(raw.get("checkup_every_months"), code),
        measures=tuple(measures),
        indicators=indicators,
        suggest_from_age=_age(raw.get("suggest_from_age", 0), code),
    )


def _age(raw: Any, code: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= 120:
        raise ProgrammeDataError(f"{code}: suggest_from_age is a whole number of years")
    return raw


def _indicator(raw: dict[str, Any], code: str, measures: list[Measure]) -> Indicator:
    key, kind, nhg = str(raw.get("key", "")), str(raw.get("kind", "")), str(raw.get("nhg", ""))
    where = f"{code}, indicator {key!r}"
    if not key.isidentifier() or not raw.get("label"):
        raise ProgrammeDataError(f"{where}: an indicator has a plain key and a label")
    if kind not in INDICATOR_KINDS:
        raise ProgrammeDataError(f"{where}: kind is one of {', '.join(INDICATOR_KINDS)}")
    measure = next((m for m in measures if m.nhg_code == nhg), None)
    if kind in ("measured", "at_target") and measure is None:
        raise ProgrammeDataError(f"{where}: {nhg!r} is not one of the programme's measurements")
    if kind == "at_target" and (measure is None or measure.target is None):
        raise ProgrammeDataError(f"{where}: the measurement {nhg} has no target")
    return Indicator(key, str(raw["label"]), kind, nhg)


def read_programmes(path: Path = DATA) -> dict[str, Programme]:
    """The programmes of a file, by code, checked (ProgrammeDataError names the fault)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    programmes = [_programme(raw) for raw in document.get("programmes", [])]
    by_code = {programme.code: programme for programme in programmes}
    if len(by_code) != len(programmes):
        raise ProgrammeDataError("two programmes have the same code")
    return by_code


@cache
def programmes() -> dict[str, Programme]:
    """The shipped programmes, read once per process."""
    return read_programmes()


def programme(code: str) -> Programme:
    """The programme with this code (KeyError for one that does not exist)."""
    return programmes()[code]


def programme_choices() -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in programmes().values()]


def programmes_for_icpc(icpc_code: str) -> list[Programme]:
    """The programmes an open episode with this ICPC code makes a patient a candidate for
    (K86 hypertension: CVRM)."""
    return [p for p in programmes().values() if icpc_code.upper() in p.icpc_codes]
