"""The shell's own forms: the manager's search in the practice's audit log, and finding
the patient whose log lines to show (by name, BSN or date of birth, sent by POST so that
none of it ends up in a URL or a server log)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import DateInput, StyledForm
from spreekuur.core.models import AuditAction
from spreekuur.patients.bsn import is_valid_bsn, normalise_bsn
from spreekuur.shell.selectors import PatientQuery


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


# A date of birth as the Dutch write it: dd-mm-jjjj (also with / or . and one-digit parts).
_DUTCH_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_BSN_LIKE = re.compile(r"^[\d .]+$")


class PatientFinderForm(StyledForm):
    """One box, as the desk is used to: "Jansen", "999999990", "17-05-1980", or a name
    with a date of birth ("Jansen 17-05-1980")."""

    zoek = forms.CharField(
        label=_("Naam, BSN of geboortedatum"),
        help_text=_("Een geboortedatum als dd-mm-jjjj, bijvoorbeeld 17-05-1980."),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_zoek(self) -> PatientQuery:
        words = str(self.cleaned_data["zoek"]).split()
        born_on = None
        rest = []
        for word in words:
            found = _DUTCH_DATE.match(word)
            if found is None:
                rest.append(word)
                continue
            if born_on is not None:
                raise forms.ValidationError(_("Vul één geboortedatum in."))
            born_on = self._date(*found.groups())
        text = " ".join(rest)
        if text and _BSN_LIKE.match(text):
            return PatientQuery(bsn=self._bsn(text), born_on=born_on)
        if text and len(text.replace(" ", "")) < 2:
            raise forms.ValidationError(_("Typ minstens twee letters van de naam."))
        if not text and born_on is None:
            raise forms.ValidationError(_("Vul een naam, BSN of geboortedatum in."))
        if any(ch.isdigit() for ch in text):
            raise forms.ValidationError(
                _("Schrijf een geboortedatum als dd-mm-jjjj, bijvoorbeeld 17-05-1980.")
            )
        return PatientQuery(name=text, born_on=born_on)

    @staticmethod
    def _date(day: str, month: str, year: str) -> date:
        try:
            born_on = date(int(year), int(month), int(day))
        except ValueError:
            raise forms.ValidationError(
                _("Deze datum bestaat niet. Schrijf de geboortedatum als dd-mm-jjjj.")
            ) from None
        if born_on > timezone.localdate() or born_on.year < 1900:
            raise forms.ValidationError(_("Deze geboortedatum kan niet kloppen."))
        return born_on

    @staticmethod
    def _bsn(text: str) -> str:
        bsn = normalise_bsn(text)
        if len(bsn) != 9:
            raise forms.ValidationError(_("Een BSN heeft 9 cijfers."))
        if not is_valid_bsn(bsn):
            raise forms.ValidationError(
                _("Dit BSN bestaat niet (de elfproef klopt niet). Controleer de cijfers.")
            )
        return bsn
