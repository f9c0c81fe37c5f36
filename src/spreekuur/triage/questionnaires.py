"""Questionnaires: a document (JSON) per questionnaire version, checked before use.

A questionnaire is data, like a complaint flow: a list of items, each a question of one
type (single or multiple choice, text, number, scale, date), required or not, and shown
only if an earlier choice was made ("show if"). `parse_questionnaire` reads a document
with pydantic and then checks what pydantic cannot: unique ids, options where a choice
needs them, a scale that fits on a phone, and conditions that point back at an earlier
choice and one of its options. The shipped sets (`questionnaire_sets/*.json`) pass it in a
test; a practice's draft passes it before it is published.

`clean_answers` turns a submitted form into the stored answers (only the items that were
shown, each of its own type) or Dutch errors per item; `aggregate` counts answers for the
results page, with every group of fewer than MIN_GROUP people hidden when the
questionnaire is anonymous.
"""

from __future__ import annotations

import enum
import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from spreekuur.core.problems import pydantic_problem
from spreekuur.triage.flows import Slug

SETS_DIR = Path(__file__).parent / "questionnaire_sets"
MAX_ITEMS = 60
MAX_OPTIONS = 12
MAX_SCALE_STEPS = 11  # 0 to 10: still one row of buttons on a 360 px phone
MAX_TEXT_ANSWER = 2000
MIN_GROUP = 5  # anonymous results: no count of fewer people is shown

ItemText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]
Intro = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1200)]


class ItemType(enum.StrEnum):
    CHOICE = "choice"
    MULTIPLE = "multiple"
    TEXT = "text"
    NUMBER = "number"
    SCALE = "scale"
    DATE = "date"

    @property
    def label(self) -> str:
        return str(ITEM_TYPE_LABELS[self])

    @property
    def has_options(self) -> bool:
        return self in (ItemType.CHOICE, ItemType.MULTIPLE)


ITEM_TYPE_LABELS = {
    ItemType.CHOICE: gettext_lazy("Eén keuze"),
    ItemType.MULTIPLE: gettext_lazy("Meer keuzes"),
    ItemType.TEXT: gettext_lazy("Tekst"),
    ItemType.NUMBER: gettext_lazy("Getal"),
    ItemType.SCALE: gettext_lazy("Schaal"),
    ItemType.DATE: gettext_lazy("Datum"),
}


class Purpose(enum.StrEnum):
    PREPARATION = "consultvoorbereiding"
    SURVEY = "enquete"
    OTHER = "overig"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShowIf(_Strict):
    """Show the item only when the earlier choice item `item` has one of the options
    `answers` (numbered from 0) chosen."""

    item: Slug
    answers: Annotated[
        list[Annotated[int, Field(ge=0, lt=MAX_OPTIONS)]], Field(min_length=1, max_length=12)
    ]

    def met_by(self, chosen: Any) -> bool:
        picked = chosen if isinstance(chosen, list) else [chosen]
        return any(answer in picked for answer in self.answers)


class Item(_Strict):
    id: Slug
    text: ItemText
    type: ItemType
    required: bool = False
    help: Intro | None = None
    options: Annotated[list[Label], Field(max_length=MAX_OPTIONS)] = []
    minimum: float | None = None
    maximum: float | None = None
    minimum_label: Label | None = None
    maximum_label: Label | None = None
    show_if: ShowIf | None = None

    @property
    def scale_steps(self) -> list[int]:
        if self.type != ItemType.SCALE or self.minimum is None or self.maximum is None:
            return []
        return list(range(int(self.minimum), int(self.maximum) + 1))


class QuestionnaireDocument(_Strict):
    code: Slug
    version: Annotated[int, Field(ge=1, le=10_000)]
    title: Title
    intro: Intro = ""
    purpose: Purpose = Purpose.OTHER
    anonymous: bool = False
    source: Intro = ""
    items: Annotated[list[Item], Field(min_length=1, max_length=MAX_ITEMS)]

    def item(self, item_id: str) -> Item | None:
        return next((item for item in self.items if item.id == item_id), None)


