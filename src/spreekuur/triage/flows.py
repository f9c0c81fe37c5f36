"""Complaint flows for self-triage: a document (JSON) per complaint, checked before use.

A flow is data, not code: questions whose answers lead to the next question or to an
outcome with an urgency in the style of the Nederlandse Triage Standaard (U0 most
urgent, U5 self-care). `parse_flow` reads a document with pydantic (shape and types) and
then checks the graph: every path from the start ends in an outcome, nothing is a dead
end or unreachable, no loop, and every red-flag answer ends in U0-U2 at once. The shipped
flows (`complaints/*.json`) pass it in a test; a practice's flow passes it when saved.

A walk through a flow is only the answer numbers in order ("0.2.1"): the questions follow
from the answers, so a tampered walk is simply not a walk of this flow.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from spreekuur.core.problems import pydantic_problem

COMPLAINTS_DIR = Path(__file__).parent / "complaints"
MAX_QUESTIONS = 40
MAX_DEPTH = 15

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=400)]
WebAddress = Annotated[str, StringConstraints(pattern=r"^https://", max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=1200)]


class Urgency(enum.StrEnum):
    """The NTS levels (DESIGN.md §4); the order is the urgency, U0 first."""

    U0 = "U0"
    U1 = "U1"
    U2 = "U2"
    U3 = "U3"
    U4 = "U4"
    U5 = "U5"

    @property
    def rank(self) -> int:
        return int(self.value[1])

    @property
    def is_emergency(self) -> bool:
        """U0-U2: call now (112, the urgent line or the huisartsenpost)."""
        return self.rank <= 2


class Audience(enum.StrEnum):
    ADULT = "volwassene"
    CHILD = "kind"
    EVERYONE = "iedereen"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    name: Text
    url: WebAddress
    reviewed: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class Answer(_Strict):
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    next: Slug | None = None
    outcome: Slug | None = None
    red_flag: bool = False


class Question(_Strict):
    id: Slug
    text: Text
    help: LongText | None = None
    answers: Annotated[list[Answer], Field(min_length=2, max_length=8)]


class Outcome(_Strict):
    id: Slug
    urgency: Urgency
    advice: LongText
    self_care_url: WebAddress | None = None


class FlowDocument(_Strict):
    code: Slug
    version: Annotated[int, Field(ge=1, le=10_000)]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=80)]
    summary: Text
    keywords: Annotated[list[str], Field(max_length=40)] = []
    audience: Audience = Audience.EVERYONE
    source: Source
    start: Slug
    questions: Annotated[list[Question], Field(min_length=1, max_length=MAX_QUESTIONS)]
    outcomes: Annotated[list[Outcome], Field(min_length=1, max_length=20)]


class FlowInvalid(ValueError):
    """What is wrong with a flow, as Dutch sentences a practice can act on."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Step:
    """Where a walk stands: at a question (still to answer) or at its outcome."""

    question: Question | None
    outcome: Outcome | None
    red_flag: bool  # a red-flag answer was given on the way


class Flow:
    """A checked flow document, ready to walk."""

    def __init__(self, document: FlowDocument) -> None:
        self.document = document
        self.questions = {q.id: q for q in document.questions}
        self.outcomes = {o.id: o for o in document.outcomes}

    @property
    def code(self) -> str:
        return self.document.code

    def walk(self, answers: list[int]) -> Step:
        """Follow the answer numbers from the start; ValueError for a walk not of this flow."""
        question = self.questions[self.document.start]
        red_flag = False
        for position, number in enumerate(answers):
            if not 0 <= number < len(question.answers):
                raise ValueError("no such answer")
            answer = question.answers[number]
            red_flag = red_flag or answer.red_flag
            if answer.outcome is not None:
                if position != len(answers) - 1:
                    raise ValueError("answers after the outcome")
                return Step(None, self.outcomes[answer.outcome], red_flag)
            question = self.questions[str(answer.next)]  # the check: next or outcome
        return Step(question, None, red_flag)

    def asked(self, answers: list[int]) -> list[tuple[Question, Answer]]:
        """The questions of a finished walk with the answer given: what travels with a
        booking or e-consult, so the assistant reads what the patient read."""
        out: list[tuple[Question, Answer]] = []
        question = self.questions[self.document.start]
        for number in answers:
            answer = question.answers[number]
            out.append((question, answer))
            if answer.next is None:
                break
            question = self.questions[answer.next]
        return out

    def red_flag_answers(self) -> list[tuple[str, int, Urgency]]:
        """(question id, answer number, urgency) of every red-flag answer."""
        return [
            (q.id, number, self.outcomes[a.outcome].urgency)
            for q in self.document.questions
            for number, a in enumerate(q.answers)
            if a.red_flag and a.outcome is not None
        ]


