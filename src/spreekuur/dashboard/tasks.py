"""The dashboard's periodic jobs, declared in DashboardConfig (idempotent: a refresh
replaces the days it counts)."""

from __future__ import annotations

from spreekuur.dashboard import services


def refresh_recent_figures() -> int:
    return services.refresh_recent().rows


def refresh_figure_history() -> int:
    return services.refresh_history().rows
