from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from spreekuur.accounts.forms import NewPasswordForm
from spreekuur.core.forms import DateInput, DatePartsField, StyledForm


class PatientSearchForm(StyledForm):
    query = forms.CharField(
        label=_("Naam of BSN"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    born_on = forms.DateField(label=_("Geboortedatum"), required=False, widget=DateInput())

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if not cleaned.get("query") and not cleaned.get("born_on"):
            raise forms.ValidationError(_("Vul een naam, BSN of geboortedatum in."))
        return cleaned


class ActivationCodeForm(StyledForm):
    code = forms.CharField(
        label=_("Activeringscode"),
        help_text=_("De code van 12 tekens uit de brief van uw huisartsenpraktijk."),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    date_of_birth = DatePartsField(label=_("Uw geboortedatum"))


class PortalAccountForm(NewPasswordForm):
    pass


class RepresentationForm(StyledForm):
    kind = forms.ChoiceField(
        label=_("Soort"),
        choices=[
            ("ouder", _("Ouder of voogd (kind tot 16 jaar)")),
            ("gemachtigde", _("Gemachtigde")),
        ],
    )
    email = forms.EmailField(
        label=_("E-mailadres van het portaalaccount van de vertegenwoordiger"), max_length=254
    )
    valid_from = forms.DateField(label=_("Geldig vanaf"), widget=DateInput())
    valid_until = forms.DateField(
        label=_("Geldig tot en met"),
        help_text=_("Verplicht voor een gemachtigde: de patiënt machtigt tot die datum."),
        required=False,
        widget=DateInput(),
    )
