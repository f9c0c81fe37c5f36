"""E-consult input with Dutch messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import StyledForm, set_choices
from spreekuur.econsult.models import Category
from spreekuur.econsult.services import MAX_BODY
from spreekuur.triage.forms import RedFlagQuestionsForm


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern): each one cleaned."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return super().clean(data, initial)


class QuestionForm(RedFlagQuestionsForm):
    """The red-flag questions (shared with booking), then the question itself."""

    category = forms.ChoiceField(label=_("Waar gaat uw vraag over?"), choices=Category.choices)
    body = forms.CharField(
        label=_("Uw vraag"),
        help_text=_(
            "Hooguit 2000 tekens. Beschrijf wat u merkt, sinds wanneer, en wat u wilt weten."
        ),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_BODY}),
        error_messages={"required": _("Schrijf uw vraag.")},
    )
    photos = MultipleFileField(
        label=_("Foto's"),
        help_text=_("Hooguit 3 foto's, JPEG, PNG of HEIC. Handig bij een plek op de huid."),
        required=False,
        # Without HEIC in `accept`, an iPhone hands its photos over as JPEG (which decodes
        # cheaply at a reduced scale); a large HEIC would be refused (photos.MAX_PIXELS_HEIF).
        # A HEIC chosen some other way is still taken, within its limits.
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    consent = forms.BooleanField(
        label=_(
            "Ik begrijp dat een e-consult niet voor spoed is, en ik stuur mijn vraag en foto's "
            "naar mijn huisartsenpraktijk."
        ),
        error_messages={"required": _("Geef toestemming om uw vraag te versturen.")},
    )


class ReplyForm(StyledForm):
    body = forms.CharField(
        label=_("Uw reactie"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_BODY}),
    )


ANSWER_TEMPLATES = [
    _(
        "Dank voor uw vraag. Dit is niet ernstig; u kunt het rustig aankijken. Wordt het "
        "erger of niet beter binnen een week, maak dan een afspraak."
    ),
    _("Dank voor uw vraag. Ik wil dit graag zien: maak een afspraak op het spreekuur."),
    _(
        "Dank voor uw foto. Dit lijkt op eczeem; smeer twee keer per dag een vette crème. "
        "Niet beter na twee weken? Maak een afspraak."
    ),
    _("Uw recept staat klaar bij de apotheek."),
]


class AnswerForm(StyledForm):
    template = forms.ChoiceField(label=_("Standaardantwoord"), required=False)
    body = forms.CharField(
        label=_("Antwoord aan de patiënt"),
        max_length=MAX_BODY,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(
            self.fields["template"],
            [("", str(_("Geen"))), *((str(t), str(t)) for t in ANSWER_TEMPLATES)],
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        text = " ".join(
            p for p in (cleaned.get("template", ""), cleaned.get("body", "").strip()) if p
        )
        if not text:
            raise forms.ValidationError(_("Kies een standaardantwoord of schrijf een antwoord."))
        cleaned["text"] = text
        return cleaned


class NoteForm(StyledForm):
    note = forms.CharField(
        label=_("Interne notitie (alleen voor de praktijk)"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SettingsForm(StyledForm):
    sla_working_days = forms.IntegerField(
        label=_("Antwoord binnen (werkdagen)"), min_value=1, max_value=10
    )
    max_open_per_patient = forms.IntegerField(
        label=_("Open vragen per patiënt"), min_value=1, max_value=20
    )
    max_photo_megabytes = forms.IntegerField(
        label=_("Grootte per foto (MB)"), min_value=1, max_value=20
    )


class ConsultCodeForm(StyledForm):
    year = forms.IntegerField(label=_("Jaar"), min_value=2020, max_value=2100)
    code = forms.CharField(label=_("Prestatiecode"), max_length=8)
    description = forms.CharField(label=_("Omschrijving"), max_length=120)
    tariff = forms.DecimalField(
        label=_("Tarief (euro)"), min_value=0, max_digits=7, decimal_places=2
    )
