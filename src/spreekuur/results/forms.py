"""Input for the GP's review and the assistant's work list, with Dutch messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import StyledForm, set_choices
from spreekuur.results.services import STANDARD_PHRASES
from spreekuur.results.services.review import MAX_COMMENT


class ReviewForm(StyledForm):
    phrase = forms.ChoiceField(label=_("Standaardzin"), required=False)
    comment = forms.CharField(
        label=_("Commentaar voor de patiënt"),
        help_text=_(
            "Met een standaardzin mag dit leeg blijven; wat u typt komt erachter. "
            "De patiënt ziet dit bij de uitslag."
        ),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        phrases = [(str(phrase), str(phrase)) for phrase in STANDARD_PHRASES]
        set_choices(self.fields["phrase"], [("", str(_("Geen standaardzin"))), *phrases])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        text = " ".join(
            part for part in (cleaned.get("phrase", ""), cleaned.get("comment", "").strip()) if part
        )
        if not text:
            raise forms.ValidationError(_("Kies een standaardzin of schrijf een commentaar."))
        if len(text) > MAX_COMMENT:
            raise forms.ValidationError(_("Het commentaar is langer dan 1000 tekens."))
        cleaned["text"] = text
        return cleaned


class PanelReviewForm(ReviewForm):
    """One comment for the results of a lab order; the GP may leave some out (they stay
    on the list, to review one by one)."""

    results = forms.MultipleChoiceField(
        label=_("Uitslagen die u hiermee beoordeelt"),
        error_messages={"required": _("Kies minstens één uitslag.")},
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, awaiting: Sequence[str] = (), **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"results": list(awaiting)})
        super().__init__(*args, **kwargs)
        set_choices(self.fields["results"], [(key, key) for key in awaiting])


class CloseMessageForm(StyledForm):
    note = forms.CharField(
        label=_("Wat is er met dit bericht gedaan?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FindPatientForm(StyledForm):
    query = forms.CharField(
        label=_("Zoek de patiënt op naam of BSN"), max_length=100, required=False
    )
