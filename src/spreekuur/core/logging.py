"""Log helpers: every line carries the request id, never a path, query or patient data."""

from __future__ import annotations

import logging
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from spreekuur.core import request_context

# A BSN, wherever it appears: 9 digits, also written in groups ("111 222 333",
# "1112.22.333").
_NINE_DIGITS = re.compile(r"(?<!\d)(?:\d{9}|\d{3}[ .-]\d{3}[ .-]\d{3}|\d{4}\.\d{2}\.\d{3})(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+(?:@|%40)[\w-]+(\.[\w-]+)+")  # also URL-encoded
# Dutch phone numbers: +31 or 0031 or 0, then 9 digits, with spaces or dashes between.
_PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)(?:[ -]?\d){9}(?!\d)")
_KEY_VALUES = re.compile(r"(Key \([^)]*\)=)\([^)]*\)")  # PostgreSQL's duplicate-key detail


def mask(text: str) -> str:
    text = _KEY_VALUES.sub(r"\1(…)", text)
    text = _PHONE.sub("<telefoon>", text)
    text = _NINE_DIGITS.sub("<9 cijfers>", text)
    return _EMAIL.sub("<e-mail>", text)


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = request_context.current()
        record.request_id = context.request_id if context else None
        # Django attaches the request (its repr shows the path) to some records: drop it.
        if hasattr(record, "request"):
            record.request = None
        # django.request logs "Not Found: /path/...": keep the words, not the path.
        if record.name.startswith("django.request") or record.name == "django.server":
            record.msg = str(record.msg).split(":", 1)[0]
            record.args = ()
        return True


class SafeJsonFormatter(JsonFormatter):
    """JSON lines with BSN-like numbers, e-mail addresses and key values masked,
    also inside exception messages and tracebacks."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))

    def formatException(self, ei: Any) -> str:
        # python-json-logger may hand back a list of lines here.
        formatted = super().formatException(ei)
        return mask(formatted if isinstance(formatted, str) else "\n".join(formatted))
