from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from spreekuur.core.registry import (
    Audience,
    Contributions,
    Counter,
    NavEntry,
    PeriodicJob,
    for_user,
)


class TelephonyConfig(AppConfig):
    name = "spreekuur.telephony"
    label = "telephony"
    verbose_name = "Telefonie"

    def shell_contributions(self) -> Contributions:
        from spreekuur.telephony import selectors
        from spreekuur.telephony.capabilities import (
            can_manage_telephony,
            can_view_call_load,
            can_work_callbacks,
        )

        return Contributions(
            navigation=[
                NavEntry(
                    _("Terugbellen"),
                    "telephony:callbacks",
                    Audience.STAFF,
                    35,
                    for_user(can_work_callbacks),
                    badge=selectors.waiting_badge,
                ),
                NavEntry(
                    _("Belbelasting"),
                    "telephony:call_load",
                    Audience.STAFF,
                    70,
                    for_user(can_view_call_load),
                ),
                NavEntry(
                    _("Telefonie"),
                    "telephony:settings",
                    Audience.STAFF,
                    72,
                    for_user(can_manage_telephony),
                ),
            ],
            counters=[
                Counter(
                    lambda n: (
                        ngettext(
                            "%(count)d beller wacht op terugbellen",
                            "%(count)d bellers wachten op terugbellen",
                            n,
                        )
                        % {"count": n}
                    ),
                    selectors.waiting_count,
                    "telephony:callbacks",
                    5,
                    can_work_callbacks,
                ),
            ],
            periodic_jobs=[
                PeriodicJob("spreekuur.telephony.tasks.fold_call_events", every_seconds=60),
                PeriodicJob("spreekuur.telephony.tasks.tidy_phone_line", every_seconds=3600),
            ],
            urls=[("", "spreekuur.telephony.urls")],
        )
