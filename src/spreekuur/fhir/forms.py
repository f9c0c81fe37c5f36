"""Input of the app pages, with Dutch messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from oauth2_provider.forms import AllowForm

from spreekuur.core.forms import StyledForm, StyledFormMixin
from spreekuur.fhir.models import AppKind

MAX_FIELD = 2000


class ConsentForm(StyledFormMixin, AllowForm):
    """The consent screen: DOT's hidden fields (checked again by oauthlib on POST), and
    for whom the app may be used."""

    # Asked only to allow: saying no needs no choice of person.
    patient = forms.ChoiceField(
        label=_("Voor wie koppelt u deze app?"), widget=forms.RadioSelect, required=False
    )

    # DOT's hidden fields again, bounded (oauthlib checks each value once more on POST).
    redirect_uri = forms.CharField(widget=forms.HiddenInput(), max_length=MAX_FIELD)
    scope = forms.CharField(widget=forms.HiddenInput(), max_length=MAX_FIELD)
    nonce = forms.CharField(required=False, widget=forms.HiddenInput(), max_length=MAX_FIELD)
    client_id = forms.CharField(widget=forms.HiddenInput(), max_length=200)
    state = forms.CharField(required=False, widget=forms.HiddenInput(), max_length=MAX_FIELD)
    response_type = forms.CharField(widget=forms.HiddenInput(), max_length=40)
    code_challenge = forms.CharField(required=False, widget=forms.HiddenInput(), max_length=200)
    code_challenge_method = forms.CharField(
        required=False, widget=forms.HiddenInput(), max_length=10
    )
    claims = forms.CharField(required=False, widget=forms.HiddenInput(), max_length=MAX_FIELD)
    resource = forms.CharField(required=False, widget=forms.HiddenInput(), max_length=MAX_FIELD)

    def __init__(self, *args: Any, patients: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        patient = self.fields["patient"]
        assert isinstance(patient, forms.ChoiceField)  # noqa: S101 - declared above
        patient.choices = patients
        if len(patients) == 1:
            self.fields["patient"].initial = patients[0][0]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("allow") and not cleaned.get("patient"):
            self.add_error("patient", _("Kies voor wie u deze app koppelt."))
        return cleaned


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace(",", " ").split() if line.strip()]


class AppForm(StyledForm):
    kind = forms.ChoiceField(label=_("Soort"), choices=AppKind.choices, widget=forms.RadioSelect)
    name = forms.CharField(label=_("Naam"), max_length=100)
    vendor = forms.CharField(label=_("Leverancier"), max_length=100, required=False)
    homepage = forms.URLField(
        label=_("Website"), max_length=200, required=False, assume_scheme="https"
    )
    redirect_uris = forms.CharField(
        label=_("Terugkeeradressen (redirect URI's)"),
        help_text=_(
            "Eén per regel, precies zoals de app ze gebruikt: https://…, of http://127.0.0.1 "
            "voor een app op de eigen computer. Alleen voor apps voor patiënten."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_FIELD,
        required=False,
    )
    confidential = forms.BooleanField(
        label=_("Vertrouwelijke app (draait op een server en bewaart een geheim)"),
        required=False,
    )
    allowed_scopes = forms.CharField(
        label=_("Toegestane scopes"),
        help_text=_(
            "SMART-scopes, gescheiden door spaties. Voor een app voor patiënten bijvoorbeeld "
            "launch/patient openid fhirUser offline_access patient/*.rs; voor een systeem "
            "bijvoorbeeld system/Patient.rs system/Appointment.rs."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_FIELD,
    )

    def clean_redirect_uris(self) -> list[str]:
        return _lines(self.cleaned_data.get("redirect_uris", ""))

    def clean_allowed_scopes(self) -> list[str]:
        return _lines(self.cleaned_data.get("allowed_scopes", ""))


class AppChangeForm(AppForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("kind", "name", "confidential"):
            del self.fields[name]
