"""How a stored result is recognised when the same lab message comes in again."""

from __future__ import annotations

import hashlib
from decimal import Decimal


def content_key(
    *,
    nhg_code: str,
    value_text: str,
    unit: str,
    reference_low: Decimal | None = None,
    reference_high: Decimal | None = None,
    flag: str | None = None,
    preliminary: bool = False,
    observed_at: str = "",
    extra: str = "",
) -> str:
    """A short digest of what the lab said about one test: a result that comes again with
    the same content is the one already stored (the door and the demo use this one rule).
    `extra` holds what a plain number does not have (a value's code, a range in words);
    left empty, the key is the one stored results have always had."""
    content = "|".join(
        str(part)
        for part in (
            nhg_code,
            value_text,
            unit,
            reference_low,
            reference_high,
            flag,
            preliminary,
            observed_at,
        )
    )
    if extra:
        content += "|" + extra
    return hashlib.sha256(content.encode()).hexdigest()[:16]
