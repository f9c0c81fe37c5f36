from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from spreekuur.accounts.forms import NewPasswordForm
from spreekuur.core.forms import MAX_PASSWORD_LENGTH, DateInput, DatePartsField, StyledForm
from spreekuur.patients.contact_rules import (
    normalise_house_number,
    normalise_phone,
    normalise_postal_code,
)


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
            ("gemachtigde", _("Gemachtigde (machtiging van de patiënt, vanaf 12 jaar)")),
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


# The contact rules raise their Dutch message at the field and give the tidy form back.


class PhoneForm(StyledForm):
    phone = forms.CharField(
        label=_("Telefoonnummer"),
        help_text=_(
            "Een Nederlands nummer, bijvoorbeeld 06-12345678. Op een 06-nummer krijgt u "
            "sms-berichten van de praktijk. Laat leeg om uw nummer te verwijderen."
        ),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])


class EmailChangeForm(StyledForm):
    new_email = forms.EmailField(
        label=_("Nieuw e-mailadres"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Uw huidige wachtwoord"),
        help_text=_("Zo weten we zeker dat u het zelf bent."),
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AddressChangeForm(StyledForm):
    street = forms.CharField(
        label=_("Straat"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    house_number = forms.CharField(
        label=_("Huisnummer en toevoeging"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    postal_code = forms.CharField(
        label=_("Postcode"),
        max_length=7,
        widget=forms.TextInput(
            attrs={"autocomplete": "postal-code", "autocapitalize": "characters"}
        ),
    )
    city = forms.CharField(
        label=_("Plaats"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )

    def clean_house_number(self) -> str:
        return normalise_house_number(self.cleaned_data["house_number"])

    def clean_postal_code(self) -> str:
        return normalise_postal_code(self.cleaned_data["postal_code"])


class RejectAddressChangeForm(StyledForm):
    reason = forms.CharField(
        label=_("Reden van afwijzen"),
        help_text=_("De patiënt leest deze reden bij Mijn gegevens."),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
