"""Input of the agenda, validated with Dutch messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from spreekuur.agenda.models import (
    BOOKING_RULE_FIELDS,
    PRACTITIONER_ROLES,
    AbsenceKind,
    AppointmentMode,
    BookingChannel,
    BookingRules,
    Weekday,
)
from spreekuur.agenda.services.booking import MAX_REASON_LENGTH
from spreekuur.core.forms import (
    DateInput,
    DatePartsField,
    StyledForm,
    StyledFormMixin,
    set_choices,
)
from spreekuur.core.roles import StaffRole
from spreekuur.triage.forms import RedFlagQuestionsForm

ANYONE = "iedereen"


class TriageForm(RedFlagQuestionsForm):
    """The reason and every red-flag question, each answered yes or no on purpose."""

    reason = forms.CharField(
        label=_("Waarvoor wilt u een afspraak?"),
        help_text=_("Kort, in uw eigen woorden. Alleen de praktijk leest dit."),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Vertel kort waarvoor u de afspraak maakt.")},
    )


class ChooseTypeForm(StyledForm):
    """Which kind of appointment, and with whom ("" = whoever is free first)."""

    soort = forms.ChoiceField(label=_("Soort afspraak"))
    zorgverlener = forms.ChoiceField(label=_("Bij wie"))
    vanaf = forms.DateField(
        label=_("Vanaf welke dag"),
        required=False,
        widget=DateInput(),
        help_text=_("Leeg laten: de eerste vrije tijden."),
    )

    def __init__(
        self,
        *args: Any,
        types: list[tuple[str, str]],
        practitioners: list[tuple[str, str]],
        first_day: date | None = None,
        last_day: date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.first_day, self.last_day = first_day, last_day
        if first_day and last_day:
            self.fields["vanaf"].widget.attrs.update(
                {"min": first_day.isoformat(), "max": last_day.isoformat()}
            )
        set_choices(self.fields["soort"], types)
        set_choices(
            self.fields["zorgverlener"],
            [
                *practitioners,
                (ANYONE, gettext("Maakt niet uit: de eerste die vrij is")),
            ],
        )

    def clean_vanaf(self) -> date | None:
        day: date | None = self.cleaned_data.get("vanaf")
        if day is not None and self.first_day is not None and day <= self.first_day:
            return None  # today or earlier: simply the first free times
        if day is not None and self.last_day is not None and day > self.last_day:
            raise forms.ValidationError(
                gettext("Online kunt u afspreken tot en met %(day)s.")
                % {"day": formats.date_format(self.last_day, "j F")}
            )
        return day


class StaffBookingForm(StyledForm):
    soort = forms.ChoiceField(label=_("Soort afspraak"))
    kanaal = forms.ChoiceField(
        label=_("Gemaakt via"),
        choices=[
            (BookingChannel.PHONE, _("telefoon")),
            (BookingChannel.DESK, _("balie")),
        ],
        widget=forms.RadioSelect,
        initial=BookingChannel.PHONE,
    )
    desk_note = forms.CharField(
        label=_("Notitie voor de praktijk"),
        help_text=_("Bijvoorbeeld waarvoor de patiënt belde. De patiënt ziet deze notitie niet."),
        max_length=MAX_REASON_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, types: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["soort"], types)


class BookingRulesForm(StyledFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = BookingRules
        fields = BOOKING_RULE_FIELDS


ROLE_CHOICES = [(role.value, role.label) for role in StaffRole if role in PRACTITIONER_ROLES]


class AppointmentTypeForm(StyledForm):
    name = forms.CharField(label=_("Naam"), max_length=80)
    description = forms.CharField(label=_("Uitleg voor patiënten"), max_length=200, required=False)
    mode = forms.ChoiceField(label=_("Vorm"), choices=AppointmentMode.choices)
    duration_minutes = forms.IntegerField(label=_("Duur (minuten)"), min_value=5, max_value=120)
    offered_by = forms.MultipleChoiceField(
        label=_("Aangeboden door"),
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Kies wie deze soort afspraak aanbiedt.")},
    )
    online_bookable = forms.BooleanField(
        label=_("Patiënten mogen dit online boeken"), required=False
    )
    active = forms.BooleanField(label=_("In gebruik"), required=False, initial=True)
    preparation_code = forms.ChoiceField(
        label=_("Vragenlijst vooraf"),
        help_text=_(
            "De patiënt krijgt deze vragenlijst bij het maken van de afspraak; de antwoorden "
            "staan bij de afspraak."
        ),
        required=False,
    )

    performance_code = forms.RegexField(
        label=_("Prestatiecode"),
        regex=r"^[0-9A-Za-z]{0,8}$",
        max_length=8,
        required=False,
        help_text=_(
            "De NZa-code waarmee een gehouden afspraak van deze soort wordt gedeclareerd, "
            "bijvoorbeeld 12011 (consult 5 tot 20 minuten). Voor de omzet op het dashboard."
        ),
        error_messages={"invalid": _("Alleen cijfers en letters, hoogstens 8.")},
    )

    def __init__(
        self, *args: Any, preparations: Sequence[tuple[str, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["preparation_code"], [("", gettext("Geen")), *preparations])


class ScheduleBlockForm(StyledForm):
    zorgverlener = forms.ChoiceField(label=_("Zorgverlener"))
    weekday = forms.TypedChoiceField(label=_("Dag"), choices=Weekday.choices, coerce=int)
    starts = forms.TimeField(label=_("Van"), widget=forms.TimeInput(attrs={"type": "time"}))
    ends = forms.TimeField(label=_("Tot"), widget=forms.TimeInput(attrs={"type": "time"}))
    slot_minutes = forms.TypedChoiceField(
        label=_("Lengte van een tijdslot"),
        choices=[(5, "5 min"), (10, "10 min"), (15, "15 min"), (20, "20 min"), (30, "30 min")],
        coerce=int,
        initial=10,
    )
    online_per_hour = forms.IntegerField(
        label=_("Online vrijgegeven per uur"),
        help_text=_("Bijvoorbeeld 2: de tijdsloten op het hele en het halve uur. 0 = geen."),
        min_value=0,
        max_value=12,
        initial=0,
    )

    def __init__(self, *args: Any, practitioners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["zorgverlener"], practitioners)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and starts >= ends:
            raise forms.ValidationError(_("De eindtijd moet na de begintijd liggen."))
        return cleaned


class AbsenceForm(StyledForm):
    zorgverlener = forms.ChoiceField(label=_("Zorgverlener"))
    starts_on = forms.DateField(label=_("Van"), widget=DateInput())
    ends_on = forms.DateField(label=_("Tot en met"), widget=DateInput())
    kind = forms.ChoiceField(label=_("Soort"), choices=AbsenceKind.choices)
    note = forms.CharField(label=_("Toelichting"), max_length=120, required=False)

    def __init__(self, *args: Any, practitioners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["zorgverlener"], practitioners)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("starts_on"), cleaned.get("ends_on")
        if start and end and start > end:
            raise forms.ValidationError(_("De einddatum moet op of na de begindatum liggen."))
        return cleaned


class KioskForm(StyledForm):
    name = forms.CharField(
        label=_("Naam van dit apparaat"), max_length=60, initial=_("Aanmeldzuil wachtkamer")
    )


class KioskBirthDateForm(StyledForm):
    date_of_birth = DatePartsField(label=_("Uw geboortedatum"))
    house_number = forms.CharField(
        label=_("Uw huisnummer"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )


class KioskCodeForm(StyledForm):
    code = forms.CharField(
        label=_("Code van uw bevestiging"),
        help_text=_("Houd de QR-code voor de scanner, of typ de code die eronder staat."),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "autofocus": True}
        ),
    )
