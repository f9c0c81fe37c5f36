"""The menu's badge counts ("3 nieuw") are counted by the shell once a minute per user and
kept in the cache; whatever brings news for someone makes their counts stale here, so
the next page counts again."""

from __future__ import annotations

from django.core.cache import cache


def badge_cache_key(user_id: int) -> str:
    return f"spreekuur:badges:{user_id}"


def forget_badges(user_id: int) -> None:
    cache.delete(badge_cache_key(user_id))
