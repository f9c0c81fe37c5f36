from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from spreekuur.core.registry import (
    Audience,
    Contributions,
    NavEntry,
    PeriodicJob,
    Tile,
    for_user,
)


class AgendaConfig(AppConfig):
    name = "spreekuur.agenda"
    label = "agenda"
    verbose_name = "Agenda"

    def ready(self) -> None:
        # The national red flags are reference data: after every migrate (and every flush,
        # which sends the same signal) the table holds the whole baseline again.
        post_migrate.connect(_restore_red_flags, sender=self)

    def shell_contributions(self) -> Contributions:
        from spreekuur.agenda.capabilities import can_manage_agenda, can_use_agenda

        return Contributions(
            navigation=[
                NavEntry(_("Afspraken"), "agenda:my_appointments", Audience.PATIENT, 10),
                NavEntry(_("Agenda"), "agenda:day", Audience.STAFF, 10, for_user(can_use_agenda)),
                NavEntry(
                    _("Agenda-instellingen"),
                    "agenda:settings",
                    Audience.STAFF,
                    60,
                    for_user(can_manage_agenda),
                ),
            ],
            tiles=[
                Tile(
                    _("Afspraken"),
                    _("Een afspraak maken, verzetten of annuleren."),
                    "agenda:my_appointments",
                    Audience.PATIENT,
                    10,
                )
            ],
            periodic_jobs=[
                PeriodicJob("spreekuur.agenda.tasks.send_due_reminders", every_seconds=300),
                PeriodicJob("spreekuur.agenda.tasks.extend_slots", every_seconds=6 * 3600),
            ],
            urls=[("", "spreekuur.agenda.urls")],
        )


def _restore_red_flags(*, using: str, apps: Any = None, **kwargs: Any) -> None:
    """After migrate (`apps` is the migrated state) or flush (no `apps`)."""
    try:
        if apps is not None:
            apps.get_model("agenda", "RedFlag")
    except LookupError:  # migrated back to before the table existed
        return
    from spreekuur.agenda.services import restore_red_flag_baseline

    restore_red_flag_baseline(using=using)
