"""Shared form behaviour: NL Design System classes on every widget, Dutch messages."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

_WIDGET_CLASSES = {
    forms.Textarea: "utrecht-textarea",
    forms.Select: "utrecht-select utrecht-select--html-select",
    forms.CheckboxInput: "utrecht-checkbox utrecht-checkbox--html-input",
    forms.RadioSelect: "",
}


# Longer than any passphrase a person types; a password field without a bound would let
# a megabyte through to the password hasher.
MAX_PASSWORD_LENGTH = 1024


class StyledFormMixin:
    """Gives each widget the NL Design System class that belongs to it."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            style_widget(field.widget)


def style_widget(widget: forms.Widget) -> None:
    """The NL Design System class of this kind of widget (for a field a form adds after
    its own __init__, too)."""
    if isinstance(widget, forms.MultiWidget):
        return  # its parts carry their own classes
    css = next(
        (value for kind, value in _WIDGET_CLASSES.items() if isinstance(widget, kind)),
        "utrecht-textbox utrecht-textbox--html-input",
    )
    existing = widget.attrs.get("class", "")
    if css and css not in existing:
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


class DecimalCommaField(forms.DecimalField):
    """A decimal as a Dutch keyboard types it: "91,4" or "91.4" (no thousands: a
    measurement is never typed with them), in a text box that opens the number keypad."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)
