"""Chronic-care input with Dutch messages: taking part or not, a control, a goal, an
invitation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from spreekuur.chroniccare.models import ControlKind, EndReason, InvitationChannel
from spreekuur.chroniccare.programmes import Programme
from spreekuur.chroniccare.services import GOAL_LENGTH
from spreekuur.core.forms import (
    DateInput,
    DecimalCommaField,
    StyledForm,
    set_choices,
    style_widget,
)
from spreekuur.dossier.models import MEASUREMENT_LIMITS
from spreekuur.results.models import LabTest


class EnrolForm(StyledForm):
    started_on = forms.DateField(label=_("Doet mee vanaf"), widget=DateInput())
    main_practitioner = forms.ChoiceField(label=_("Hoofdbehandelaar in de praktijk"))
    care_group = forms.CharField(
        label=_("Zorggroep"), max_length=100, required=False, help_text=_("Voor de declaratie.")
    )
    financing_period = forms.CharField(
        label=_("Financieringsperiode"),
        max_length=20,
        required=False,
        help_text=_("Bijvoorbeeld 2027."),
    )

    def __init__(self, *args: Any, practitioners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["main_practitioner"], practitioners)


class DeclineForm(StyledForm):
    reason = forms.ChoiceField(
        label=_("Waarom doet de patiënt niet mee?"),
        choices=[
            (EndReason.PATIENT_CHOICE, EndReason.PATIENT_CHOICE.label),
            (EndReason.SPECIALIST, EndReason.SPECIALIST.label),
            (EndReason.DIAGNOSIS, EndReason.DIAGNOSIS.label),
            (EndReason.OTHER, EndReason.OTHER.label),
        ],
        widget=forms.RadioSelect,
    )


class EndForm(StyledForm):
    ended_on = forms.DateField(label=_("Gestopt op"), widget=DateInput())
    end_reason = forms.ChoiceField(
        label=_("Reden"), choices=[("", "—"), *EndReason.choices], required=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"ended_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


# What the POH measures at a control, by NHG number; the rest (HbA1c, eGFR, lipids...)
# comes from the lab.
MEASURED_AT_CONTROL = tuple(MEASUREMENT_LIMITS)


def _field_name(code: str) -> str:
    return f"meting_{code}"


class ControlForm(StyledForm):
    """One control: its kind and date, a box for each value the POH measures in this
    programme (by NHG number), the advice and the next date."""

    kind = forms.ChoiceField(
        label=_("Soort"), choices=ControlKind.choices, widget=forms.RadioSelect
    )
    held_on = forms.DateField(label=_("Datum"), widget=DateInput())
    advice = forms.CharField(
        label=_("Advies en afspraken"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
    )
    next_on = forms.DateField(label=_("Volgende controle"), required=False, widget=DateInput())

    def __init__(self, *args: Any, scheme: Programme, tests: dict[str, LabTest], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.codes = [
            code for code in scheme.nhg_codes if code in MEASURED_AT_CONTROL and code in tests
        ]
        for code in self.codes:
            test = tests[code]
            low, high = MEASUREMENT_LIMITS[code]
            unit = f" ({test.unit})" if test.unit else ""
            self.fields[_field_name(code)] = DecimalCommaField(
                label=f"{test.patient_name}{unit}",
                required=False,
                max_digits=5,
                # As the test is written: a blood pressure in whole mmHg, a weight to 0.1.
                decimal_places=min(test.decimals, 1),
                min_value=Decimal(str(low)),
                max_value=Decimal(str(high)),
            )
            style_widget(self.fields[_field_name(code)].widget)  # added after StyledForm's
        # The measurements between the kind and the advice, as the POH takes them.
        order = ["kind", "held_on", *map(_field_name, self.codes), "advice", "next_on"]
        self.order_fields(order)

    def measurements(self) -> dict[str, Decimal]:
        return {
            code: value
            for code in self.codes
            if (value := self.cleaned_data.get(_field_name(code))) is not None
        }

    def clean_held_on(self) -> date:
        held_on: date = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise forms.ValidationError(
                _("De datum van de controle kan niet in de toekomst liggen.")
            )
        return held_on


class GoalForm(StyledForm):
    text = forms.CharField(
        label=_("Doel van de patiënt"),
        help_text=_("In de woorden van de patiënt, bijvoorbeeld: drie keer per week wandelen."),
        max_length=GOAL_LENGTH,
    )
    action = forms.CharField(
        label=_("Wat de patiënt ervoor doet"), max_length=GOAL_LENGTH, required=False
    )
    review_on = forms.DateField(label=_("Terugkijken op"), required=False, widget=DateInput())


class InviteForm(StyledForm):
    channel = forms.ChoiceField(label=_("Hoe"), choices=InvitationChannel.choices)
