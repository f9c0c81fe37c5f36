"""Input for repeat prescriptions, with Dutch messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import StyledForm, set_choices
from spreekuur.prescriptions.models import RejectionReason, Route, Transport


class RequestForm(StyledForm):
    medications = forms.MultipleChoiceField(
        label=_("Welke medicijnen wilt u opnieuw?"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Kies minstens één medicijn.")},
    )
    pharmacy = forms.ChoiceField(label=_("Apotheek"))
    note = forms.CharField(
        label=_("Opmerking voor de praktijk"),
        help_text=_("Niet verplicht; hooguit 300 tekens. Voor vragen: stuur een e-consult."),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 300}),
    )

    def __init__(
        self,
        *args: Any,
        medications: list[tuple[str, str]],
        pharmacies: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["medications"], medications)
        set_choices(self.fields["pharmacy"], pharmacies)


class RejectForm(StyledForm):
    reason = forms.ChoiceField(label=_("Reden"), choices=RejectionReason.choices)
    explanation = forms.CharField(
        label=_("Toelichting voor de patiënt"),
        max_length=300,
        required=False,
        widget=forms.TextInput(),
    )


class RouteForm(StyledForm):
    route = forms.ChoiceField(
        label=_("Waar komt een aanvraag uit het portaal binnen?"),
        choices=Route.choices,
        widget=forms.RadioSelect,
    )


class PharmacyForm(StyledForm):
    name = forms.CharField(label=_("Naam"), max_length=120)
    city = forms.CharField(label=_("Plaats"), max_length=100, required=False)
    agb_code = forms.CharField(label=_("AGB-code"), max_length=8, required=False)
    phone = forms.CharField(label=_("Telefoon"), max_length=20, required=False)
    transport = forms.ChoiceField(label=_("Hoe komt een recept daar?"), choices=Transport.choices)
    endpoint = forms.URLField(
        assume_scheme="https",
        max_length=200,  # the model's URLField
        label=_("Adres van de koppeling"),
        help_text=_("Alleen bij een koppeling: https://…"),
        required=False,
    )
    drop_folder = forms.CharField(
        label=_("Map voor bestanden"),
        help_text=_("Alleen bij bestanden: de naam van een map onder de map voor apotheken."),
        max_length=255,
        required=False,
    )
