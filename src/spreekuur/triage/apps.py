from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from spreekuur.core.registry import Audience, Contributions, NavEntry, Tile, for_user


class TriageConfig(AppConfig):
    name = "spreekuur.triage"
    label = "triage"
    verbose_name = "Triage"

    def ready(self) -> None:
        # The national red flags and complaint flows are reference data: after every
        # migrate (and every flush, which sends the same signal) the tables hold them again.
        post_migrate.connect(_restore_reference_data, sender=self)

    def shell_contributions(self) -> Contributions:
        from spreekuur.triage.capabilities import can_edit_flows, can_view_triage_figures

        return Contributions(
            navigation=[
                NavEntry(_("Zelftriage"), "triage:self_index", Audience.PATIENT, 15),
                NavEntry(
                    _("Vraag het de praktijk"), "triage:portal_assistant", Audience.PATIENT, 90
                ),
                NavEntry(
                    _("Triage-instellingen"),
                    "triage:settings",
                    Audience.STAFF,
                    61,
                    for_user(can_edit_flows),
                ),
                NavEntry(
                    _("Triage-cijfers"),
                    "triage:figures",
                    Audience.STAFF,
                    62,
                    for_user(can_view_triage_figures),
                ),
            ],
            tiles=[
                Tile(
                    _("Moet ik naar de huisarts?"),
                    _("Beantwoord vragen over uw klacht en krijg direct advies."),
                    "triage:self_index",
                    Audience.PATIENT,
                    5,
                )
            ],
            urls=[("", "spreekuur.triage.urls")],
        )


def _restore_reference_data(*, using: str, apps: Any = None, **kwargs: Any) -> None:
    """After migrate (`apps` is the migrated state) or flush (no `apps`)."""
    try:
        if apps is not None:
            apps.get_model("triage", "RedFlag")
    except LookupError:  # migrated back to before the table existed
        return
    from spreekuur.triage.services import restore_red_flag_baseline, sync_national_flows

    restore_red_flag_baseline(using=using)
    try:
        if apps is not None:
            apps.get_model("triage", "ComplaintFlow")
    except LookupError:  # migrated back to before the flows existed
        return
    sync_national_flows(using=using)