class QuestionnaireInvalid(ValueError):
    """What is wrong with a questionnaire, as Dutch sentences a practice can act on."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def dutch_problem(error: Any) -> str:
    return pydantic_problem(
        error, whole=_("de vragenlijst"), stray=_("hoort niet in een vragenlijst")
    )


def parse_questionnaire(data: Any) -> QuestionnaireDocument:
    """A checked document from parsed JSON, or QuestionnaireInvalid with every problem."""
    try:
        document = QuestionnaireDocument.model_validate(data)
    except ValidationError as invalid:
        raise QuestionnaireInvalid([dutch_problem(e) for e in invalid.errors()[:20]]) from None
    problems = document_problems(document)
    if problems:
        raise QuestionnaireInvalid(problems)
    return document


def document_problems(document: QuestionnaireDocument) -> list[str]:
    """What would make a question unanswerable, or a condition point nowhere."""
    problems: list[str] = []
    seen: dict[str, Item] = {}
    for number, item in enumerate(document.items, start=1):
        where = {"number": number}
        if item.id in seen:
            problems.append(_("Vraag %(number)s heeft dezelfde id als een eerdere vraag.") % where)
        if item.type.has_options:
            labels = [label.casefold() for label in item.options]
            if len(labels) < 2:
                problems.append(_("Vraag %(number)s heeft minstens twee keuzes nodig.") % where)
            if len(set(labels)) != len(labels):
                problems.append(_("Vraag %(number)s heeft twee keuzes met dezelfde tekst.") % where)
        elif item.options:
            problems.append(_("Vraag %(number)s is geen keuzevraag maar heeft keuzes.") % where)
        problems += _range_problems(item, where)
        if item.show_if is not None:
            earlier = seen.get(item.show_if.item)
            if earlier is None:
                problems.append(
                    _("De voorwaarde van vraag %(number)s moet naar een eerdere vraag verwijzen.")
                    % where
                )
            elif not earlier.type.has_options:
                problems.append(
                    _("De voorwaarde van vraag %(number)s moet naar een keuzevraag verwijzen.")
                    % where
                )
            elif max(item.show_if.answers) >= len(earlier.options):
                problems.append(
                    _("De voorwaarde van vraag %(number)s noemt een keuze die niet bestaat.")
                    % where
                )
        seen.setdefault(item.id, item)
    return problems


def _range_problems(item: Item, where: dict[str, int]) -> list[str]:
    problems: list[str] = []
    low, high = item.minimum, item.maximum
    if item.type == ItemType.SCALE:
        if low is None or high is None or low != int(low) or high != int(high):
            problems.append(_("De schaal van vraag %(number)s heeft hele getallen nodig.") % where)
        elif not 0 < high - low < MAX_SCALE_STEPS:
            problems.append(
                _("De schaal van vraag %(number)s heeft 2 tot %(steps)s stappen.")
                % {**where, "steps": MAX_SCALE_STEPS}
            )
    elif item.type == ItemType.NUMBER:
        if low is not None and high is not None and low >= high:
            problems.append(
                _("Bij vraag %(number)s moet het minimum onder het maximum liggen.") % where
            )
    elif low is not None or high is not None:
        problems.append(_("Vraag %(number)s heeft geen minimum of maximum.") % where)
    if item.type != ItemType.SCALE and (item.minimum_label or item.maximum_label):
        problems.append(_("Alleen een schaal heeft teksten bij de uitersten.") % where)
    return problems


def load_shipped_sets() -> list[tuple[QuestionnaireDocument, dict[str, Any]]]:
    """Every shipped questionnaire, checked (a broken file fails loudly), with its JSON."""
    shipped = []
    for path in sorted(SETS_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        try:
            shipped.append((parse_questionnaire(data), data))
        except QuestionnaireInvalid as invalid:
            raise QuestionnaireInvalid([f"{path.name}: {p}" for p in invalid.problems]) from None
    return shipped


# The builder's and the sender's input ------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    """What the builder's form gives for one question."""

    text: str
    type: str
    required: bool = False
    help: str = ""
    options: Sequence[str] = ()
    minimum: float | None = None
    maximum: float | None = None
    minimum_label: str = ""
    maximum_label: str = ""
    show_if_item: str = ""
    show_if_answers: Sequence[int] = ()


