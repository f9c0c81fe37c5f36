"""The shape of what a telephony platform sends to the webhook, checked with pydantic.

A request holds one event, or `{"events": [...]}` with up to MAX_EVENTS of them. Either
every event is well-formed and the request is taken, or the request is refused with each
problem named (in Dutch and in English, never echoing the input) and nothing is stored."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import phonenumbers
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from spreekuur.core.problems import pydantic_problem

MAX_EVENTS = 500
MAX_BODY_BYTES = 512 * 1024
# An event far from now is a mistake (a wrong clock, seconds taken for milliseconds).
FUTURE_SLACK = timedelta(minutes=10)
PAST_LIMIT = timedelta(days=30)

# Printable ASCII without spaces: the platform's own ids, used only to recognise an event
# or call again.
EventId = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[!-~]+$")]


class PhoneEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    id: EventId
    type: Literal["incoming", "queued", "answered", "abandoned", "callback_requested", "ended"]
    call_id: EventId
    at: AwareDatetime
    menu_choice: int | None = Field(default=None, ge=0, le=9)
    number: Annotated[str, StringConstraints(max_length=32)] | None = None

    @model_validator(mode="after")
    def _callback_has_a_number(self) -> PhoneEvent:
        if self.type == "callback_requested" and not self.number:
            raise ValueError("number_missing")
        return self


class PhoneMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    events: list[PhoneEvent] = Field(min_length=1, max_length=MAX_EVENTS)


@dataclass(frozen=True)
class Refusal(Exception):
    """Why a request was refused: a code for machines, and the problems for people."""

    code: str
    problems_nl: tuple[str, ...]
    problems_en: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "geweigerd",
            "code": self.code,
            "melding": " ".join(self.problems_nl[:1]),
            "message": " ".join(self.problems_en[:1]),
            "problemen": list(self.problems_nl),
            "problems": list(self.problems_en),
        }


def _in_both(problems: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The same problems, said in Dutch and in English (`problems` builds them)."""
    with translation.override("nl"):
        dutch = tuple(problems())
    with translation.override("en"):
        english = tuple(problems())
    return dutch, english


def _problem(error: Any) -> str:
    if error["type"] == "value_error" and "number_missing" in str(error.get("ctx", {})):
        where = ".".join(str(part) for part in error["loc"]) or "events"
        return f"{where}: " + _("een terugbelverzoek heeft een telefoonnummer (number) nodig")
    return pydantic_problem(error, whole=_("het bericht"), stray=_("hoort niet in het bericht"))


def normalised_number(raw: str) -> str | None:
    """A Dutch or international number as E.164 (+31612345678), or None when it cannot be
    a phone number. A withheld number ("anonymous") is no number."""
    try:
        parsed = phonenumbers.parse(raw, "NL")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def readable_number(e164: str) -> str:
    """How an assistant reads it aloud: 06 12345678 for Dutch numbers, +32 … abroad."""
    try:
        parsed = phonenumbers.parse(e164, "NL")
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 31
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)


def parse_message(raw: bytes, *, now: datetime | None = None) -> list[PhoneEvent]:
    """The events of a request body, or Refusal."""
    now = now or timezone.now()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        nl, en = _in_both(lambda: [_("Het bericht is geen geldige JSON.")])
        raise Refusal("json", nl, en) from None
    if isinstance(data, dict) and "events" not in data:
        data = {"events": [data]}  # one event on its own
    try:
        message = PhoneMessage.model_validate(data)
    except ValidationError as invalid:
        errors = invalid.errors()[:20]
        nl, en = _in_both(lambda: [_problem(e) for e in errors])
        raise Refusal("shape", nl, en) from None
    problems: list[tuple[int, str]] = []
    for index, event in enumerate(message.events):
        if event.at > now + FUTURE_SLACK:
            problems.append((index, "future"))
        elif event.at < now - PAST_LIMIT:
            problems.append((index, "past"))
        if event.number and normalised_number(event.number) is None:
            problems.append((index, "number"))
    if problems:
        texts = {
            "future": lambda: _("ligt meer dan 10 minuten in de toekomst (klopt de klok?)"),
            "past": lambda: _("ligt meer dan 30 dagen in het verleden"),
            "number": lambda: _("is geen telefoonnummer"),
        }
        field = {"future": "at", "past": "at", "number": "number"}
        nl, en = _in_both(
            lambda: [f"events.{i}.{field[kind]}: {texts[kind]()}" for i, kind in problems[:20]]
        )
        raise Refusal("content", nl, en)
    return list(message.events)
