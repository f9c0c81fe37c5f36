"""Input of the roster pages, with Dutch messages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from spreekuur.accounts.models import Membership
from spreekuur.agenda.models import AbsenceKind, Weekday
from spreekuur.core.forms import StyledForm
from spreekuur.roster.models import ShiftTask


class MemberChoiceField(forms.ModelChoiceField[Membership]):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.full_name or obj.user.email} ({obj.get_role_display()})"


class ShiftForm(StyledForm):
    member = MemberChoiceField(
        label=_("Medewerker"), queryset=Membership.objects.none(), to_field_name="public_id"
    )
    weekday = forms.TypedChoiceField(label=_("Dag"), choices=Weekday.choices, coerce=int)
    task = forms.ChoiceField(label=_("Taak"), choices=ShiftTask.choices)
    starts = forms.TimeField(
        label=_("Van"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    ends = forms.TimeField(
        label=_("Tot"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    valid_from = forms.DateField(
        label=_("Geldt vanaf"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Geldt tot en met"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leeg: elke week, tot u de dienst verwijdert."),
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts") and data.get("ends") and data["starts"] >= data["ends"]:
            self.add_error("ends", _("De eindtijd moet na de begintijd liggen."))
        first, last = data.get("valid_from"), data.get("valid_until")
        if first and last and first > last:
            self.add_error("valid_until", _("De einddatum moet op of na de begindatum liggen."))
        return data


class LeaveForm(StyledForm):
    member = MemberChoiceField(
        label=_("Medewerker"), queryset=Membership.objects.none(), to_field_name="public_id"
    )
    starts_on = forms.DateField(label=_("Van"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Tot en met"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Soort"), choices=AbsenceKind.choices)

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members  # type: ignore[attr-defined]

    note = forms.CharField(
        label=_("Toelichting"),
        max_length=120,
        required=False,
        help_text=_("Geen medische redenen: collega's zien alleen dat iemand afwezig is."),
    )

    def clean_starts_on(self) -> date | None:
        return _near(self.cleaned_data.get("starts_on"))

    def clean_ends_on(self) -> date | None:
        return _near(self.cleaned_data.get("ends_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("starts_on"), data.get("ends_on")
        if first and last and first > last:
            self.add_error("ends_on", _("De einddatum moet op of na de begindatum liggen."))
        elif first and last and (last - first).days > 366:
            self.add_error("ends_on", _("Een afwezigheid duurt hoogstens een jaar."))
        return data


# A roster is looked at around now; a week far away is a typing error (and beyond the
# calendar's end a date cannot be counted from).
YEARS_AROUND = 5


def _near(day: date | None) -> date | None:
    if day is None:
        return None
    today = date.today()  # noqa: DTZ011 - a bound for input, the local day is close enough
    if abs((day - today).days) > YEARS_AROUND * 366:
        raise forms.ValidationError(_("Kies een datum binnen vijf jaar van vandaag."))
    return day


class WeekForm(StyledForm):
    week = forms.DateField(
        label=_("Week van"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Een dag in de week die u wilt zien."),
    )

    def clean_week(self) -> date | None:
        return _near(self.cleaned_data.get("week"))


class MeetingForm(StyledForm):
    week = forms.DateField(
        label=_("Week van"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    minutes = forms.TypedChoiceField(
        label=_("Duur van het overleg"),
        choices=[
            (30, _("30 minuten")),
            (60, _("1 uur")),
            (90, _("anderhalf uur")),
            (120, _("2 uur")),
        ],
        coerce=int,
        required=False,
    )

    def clean_week(self) -> date | None:
        return _near(self.cleaned_data.get("week"))
