"""Text messages through a pluggable gateway (settings.SMS_BACKEND), sent from the
notification outbox (core.outbox), never straight from a request.

Texts are content-free by rule (DESIGN.md §3.6): a date, a time, a practitioner and
"see the portal", never a reason, a result or a BSN. Numbers are never logged."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SmsBackend(Protocol):
    def send(self, to: str, text: str) -> None: ...


@dataclass(frozen=True)
class SentSms:
    to: str
    text: str


outbox: list[SentSms] = []


class NullBackend:
    def send(self, to: str, text: str) -> None:
        return None


class ConsoleBackend:
    def send(self, to: str, text: str) -> None:
        print(f"[sms] {text}")  # development only; the number is left out


class LocmemBackend:
    def send(self, to: str, text: str) -> None:
        outbox.append(SentSms(to, text))


def mobile_number(phone: str) -> str | None:
    """A Dutch mobile number in international form (+316…), or None for a landline."""
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.startswith("+31"):
        digits = "0" + digits[3:]
    elif digits.startswith("0031"):
        digits = "0" + digits[4:]
    if re.fullmatch(r"06\d{8}", digits):
        return "+31" + digits[1:]
    return None


def send_text(to: str, text: str) -> None:
    """Hand one text to the gateway; raises what the gateway raises (the outbox retries)."""
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    backend.send(to, text)
