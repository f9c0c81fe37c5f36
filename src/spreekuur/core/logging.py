"""Log helpers: every line carries the request id, never a path, query or patient data."""

from __future__ import annotations

import logging

from spreekuur.core import request_context


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = request_context.current()
        record.request_id = context.request_id if context else None
        # Django attaches the request (its repr shows the path) to some records: drop it.
        if hasattr(record, "request"):
            record.request = None
        return True
