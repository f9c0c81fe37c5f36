"""Units of lab results: read as UCUM, compared and converted, so that a value is never
shown beside a reference range in another unit (issue 17).

UCUM itself comes from `ucumvert` (its parser implements the full UCUM grammar from the
official ucum-essence.xml, and its definition file maps every UCUM atom onto `pint`).
On top of it, this module adds what a lab result needs:

- `normalise_unit` reads the spellings labs actually send (``mmol/l``, ``10^9/l``,
  ``x10E9/L``, ``umol/l`` with a micro sign, ``E/l``, ``lbs``) as UCUM codes, or says `UNKNOWN`.
- `convert` relates two units only when UCUM makes them the same kind of quantity
  (stricter than bare dimensions: ``%`` and ``mmol/mol`` are both pure numbers, but a
  percentage is not an amount ratio) or when the test defines how, in
  ``data/unit_conversions.csv`` (a molar mass, the HbA1c master equation, Hb in mmol/l).
- `fit_to_test` is the importer's one decision: keep the value as sent, convert it to the
  test's unit, or send it to the work list with a reason in Dutch.

Rounding: the lab's last digit is worth ``10**exponent`` of the value it sent; through the
conversion it is worth ``slope x that`` in the new unit. The converted value keeps one
digit more than that (a guard digit, so that converting back gives the lab's own digits),
and never more decimals than the test table shows for the test. Half rounds up.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, DecimalException, localcontext
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.translation import gettext as _
from lark import Token, Tree

if TYPE_CHECKING:
    import pint

UNKNOWN = "unknown"
CONVERSIONS_CSV = Path(__file__).parent / "data" / "unit_conversions.csv"

# Longer than any unit a lab writes; also keeps the parser's work small on hostile input.
MAX_UNIT_LENGTH = 40
# Float noise from pint (37.00000000000006) is cut at 12 significant digits; every UCUM
# factor a lab unit needs (0.45359237 for the pound) has fewer.
_FACTOR_DIGITS = Context(prec=12)
_GRAMS_PER_MOLE = "g/mol"

# UCUM atoms whose prefixed forms are still only each other: the arbitrary units ([IU]) and
# the equivalent and osmole, which UCUM counts as a mole (true only for valence 1).
_OWN_KIND_ATOMS = {"eq", "osm"}
# Special (non-linear) units that are still linear enough to convert: temperatures.
_TEMPERATURE_ATOMS = {"Cel", "[degF]", "[degR]", "[degRe]"}


class LabTestUnits(Protocol):
    """What this module needs of a test (a `LabTest` has it)."""

    @property
    def nhg_code(self) -> str: ...

    @property
    def unit(self) -> str: ...

    @property
    def decimals(self) -> int: ...


# --- Reading a unit ---------------------------------------------------------------------------

# How labs spell units, lower-cased, to the UCUM code they mean. The clinical reading wins
# over a literal one: "Mmol/l" is a lab's mmol/l, not megamole per litre.
_TOKENS = {
    # volume
    "l": "L",
    "dl": "dL",
    "cl": "cL",
    "ml": "mL",
    "ul": "uL",
    "nl": "nL",
    "pl": "pL",
    "fl": "fL",
    "liter": "L",
    "litre": "L",
    # mass
    "g": "g",
    "kg": "kg",
    "mg": "mg",
    "ug": "ug",
    "mcg": "ug",
    "ng": "ng",
    "pg": "pg",
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
    "[lb_av]": "[lb_av]",
    "oz": "[oz_av]",
    # amount of substance
    "mol": "mol",
    "mmol": "mmol",
    "umol": "umol",
    "nmol": "nmol",
    "pmol": "pmol",
    "fmol": "fmol",
    "eq": "eq",
    "meq": "meq",
    "osm": "osm",
    "mosm": "mosm",
    # enzyme units; Dutch labs write E (eenheden)
    "u": "U",
    "ku": "kU",
    "mu": "mU",
    "uu": "uU",
    "e": "U",
    "ke": "kU",
    "me": "mU",
    "ue": "uU",
    "kat": "kat",
    "ukat": "ukat",
    "nkat": "nkat",
    # international units (IE in Dutch)
    "iu": "[IU]",
    "ie": "[IU]",
    "[iu]": "[IU]",
    "kiu": "k[IU]",
    "kie": "k[IU]",
    "miu": "m[IU]",
    "mie": "m[IU]",
    "m[iu]": "m[IU]",
    "uiu": "u[IU]",
    "uie": "u[IU]",
    "u[iu]": "u[IU]",
    # counts: German and French labs write Gpt/l, Tpt/l
    "gpt": "10*9",
    "tpt": "10*12",
    # time
    "s": "s",
    "sec": "s",
    "min": "min",
    "h": "h",
    "hr": "h",
    "uur": "h",
    "d": "d",
    "dag": "d",
    # pressure
    "mmhg": "mm[Hg]",
    "mm[hg]": "mm[Hg]",
    "kpa": "kPa",
    "cmh2o": "cm[H2O]",
    # length and area
    "m": "m",
    "cm": "cm",
    "mm": "mm",
    "m2": "m2",
    # temperature
    "°c": "Cel",
    "cel": "Cel",
    "degc": "Cel",
    "°f": "[degF]",
    "degf": "[degF]",
    # pure numbers
    "%": "%",
    "procent": "%",
    "1": "1",
}
# One letter changes meaning with its case (G is not g), so only these are read either way.
_ONE_LETTER = {"l": "L", "L": "L", "g": "g", "u": "U", "U": "U", "e": "U", "E": "U"}
_ONE_LETTER |= {"h": "h", "s": "s", "d": "d", "m": "m"}

_WHOLE = {
    "ratio": "1",
    "{ratio}": "1",
    "/hpf": "/[HPF]",
    "/lpf": "/[LPF]",
}
# eGFR per 1.73 m² body surface, however written (the test table: ml/min/1,73m2).
_PER_BODY_SURFACE = re.compile(r"^ml/min/?(?:per)?\{?1[.,]73(?:[._]?m\^?2)\}?$")
_POWER_OF_TEN = re.compile(r"^(?:x|\*)?10(?:\^|\*|e)\+?(\d{1,2})$")
_EXPONENT = re.compile(r"^([a-z\[\]_]+)\^(-?\d)$", re.IGNORECASE)
_TOKEN = re.compile(r"\{[^{}]*\}|[./]|[^./{}]+")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_POWER_OF_TEN_SUPERSCRIPT = re.compile(r"10([⁰¹²³⁴⁵⁶⁷⁸⁹]+)")


def normalise_unit(text: str) -> str:
    """The UCUM code for a unit as a lab wrote it, or `UNKNOWN` (also for no unit)."""
    if not isinstance(text, str):
        return UNKNOWN
    return _normalise(text)


@lru_cache(maxsize=1024)
def _normalise(text: str) -> str:
    cleaned = _clean(text)
    if not cleaned or len(cleaned) > MAX_UNIT_LENGTH:
        return UNKNOWN
    lowered = cleaned.lower()
    if lowered in _WHOLE:
        candidate: str | None = _WHOLE[lowered]
    elif _PER_BODY_SURFACE.match(lowered):
        candidate = "mL/min/{1.73_m2}"
    else:
        candidate = _from_tokens(cleaned)
    if candidate is None or _read(candidate) is None:
        return UNKNOWN
    return candidate


def _clean(text: str) -> str:
    text = _POWER_OF_TEN_SUPERSCRIPT.sub(
        lambda match: "10^" + match.group(1).translate(_SUPERSCRIPTS), text
    )
    text = text.translate(_SUPERSCRIPTS)
    for micro in ("\u00b5", "\u03bc"):  # the micro sign and the Greek mu
        text = text.replace(micro, "u")
    # the multiplication sign and the middle dot
    text = text.replace("\u00d7", "x").replace("\u00b7", ".")
    return "".join(text.split())


def _from_tokens(text: str) -> str | None:
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != text:  # a stray brace
        return None
    out = []
    for token in tokens:
        if token in ("/", ".") or token.startswith("{"):
            out.append(token)
            continue
        unit = _token(token)
        if unit is None:
            return None
        out.append(unit)
    return "".join(out)


def _token(token: str) -> str | None:
    power = _POWER_OF_TEN.match(token.lower())
    if power:
        exponent = int(power.group(1))
        return f"10*{exponent}" if exponent else None
    if len(token) == 1 and not token.isdigit():
        return _ONE_LETTER.get(token, token)
    if token.lower() in _TOKENS:
        return _TOKENS[token.lower()]
    if token.isdigit():
        # "109/l" is 10⁹/l with its superscript lost, or not: nobody can tell.
        return None
    exponent_form = _EXPONENT.match(token)
    if exponent_form:
        base = _token(exponent_form.group(1))
        return f"{base}{exponent_form.group(2)}" if base else None
    return token  # UCUM as it is, case-sensitive ([lb_av], mm[Hg], m[IU])


# --- UCUM through ucumvert and pint ------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    quantity: Any  # pint.Quantity: one of this unit
    kind: frozenset[str]


class _Ucum:
    """One pint registry with ucumvert's UCUM definitions, kept apart from pint's global
    application registry (ucumvert's own PintUcumRegistry would add to that one)."""

    def __init__(self) -> None:
        # Imported here: pint takes a tenth of a second, which a web process need not pay
        # until the first lab message.
        import pint
        import ucumvert
        from ucumvert.xml_util import get_units_with_full_definition

        self.registry: pint.UnitRegistry[Any] = pint.UnitRegistry()
        self.registry.load_definitions(Path(ucumvert.__file__).parent / "pint_ucum_defs.txt")
        self.parser = ucumvert.get_ucum_parser()
        self.transformer = ucumvert.UcumToPintTransformer(ureg=self.registry)
        self.atoms = {atom.code_cs: atom for atom in get_units_with_full_definition()}
        self.grams_per_mole = self.registry.Quantity(1, _GRAMS_PER_MOLE)

    def quantity(self, code: str) -> Any:
        result = self.transformer.transform(self.parser.parse(code))
        if isinstance(result, Token):  # an annotation alone, "{ratio}": a pure number
            return self.registry.Quantity(1)
        if isinstance(result, self.registry.Quantity):
            return result
        return self.registry.Quantity(result)

    def kind(self, code: str) -> frozenset[str]:
        """What a unit measures, by what its atoms measure: {"[mass]", "[length]"} for g/dl
        and mg/l alike; {"[substance]"} for mmol/mol, {} for % (both pure numbers to pint)."""
        kind: set[str] = set()
        for token in _tokens(self.parser.parse(code)):
            if token.type == "ANNOTATION":
                kind.add(f"annotation:{token}")
            elif token.type in ("UNIT_METRIC", "UNIT_NON_METRIC"):
                kind |= self._atom_kind(str(token))
        return frozenset(kind)

    @lru_cache(maxsize=256)  # noqa: B019 - one instance for the life of the process
    def _atom_kind(self, atom: str) -> frozenset[str]:
        about = self.atoms.get(atom)
        if about is not None and about.is_arbitrary:
            return frozenset({f"arbitrary:{about.name}"})
        if atom in _OWN_KIND_ATOMS:
            return frozenset({f"atom:{atom}"})
        if about is not None and about.is_special and atom not in _TEMPERATURE_ATOMS:
            return frozenset({f"special:{atom}"})
        dimensions = self.quantity(atom).dimensionality
        return frozenset(str(dimension) for dimension in dimensions)


def _tokens(tree: Tree[Token]) -> Iterator[Token]:
    yield from tree.scan_values(lambda value: isinstance(value, Token))


@cache
def _ucum() -> _Ucum:
    return _Ucum()


@lru_cache(maxsize=1024)
def _read(code: str) -> _Unit | None:
    """A UCUM code read, or None. The parser and pint raise many kinds on odd input
    (a lark error, an undefined unit, an overflow in 10*99); none of them may escape."""
    ucum = _ucum()  # outside the try: a broken installation must fail loudly
    try:
        return _Unit(quantity=ucum.quantity(code), kind=ucum.kind(code))
    except Exception:
        return None


# --- Conversions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Affine:
    """to = slope x from + intercept (the intercept is zero except for temperatures and
    HbA1c's master equation)."""

    slope: Decimal
    intercept: Decimal = Decimal(0)

    def __call__(self, value: Decimal) -> Decimal:
        return self.slope * value + self.intercept

    def then(self, after: Affine) -> Affine:
        return Affine(after.slope * self.slope, after.slope * self.intercept + after.intercept)

    def inverse(self) -> Affine:
        return Affine(1 / self.slope, -self.intercept / self.slope)

    @property
    def is_identity(self) -> bool:
        return self.slope == 1 and self.intercept == 0


IDENTITY = Affine(Decimal(1))


@dataclass(frozen=True)
class UnitRule:
    """One row of data/unit_conversions.csv."""

    nhg_code: str
    molar_mass: Decimal | None = None  # g/mol: mass <-> substance in any concentration
    from_unit: str = ""
    to_unit: str = ""
    rule: Affine = IDENTITY
    source: str = ""


@cache
def unit_rules(path: Path = CONVERSIONS_CSV) -> dict[str, tuple[UnitRule, ...]]:
    """The per-test conversions by NHG code; a row that cannot be used is an error here,
    not a silent gap at import time."""
    rows: dict[str, list[UnitRule]] = {}
    with path.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    for row in csv.DictReader(lines, delimiter=";"):
        code = row["nhg_code"].strip()
        if row["soort"] == "molaire_massa":
            conversion = UnitRule(
                nhg_code=code, molar_mass=Decimal(row["molaire_massa"]), source=row["bron"]
            )
            if conversion.molar_mass is None or conversion.molar_mass <= 0:
                raise ValueError(f"unit_conversions: molar mass of {code} must be positive")
        elif row["soort"] == "lineair":
            conversion = UnitRule(
                nhg_code=code,
                from_unit=row["van"].strip(),
                to_unit=row["naar"].strip(),
                rule=Affine(Decimal(row["factor"]), Decimal(row["constante"] or 0)),
                source=row["bron"],
            )
            for unit in (conversion.from_unit, conversion.to_unit):
                if normalise_unit(unit) != unit:
                    raise ValueError(f"unit_conversions: {unit!r} of {code} is not UCUM")
            if conversion.rule.slope <= 0:
                raise ValueError(f"unit_conversions: factor of {code} must be positive")
        else:
            raise ValueError(f"unit_conversions: unknown kind {row['soort']!r} for {code}")
        rows.setdefault(code, []).append(conversion)
    return {code: tuple(conversions) for code, conversions in rows.items()}


def _as_decimal(number: float) -> Decimal | None:
    if not math.isfinite(number):
        return None
    return _FACTOR_DIGITS.create_decimal(repr(number)).normalize()


def _affine(how: Any) -> Affine | None:
    """The affine map `how` (float -> float) is, checked at a third point: a logarithmic
    unit (the bel) is not affine and is not converted."""
    try:
        at_zero, at_one, at_thousand = how(0.0), how(1.0), how(1000.0)
    except Exception:  # pint's offset and dimensionality errors, overflow
        return None
    slope, intercept = _as_decimal(at_one - at_zero), _as_decimal(at_zero)
    if slope is None or intercept is None or slope <= 0:
        return None
    expected = 1000 * (at_one - at_zero) + at_zero
    if not math.isclose(at_thousand, expected, rel_tol=1e-9, abs_tol=1e-9):
        return None
    return Affine(slope, intercept)


def _dimensional(source: _Unit, target: _Unit) -> Affine | None:
    """UCUM's own conversion, only between units of the same kind."""
    if source.kind != target.kind:
        return None
    a, b = source.quantity, target.quantity
    quantity = _ucum().registry.Quantity
    # Built as a quantity, not number x unit: pint refuses arithmetic on offset units (°C).
    return _affine(lambda x: quantity(a.magnitude * x, a.units).to(b.units).magnitude / b.magnitude)


def _molar(source: _Unit, target: _Unit, molar_mass: Decimal) -> Affine | None:
    """Mass <-> amount of substance, the rest of the unit alike (mg/dl <-> mmol/l)."""
    mass, substance = "[mass]", "[substance]"
    mole = _ucum().grams_per_mole
    a, b = source.quantity, target.quantity
    if mass in source.kind and substance not in source.kind and substance in target.kind:
        if mass in target.kind or source.kind - {mass} != target.kind - {substance}:
            return None
        # value in b = value in a expressed in b·(g/mol), divided by g/mol
        ratio = _ratio(a, b * mole)
        return Affine(ratio / molar_mass) if ratio is not None else None
    if substance in source.kind and mass not in source.kind and mass in target.kind:
        if substance in target.kind or source.kind - {substance} != target.kind - {mass}:
            return None
        ratio = _ratio(a * mole, b)
        return Affine(ratio * molar_mass) if ratio is not None else None
    return None


def _ratio(a: Any, b: Any) -> Decimal | None:
    try:
        number = float((a / b).to("dimensionless").magnitude)
    except Exception:  # different dimensions, offset units
        return None
    ratio = _as_decimal(number)
    return ratio if ratio is not None and ratio > 0 else None


@lru_cache(maxsize=1024)
def conversion(from_unit: str, to_unit: str, test_code: str = "") -> Affine | None:
    """How to turn a value in one UCUM unit into another (both as `normalise_unit` gives
    them), by UCUM or by the test's own conversions; None when they do not relate."""
    source, target = _read(from_unit), _read(to_unit)
    if source is None or target is None or UNKNOWN in (from_unit, to_unit):
        return None
    if from_unit == to_unit:
        return IDENTITY
    direct = _dimensional(source, target)
    if direct is not None:
        return direct
    for rule in unit_rules().get(test_code, ()):
        found = _by_rule(source, target, rule)
        if found is not None:
            return found
    return None


def _by_rule(source: _Unit, target: _Unit, rule: UnitRule) -> Affine | None:
    if rule.molar_mass is not None:
        return _molar(source, target, rule.molar_mass)
    rule_from, rule_to = _read(rule.from_unit), _read(rule.to_unit)
    if rule_from is None or rule_to is None:  # pragma: no cover - checked when loaded
        return None
    # The rule either way, with whatever UCUM relates on each side (g/l before g/dl).
    forward, backward = (rule_from, rule_to, rule.rule), (rule_to, rule_from, rule.rule.inverse())
    for start, end, step in (forward, backward):
        before, after = _dimensional(source, start), _dimensional(end, target)
        if before is not None and after is not None:
            return before.then(step).then(after)
    return None


def same_unit(a: str, b: str) -> bool:
    """Two units as labs write them mean the same unit (mmol/l and mmol/L, 10^9/l and /nl)."""
    first, second = normalise_unit(a), normalise_unit(b)
    found = conversion(first, second)
    return found is not None and found.is_identity


def convert(
    value: Decimal, from_unit: str, to_unit: str, *, test: LabTestUnits | None = None
) -> Decimal | None:
    """The value in another unit, rounded as the module says; None when the units do not
    relate (also for a test without a rule for them) or the value is not a finite number."""
    target = normalise_unit(to_unit)
    found = conversion(normalise_unit(from_unit), target, test.nhg_code if test else "")
    if found is None:
        return None
    # The table's decimals are those of the test's own unit.
    into_test_unit = test is not None and same_unit(target, test.unit or "1")
    return _apply(found, value, decimals=test.decimals if test and into_test_unit else None)


def _apply(rule: Affine, value: Decimal, *, decimals: int | None) -> Decimal | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        return None
    if rule.is_identity:
        return value  # as sent: no digit added
    try:
        with localcontext() as context:
            context.prec = 60
            converted = rule(value)
            last_digit = Decimal(1).scaleb(value.as_tuple().exponent)  # type: ignore[arg-type]
            exponent = (rule.slope * last_digit).adjusted() - 1
            if decimals is not None:
                exponent = max(exponent, -decimals)
            return converted.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP)
    except DecimalException:  # beyond any lab value: 1E+999999
        return None


