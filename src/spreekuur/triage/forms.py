"""Input of triage, validated with Dutch messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import DateInput, StyledForm
from spreekuur.triage.flows import Flow
from spreekuur.triage.models import QuestionnairePurpose, RedFlag, RedFlagAdvice
from spreekuur.triage.questionnaires import Group, Item, ItemInput, ItemType

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


# Questionnaires ------------------------------------------------------------------------


class QuestionnaireDetailsForm(StyledForm):
    title = forms.CharField(label=_("Titel"), max_length=120)
    intro = forms.CharField(
        label=_("Uitleg bovenaan"),
        max_length=1200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Waarom u het vraagt, hoe lang het duurt, en wat u met de antwoorden doet."),
    )
    purpose = forms.ChoiceField(
        label=_("Doel"),
        choices=QuestionnairePurpose.choices,
        widget=forms.RadioSelect(attrs={"wide": True}),  # sentences: one per row
    )
    anonymous = forms.BooleanField(
        label=_("Anoniem: de praktijk ziet alleen de uitkomsten van iedereen samen"),
        required=False,
    )


class QuestionForm(StyledForm):
    """One question of the builder. Fields that do not belong to the chosen type are
    ignored when empty and refused when filled in (the service says which)."""

    text = forms.CharField(label=_("Vraag"), max_length=300)
    type = forms.ChoiceField(
        label=_("Soort antwoord"),
        choices=[(t.value, t.label) for t in ItemType],
        widget=forms.RadioSelect,
    )
    required = forms.BooleanField(label=_("Verplicht"), required=False)
    help = forms.CharField(
        label=_("Toelichting"), max_length=400, required=False, widget=forms.TextInput
    )
    options = forms.CharField(
        label=_("Keuzes (één per regel)"),
        required=False,
        max_length=1600,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Alleen bij één of meer keuzes: 2 tot 12 keuzes."),
    )
    minimum = forms.DecimalField(
        label=_("Laagste waarde"),
        required=False,
        max_digits=9,
        decimal_places=2,
        help_text=_("Bij een schaal (bijvoorbeeld 0 of 1) of een getal (niet verplicht)."),
    )
    maximum = forms.DecimalField(
        label=_("Hoogste waarde"),
        required=False,
        max_digits=9,
        decimal_places=2,
        help_text=_("Bij een schaal (bijvoorbeeld 5 of 10) of een getal (niet verplicht)."),
    )
    minimum_label = forms.CharField(
        label=_("Tekst bij de laagste waarde"), max_length=120, required=False
    )
    maximum_label = forms.CharField(
        label=_("Tekst bij de hoogste waarde"), max_length=120, required=False
    )
    show_if = forms.MultipleChoiceField(
        label=_("Alleen tonen als"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Kies een of meer antwoorden op één eerdere keuzevraag. Niets gekozen: altijd."
        ),
    )

    def __init__(self, *args: Any, conditions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["show_if"].choices = conditions  # type: ignore[attr-defined]
        if not conditions:
            del self.fields["show_if"]

    def clean_show_if(self) -> tuple[str, list[int]]:
        chosen = self.cleaned_data.get("show_if") or []
        items = {value.split(":", 1)[0] for value in chosen}
        if len(items) > 1:
            raise forms.ValidationError(gettext("Kies antwoorden van één en dezelfde vraag."))
        return (next(iter(items)), [int(v.split(":", 1)[1]) for v in chosen]) if items else ("", [])

    def item_input(self) -> ItemInput:
        data = self.cleaned_data
        item, answers = data.get("show_if") or ("", [])
        return ItemInput(
            text=data["text"],
            type=data["type"],
            required=data["required"],
            help=data["help"],
            options=data["options"].splitlines(),
            minimum=float(data["minimum"]) if data["minimum"] is not None else None,
            maximum=float(data["maximum"]) if data["maximum"] is not None else None,
            minimum_label=data["minimum_label"],
            maximum_label=data["maximum_label"],
            show_if_item=item,
            show_if_answers=answers,
        )


def question_initial(item: Item) -> dict[str, Any]:
    """The builder's form filled with a stored question."""
    return {
        "text": item.text,
        "type": item.type.value,
        "required": item.required,
        "help": item.help or "",
        "options": "\n".join(item.options),
        "minimum": item.minimum,
        "maximum": item.maximum,
        "minimum_label": item.minimum_label or "",
        "maximum_label": item.maximum_label or "",
        "show_if": [f"{item.show_if.item}:{n}" for n in item.show_if.answers]
        if item.show_if
        else [],
    }


def condition_choices(items: list[Item], before: str | None) -> list[tuple[str, str]]:
    """Every option of every choice question before `before` (all, for a new question),
    as "item:number" with "Vraag 2 (Heeft u koorts?): Ja"."""
    choices = []
    for number, item in enumerate(items, start=1):
        if item.id == before:
            break
        if item.type.has_options:
            for index, option in enumerate(item.options):
                label = gettext("Vraag %(number)s (%(text)s): %(option)s") % {
                    "number": number,
                    "text": item.text[:60],
                    "option": option,
                }
                choices.append((f"{item.id}:{index}", label))
    return choices


class GroupForm(StyledForm):
    min_age = forms.IntegerField(label=_("Vanaf leeftijd"), min_value=0, max_value=120, initial=18)
    max_age = forms.IntegerField(
        label=_("Tot en met leeftijd"), min_value=0, max_value=120, required=False
    )
    sample = forms.IntegerField(
        label=_("Steekproef"),
        min_value=5,
        max_value=100_000,
        required=False,
        help_text=_("Leeg: iedereen in de groep. Anders zoveel willekeurig gekozen patiënten."),
    )
    closes_on = forms.DateField(label=_("Invullen kan tot en met"), widget=DateInput())

    def group(self) -> Group:
        data = self.cleaned_data
        return Group(min_age=data["min_age"], max_age=data["max_age"], sample=data["sample"])


class PreparationForm(StyledForm):
    questionnaire = forms.ChoiceField(label=_("Vragenlijst"))

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["questionnaire"].choices = choices  # type: ignore[attr-defined]
