"""Log helpers: every line carries the request id, never a path, query or patient data."""

from __future__ import annotations

import logging
import re
import traceback
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
        return mask(format_exception_without_values(ei[1]))


def _error_kind(error: BaseException) -> str:
    """The error's type and what names it without its value: a validation code, a
    PostgreSQL SQLSTATE with the table, column and constraint. Never the message, which
    can quote what was posted ("“Jan Jansen heeft HIV” is geen geldige UUID")."""
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    details = []
    codes = getattr(error, "error_dict", None) or getattr(error, "error_list", None)
    if codes is not None:  # Django's ValidationError: field names and codes
        fields = codes if isinstance(codes, dict) else {"": codes}
        for field, errors in fields.items():
            names = sorted({str(getattr(each, "code", None) or "invalid") for each in errors})
            details.append(f"{field}:{','.join(names)}" if field else ",".join(names))
    sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if sqlstate:
        details.append(f"sqlstate={sqlstate}")
        diag = getattr(error, "diag", None)
        for name in ("table_name", "column_name", "constraint_name"):
            value = getattr(diag, name, None)
            if value:
                details.append(f"{name}={value}")
    return f"{kind} ({'; '.join(details)})" if details else kind


def format_exception_without_values(error: BaseException | None) -> str:
    """A traceback as Python prints it, each exception in the chain named by its kind
    only (see _error_kind). Source lines stay: they are code, not input."""
    lines: list[str] = []
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        block = ["Traceback (most recent call last):\n"] if error.__traceback__ else []
        block += traceback.format_tb(error.__traceback__)
        block.append(_error_kind(error) + "\n")
        lines[:0] = block
        cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
        if cause is not None:
            joint = (
                "The above exception was the direct cause of the following exception:"
                if error.__cause__ is not None
                else "During handling of the above exception, another exception occurred:"
            )
            lines[:0] = [f"\n{joint}\n\n"]
        error = cause
    return "".join(lines).rstrip("\n")
