"""Who to call in an emergency: one order and one wording on every page.

`{% emergency_numbers practice %}` renders `components/emergency.html`; `{% emergency_advice
practice as advice %}` gives the same advice to a page that words its heading by it (the
red-flag stop). The order:

1. 112, for danger to life — always first;
2. the number for urgent care *now*: the practice's urgent line while the practice is open,
   the huisartsenpost (the out-of-hours GP service) while it is closed;
3. 113 Zelfmoordpreventie (113, or free on 0800-0113);
4. the other urgent number, saying when it is the one to call.

Whether the practice is open comes from its opening hours with their exceptions and the
Dutch public holidays (`core.opening_hours`), at the moment the page is made. Every number
is a tel: link with only digits (and a leading +), so a phone dials it as written.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from spreekuur.core.current_hours import current_schedule
from spreekuur.core.models import Practice
from spreekuur.core.opening_hours import open_state
from spreekuur.core.selectors import schedule_for

register = template.Library()

_NOT_DIALLED = re.compile(r"[^0-9+]")


def tel_href(number: str) -> str:
    """A tel: link for a number as people write it: "0345-200 001" -> "tel:0345200001".

    Spaces, dashes and brackets go; a leading + stays, and the trunk "(0)" that people
    write after a country code ("+31 (0)345 …") is dropped, since it is never dialled.
    """
    text = number.strip()
    if text.startswith("+"):
        text = text.replace("(0)", "")
    digits = _NOT_DIALLED.sub("", text)
    digits = digits[:1] + digits[1:].replace("+", "")
    return f"tel:{digits}"


@dataclass(frozen=True)
class PhoneNumber:
    shown: str  # as the practice writes it
    href: str  # tel:…

    @classmethod
    def of(cls, number: str) -> PhoneNumber:
        return cls(shown=number, href=tel_href(number))


LIFE_THREAT = PhoneNumber.of("112")
SUICIDE_PREVENTION = PhoneNumber.of("113")
SUICIDE_PREVENTION_FREE = PhoneNumber.of("0800-0113")


class Line(enum.Enum):
    LIFE_THREAT = "112"
    PRACTICE = "practice"
    HUISARTSENPOST = "huisartsenpost"
    SUICIDE_PREVENTION = "113"


@dataclass(frozen=True)
class EmergencyLine:
    kind: Line

    @property
    def is_life_threat(self) -> bool:
        return self.kind is Line.LIFE_THREAT

    @property
    def is_practice(self) -> bool:
        return self.kind is Line.PRACTICE

    @property
    def is_huisartsenpost(self) -> bool:
        return self.kind is Line.HUISARTSENPOST

    @property
    def is_suicide_prevention(self) -> bool:
        return self.kind is Line.SUICIDE_PREVENTION


@dataclass(frozen=True)
class EmergencyAdvice:
    """What to call, in order, for one practice at one moment (or with no practice known)."""

    practice: Practice | None
    practice_open: bool
    open_until: datetime | None
    next_opening: datetime | None
    lines: tuple[EmergencyLine, ...]

    life_threat = LIFE_THREAT
    suicide_prevention = SUICIDE_PREVENTION
    suicide_prevention_free = SUICIDE_PREVENTION_FREE

    @property
    def urgent(self) -> PhoneNumber | None:
        return PhoneNumber.of(self.practice.phone_urgent) if self.practice else None

    @property
    def huisartsenpost(self) -> PhoneNumber | None:
        return PhoneNumber.of(self.practice.hap_phone) if self.practice else None

    @property
    def call_now(self) -> EmergencyLine | None:
        """The line for urgent care that cannot wait (after 112): practice or huisartsenpost."""
        return next(
            (line for line in self.lines if line.is_practice or line.is_huisartsenpost), None
        )

    @property
    def numbers(self) -> list[PhoneNumber]:
        """Every number in the order shown (for tests and for a plain list)."""
        found: list[PhoneNumber] = []
        for line in self.lines:
            if line.is_life_threat:
                found.append(LIFE_THREAT)
            elif line.is_practice and self.urgent:
                found.append(self.urgent)
            elif line.is_huisartsenpost and self.huisartsenpost:
                found.append(self.huisartsenpost)
            elif line.is_suicide_prevention:
                found += [SUICIDE_PREVENTION, SUICIDE_PREVENTION_FREE]
        return found


def emergency_advice_at(practice: Practice | None, *, now: datetime) -> EmergencyAdvice:
    """The advice at this moment: the practice's own line while open, else the huisartsenpost."""
    if practice is None:
        return EmergencyAdvice(
            practice=None,
            practice_open=False,
            open_until=None,
            next_opening=None,
            lines=(EmergencyLine(Line.LIFE_THREAT), EmergencyLine(Line.SUICIDE_PREVENTION)),
        )
    local = timezone.localtime(now)
    schedule = (
        current_schedule(practice)  # every page asks this: read once per few minutes
        if local.date() == timezone.localdate()
        else schedule_for(practice, from_day=local.date())
    )
    state = open_state(schedule, local)
    first, other = (
        (Line.PRACTICE, Line.HUISARTSENPOST)
        if state.is_open
        else (Line.HUISARTSENPOST, Line.PRACTICE)
    )
    kinds = (Line.LIFE_THREAT, first, Line.SUICIDE_PREVENTION, other)
    return EmergencyAdvice(
        practice=practice,
        practice_open=state.is_open,
        open_until=state.until,
        next_opening=state.next_opening,
        lines=tuple(EmergencyLine(kind) for kind in kinds),
    )