@dataclass(frozen=True)
class Group:
    """Who gets a survey: patients with a portal account, of an age, optionally a random
    sample of them."""

    min_age: int = 18
    max_age: int | None = None
    sample: int | None = None

    def describe(self) -> str:
        ages = (
            _("%(min)s tot en met %(max)s jaar") % {"min": self.min_age, "max": self.max_age}
            if self.max_age is not None
            else _("%(min)s jaar en ouder") % {"min": self.min_age}
        )
        text = _("Patiënten met een portaalaccount, %(ages)s") % {"ages": ages}
        if self.sample:
            text += _("; een willekeurige steekproef van %(n)s") % {"n": self.sample}
        return text


# Answers -------------------------------------------------------------------------------

Answer = int | float | str | list[int]


def visible_items(document: QuestionnaireDocument, answers: Mapping[str, Any]) -> list[Item]:
    """The items shown with these answers: an item with a condition only when the item it
    points at was shown and has the option chosen."""
    shown: list[Item] = []
    shown_ids: set[str] = set()
    for item in document.items:
        if not _shown(item, answers, shown_ids):
            continue
        shown.append(item)
        shown_ids.add(item.id)
    return shown


def _shown(item: Item, answers: Mapping[str, Any], shown_ids: set[str]) -> bool:
    """Whether the item shows, given the answers so far and the items shown before it."""
    condition = item.show_if
    return condition is None or (
        condition.item in shown_ids and condition.met_by(answers.get(condition.item))
    )


def clean_answers(
    document: QuestionnaireDocument, submitted: Mapping[str, Sequence[str]]
) -> tuple[dict[str, Answer], dict[str, str]]:
    """The answers to store (only items shown by the answers before them) and the errors
    per item id. `submitted` maps an item id to the values the form sent (a multiple
    choice sends several)."""
    answers: dict[str, Answer] = {}
    errors: dict[str, str] = {}
    shown_ids: set[str] = set()
    for item in document.items:
        if not _shown(item, answers, shown_ids):
            continue
        shown_ids.add(item.id)
        values = [value.strip() for value in submitted.get(item.id, []) if value.strip()]
        if not values:
            if item.required:
                errors[item.id] = _("Beantwoord deze vraag.")
            continue
        try:
            answers[item.id] = _clean_one(item, values)
        except ValueError as wrong:
            errors[item.id] = str(wrong)
    return answers, errors


def _clean_one(item: Item, values: list[str]) -> Answer:
    if item.type == ItemType.TEXT:
        text = "\n".join(values)
        if len(text) > MAX_TEXT_ANSWER:
            raise ValueError(
                _("Houd het antwoord op hoogstens %(max)s tekens.") % {"max": MAX_TEXT_ANSWER}
            )
        return text
    if item.type == ItemType.MULTIPLE:
        chosen = sorted({_option(item, value) for value in values})
        return chosen
    if len(values) != 1:
        raise ValueError(_("Kies één antwoord."))
    value = values[0]
    if item.type == ItemType.CHOICE:
        return _option(item, value)
    if item.type == ItemType.SCALE:
        try:
            step = int(value)
        except ValueError:
            raise ValueError(_("Kies een waarde op de schaal.")) from None
        if step not in item.scale_steps:
            raise ValueError(_("Kies een waarde op de schaal."))
        return step
    if item.type == ItemType.NUMBER:
        return _number(item, value)
    return _date(value)


def _option(item: Item, value: str) -> int:
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if not value.isdecimal() or len(value) > 3 or int(value) >= len(item.options):
        raise ValueError(_("Kies een van de antwoorden."))
    return int(value)


