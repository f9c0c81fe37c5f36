"""Shared form behaviour: NL Design System classes on every widget, Dutch messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

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
            css = next(
                (value for kind, value in _WIDGET_CLASSES.items() if isinstance(widget, kind)),
                "utrecht-textbox utrecht-textbox--html-input",
            )
            if css:
                existing = widget.attrs.get("class", "")
                widget.attrs["class"] = f"{existing} {css}".strip()


class StyledForm(StyledFormMixin, forms.Form):
    pass


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
    day = forms.DateField(label=_("Datum"), widget=DateInput())
    closed = forms.BooleanField(label=_("De hele dag gesloten"), required=False, initial=True)
    opens = forms.TimeField(
        label=_("Open vanaf"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    closes = forms.TimeField(
        label=_("Open tot"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    reason = forms.CharField(label=_("Reden (openbaar)"), max_length=200)
