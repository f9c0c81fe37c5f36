"""Reads for practices: the public facts, hours and news. No user or patient data."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from spreekuur.core.models import NewsItem, Practice
from spreekuur.core.opening_hours import DayException, Schedule


def get_public_practice(slug: str) -> Practice:
    return get_object_or_404(Practice, slug=slug)


def schedule_for(practice: Practice, *, from_day: date | None = None) -> Schedule:
    weekly: dict[int, list[tuple[time, time]]] = {}
    for hours in practice.opening_hours.all():
        weekly.setdefault(hours.weekday, []).append((hours.opens, hours.closes))
    start = (from_day or timezone.localdate()) - timedelta(days=1)
    exceptions = {
        exception.date: DayException(
            closed=exception.closed,
            opens=exception.opens,
            closes=exception.closes,
            reason=exception.reason,
        )
        for exception in practice.opening_exceptions.filter(date__gte=start)
    }
    return Schedule(weekly=weekly, exceptions=exceptions)


def published_news(practice: Practice, *, limit: int = 5) -> QuerySet[NewsItem]:
    return practice.news.filter(published_on__lte=timezone.localdate())[:limit]


def all_news(practice: Practice) -> QuerySet[NewsItem]:
    return practice.news.all()


def get_news_item_for(practice: Practice, public_id: object) -> NewsItem:
    return get_object_or_404(NewsItem, practice=practice, public_id=public_id)
