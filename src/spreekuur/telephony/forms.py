"""Input of the phone-line pages, with Dutch messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import StyledForm, StyledFormMixin
from spreekuur.telephony.call_report import MAX_REPORT_BYTES
from spreekuur.telephony.models import AttemptOutcome, PhoneSettings

KEY_FIELDS = ("spoed_key", "intercollegiaal_key", "herhaal_key", "assistent_key")


class PhoneSettingsForm(StyledFormMixin, forms.ModelForm[PhoneSettings]):
    class Meta:
        model = PhoneSettings
        fields = [
            "welcome_text",
            "online_hint",
            "spoed_key",
            "intercollegiaal_enabled",
            "intercollegiaal_key",
            "herhaal_enabled",
            "herhaal_key",
            "herhaal_action",
            "assistent_key",
            "callback_enabled",
            "callback_after_seconds",
            "callback_key",
            "callback_until",
            "callback_attempts",
            "service_level_percent",
            "service_level_seconds",
            "handling_seconds",
        ]
        widgets = {"callback_until": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in (*KEY_FIELDS, "callback_key"):
            field = self.fields[name]
            field.widget = forms.NumberInput(
                attrs={
                    "min": 1,
                    "max": 9,
                    "inputmode": "numeric",
                    "class": "utrecht-textbox utrecht-textbox--html-input",
                }
            )
            field.validators.append(_digit_validator)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        used = {"spoed_key": True, "assistent_key": True}
        used["intercollegiaal_key"] = bool(data.get("intercollegiaal_enabled"))
        used["herhaal_key"] = bool(data.get("herhaal_enabled"))
        seen: dict[int, str] = {}
        for name in KEY_FIELDS:
            key = data.get(name)
            if not used[name] or key is None:
                continue
            if key in seen:
                self.add_error(name, _("Deze toets is al in gebruik in het keuzemenu."))
            seen[key] = name
        if data.get("callback_enabled") and data.get("callback_key") in seen:
            self.add_error(
                "callback_key", _("Kies voor terugbellen een toets die niet in het keuzemenu zit.")
            )
        return data


def _digit_validator(value: int) -> None:
    if not 1 <= value <= 9:
        raise forms.ValidationError(_("Kies een toets van 1 tot en met 9."))


class LinkForm(StyledForm):
    name = forms.CharField(
        label=_("Naam van de koppeling"),
        max_length=120,
        help_text=_("Bijvoorbeeld de naam van uw telefonieleverancier."),
    )


class CallReportForm(StyledForm):
    report = forms.FileField(
        label=_("Gespreksrapport (CSV of queue_log)"),
        help_text=_("Tot 10 MB of 100.000 gesprekken; bijvoorbeeld de laatste drie maanden."),
    )

    def clean_report(self) -> Any:
        report = self.cleaned_data["report"]
        if report.size > MAX_REPORT_BYTES:
            raise forms.ValidationError(_("Het bestand is groter dan 10 MB."))
        return report


class AttemptForm(StyledForm):
    outcome = forms.ChoiceField(label=_("Hoe ging het?"), choices=AttemptOutcome.choices)


PERIODS = {"4": 4, "13": 13, "26": 26}


class PeriodForm(StyledForm):
    weeks = forms.ChoiceField(
        label=_("Periode"),
        choices=[("4", _("4 weken")), ("13", _("13 weken (een kwartaal)")), ("26", _("26 weken"))],
        required=False,
    )
