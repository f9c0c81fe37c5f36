"""The practice's hours as every page needs them, read once per few minutes."""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone

from spreekuur.core.models import Practice
from spreekuur.core.opening_hours import Schedule
from spreekuur.core.selectors import schedule_for

# Every page's footer asks whether the practice is open now (the huisartsenpost comes
# first when it is not): the hours are read once per few minutes per practice, and
# forgotten at once when they change (core.signals.opening_hours_changed).
SCHEDULE_CACHE_SECONDS = 300


def _schedule_key(practice_id: int) -> str:
    return f"spreekuur:schedule:{practice_id}:{timezone.localdate().isoformat()}"


def current_schedule(practice: Practice) -> Schedule:
    """The practice's hours from today on, from the cache when it was read just now."""
    key = _schedule_key(practice.pk)
    found = cache.get(key)
    if not isinstance(found, Schedule):
        found = schedule_for(practice)
        cache.set(key, found, SCHEDULE_CACHE_SECONDS)
    return found


def forget_schedule(practice_id: int) -> None:
    cache.delete(_schedule_key(practice_id))