def _number(item: Item, value: str) -> float:
    """A Dutch number: a comma for the decimals ("37,5"), a point accepted too."""
    try:
        number = Decimal(value.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise ValueError(_("Vul een getal in, bijvoorbeeld 37,5.")) from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 9:
        raise ValueError(_("Vul een getal in, bijvoorbeeld 37,5."))
    result = float(number)
    if item.minimum is not None and result < item.minimum:
        raise ValueError(_("Vul een getal in van minstens %(min)s.") % {"min": _n(item.minimum)})
    if item.maximum is not None and result > item.maximum:
        raise ValueError(_("Vul een getal in van hoogstens %(max)s.") % {"max": _n(item.maximum)})
    return result


def _n(number: float) -> str:
    return f"{number:g}".replace(".", ",")


def _date(value: str) -> str:
    """A date from a date field (2026-12-05) or typed the Dutch way (5-12-2026)."""
    parts = value.replace("/", "-").split("-")
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            day = date(int(parts[0]), int(parts[1]), int(parts[2]))
        elif len(parts) == 3 and len(parts[2]) == 4:
            day = date(int(parts[2]), int(parts[1]), int(parts[0]))
        else:
            raise ValueError
    except ValueError:
        raise ValueError(
            _("Vul een datum in als dag-maand-jaar, bijvoorbeeld 5-12-2026.")
        ) from None
    if not 1900 <= day.year <= 2100:
        raise ValueError(_("Vul een datum in als dag-maand-jaar, bijvoorbeeld 5-12-2026."))
    return day.isoformat()


def answer_text(item: Item, value: Any) -> str:
    """An answer as people read it (the option's text, a Dutch number or date)."""
    if value is None or value == "" or value == []:
        return "—"
    if item.type == ItemType.CHOICE:
        return item.options[value] if 0 <= value < len(item.options) else "?"
    if item.type == ItemType.MULTIPLE:
        return ", ".join(item.options[v] for v in value if 0 <= v < len(item.options))
    if item.type == ItemType.NUMBER:
        return _n(float(value))
    if item.type == ItemType.DATE:
        day = date.fromisoformat(value)
        return f"{day.day}-{day.month}-{day.year}"
    return str(value)


@dataclass(frozen=True)
class AnsweredItem:
    item: Item
    text: str  # the answer as people read it


def answered_items(
    document: QuestionnaireDocument, answers: Mapping[str, Any]
) -> list[AnsweredItem]:
    """Every item that was shown, in order, with its answer ("—" when left open)."""
    return [
        AnsweredItem(item, answer_text(item, answers.get(item.id)))
        for item in visible_items(document, answers)
    ]


# Results -------------------------------------------------------------------------------


@dataclass
class Cell:
    label: str
    count: int | None  # None: hidden (a group smaller than MIN_GROUP)
    share: float | None = None  # of those who answered the item


@dataclass
class ItemResult:
    item: Item
    answered: int | None  # None: hidden
    cells: list[Cell] = field(default_factory=list)
    mean: float | None = None
    median: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class Results:
    responses: int
    hidden: bool  # anonymous and fewer than MIN_GROUP responses: nothing is shown
    items: list[ItemResult]


def aggregate(
    document: QuestionnaireDocument,
    all_answers: Sequence[Mapping[str, Any]],
    *,
    suppress: bool,
    texts: bool = True,
) -> Results:
    """Counts per item and option (choice, multiple choice, scale), mean and median
    (number, scale), and the texts (unless `texts` is false). With `suppress` no group of
    fewer than MIN_GROUP people shows: below MIN_GROUP responses nothing at all; a count
    of 1 to 4 is hidden, and when that leaves one hidden count in an item, the smallest
    other count is hidden too (else it follows from the total); no mean or median beside
    a hidden count (with the total they would give it away), and none, nor texts, from
    fewer than MIN_GROUP answers; texts in a fixed order, not the order they came in."""
    total = len(all_answers)
    if suppress and total < MIN_GROUP:
        return Results(total, True, [])
    results = []
    for item in document.items:
        values = [a[item.id] for a in all_answers if item.id in a]
        result = ItemResult(item, len(values))
        if item.type.has_options or item.type == ItemType.SCALE:
            labels = (
                item.options if item.type.has_options else [str(step) for step in item.scale_steps]
            )
            counts = [0] * len(labels)
            for value in values:
                for chosen in value if isinstance(value, list) else [value]:
                    index = chosen if item.type.has_options else chosen - int(item.minimum or 0)
                    if 0 <= index < len(counts):
                        counts[index] += 1
            result.cells = [
                Cell(label, count, count / len(values) if values else None)
                for label, count in zip(labels, counts, strict=True)
            ]
        numeric = [float(v) for v in values if item.type in (ItemType.NUMBER, ItemType.SCALE)]
        if numeric and (not suppress or len(numeric) >= MIN_GROUP):
            result.mean = statistics.fmean(numeric)
            result.median = statistics.median(numeric)
        if texts and item.type == ItemType.TEXT and (not suppress or len(values) >= MIN_GROUP):
            result.texts = sorted(str(v) for v in values)
        if suppress:
            _suppress(result)
        results.append(result)
    return Results(total, False, results)


def _small(count: int | None) -> bool:
    return count is not None and 0 < count < MIN_GROUP


def _suppress(result: ItemResult) -> None:
    if _small(result.answered):
        result.answered = None
        result.cells = [Cell(c.label, None) for c in result.cells]
        result.mean = result.median = None
        result.texts = []
        return
    hidden = [c for c in result.cells if _small(c.count)]
    if len(hidden) == 1:
        others = [c for c in result.cells if c.count and c not in hidden]
        if others:
            hidden.append(min(others, key=lambda c: c.count or 0))
    if hidden:
        result.mean = result.median = None
    for cell in hidden:
        cell.count = None
        cell.share = None


# The form as the patient sees it --------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class FormRow:
    """One question on the answer page: what the template needs, nothing to look up."""

    item: Item
    number: int
    value: str  # text, number or date typed before (after an error)
    choices: list[Choice]
    error: str
    condition: str  # "Alleen als u bij vraag 2 "Ja" koos", or empty
    show_if_item: str
    show_if_answers: str  # "0,3": the options that show it, for the script


def condition_text(item: Item, items: Sequence[Item]) -> str:
    """When the item shows, in words ("Alleen als u bij vraag 2 “Ja” koos."), or ""."""
    if item.show_if is None:
        return ""
    numbers = {other.id: n for n, other in enumerate(items, start=1)}
    target = next((other for other in items if other.id == item.show_if.item), None)
    labels = [
        f"“{target.options[n]}”"
        for n in item.show_if.answers
        if target is not None and n < len(target.options)
    ]
    return _("Alleen als u bij vraag %(number)s %(answers)s koos.") % {
        "number": numbers.get(item.show_if.item, "?"),
        "answers": _(" of ").join(labels),
    }


def form_rows(
    document: QuestionnaireDocument,
    values: Mapping[str, Sequence[str]],
    errors: Mapping[str, str],
) -> list[FormRow]:
    numbers = {item.id: n for n, item in enumerate(document.items, start=1)}
    rows = []
    for item in document.items:
        given = list(values.get(item.id, []))
        if item.type.has_options:
            choices = [
                Choice(str(n), label, str(n) in given) for n, label in enumerate(item.options)
            ]
        elif item.type == ItemType.SCALE:
            choices = [
                Choice(str(step), str(step), str(step) in given) for step in item.scale_steps
            ]
        else:
            choices = []
        condition = condition_text(item, document.items)
        rows.append(
            FormRow(
                item=item,
                number=numbers[item.id],
                value=given[0] if given and not choices else "",
                choices=choices,
                error=errors.get(item.id, ""),
                condition=condition,
                show_if_item=item.show_if.item if item.show_if else "",
                show_if_answers=",".join(str(n) for n in item.show_if.answers)
                if item.show_if
                else "",
            )
        )
    return rows