def parse_walk(text: str) -> list[int]:
    """ "0.2.1" -> [0, 2, 1]; ValueError for anything else (also for an absurd length)."""
    if text == "":
        return []
    parts = text.split(".")
    if len(parts) > MAX_DEPTH or not all(p.isdigit() and len(p) == 1 for p in parts):
        raise ValueError("not a walk")
    return [int(p) for p in parts]


def format_walk(answers: list[int]) -> str:
    return ".".join(str(n) for n in answers)


def _dutch(error: Any) -> str:
    return pydantic_problem(error, whole=_("het schema"), stray=_("hoort niet in een klachtschema"))


def parse_flow(data: Any) -> Flow:
    """A checked Flow from a parsed JSON document, or FlowInvalid with every problem."""
    try:
        document = FlowDocument.model_validate(data)
    except ValidationError as invalid:
        raise FlowInvalid([_dutch(e) for e in invalid.errors()[:20]]) from None
    problems = graph_problems(document)
    if problems:
        raise FlowInvalid(problems)
    return Flow(document)


def graph_problems(document: FlowDocument) -> list[str]:
    """Everything that would let a patient end nowhere, loop, or miss an escalation."""
    problems: list[str] = []
    questions = {q.id: q for q in document.questions}
    outcomes = {o.id: o for o in document.outcomes}
    if len(questions) != len(document.questions):
        problems.append(_("Twee vragen hebben dezelfde id."))
    if len(outcomes) != len(document.outcomes):
        problems.append(_("Twee uitkomsten hebben dezelfde id."))
    if set(questions) & set(outcomes):
        problems.append(_("Een vraag en een uitkomst hebben dezelfde id."))
    if document.start not in questions:
        problems.append(_("De startvraag '%(id)s' bestaat niet.") % {"id": document.start})
        return problems
    for question in document.questions:
        labels = [a.label.casefold() for a in question.answers]
        if len(set(labels)) != len(labels):
            problems.append(
                _("Vraag '%(id)s' heeft twee antwoorden met dezelfde tekst.") % {"id": question.id}
            )
        for answer in question.answers:
            where = {"id": question.id, "label": answer.label}
            if (answer.next is None) == (answer.outcome is None):
                problems.append(
                    _(
                        "Antwoord '%(label)s' bij vraag '%(id)s' moet naar precies één volgende "
                        "vraag of één uitkomst leiden."
                    )
                    % where
                )
            elif answer.next is not None and answer.next not in questions:
                problems.append(
                    _(
                        "Antwoord '%(label)s' bij vraag '%(id)s' leidt naar een vraag die niet "
                        "bestaat."
                    )
                    % where
                )
            elif answer.outcome is not None and answer.outcome not in outcomes:
                problems.append(
                    _(
                        "Antwoord '%(label)s' bij vraag '%(id)s' leidt naar een uitkomst die niet "
                        "bestaat."
                    )
                    % where
                )
            if answer.red_flag:
                target = outcomes.get(answer.outcome or "")
                if target is None or not target.urgency.is_emergency:
                    problems.append(
                        _(
                            "Alarmsignaal '%(label)s' bij vraag '%(id)s' moet direct leiden naar "
                            "een uitkomst U0, U1 of U2."
                        )
                        % where
                    )
    for outcome in document.outcomes:
        if outcome.urgency == Urgency.U5 and not outcome.self_care_url:
            problems.append(
                _("Uitkomst '%(id)s' (zelfzorg) heeft een link naar zelfzorgadvies nodig.")
                % {"id": outcome.id}
            )
        if outcome.self_care_url and not _is_web_address(outcome.self_care_url):
            problems.append(_("De link bij uitkomst '%(id)s' klopt niet.") % {"id": outcome.id})
    if not any(a.red_flag for q in document.questions for a in q.answers):
        problems.append(_("Een klacht heeft minstens één alarmsignaal nodig."))
    if problems:
        return problems
    problems += _walk_problems(document, questions)
    return problems


