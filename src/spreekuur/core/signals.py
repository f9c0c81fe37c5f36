"""Signals a feature sends for its siblings to act on, so features need not import each other."""

from __future__ import annotations

from django.dispatch import Signal

# A practice's hours changed on some days (an exception set or changed). Sent inside the
# writer's transaction with `practice` and `days` (a list of dates): the agenda closes
# or reopens the slots of those days in the same transaction.
opening_hours_changed = Signal()
