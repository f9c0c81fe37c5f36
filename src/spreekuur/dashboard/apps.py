from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from spreekuur.core.registry import Audience, Contributions, NavEntry, PeriodicJob, Tile, for_user


class DashboardConfig(AppConfig):
    name = "spreekuur.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"

    def shell_contributions(self) -> Contributions:
        from spreekuur.dashboard.capabilities import can_view_dashboard, can_view_region

        return Contributions(
            navigation=[
                NavEntry(
                    _("Dashboard"),
                    "dashboard:dashboard",
                    Audience.STAFF,
                    65,
                    for_user(can_view_dashboard),
                ),
                NavEntry(
                    _("Regio"), "dashboard:region", Audience.STAFF, 66, for_user(can_view_region)
                ),
            ],
            tiles=[
                Tile(
                    _("Cijfers van de regio"),
                    _("De praktijken van de zorggroep naast elkaar, zonder patiëntgegevens."),
                    "dashboard:region",
                    Audience.STAFF,
                    10,
                    for_user(can_view_region),
                )
            ],
            periodic_jobs=[
                PeriodicJob("spreekuur.dashboard.tasks.refresh_recent_figures", every_seconds=900),
                PeriodicJob(
                    "spreekuur.dashboard.tasks.refresh_figure_history", every_seconds=86400
                ),
            ],
            urls=[("", "spreekuur.dashboard.urls")],
        )
