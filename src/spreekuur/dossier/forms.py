"""Record input with Dutch messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import DateInput, StyledForm, set_choices
from spreekuur.dossier.models import AllergyKind, ContactKind, GStandaardLevel, validate_icpc

# A SOEP line of a long consult is a few hundred words; a pasted letter belongs in the
# post, not in one line of the journal.
MAX_SOEP_LINE = 10_000


class SoepForm(StyledForm):
    """The four lines of a contact (a new one, or the corrected version of one)."""

    subjective = forms.CharField(
        label=_("S: wat de patiënt vertelt"),
        max_length=MAX_SOEP_LINE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    objective = forms.CharField(
        label=_("O: wat er is gevonden"),
        max_length=MAX_SOEP_LINE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evaluation = forms.CharField(
        label=_("E: conclusie"),
        max_length=MAX_SOEP_LINE,
        help_text=_("Zichtbaar voor de patiënt in het portaal, tenzij afgeschermd."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    plan = forms.CharField(
        label=_("P: plan"),
        max_length=MAX_SOEP_LINE,
        help_text=_("Zichtbaar voor de patiënt in het portaal, tenzij afgeschermd."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class JournalEntryForm(SoepForm):
    contact_on = forms.DateField(label=_("Datum contact"), widget=DateInput())
    kind = forms.ChoiceField(label=_("Soort contact"), choices=ContactKind.choices)
    episode = forms.ChoiceField(label=_("Episode"), required=False)
    field_order = ("contact_on", "kind", "episode")

    def __init__(self, *args: Any, episodes: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"contact_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        set_choices(self.fields["episode"], [("", str(_("Geen episode"))), *episodes])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not any(cleaned.get(name) for name in ("subjective", "objective", "evaluation", "plan")):
            raise forms.ValidationError(_("Vul minstens één van de regels S, O, E of P in."))
        return cleaned


class EpisodeForm(StyledForm):
    icpc_code = forms.CharField(
        label=_("ICPC-code"),
        max_length=3,
        validators=[validate_icpc],
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "size": "4"}),
    )
    title = forms.CharField(label=_("Omschrijving"), max_length=120)
    started_on = forms.DateField(label=_("Begonnen op"), widget=DateInput())

    def clean_icpc_code(self) -> str:
        return str(self.cleaned_data["icpc_code"]).strip().upper()


class MedicationForm(StyledForm):
    name = forms.CharField(label=_("Geneesmiddel"), max_length=150)
    dosage = forms.CharField(label=_("Dosering"), max_length=150)
    started_on = forms.DateField(label=_("Gestart op"), widget=DateInput())
    chronic = forms.BooleanField(label=_("Chronisch gebruik"), required=False)
    gstandaard_level = forms.ChoiceField(
        label=_("G-Standaard-niveau"),
        choices=[("", _("Geen code")), *GStandaardLevel.choices],
        required=False,
    )
    gstandaard_code = forms.RegexField(
        label=_("G-Standaardcode"),
        help_text=_("Voor de apotheek: de code leest zij zonder twijfel, de naam niet altijd."),
        regex=r"^\d{1,8}$",
        max_length=8,
        required=False,
        error_messages={"invalid": _("Een G-Standaardcode is 1 tot 8 cijfers.")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("gstandaard_level")) != bool(cleaned.get("gstandaard_code")):
            raise forms.ValidationError(
                _("Geef bij een G-Standaardcode ook het niveau, en omgekeerd.")
            )
        return cleaned


class AllergyForm(StyledForm):
    substance = forms.CharField(label=_("Stof of geneesmiddel"), max_length=150)
    kind = forms.ChoiceField(label=_("Soort"), choices=AllergyKind.choices)
    reaction = forms.CharField(label=_("Reactie"), max_length=200, required=False)


class CorrectionForm(SoepForm):
    """A corrected version of a journal line (the old one stays, marked as replaced)."""


class RepeatForm(StyledForm):
    quantity = forms.CharField(
        label=_("Hoeveelheid per uitgifte"),
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": "90 tabletten"}),
    )
    control_due_on = forms.DateField(
        label=_("Volgende controle"), required=False, widget=DateInput()
    )


class MeasurementForm(StyledForm):
    measured_on = forms.DateField(label=_("Gemeten op"), widget=DateInput())
    systolic = forms.DecimalField(
        label=_("Bovendruk (mmHg)"), required=False, max_digits=4, decimal_places=0
    )
    diastolic = forms.DecimalField(
        label=_("Onderdruk (mmHg)"), required=False, max_digits=4, decimal_places=0
    )
    weight = forms.DecimalField(
        label=_("Gewicht (kg)"), required=False, max_digits=5, decimal_places=1
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"measured_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
