"""The phone line's periodic jobs, declared in TelephonyConfig (idempotent: a second
worker finds nothing left to do)."""

from __future__ import annotations

from spreekuur.telephony import services


def fold_call_events() -> int:
    """New events into calls and hourly figures, batch after batch until none are left."""
    total = 0
    while folded := services.fold_call_events():
        total += folded
    return total


def tidy_phone_line() -> dict[str, int]:
    """Claims left untouched go back to the queue; old closed requests lose their number."""
    return {
        "released": services.release_stale_claims(),
        "erased": services.erase_old_numbers(),
    }
