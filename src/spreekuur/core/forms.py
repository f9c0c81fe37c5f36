"""Shared form behaviour: NL Design System classes on every widget, Dutch messages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from spreekuur.core.validators import validate_phone

_WIDGET_CLASSES = {
    forms.Textarea: "utrecht-textarea",
    forms.Select: "utrecht-select utrecht-select--html-select",
    forms.CheckboxInput: "utrecht-checkbox utrecht-checkbox--html-input",
    forms.RadioSelect: "",
}


class StyledFormMixin:
    """Gives each widget the NL Design System class that belongs to it."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.MultiWidget):
                continue  # its parts carry their own classes
            css = next(
                (value for kind, value in _WIDGET_CLASSES.items() if isinstance(widget, kind)),
                "utrecht-textbox utrecht-textbox--html-input",
            )
            if css:
                existing = widget.attrs.get("class", "")
                widget.attrs["class"] = f"{existing} {css}".strip()


class StyledForm(StyledFormMixin, forms.Form):
    pass


def set_choices(field: forms.Field, choices: list[tuple[str, str]]) -> None:
    if not isinstance(field, forms.ChoiceField):
        raise TypeError("choices belong to a choice field")
    field.choices = choices


class DatePartsWidget(forms.MultiWidget):
    """Day, month and year as three small boxes: easier than a date picker for many
    patients, and the pattern Dutch government sites use for a date of birth."""

    template_name = "components/widgets/date_parts.html"
    _PART_LABELS = (_("Dag"), _("Maand"), _("Jaar"))

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        def part(autocomplete: str, size: int) -> forms.TextInput:
            return forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "autocomplete": autocomplete,
                    "maxlength": str(size),
                    "size": str(size),
                    "class": "utrecht-textbox utrecht-textbox--html-input "
                    f"spreekuur-date-part--{size}",
                }
            )

        super().__init__(
            {
                "dag": part("bday-day", 2),
                "maand": part("bday-month", 2),
                "jaar": part("bday-year", 4),
            },
            attrs,
        )

    def decompress(self, value: Any) -> list[Any]:
        return [value.day, value.month, value.year] if value else [None, None, None]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        for sub, label in zip(context["widget"]["subwidgets"], self._PART_LABELS, strict=True):
            sub["label"] = label
        return context


class DatePartsField(forms.MultiValueField):
    widget = DatePartsWidget

    def __init__(self, **kwargs: Any) -> None:
        part_errors = {
            "invalid": _("Vul dag, maand en jaar in met cijfers."),
            "min_value": _("Deze datum bestaat niet."),
            "max_value": _("Deze datum bestaat niet."),
        }
        fields = (
            forms.IntegerField(min_value=1, max_value=31, error_messages=part_errors),
            forms.IntegerField(min_value=1, max_value=12, error_messages=part_errors),
            forms.IntegerField(min_value=1900, max_value=2100, error_messages=part_errors),
        )
        missing = _("Vul dag, maand en jaar in, bijvoorbeeld 17 5 1980.")
        super().__init__(
            fields=fields,
            require_all_fields=True,
            error_messages={"required": missing, "incomplete": missing},
            **kwargs,
        )

    def compress(self, data_list: list[Any]) -> date | None:
        if not data_list:
            return None
        day, month, year = data_list
        try:
            return date(year, month, day)
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(_("Deze datum bestaat niet.")) from error


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class AuditSearchForm(StyledForm):
    action = forms.ChoiceField(label=_("Handeling"), required=False)
    actor = forms.ChoiceField(label=_("Gebruiker"), required=False)
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    date_from = forms.DateField(label=_("Vanaf"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Tot en met"), required=False, widget=DateInput())

    def __init__(self, *args: Any, actor_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        from spreekuur.core.models import AuditAction

        super().__init__(*args, **kwargs)
        action_field = self.fields["action"]
        actor_field = self.fields["actor"]
        assert isinstance(action_field, forms.ChoiceField)  # noqa: S101 (type narrowing)
        assert isinstance(actor_field, forms.ChoiceField)  # noqa: S101 (type narrowing)
        action_field.choices = [("", _("Alle handelingen")), *AuditAction.choices]
        actor_field.choices = [("", _("Alle gebruikers")), *actor_choices]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("De einddatum ligt voor de begindatum."))
        return cleaned


class NewsItemForm(StyledForm):
    title = forms.CharField(label=_("Titel"), max_length=200)
    body = forms.CharField(label=_("Tekst"), widget=forms.Textarea(attrs={"rows": 5}))
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
        from django.utils import timezone

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
        label=_("Welkomsttekst"), required=False, widget=forms.Textarea(attrs={"rows": 3})
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
        from spreekuur.core.models import WEEKDAYS

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
        from spreekuur.core.validators import validate_brand_colour

        colour: str = self.cleaned_data["brand_colour"].strip().lower()
        validate_brand_colour(colour)
        return colour

    def clean(self) -> dict[str, Any]:
        from spreekuur.core.weekly_hours import parse_day

        cleaned = super().clean() or {}
        weekly = {}
        for weekday in range(7):
            try:
                weekly[weekday] = parse_day(cleaned.get(f"hours_{weekday}", ""))
            except forms.ValidationError as error:
                self.add_error(f"hours_{weekday}", error)
        cleaned["weekly"] = weekly
        return cleaned
