"""Input of triage, validated with Dutch messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import StyledForm
from spreekuur.triage.models import RedFlag, RedFlagAdvice

YES, NO = "ja", "nee"


def first_raised_flag(flags: list[RedFlag], data: Mapping[str, Any]) -> RedFlag | None:
    """The first red flag (in asking order) answered "yes" in the posted data, if any:
    checked before anything else on the form, so a "yes" always reaches the advice."""
    for flag in flags:
        if data.get(f"flag_{flag.code}") == YES:
            return flag
    return None


class RedFlagQuestionsForm(StyledForm):
    """Every red-flag question, each answered yes or no on purpose; booking and e-consult
    put their own fields beside them."""

    def __init__(self, *args: Any, flags: list[RedFlag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flags = flags
        for flag in flags:
            self.fields[f"flag_{flag.code}"] = forms.ChoiceField(
                label=gettext(flag.question),
                choices=[(NO, _("Nee")), (YES, _("Ja"))],
                widget=forms.RadioSelect,
                error_messages={"required": _("Beantwoord deze vraag met ja of nee.")},
            )

    def flag_fields(self) -> list[forms.BoundField]:
        return [self[f"flag_{flag.code}"] for flag in self.flags]

    def answers(self) -> dict[str, bool]:
        return {flag.code: self.cleaned_data[f"flag_{flag.code}"] == YES for flag in self.flags}


class RedFlagForm(StyledForm):
    question = forms.CharField(
        label=_("Vraag"),
        max_length=200,
        help_text=_("Een ja/nee-vraag. Bij 'ja' kan de patiënt niet online boeken."),
    )
    advice = forms.ChoiceField(label=_("Advies bij 'ja'"), choices=RedFlagAdvice.choices)
