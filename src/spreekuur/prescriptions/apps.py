from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from spreekuur.core.registry import (
    Audience,
    Contributions,
    Counter,
    NavEntry,
    PeriodicJob,
    Tile,
    for_user,
)


class PrescriptionsConfig(AppConfig):
    name = "spreekuur.prescriptions"
    label = "prescriptions"
    verbose_name = "Herhaalrecepten"

    def shell_contributions(self) -> Contributions:
        from spreekuur.prescriptions import selectors
        from spreekuur.prescriptions.capabilities import (
            can_approve,
            can_filter_requests,
            can_follow_deliveries,
            can_manage_repeat_settings,
        )
        from spreekuur.prescriptions.models import DeliveryStatus

        def filters_only(user: Any) -> bool:  # the GP filters on the accorderingslijst itself
            return can_filter_requests(user) and not can_approve(user)

        repeats = _("Herhaalrecepten")
        return Contributions(
            navigation=[
                NavEntry(repeats, "prescriptions:my_repeats", Audience.PATIENT, 40),
                NavEntry(repeats, "prescriptions:my_repeats", Audience.REPRESENTATIVE, 40),
                NavEntry(
                    _("Accorderingslijst"),
                    "prescriptions:accorderingslijst",
                    Audience.STAFF,
                    50,
                    for_user(can_approve),
                ),
                NavEntry(
                    repeats, "prescriptions:filter_list", Audience.STAFF, 51, for_user(filters_only)
                ),
                NavEntry(
                    repeats,
                    "prescriptions:settings",
                    Audience.STAFF,
                    55,
                    for_user(can_manage_repeat_settings),
                ),
            ],
            tiles=[
                Tile(
                    repeats,
                    _(
                        "Medicijnen die u vaker gebruikt opnieuw aanvragen, "
                        "en zien wanneer ze klaar zijn."
                    ),
                    "prescriptions:my_repeats",
                    Audience.PATIENT,
                    40,
                )
            ],
            counters=[
                Counter(
                    lambda n: (
                        ngettext(
                            "%(count)d aanvraag op de accorderingslijst",
                            "%(count)d aanvragen op de accorderingslijst",
                            n,
                        )
                        % {"count": n}
                    ),
                    lambda user: selectors.accorderingslijst(by=user).count(),
                    "prescriptions:accorderingslijst",
                    40,
                    can_approve,
                ),
                Counter(
                    lambda n: (
                        ngettext(
                            "%(count)d herhaalrecept te controleren",
                            "%(count)d herhaalrecepten te controleren",
                            n,
                        )
                        % {"count": n}
                    ),
                    lambda user: selectors.filter_list(by=user).count(),
                    "prescriptions:filter_list",
                    41,
                    filters_only,
                ),
                Counter(
                    lambda n: (
                        ngettext(
                            "%(count)d recept niet bij de apotheek aangekomen",
                            "%(count)d recepten niet bij de apotheek aangekomen",
                            n,
                        )
                        % {"count": n}
                    ),
                    lambda user: (
                        selectors.deliveries(by=user).filter(status=DeliveryStatus.FAILED).count()
                    ),
                    "prescriptions:deliveries",
                    45,
                    can_follow_deliveries,
                    urgent=True,
                ),
            ],
            periodic_jobs=[
                PeriodicJob("spreekuur.prescriptions.tasks.deliver_prescriptions", every_seconds=60)
            ],
            urls=[("", "spreekuur.prescriptions.urls")],
        )
