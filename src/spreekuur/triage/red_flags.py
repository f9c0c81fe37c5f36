"""The national baseline of complaints that are never booked online (DESIGN.md §3.3).

Practices add their own red flags in the triage settings; these they cannot switch off.
The texts are marked for translation, so the English portal asks them in English."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_noop as _

if TYPE_CHECKING:
    from spreekuur.triage.models import RedFlag

# (code, question, advice: "112" or "spoedlijn", extra advice shown when it applies)
BASELINE: list[tuple[str, str, str, str]] = [
    (
        "pijn-op-de-borst",
        _(
            "Heeft u pijn op de borst, of een drukkend of beklemmend gevoel dat kan "
            "uitstralen naar arm, kaak of rug?"
        ),
        "112",
        "",
    ),
    ("ernstig-benauwd", _("Bent u ernstig benauwd of kortademig, ook in rust?"), "112", ""),
    (
        "beroerte",
        _("Heeft u plotseling een scheve mond, een slappe arm of been, of moeite met praten?"),
        "112",
        "",
    ),
    ("hevige-bloeding", _("Heeft u een hevige bloeding die niet stopt?"), "112", ""),
    (
        "suicidegedachten",
        _("Denkt u erover om een einde aan uw leven te maken?"),
        "spoedlijn",
        _(
            "Praten met iemand kan ook anoniem: bel 113 Zelfmoordpreventie via 0800-0113 "
            "(gratis, dag en nacht)."
        ),
    ),
    (
        "ziek-kind",
        _(
            "Gaat het om een kind dat erg ziek is: suf, slap, moeilijk wakker te krijgen, "
            "of drinkt het niet meer?"
        ),
        "spoedlijn",
        "",
    ),
    (
        "koorts-vlekjes",
        _("Heeft u hoge koorts met een stijve nek, of met vlekjes die niet wegdrukken?"),
        "spoedlijn",
        "",
    ),
    ("hevige-buikpijn", _("Heeft u plotseling hevige buikpijn?"), "spoedlijn", ""),
]


def baseline_flags() -> list[RedFlag]:
    """The national red flags as the code holds them (unsaved): what the table must have."""
    from spreekuur.triage.models import RedFlag

    return [
        RedFlag(
            practice=None,
            code=code,
            question=question,
            advice=advice,
            extra_advice=extra,
            sort_order=order,
        )
        for order, (code, question, advice, extra) in enumerate(BASELINE)
    ]
