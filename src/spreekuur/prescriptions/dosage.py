"""A GP's dosage text ("2 keer per dag 1 tablet", "3 dd 1", "1 tablet 's avonds",
"zo nodig max 3 per dag") as a FHIR R4 Dosage, shaped after the Nictiz zib
InstructionsForUse: timing.repeat (frequency/period/periodUnit, when), doseAndRate
(doseQuantity or doseRange) and maxDosePerPeriod, with the text always kept.

All or nothing: the structure is given only when every word of the text is understood
and the parts agree with each other; anything else (a condition such as "bij pijn", two
doses at different times, a word we do not know) leaves the text alone. A receiver that
reads only the structure must never miss part of the instruction, nor read a number that
the text does not say: every value comes from the text itself."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

UCUM = "http://unitsofmeasure.org"

# The units a Dutch dosage names, as the G-Standaard's basic unit (a tablet, capsule or
# suppository is one "stuk") with its UCUM code, as Nictiz's examples write them.
_UNITS: tuple[tuple[str, tuple[str, str]], ...] = (
    (
        r"(?:kauw|bruis|smelt)?tablet(?:ten)?|tabl?\.?|capsules?|caps\.?|stuks?"
        r"|zetpil(?:len)?|dragees?|zakjes?|sachets?",
        ("stuk", "{stuk}"),
    ),
    (
        r"pufjes?|puf(?:fen)?|inhalaties?|doses|dosis|verstuivingen|verstuiving",
        ("dosis", "{dosis}"),
    ),
    (r"druppels?", ("druppel", "[drp]")),
    ("microgram|mcg|\u00b5g|ug", ("microgram", "ug")),
    (r"mg", ("mg", "mg")),
    (r"ml", ("ml", "mL")),
    (r"gram|g", ("g", "g")),
    (r"ie|eenheden|eenheid", ("IE", "[iU]")),
)
_UNIT = "|".join(f"(?:{pattern})" for pattern, _unit in _UNITS)

_WORD_NUMBERS = {
    "een": 1,
    "één": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
    "tien": 10,
}
_COUNT = r"\d{1,2}|" + "|".join(_WORD_NUMBERS)
_AMOUNT = r"\d{1,4}(?:\.\d{1,3})?|halve|half|" + "|".join(_WORD_NUMBERS)

_PERIOD_UNITS = {
    "uur": "h",
    "dag": "d",
    "dagen": "d",
    "etmaal": "d",
    "week": "wk",
    "weken": "wk",
    "maand": "mo",
    "maanden": "mo",
}

# Dagdeel and meal moments, as FHIR EventTiming (Nictiz's DagdeelCodelijst map).
_WHEN: tuple[tuple[str, str], ...] = (
    (r"'?s\s?(?:ochtends|morgens)|in de (?:ochtend|morgen)", "MORN"),
    (r"'?s\s?middags|in de middag", "AFT"),
    (r"'?s\s?avonds|in de avond", "EVE"),
    (r"'?s\s?nachts|in de nacht", "NIGHT"),
    (r"voor het slapen(?:\s?gaan)?|voor de nacht", "HS"),
    (r"bij het ontbijt", "CM"),
    (r"bij de lunch", "CD"),
    (r"bij het avondeten|bij de avondmaaltijd", "CV"),
    (r"voor het eten|voor de maaltijd(?:en)?", "AC"),
    (r"na het eten|na de maaltijd(?:en)?", "PC"),
    (r"bij het eten|bij de maaltijd(?:en)?|tijdens de maaltijd(?:en)?", "C"),
)

# Verbs that say how, not when or how much: they may stand in a structured text.
_FILLER = r"(?:in te nemen|innemen|te gebruiken|gebruiken|inhaleren|insmeren|aanbrengen|toedienen)"

_END = r"(?!\w)"  # a whole word: "tablet" is not the start of "tablets"
_DD = re.compile(
    rf"(?P<n>\d{{1,2}})\s?d\.?\s?d\.?\s?(?P<low>{_AMOUNT})"
    rf"(?:\s?(?:-|à|a|tot)\s?(?P<high>{_AMOUNT}))?(?:\s?(?P<unit>{_UNIT}))?{_END}"
)
_FREQUENCY = re.compile(
    rf"(?:(?P<n>{_COUNT})\s?(?:x|keer|maal)|(?P<word>{'|'.join(_WORD_NUMBERS)})maal)\s?"
    rf"(?:per\s(?:(?P<p>\d{{1,2}})\s)?(?P<u>{'|'.join(_PERIOD_UNITS)})|(?P<daily>daags)){_END}"
)
_EVERY_OTHER = re.compile(rf"om de andere (?P<u>dag|week){_END}")
_INTERVAL = re.compile(rf"(?:om de|elke|iedere) (?P<p>\d{{1,2}}) (?P<u>uur|dagen|weken){_END}")
_DOSE = re.compile(
    rf"(?P<low>{_AMOUNT})(?:\s?(?:-|à|a|tot)\s?(?P<high>{_AMOUNT}))?\s?(?P<unit>{_UNIT}){_END}"
)
_AS_NEEDED = re.compile(rf"(?:zo\s?nodig|z\.\s?n\.?|zn|indien nodig){_END}")
_MAX = re.compile(
    rf"max(?:imaal|\.)?\s?(?P<n>{_AMOUNT})(?:\s?(?P<unit>{_UNIT}))?\s?"
    rf"(?:per|p\.)\s?(?:dag|etmaal|24\s?uur){_END}"
)
_WHEN_RE = tuple((re.compile(f"(?:{pattern}){_END}"), code) for pattern, code in _WHEN)
_FILLER_RE = re.compile(f"{_FILLER}{_END}")
_SEPARATOR = re.compile(r"(?:\s*[,;+]\s*|\s+en\s+|\s+)")


@dataclass(frozen=True)
class Amount:
    value: Decimal
    unit: tuple[str, str] | None  # (G-Standaard unit text, UCUM code); None: the product's own


@dataclass
class ParsedDosage:
    frequency: int | None = None
    period: int | None = None
    period_unit: str | None = None
    when: list[str] = field(default_factory=list)
    dose: Amount | None = None
    dose_high: Amount | None = None
    as_needed: bool = False
    max_per_day: Amount | None = None


def dosage_instruction(text: str) -> dict[str, Any]:
    """The Dosage for one dosage text: always the text; the structure when understood."""
    dosage: dict[str, Any] = {"text": text}
    parsed = parse_dosage(text)
    if parsed is not None:
        dosage.update(_structure(parsed))
    return dosage


def parse_dosage(text: str) -> ParsedDosage | None:
    """The parts of the text, or None when any of it is not understood."""
    try:
        return _parse(_normalise(text))
    except (ValueError, ArithmeticError):  # a number our patterns let through but Decimal not
        return None


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    text = re.sub("[\u2018\u2019`\u00b4]", "'", text).replace("\u00d7", "x")
    text = re.sub(r"(\d)\s?½", r"\1.5", text).replace("½", "0.5")
    text = re.sub(r"(\d),(\d)", r"\1.\2", text)
    return " ".join(text.split()).strip(" .")


def _amount(raw: str, unit: str | None) -> Amount:
    if raw in ("halve", "half"):
        value = Decimal("0.5")
    elif raw in _WORD_NUMBERS:
        value = Decimal(_WORD_NUMBERS[raw])
    else:
        value = Decimal(raw)
    if value <= 0:
        raise ValueError("no dose of nothing")
    return Amount(value, _unit(unit) if unit else None)


def _unit(word: str) -> tuple[str, str]:
    for pattern, unit in _UNITS:
        if re.fullmatch(pattern, word):
            return unit
    raise ValueError(word)


def _count(raw: str) -> int:
    value = _WORD_NUMBERS[raw] if raw in _WORD_NUMBERS else int(raw)
    if value <= 0:
        raise ValueError("never zero times")
    return value


def _parse(text: str) -> ParsedDosage | None:
    parsed = ParsedDosage()
    seen: set[str] = set()
    position = 0
    while position < len(text):
        if position:
            separator = _SEPARATOR.match(text, position)
            if separator is None or separator.end() == position:
                return None  # two clauses glued together: not a form we know
            position = separator.end()
        end = _clause(text, position, parsed, seen)
        if end is None:
            return None
        position = end
    if seen <= {"filler"}:  # nothing said about when or how much
        return None
    return parsed if _consistent(parsed) else None


def _once(kind: str, seen: set[str]) -> bool:
    if kind in seen:
        return False
    seen.add(kind)
    return True


def _clause(text: str, position: int, parsed: ParsedDosage, seen: set[str]) -> int | None:
    """Read one clause at `position` into `parsed`; its end, or None if none fits (or a
    part is said twice: "2 keer per dag 1 tablet 3 keer per dag")."""
    if match := _DD.match(text, position):
        if not (_once("frequency", seen) and _once("dose", seen)):
            return None
        parsed.frequency, parsed.period, parsed.period_unit = _count(match["n"]), 1, "d"
        _set_dose(parsed, match["low"], match["high"], match["unit"])
        return match.end()
    if match := _MAX.match(text, position):
        if not _once("max", seen):
            return None
        parsed.max_per_day = _amount(match["n"], match["unit"])
        return match.end()
    if match := _FREQUENCY.match(text, position):
        if not _once("frequency", seen):
            return None
        parsed.frequency = _count(match["n"] or match["word"])
        if match["daily"]:
            parsed.period, parsed.period_unit = 1, "d"
        else:
            parsed.period = _count(match["p"]) if match["p"] else 1
            parsed.period_unit = _PERIOD_UNITS[match["u"]]
        return match.end()
    # An interval ("om de 8 uur") is once in each: Nictiz writes it as frequency 1.
    for pattern, period in ((_EVERY_OTHER, 2), (_INTERVAL, None)):
        if match := pattern.match(text, position):
            if not _once("frequency", seen):
                return None
            parsed.frequency = 1
            parsed.period = period or _count(match["p"])
            parsed.period_unit = _PERIOD_UNITS[match["u"]]
            return match.end()
    if match := _DOSE.match(text, position):
        if not _once("dose", seen):
            return None
        _set_dose(parsed, match["low"], match["high"], match["unit"])
        return match.end()
    if match := _AS_NEEDED.match(text, position):
        if not _once("as_needed", seen):
            return None
        parsed.as_needed = True
        return match.end()
    for pattern, code in _WHEN_RE:
        if match := pattern.match(text, position):
            if code in parsed.when:
                return None
            seen.add("when")
            parsed.when.append(code)
            return match.end()
    if match := _FILLER_RE.match(text, position):
        seen.add("filler")
        return match.end()
    return None


def _set_dose(parsed: ParsedDosage, low: str, high: str | None, unit: str | None) -> None:
    parsed.dose = _amount(low, unit)
    if high is not None:
        parsed.dose_high = _amount(high, unit)
        if parsed.dose_high.value <= parsed.dose.value:
            raise ValueError("a range runs upwards")


def _consistent(parsed: ParsedDosage) -> bool:
    """The parts agree: "2 keer per dag 's avonds" says two things that cannot both be."""
    if parsed.frequency is not None and parsed.when:
        return (
            parsed.period == 1
            and parsed.period_unit == "d"
            and parsed.frequency == len(parsed.when)
        )
    return True


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _quantity(amount: Amount) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": _number(amount.value)}
    if amount.unit is not None:
        unit, code = amount.unit
        quantity.update(unit=unit, system=UCUM, code=code)
    return quantity


def _structure(parsed: ParsedDosage) -> dict[str, Any]:
    structure: dict[str, Any] = {}
    repeat: dict[str, Any] = {}
    if parsed.frequency is not None:
        repeat.update(
            frequency=parsed.frequency, period=parsed.period, periodUnit=parsed.period_unit
        )
    if parsed.when:
        repeat["when"] = list(parsed.when)
    if repeat:
        structure["timing"] = {"repeat": repeat}
    if parsed.as_needed:
        structure["asNeededBoolean"] = True
    if parsed.dose is not None:
        if parsed.dose_high is not None:
            dose = {
                "doseRange": {
                    "low": _quantity(parsed.dose),
                    "high": _quantity(parsed.dose_high),
                }
            }
        else:
            dose = {"doseQuantity": _quantity(parsed.dose)}
        structure["doseAndRate"] = [dose]
    if parsed.max_per_day is not None:
        structure["maxDosePerPeriod"] = {
            "numerator": _quantity(parsed.max_per_day),
            "denominator": {"value": 1, "unit": "dag", "system": UCUM, "code": "d"},
        }
    return structure
