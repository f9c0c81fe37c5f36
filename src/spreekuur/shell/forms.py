"""The shell's own form: the manager's search in the practice's audit log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import DateInput, StyledForm
from spreekuur.core.models import AuditAction


class AuditSearchForm(StyledForm):
    action = forms.ChoiceField(label=_("Handeling"), required=False)
    actor = forms.ChoiceField(label=_("Gebruiker"), required=False)
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    date_from = forms.DateField(label=_("Vanaf"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Tot en met"), required=False, widget=DateInput())

    def __init__(self, *args: Any, actor_choices: list[tuple[str, str]], **kwargs: Any) -> None:
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
