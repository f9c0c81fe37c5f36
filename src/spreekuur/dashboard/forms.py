"""Input of the dashboard pages, with Dutch messages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import StyledForm
from spreekuur.dashboard.periods import CHOICES


class PeriodForm(StyledForm):
    periode = forms.ChoiceField(label=_("Periode"), choices=CHOICES, required=False)
    van = forms.DateField(
        label=_("Of van"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tot = forms.DateField(
        label=_("tot en met"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("van"), data.get("tot")
        if bool(first) != bool(last):
            raise forms.ValidationError(_("Vul beide datums in, of geen van beide."))
        if first and last:
            if first > last:
                raise forms.ValidationError(_("De einddatum moet op of na de begindatum liggen."))
            if (last - first).days > 3 * 366:
                raise forms.ValidationError(_("Kies een periode van hoogstens drie jaar."))
            if first < date(2000, 1, 1):
                raise forms.ValidationError(_("Kies een periode vanaf het jaar 2000."))
        return data


class MonthForm(StyledForm):
    maand = forms.RegexField(
        label=_("Maand"),
        regex=r"^20\d\d-(0[1-9]|1[0-2])$",
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month"}),
        error_messages={"invalid": _("Kies een maand.")},
    )


class ReviewForm(StyledForm):
    notes = forms.CharField(
        label=_("Wat viel op?"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Waar wijken we af, waar ligt de werkdruk? Geen patiëntgegevens."),
    )
    actions = forms.CharField(
        label=_("Afspraken"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Wat gaan we doen, wie, wanneer bekijken we het weer?"),
    )


class TariffForm(StyledForm):
    year = forms.IntegerField(label=_("Jaar"), min_value=2000, max_value=2100)
    code = forms.RegexField(
        label=_("Prestatiecode"),
        regex=r"^[0-9A-Za-z]{1,8}$",
        max_length=8,
        error_messages={"invalid": _("Alleen cijfers en letters, hoogstens 8.")},
    )
    description = forms.CharField(label=_("Omschrijving"), max_length=120)
    amount = forms.DecimalField(
        label=_("Tarief (euro)"), max_digits=7, decimal_places=2, min_value=0, localize=True
    )
