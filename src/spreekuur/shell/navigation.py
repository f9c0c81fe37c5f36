"""The main menu, built from what each app contributes (core.registry)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from spreekuur.accounts import capabilities
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of, role_of, second_factor_done
from spreekuur.core.badges import badge_cache_key
from spreekuur.core.registry import Audience, NavEntry
from spreekuur.shell import registry


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    badge: int = 0  # how many new things wait behind the link


def audience_of(user: User) -> Audience:
    """Each user is one audience: a patient, someone acting only for others, or staff."""
    if capabilities.is_portal_user(user):
        return Audience.PATIENT
    if capabilities.uses_portal(user):
        return Audience.REPRESENTATIVE
    return Audience.STAFF


def count_together(counts: list[int | QuerySet[Any]]) -> list[int]:
    """Each number as it is, and the rows of each query set counted, all query sets in
    one SELECT of subqueries (the menu's badges: one round trip per page, not one each)."""
    pending: dict[str, list[tuple[int, QuerySet[Any]]]] = {}
    found = [value if isinstance(value, int) else 0 for value in counts]
    for index, value in enumerate(counts):
        if not isinstance(value, int):
            pending.setdefault(value.db, []).append((index, value))
    for alias, querysets in pending.items():
        parts: list[str] = []
        params: list[Any] = []
        asked: list[int] = []
        for index, queryset in querysets:
            try:
                sql, args = queryset.order_by().values("pk").query.sql_with_params()
            except EmptyResultSet:  # .none(), or a filter that can match nothing
                continue
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) badge_{len(parts)})")  # noqa: S608
            params.extend(args)
            asked.append(index)
        if not parts:
            continue
        with connections[alias].cursor() as cursor:
            # Only Django's own compiled SQL, its values passed as parameters.
            cursor.execute("SELECT " + ", ".join(parts), params)
            row = cursor.fetchone()
        for index, value in zip(asked, row, strict=True):
            found[index] = int(value)
    return found


# The badges are counted at most once a minute per user (one query then, none on the
# pages in between), so every page stays within its query budget. News for a patient
# (an answer, a released result, a repeat's new status: patients.notices) forgets the
# count at once; what the user opens is marked seen at once (see _badges).
BADGE_SECONDS = 60


def _badges(
    request: HttpRequest, user: User, entries: list[NavEntry], urls: list[str]
) -> list[int]:
    key = badge_cache_key(user.pk)
    stored = cache.get(key)
    cached = stored[1] if isinstance(stored, tuple) and stored[0] == urls else None
    # Inside a section (one e-consult of several) news may just have been seen: count.
    inside = any(request.path.startswith(url) and request.path != url for url in urls)
    if inside or cached is None:
        cached = count_together(
            [entry.badge(request) if entry.badge is not None else 0 for entry in entries]
        )
    # The page being shown is the one that marks its news seen: its badge is 0 now.
    badges = [0 if url == request.path else count for url, count in zip(urls, cached, strict=True)]
    cache.set(key, (urls, badges), BADGE_SECONDS)
    return badges


def navigation(request: HttpRequest) -> dict[str, object]:
    """Role-aware navigation: a link appears only where the capability allows the page,
    with a badge for what is new behind it."""
    user = getattr(request, "user", None)
    if user is None or not second_factor_done(user):
        return {"nav_items": [], "nav_practice": None, "nav_role": None}
    audience = audience_of(user)
    entries = [
        entry
        for entry in registry.navigation()
        if entry.audience == audience and entry.visible(request)
    ]
    urls = [reverse(entry.url_name) for entry in entries]
    badges = _badges(request, user, entries, urls)
    items = [
        NavItem(str(entry.label), url, badge)
        for entry, url, badge in zip(entries, urls, badges, strict=True)
    ]
    return {
        "nav_items": items,
        "nav_practice": practice_of(user),
        "nav_role": role_of(user),
        # Set in the session when one chooses to act for someone (patients/portal.py).
        "acting_for_name": request.session.get("spreekuur_namens_naam", ""),
    }