# --- The importer's decision -----------------------------------------------------------------


class FitOutcome(StrEnum):
    AS_SENT = "as_sent"  # the value as the lab sent it
    CONVERTED = "converted"  # the value in the test's unit, beside the test's range
    WORK_LIST = "work_list"  # not stored: the assistant looks at it (reason says why)


class RangeSource(StrEnum):
    NONE = ""
    LAB = "lab"
    TABLE = "table"


Bounds = tuple[Decimal | None, Decimal | None]


@dataclass(frozen=True)
class Fit:
    """What to store for one result. `unit` is the unit of `value` and of the range: the
    range is always in the unit shown beside the value."""

    outcome: FitOutcome
    value: Decimal | None = None
    value_text: str = ""
    unit: str = ""
    reference_low: Decimal | None = None
    reference_high: Decimal | None = None
    range_source: RangeSource = RangeSource.NONE
    # The value in the test's unit, for trends, also when the lab's own range kept the
    # lab's unit; None when there is no number or no way to the test's unit.
    value_in_test_unit: Decimal | None = None
    sent_value_text: str = ""
    sent_unit: str = ""
    reason: str = ""

    @property
    def to_work_list(self) -> bool:
        return self.outcome == FitOutcome.WORK_LIST


def _has(bounds: Bounds) -> bool:
    return bounds[0] is not None or bounds[1] is not None