_CACHE_ATTRIBUTE = "_spreekuur_emergency_advice"


def _advice_for(
    context: template.Context, practice: Practice | None, now: datetime | None
) -> EmergencyAdvice:
    """One look at the opening hours per request and practice, however often a page asks."""
    if now is not None:
        return emergency_advice_at(practice, now=now)
    request = context.get("request")
    cache: dict[int | None, EmergencyAdvice] = getattr(request, _CACHE_ATTRIBUTE, {})
    key = practice.pk if practice is not None else None
    if key not in cache:
        cache[key] = emergency_advice_at(practice, now=timezone.now())
        if request is not None:
            setattr(request, _CACHE_ATTRIBUTE, cache)
    return cache[key]


def _practice(value: object) -> Practice | None:
    """Pages name their practice `nav_practice` or `practice`; anything else is no practice."""
    return value if isinstance(value, Practice) else None


@register.simple_tag(takes_context=True)
def emergency_advice(
    context: template.Context, practice: object, now: datetime | None = None
) -> EmergencyAdvice:
    """`{% emergency_advice practice as advice %}`: the advice, for a page's own heading."""
    return _advice_for(context, _practice(practice), now)


VARIANTS = ("card", "footer", "stop")


@register.inclusion_tag("components/emergency.html", takes_context=True)
def emergency_numbers(
    context: template.Context,
    practice: object,
    variant: str = "card",
    now: datetime | None = None,
    call_112: bool = False,
) -> dict[str, Any]:
    """`{% emergency_numbers practice variant="footer" %}`: the numbers in their order.

    Variants: "card" (a list, the default), "footer" (compact, without the address of the
    huisartsenpost), "stop" (the number to call now as a large button, then the others:
    the red-flag stop page; `call_112=True` makes that button 112).
    """
    if variant not in VARIANTS:
        raise template.TemplateSyntaxError(f"emergency_numbers: unknown variant {variant!r}")
    advice = _advice_for(context, _practice(practice), now)
    button = None
    if variant == "stop":
        button = EmergencyLine(Line.LIFE_THREAT) if call_112 else advice.call_now
    return {
        "advice": advice,
        "practice": advice.practice,
        "variant": variant,
        "button": button,
        "lines": [line for line in advice.lines if line != button],
    }


@register.filter
def tel(number: str) -> str:
    """`{{ practice.phone_main|tel }}` -> "tel:0345100000"."""
    return tel_href(str(number or ""))
