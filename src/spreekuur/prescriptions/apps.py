from typing import Any

from django.apps import AppConfig
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from spreekuur.core.registry import (
    Audience,
    Contributions,
    Counter,
    NavEntry,
    PeriodicJob,
    Tile,
    Update,
    UpdateLine,
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
                NavEntry(
                    repeats, "prescriptions:my_repeats", Audience.PATIENT, 40, badge=_news_badge
                ),
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
            updates=[Update(_portal_news, 40)],
            periodic_jobs=[
                PeriodicJob("spreekuur.prescriptions.tasks.deliver_prescriptions", every_seconds=60)
            ],
            urls=[("", "spreekuur.prescriptions.urls")],
        )


def _news_badge(request: HttpRequest) -> QuerySet[Any] | int:
    """Requests decided, sent or ready since the patient last opened their repeats."""
    from spreekuur.patients.selectors import patient_profile
    from spreekuur.prescriptions.selectors import unseen_repeat_news

    user = request.user
    patient = patient_profile(user)  # type: ignore[arg-type]
    return unseen_repeat_news(patient, seen_by=user) if patient is not None else 0  # type: ignore[arg-type]


def _portal_news(user: Any, patient: Any) -> list[UpdateLine]:
    """For the patient's start page: where each recent repeat request stands."""
    from django.urls import reverse
    from django.utils.translation import gettext

    from spreekuur.prescriptions.models import ItemStatus
    from spreekuur.prescriptions.selectors import repeat_news

    url = reverse("prescriptions:my_repeats")
    lines = []
    for item in repeat_news(patient, seen_by=user):
        status = item.get_status_display()
        if item.status in (ItemStatus.SENT, ItemStatus.READY):
            status = gettext("%(status)s (%(pharmacy)s)") % {
                "status": status,
                "pharmacy": item.request.pharmacy.name,
            }
        text = gettext("Herhaalrecept %(medicine)s") % {"medicine": item.medication.name}
        lines.append(UpdateLine(text, url, status, new=item.is_new))  # type: ignore[attr-defined]
    return lines
