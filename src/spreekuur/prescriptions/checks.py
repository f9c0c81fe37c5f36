"""What the GP should see beside a repeat request: the lab values that matter for the
medicine, and warnings (control overdue, an allergy, an interaction, a kidney function
too low for the dose).

A deliberately small table, by words in the medicine's name: a practice system uses the
G-Standaard's medication surveillance for this, which is licensed and not available
here. These checks never approve or refuse; they only put a warning in front of the GP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# Medicine words → the NHG test codes to show beside them.
RELEVANT_TESTS: dict[str, tuple[str, ...]] = {
    "metformine": ("3907", "2816"),
    "gliclazide": ("2816", "3907"),
    "lisinopril": ("3907", "513"),
    "enalapril": ("3907", "513"),
    "perindopril": ("3907", "513"),
    "losartan": ("3907", "513"),
    "valsartan": ("3907", "513"),
    "hydrochloorthiazide": ("513", "3907"),
    "simvastatine": ("542",),
    "atorvastatine": ("542",),
    "rosuvastatine": ("542",),
    "levothyroxine": ("1385",),
}
ACE_OR_ARB = ("lisinopril", "enalapril", "perindopril", "losartan", "valsartan")
NSAID = ("ibuprofen", "diclofenac", "naproxen")
# Allergy words → medicine words of the same group.
ALLERGY_GROUPS: dict[str, tuple[str, ...]] = {
    "penicilline": ("amoxicilline", "feneticilline", "flucloxacilline", "penicilline"),
    "nsaid": NSAID,
    "sulfonamide": ("sulfamethoxazol", "co-trimoxazol"),
}
INTERACTIONS: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (NSAID, ACE_OR_ARB, "NSAID met ACE-remmer of ARB: let op de nierfunctie"),
    (("simvastatine",), ("claritromycine", "erytromycine"), "simvastatine met een macrolide"),
    (("methotrexaat",), ("trimethoprim", "co-trimoxazol"), "methotrexaat met trimethoprim"),
)


@dataclass(frozen=True)
class LabValue:
    nhg_code: str
    name: str
    value: Decimal | None
    text: str
    unit: str
    observed_on: date
    out_of_range: bool

    @property
    def text_display(self) -> str:
        """The value as the lab wrote it, with the reader's decimal sign ("5,4" in Dutch)."""
        from spreekuur.results.models import local_decimals

        return local_decimals(self.text)


def _has(name: str, words: tuple[str, ...]) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in words)


def relevant_tests(medicine: str) -> tuple[str, ...]:
    lowered = medicine.lower()
    codes: list[str] = []
    for word, tests in RELEVANT_TESTS.items():
        if word in lowered:
            codes += [code for code in tests if code not in codes]
    return tuple(codes)


def warnings_for(
    *,
    medicine: str,
    control_due_on: date | None,
    today: date,
    allergies: list[str],
    other_medicines: list[str],
    labs: dict[str, LabValue],
) -> list[str]:
    found: list[str] = []
    if control_due_on is not None and control_due_on < today:
        found.append(
            str(_("Controle was gepland op %(day)s")) % {"day": control_due_on.strftime("%d-%m-%Y")}
        )
    for substance in allergies:
        group = ALLERGY_GROUPS.get(substance.lower().strip(), (substance.lower().strip(),))
        if substance.strip() and _has(medicine, group):
            found.append(str(_("Allergie vastgelegd: %(substance)s")) % {"substance": substance})
    for first, second, text in INTERACTIONS:
        for mine, theirs in ((first, second), (second, first)):
            if _has(medicine, mine) and any(_has(other, theirs) for other in other_medicines):
                found.append(str(_("Interactie: %(text)s")) % {"text": text})
    egfr = labs.get("3907")
    if egfr is not None and egfr.value is not None and _has(medicine, ("metformine",)):
        if egfr.value < 30:
            found.append(str(_("eGFR onder 30: metformine is gecontra-indiceerd")))
        elif egfr.value < 45:
            found.append(str(_("eGFR onder 45: verlaag de dosis metformine")))
    potassium = labs.get("513")
    high_potassium = potassium is not None and (potassium.value or 0) > Decimal("5.5")
    if high_potassium and _has(medicine, ACE_OR_ARB):
        found.append(str(_("Kalium boven 5,5 bij een ACE-remmer of ARB")))
    return found
