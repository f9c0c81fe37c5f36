"""The dosage parser: the common Dutch forms become a structured FHIR Dosage; anything
it does not wholly understand stays text only. Property tests: it never raises, always
keeps the text, never writes a number the text does not say, and what it writes is a
valid R4 Dosage."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B.dosage import Dosage
from hypothesis import given, settings
from hypothesis import strategies as st

from spreekuur.prescriptions.dosage import UCUM, dosage_instruction, parse_dosage

STUK = {"unit": "stuk", "system": UCUM, "code": "{stuk}"}
DOSIS = {"unit": "dosis", "system": UCUM, "code": "{dosis}"}
PER_DAY = {"value": 1, "unit": "dag", "system": UCUM, "code": "d"}


def _daily(times: int, **extra: Any) -> dict[str, Any]:
    return {"repeat": {"frequency": times, "period": 1, "periodUnit": "d", **extra}}


# What GPs write in the HIS (the brief's forms, and those in the demo's repeat lists).
UNDERSTOOD: list[tuple[str, dict[str, Any]]] = [
    (
        "2 keer per dag 1 tablet",
        {"timing": _daily(2), "doseAndRate": [{"doseQuantity": {"value": 1, **STUK}}]},
    ),
    ("3 dd 1", {"timing": _daily(3), "doseAndRate": [{"doseQuantity": {"value": 1}}]}),
    (
        "3dd1 tablet",
        {"timing": _daily(3), "doseAndRate": [{"doseQuantity": {"value": 1, **STUK}}]},
    ),
    (
        "1 tablet 's avonds",
        {
            "timing": {"repeat": {"when": ["EVE"]}},
            "doseAndRate": [{"doseQuantity": {"value": 1, **STUK}}],
        },
    ),
    (
        "1 tablet \u2019s avonds",  # a typographic apostrophe, as a word processor writes it
        {
            "timing": {"repeat": {"when": ["EVE"]}},
            "doseAndRate": [{"doseQuantity": {"value": 1, **STUK}}],
        },
    ),
    (
        "zo nodig max 3 per dag",
        {
            "asNeededBoolean": True,
            "maxDosePerPeriod": {"numerator": {"value": 3}, "denominator": PER_DAY},
        },
    ),
    (
        "Zo nodig 1 tablet, maximaal 6 tabletten per dag.",
        {
            "asNeededBoolean": True,
            "doseAndRate": [{"doseQuantity": {"value": 1, **STUK}}],
            "maxDosePerPeriod": {"numerator": {"value": 6, **STUK}, "denominator": PER_DAY},
        },
    ),
    ("1 keer per dag", {"timing": _daily(1)}),
    ("2 keer per dag insmeren", {"timing": _daily(2)}),
    (
        "1 keer per dag 2 pufjes",
        {"timing": _daily(1), "doseAndRate": [{"doseQuantity": {"value": 2, **DOSIS}}]},
    ),
    (
        "zo nodig 1-2 pufjes",
        {
            "asNeededBoolean": True,
            "doseAndRate": [
                {"doseRange": {"low": {"value": 1, **DOSIS}, "high": {"value": 2, **DOSIS}}}
            ],
        },
    ),
    (
        "2x daags 's ochtends en 's avonds 1 capsule",
        {
            "timing": _daily(2, when=["MORN", "EVE"]),
            "doseAndRate": [{"doseQuantity": {"value": 1, **STUK}}],
        },
    ),
    (
        "eenmaal daags ½ tablet",
        {"timing": _daily(1), "doseAndRate": [{"doseQuantity": {"value": 0.5, **STUK}}]},
    ),
    (
        "1 x per week 70 mg",
        {
            "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "wk"}},
            "doseAndRate": [
                {"doseQuantity": {"value": 70, "unit": "mg", "system": UCUM, "code": "mg"}}
            ],
        },
    ),
    (
        "om de 8 uur 1 tablet",
        {
            "timing": {"repeat": {"frequency": 1, "period": 8, "periodUnit": "h"}},
            "doseAndRate": [{"doseQuantity": {"value": 1, **STUK}}],
        },
    ),
    (
        "om de andere dag 1,5 tablet",
        {
            "timing": {"repeat": {"frequency": 1, "period": 2, "periodUnit": "d"}},
            "doseAndRate": [{"doseQuantity": {"value": 1.5, **STUK}}],
        },
    ),
    (
        "1 tablet voor het slapen",
        {
            "timing": {"repeat": {"when": ["HS"]}},
            "doseAndRate": [{"doseQuantity": {"value": 1, **STUK}}],
        },
    ),
]


@pytest.mark.parametrize(("text", "structure"), UNDERSTOOD)
def test_a_common_dutch_dosage_becomes_structure_next_to_its_text(
    text: str, structure: dict[str, Any]
) -> None:
    assert dosage_instruction(text) == {"text": text, **structure}
    Dosage.model_validate(dosage_instruction(text))  # a valid R4 Dosage


# Forms that must stay text only: a part we do not understand, or parts that disagree.
NOT_UNDERSTOOD = [
    "bij pijn 1 tablet",  # a condition: a structure without it would say "any time"
    "3 keer per dag 's avonds",  # three times, at one moment
    "2 tabletten 's ochtends en 1 's avonds",  # two doses: two Dosage elements, not one
    "max 3 keer per dag",  # a count of times, not an amount
    "2 keer per dag dun aanbrengen",
    "1 tablet 1 tablet",
    "2 keer per dag 1 tablet 3 keer per dag",
    "om de dag 1 tablet",  # "om de dag" is every other day to some, every day to others
    "om de week 1 tablet",
    "0 tabletten per dag",
    "1 keer per dag 0 tabletten",
    "2-1 tabletten",
    "1 keer per dag 1",  # a number without a unit outside "dd"
    "1 tablets",
    "12345 tabletten",
    "tablet",
    "insmeren",
    "zie bijsluiter",
    "1 keer per dag 1 tablet gedurende 5 dagen",
    "dagelijks 2 tabletten",  # at once, or spread over the day?
    "elke week 1 tablet",
    "",
    "   ",
]


@pytest.mark.parametrize("text", NOT_UNDERSTOOD)
def test_a_dosage_not_wholly_understood_stays_text_only(text: str) -> None:
    assert parse_dosage(text) is None
    assert dosage_instruction(text) == {"text": text}


# --- Properties -------------------------------------------------------------------------------

_WORDS = {"een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6}
_WORDS |= {"zeven": 7, "acht": 8, "negen": 9, "tien": 10, "halve": 0.5, "half": 0.5}
_VOCABULARY = [
    *("1", "2", "3", "4", "½", "1½", "0,5", "2.5", "10", "500", "0", "99"),
    *("een", "twee", "drie", "halve", "eenmaal", "tweemaal", "driemaal"),
    *("x", "keer", "maal", "per", "dag", "dagen", "week", "uur", "daags", "dd", "d.d."),
    *("tablet", "tabletten", "capsule", "pufjes", "druppels", "mg", "ml", "stuks"),
    *("'s", "avonds", "ochtends", "'s avonds", "'s ochtends", "voor het slapen"),
    *("zo nodig", "z.n.", "max", "maximaal", "om de", "andere", "elke", "dagelijks"),
    *("en", ",", "-", "à", "innemen", "bij pijn", "dun", "gedurende"),
    # Whole phrases, so that many draws are understood and the structure gets checked.
    *("2 keer per dag", "1x per dag", "3 dd 1", "1 tablet", "2 tabletten", "om de 8 uur"),
    *("max 3 per dag", "om de andere dag", "1-2 pufjes", "eenmaal daags", "2 dd ½"),
]


def _numbers_said(text: str) -> set[Decimal]:
    """Every number a text says, in digits, as a word or as a fraction."""
    plain = text.lower().replace(",", ".")
    plain = re.sub(r"(\d)\s?½", lambda m: f"{m.group(1)}.5", plain).replace("½", " 0.5 ")
    numbers = {Decimal(n) for n in re.findall(r"\d+(?:\.\d+)?", plain)}
    numbers |= {Decimal(str(value)) for word, value in _WORDS.items() if word in plain}
    return numbers


def _values(dosage: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """The numbers in a structure, each with where it stands."""
    found: list[tuple[str, Decimal]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, path)
        elif isinstance(node, int | float) and not isinstance(node, bool):
            found.append((path, Decimal(str(node))))

    walk({k: v for k, v in dosage.items() if k != "text"}, "")
    return found


@given(st.text(max_size=80))
@settings(max_examples=400)
def test_any_text_is_kept_and_never_raises(text: str) -> None:
    assert dosage_instruction(text)["text"] == text


@given(st.lists(st.sampled_from(_VOCABULARY), min_size=1, max_size=9).map(" ".join))
@settings(max_examples=1500)
def test_every_number_in_the_structure_is_said_in_the_text(text: str) -> None:
    dosage = dosage_instruction(text)
    said = _numbers_said(text)
    for path, value in _values(dosage):
        if path == ".maxDosePerPeriod.denominator.value":
            assert value == 1  # "per dag"
        elif path == ".timing.repeat.period":
            # "per dag" is 1; "om de andere dag" is 2; "om de 8 uur" is said
            assert value in said or value == 1 or (value == 2 and "andere" in text)
        elif path == ".timing.repeat.frequency" and re.search(r"\b(om de|elke)\b", text):
            assert value == 1  # an interval: once every ...
        else:
            assert value in said, (text, path, value)
            assert value > 0
    Dosage.model_validate(dosage)


_FREQUENCIES = st.sampled_from(
    [("1 keer per dag", 1), ("2 x per dag", 2), ("3 maal daags", 3), ("driemaal daags", 3)]
)
_DOSES = st.sampled_from(
    [
        ("1 tablet", 1, "stuk"),
        ("2 capsules", 2, "stuk"),
        ("½ tablet", 0.5, "stuk"),
        ("10 druppels", 10, "druppel"),
        ("500 mg", 500, "mg"),
        ("2 pufjes", 2, "dosis"),
    ]
)


@given(frequency=_FREQUENCIES, dose=_DOSES, dose_first=st.booleans(), as_needed=st.booleans())
def test_a_frequency_and_a_dose_in_either_order_read_the_same(
    frequency: tuple[str, int], dose: tuple[str, float, str], dose_first: bool, as_needed: bool
) -> None:
    parts = [dose[0], frequency[0]] if dose_first else [frequency[0], dose[0]]
    text = ("zo nodig " if as_needed else "") + " ".join(parts)
    dosage = dosage_instruction(text)
    assert dosage["timing"] == _daily(frequency[1])
    assert dosage["doseAndRate"][0]["doseQuantity"]["value"] == dose[1]
    assert dosage["doseAndRate"][0]["doseQuantity"]["unit"] == dose[2]
    assert dosage.get("asNeededBoolean", False) is as_needed


@given(
    frequency=_FREQUENCIES,
    dose=_DOSES,
    unknown=st.sampled_from(
        ["bij pijn", "gedurende 5 dagen", "dun", "tot de kuur op is", "na overleg", "1 tablet"]
    ),
    at_start=st.booleans(),
)
def test_one_word_not_understood_leaves_the_text_alone(
    frequency: tuple[str, int], dose: tuple[str, float, str], unknown: str, at_start: bool
) -> None:
    known = f"{frequency[0]} {dose[0]}"
    text = f"{unknown} {known}" if at_start else f"{known} {unknown}"
    assert dosage_instruction(text) == {"text": text}
