"""Input of triage, validated with Dutch messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import DateInput, StyledForm
from spreekuur.triage.flows import Flow
from spreekuur.triage.models import RedFlag, RedFlagAdvice

YES, NO = "ja", "nee"


def first_raised_flag(flags: list[RedFlag], data: Mapping[str, Any]) -> RedFlag | None:
    """The first red flag (in asking order) answered "yes" in the posted data, if any:
    checked before anything else on the form, so a "yes" always reaches the advice."""
    for flag in flags:
        if data.get(f"flag_{flag.code}") == YES:
            return flag
    return None


class RedFlagQuestionsForm(StyledForm):
    """Every red-flag question, each answered yes or no on purpose; booking and e-consult
    put their own fields beside them."""

    def __init__(self, *args: Any, flags: list[RedFlag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flags = flags
        for flag in flags:
            self.fields[f"flag_{flag.code}"] = forms.ChoiceField(
                label=gettext(flag.question),
                choices=[(NO, _("Nee")), (YES, _("Ja"))],
                widget=forms.RadioSelect,
                error_messages={"required": _("Beantwoord deze vraag met ja of nee.")},
            )

    def flag_fields(self) -> list[forms.BoundField]:
        return [self[f"flag_{flag.code}"] for flag in self.flags]

    def answers(self) -> dict[str, bool]:
        return {flag.code: self.cleaned_data[f"flag_{flag.code}"] == YES for flag in self.flags}


class RedFlagForm(StyledForm):
    question = forms.CharField(
        label=_("Vraag"),
        max_length=200,
        help_text=_("Een ja/nee-vraag. Bij 'ja' kan de patiënt niet online boeken."),
    )
    advice = forms.ChoiceField(label=_("Advies bij 'ja'"), choices=RedFlagAdvice.choices)


class FlowTextsForm(StyledForm):
    """One advice text per outcome of a flow (fields added per flow)."""


def flow_texts_form(flow: Flow, data: Mapping[str, Any] | None = None) -> FlowTextsForm:
    form = FlowTextsForm(data)
    for outcome in flow.document.outcomes:
        form.fields[outcome.id] = forms.CharField(
            label=gettext("Advies bij %(urgency)s (%(id)s)")
            % {"urgency": outcome.urgency.value, "id": outcome.id},
            initial=outcome.advice,
            min_length=2,
            max_length=1200,
            widget=forms.Textarea(attrs={"rows": 4}),
        )
    return form


class OwnFlowForm(StyledForm):
    document = forms.CharField(
        label=_("Klachtschema (JSON)"),
        help_text=_(
            "Zelfde opbouw als de landelijke klachten: vragen, antwoorden, alarmsignalen "
            "(altijd direct naar U0, U1 of U2) en uitkomsten U0 tot en met U5. Bij opslaan "
            "wordt alles gecontroleerd."
        ),
        max_length=64 * 1024,
        widget=forms.Textarea(
            attrs={"rows": 24, "spellcheck": "false", "class": "spreekuur-source"}
        ),
    )


# Self-triage began long after 2000; a year past 2100 is a typo (and 9999-12-31 plus a day
# does not exist).
FIRST_YEAR, LAST_YEAR = 2000, 2100


class FiguresPeriodForm(StyledForm):
    van = forms.DateField(label=_("Van"), required=False, widget=DateInput())
    tot = forms.DateField(label=_("Tot en met"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("van"), cleaned.get("tot")
        if any(day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR for day in (start, end)):
            raise forms.ValidationError(
                _("Kies datums tussen %(first)s en %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        if start and end and start > end:
            raise forms.ValidationError(_("De begindatum moet vóór de einddatum liggen."))
        if start and end and (end - start).days > 731:
            raise forms.ValidationError(_("Kies een periode van hooguit twee jaar."))
        return cleaned


class AssistantForm(StyledForm):
    vraag = forms.CharField(
        label=_("Uw vraag"),
        max_length=500,
        help_text=_(
            "Over de praktijk, zoals openingstijden of herhaalrecepten. Geen medische vragen."
        ),
        error_messages={"required": _("Typ uw vraag.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class FaqAnswerForm(StyledForm):
    question = forms.CharField(label=_("Vraag"), max_length=200)
    answer = forms.CharField(
        label=_("Antwoord"),
        max_length=1500,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Praktijkgegevens vult Spreekuur zelf in: {phone_main}, {phone_urgent}, "
            "{hap_name}, {hap_phone}, {address}, {opening_hours}, {practice_name}."
        ),
    )
    keywords = forms.CharField(
        label=_("Andere woorden"),
        max_length=300,
        required=False,
        help_text=_("Woorden die patiënten ook gebruiken, gescheiden door komma's."),
    )
    active = forms.BooleanField(label=_("Gebruiken"), required=False, initial=True)
