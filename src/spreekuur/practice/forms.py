"""The manager's forms for the public practice page: news, other hours, the details."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import DateInput, StyledForm
from spreekuur.core.models import WEEKDAYS
from spreekuur.core.validators import validate_brand_colour, validate_phone
from spreekuur.core.weekly_hours import parse_day


class NewsItemForm(StyledForm):
    title = forms.CharField(label=_("Titel"), max_length=200)
    body = forms.CharField(
        label=_("Tekst"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    published_on = forms.DateField(label=_("Publiceren op"), widget=DateInput())


class OpeningExceptionForm(StyledForm):
    """A day with other hours. Closed, or open with both times, never both or neither."""

    day = forms.DateField(label=_("Datum"), widget=DateInput())
    closed = forms.BooleanField(label=_("De hele dag gesloten"), required=False, initial=True)
    opens = forms.TimeField(
        label=_("Open vanaf"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    closes = forms.TimeField(
        label=_("Open tot"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    reason = forms.CharField(label=_("Reden (openbaar)"), max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, closed = cleaned.get("day"), cleaned.get("closed")
        opens, closes = cleaned.get("opens"), cleaned.get("closes")
        if day is not None and day < timezone.localdate():
            self.add_error("day", _("Deze datum ligt in het verleden."))
        if closed and (opens or closes):
            self.add_error(None, _("Kies 'de hele dag gesloten' óf vul tijden in, niet allebei."))
        elif not closed and (opens is None or closes is None):
            self.add_error(None, _("Vul de openingstijd en sluitingstijd in, of kies 'gesloten'."))
        elif not closed and opens is not None and closes is not None and closes <= opens:
            self.add_error("closes", _("De sluitingstijd moet na de openingstijd liggen."))
        return cleaned


class PracticeDetailsForm(StyledForm):
    """What the practice shows on its public page, and its weekly opening hours."""

    phone_main = forms.CharField(
        label=_("Telefoonnummer"), max_length=20, validators=[validate_phone]
    )
    phone_urgent = forms.CharField(label=_("Spoedlijn"), max_length=20, validators=[validate_phone])
    hap_name = forms.CharField(label=_("Huisartsenpost"), max_length=200)
    hap_phone = forms.CharField(
        label=_("Telefoon huisartsenpost"), max_length=20, validators=[validate_phone]
    )
    hap_address = forms.CharField(label=_("Adres huisartsenpost"), max_length=250, required=False)
    website_intro = forms.CharField(
        label=_("Welkomsttekst"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    brand_colour = forms.CharField(
        label=_("Huiskleur"),
        max_length=7,
        help_text=_("Bijvoorbeeld #154273. Witte tekst moet goed leesbaar blijven."),
    )
    records_online_from = forms.DateField(
        label=_("Dossier online vanaf"),
        required=False,
        widget=DateInput(),
        help_text=_(
            "Patiënten zien hun dossier online vanaf deze datum (conclusie en plan van "
            "contacten, episodes, medicatie, allergieën). Leeg: het dossier staat nog niet "
            "online."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for weekday, name in WEEKDAYS:
            self.fields[f"hours_{weekday}"] = forms.CharField(
                label=_("Open op %(dag)s") % {"dag": name},
                required=False,
                max_length=100,
                widget=forms.TextInput(
                    attrs={"class": "utrecht-textbox utrecht-textbox--html-input"}
                ),
            )

    def clean_records_online_from(self) -> date | None:
        value: date | None = self.cleaned_data.get("records_online_from")
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(
                _("Kies vandaag of een datum in het verleden: het dossier gaat direct online.")
            )
        return value

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("hours_")]

    def hour_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("hours_")]

    def clean_brand_colour(self) -> str:
        colour: str = self.cleaned_data["brand_colour"].strip().lower()
        validate_brand_colour(colour)
        return colour

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        weekly = {}
        for weekday in range(7):
            try:
                weekly[weekday] = parse_day(cleaned.get(f"hours_{weekday}", ""))
            except forms.ValidationError as error:
                self.add_error(f"hours_{weekday}", error)
        cleaned["weekly"] = weekly
        return cleaned