def _is_web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and "." in parts.netloc and " " not in url


def _walk_problems(document: FlowDocument, questions: dict[str, Question]) -> list[str]:
    """Loops, too long a path, and questions or outcomes no walk reaches."""
    problems: list[str] = []
    reached_questions: set[str] = set()
    reached_outcomes: set[str] = set()
    # Depth-first over the question graph; `on_path` finds a loop.
    longest: dict[str, int] = {}

    def visit(question_id: str, on_path: tuple[str, ...]) -> int:
        if question_id in on_path:
            problems.append(
                _("De vragen vormen een kringloop: %(path)s.")
                % {"path": " → ".join((*on_path[on_path.index(question_id) :], question_id))}
            )
            return 0
        if question_id in longest:
            return longest[question_id]
        reached_questions.add(question_id)
        depth = 1
        for answer in questions[question_id].answers:
            if answer.outcome is not None:
                reached_outcomes.add(answer.outcome)
            elif answer.next is not None:
                depth = max(depth, 1 + visit(answer.next, (*on_path, question_id)))
        longest[question_id] = depth
        return depth

    if visit(document.start, ()) > MAX_DEPTH:
        problems.append(
            _("Een pad heeft meer dan %(max)s vragen: maak het korter.") % {"max": MAX_DEPTH}
        )
    for question in document.questions:
        if question.id not in reached_questions:
            problems.append(_("Vraag '%(id)s' wordt nooit gesteld.") % {"id": question.id})
    for outcome in document.outcomes:
        if outcome.id not in reached_outcomes:
            problems.append(_("Uitkomst '%(id)s' wordt nooit bereikt.") % {"id": outcome.id})
    return problems


def weakening_problems(base: Flow, changed: Flow) -> list[str]:
    """A practice's version of a national flow may change texts, never the way through it:
    the same questions, answers, red flags and urgencies, in the same places."""
    problems: list[str] = []

    def shape(flow: Flow) -> Any:
        doc = flow.document
        return (
            doc.code,
            doc.start,
            [(q.id, [(a.next, a.outcome, a.red_flag) for a in q.answers]) for q in doc.questions],
            [(o.id, o.urgency) for o in doc.outcomes],
        )

    if shape(base) != shape(changed):
        problems.append(
            _(
                "Alleen teksten mogen anders zijn dan in de landelijke versie: vragen, "
                "antwoorden, alarmsignalen en urgenties blijven gelijk."
            )
        )
    return problems


def load_shipped_flows() -> list[Flow]:
    """The national flows as the code ships them (each one checked; a bad file fails loud)."""
    flows = []
    for path in sorted(COMPLAINTS_DIR.glob("*.json")):
        with path.open(encoding="utf-8") as handle:
            flow = parse_flow(json.load(handle))
        if flow.code != path.stem:
            raise FlowInvalid([f"{path.name}: code {flow.code} differs from the file name"])
        flows.append(flow)
    return flows