def fit_to_test(
    *,
    value: Decimal | None,
    unit: str,
    test: LabTestUnits,
    comparator: str = "",
    value_text: str = "",
    lab_range: Bounds = (None, None),
    lab_range_text: str = "",
    table_range: Bounds = (None, None),
) -> Fit:
    """Decide how a lab's value is filed under a test of the test table. `lab_range_text`
    is the lab's range as written: a range in words only ("negatief") is the lab's too.

    - The same unit (however spelt): as sent, beside the lab's range, else the table's.
    - Another unit that converts to the test's: when the lab gave a range, value and range
      stay as sent in the lab's unit; otherwise the value is converted to the test's unit
      and gets the table's range.
    - No unit, an unknown one, or one that does not convert: the work list.
    - A word ("positief") has no unit to check: as sent, with the lab's range only.
    """
    text = value_text or (f"{comparator}{format(value, 'f')}" if value is not None else "")
    sent = _Sent(value, text, unit, lab_gave_range=_has(lab_range) or bool(lab_range_text.strip()))
    if value is None:
        return sent.kept(in_test_unit=None, lab_range=lab_range, table_range=(None, None))
    test_unit = test.unit.strip()
    target = normalise_unit(test_unit) if test_unit else "1"
    shown_unit = unit[:MAX_UNIT_LENGTH]
    if not unit.strip():
        if not test_unit:
            return sent.kept(in_test_unit=value, lab_range=lab_range, table_range=table_range)
        return sent.to_work_list(
            _("eenheid ontbreekt (deze test: %(test_unit)s)") % {"test_unit": test_unit}
        )
    source = normalise_unit(unit)
    if source == UNKNOWN:
        return sent.to_work_list(
            _("eenheid %(unit)s is onbekend (deze test: %(test_unit)s)")
            % {"unit": shown_unit, "test_unit": test_unit or "-"}
        )
    if target == UNKNOWN:
        return sent.to_work_list(
            _("de eenheid van deze test in de bepalingentabel (%(test_unit)s) is onbekend")
            % {"test_unit": test_unit}
        )
    found = conversion(source, target, test.nhg_code)
    if found is None:
        return sent.to_work_list(
            _("eenheid %(unit)s past niet bij deze test (%(test_unit)s)")
            % {"unit": shown_unit, "test_unit": test_unit or "-"}
        )
    if same_unit(source, target):
        return sent.kept(in_test_unit=value, lab_range=lab_range, table_range=table_range)
    converted = _apply(found, value, decimals=test.decimals)
    if converted is None:
        return sent.to_work_list(
            _("waarde %(value)s %(unit)s is niet om te rekenen naar %(test_unit)s")
            % {"value": text[:40], "unit": shown_unit, "test_unit": test_unit}
        )
    if sent.lab_gave_range:
        # The lab's range is in the lab's unit: it stays beside the lab's own value.
        return sent.kept(in_test_unit=converted, lab_range=lab_range, table_range=(None, None))
    return Fit(
        FitOutcome.CONVERTED,
        value=converted,
        value_text=f"{comparator}{format(converted, 'f')}",
        unit=test_unit,
        reference_low=table_range[0],
        reference_high=table_range[1],
        range_source=RangeSource.TABLE if _has(table_range) else RangeSource.NONE,
        value_in_test_unit=converted,
        sent_value_text=text,
        sent_unit=unit,
    )


@dataclass(frozen=True)
class _Sent:
    value: Decimal | None
    text: str
    unit: str
    lab_gave_range: bool

    def kept(self, *, in_test_unit: Decimal | None, lab_range: Bounds, table_range: Bounds) -> Fit:
        """As sent, beside the lab's range if it gave one, else the table's."""
        if self.lab_gave_range:
            bounds, source = lab_range, RangeSource.LAB
        elif _has(table_range):
            bounds, source = table_range, RangeSource.TABLE
        else:
            bounds, source = (None, None), RangeSource.NONE
        return Fit(
            FitOutcome.AS_SENT,
            value=self.value,
            value_text=self.text,
            unit=self.unit,
            reference_low=bounds[0],
            reference_high=bounds[1],
            range_source=source,
            value_in_test_unit=in_test_unit,
            sent_value_text=self.text,
            sent_unit=self.unit,
        )

    def to_work_list(self, reason: str) -> Fit:
        return Fit(
            FitOutcome.WORK_LIST, reason=reason, sent_value_text=self.text, sent_unit=self.unit
        )
