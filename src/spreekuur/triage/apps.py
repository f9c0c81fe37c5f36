from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from spreekuur.core.registry import Audience, Contributions, NavEntry, for_user


class TriageConfig(AppConfig):
    name = "spreekuur.triage"
    label = "triage"
    verbose_name = "Triage"

    def ready(self) -> None:
        # The national red flags are reference data: after every migrate (and every flush,
        # which sends the same signal) the table holds the whole baseline again.
        post_migrate.connect(_restore_red_flags, sender=self)

    def shell_contributions(self) -> Contributions:
        from spreekuur.triage.capabilities import can_manage_triage

        return Contributions(
            navigation=[
                NavEntry(
                    _("Triage-instellingen"),
                    "triage:settings",
                    Audience.STAFF,
                    61,
                    for_user(can_manage_triage),
                ),
            ],
            urls=[("", "spreekuur.triage.urls")],
        )


def _restore_red_flags(*, using: str, apps: Any = None, **kwargs: Any) -> None:
    """After migrate (`apps` is the migrated state) or flush (no `apps`)."""
    try:
        if apps is not None:
            apps.get_model("triage", "RedFlag")
    except LookupError:  # migrated back to before the table existed
        return
    from spreekuur.triage.services import restore_red_flag_baseline

    restore_red_flag_baseline(using=using)
