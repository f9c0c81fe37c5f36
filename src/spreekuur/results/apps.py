from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from spreekuur.core.registry import (
    Audience,
    Contributions,
    Counter,
    NavEntry,
    PatientLogScreen,
    Update,
    UpdateLine,
    for_user,
)


class ResultsConfig(AppConfig):
    name = "spreekuur.results"
    label = "results"
    verbose_name = "Uitslagen"

    def ready(self) -> None:
        # The test table is reference data: a flush (a transactional test, `flush`) empties
        # it and sends post_migrate; then it is loaded again from the shipped files.
        post_migrate.connect(_restore_test_table, sender=self)

    def patient_log_screens(self) -> Sequence[PatientLogScreen]:
        """What the patient's own access log must not tell (shell collects it)."""
        from spreekuur.results.patient_log import SCREENS

        return SCREENS

    def shell_contributions(self) -> Contributions:
        from spreekuur.results import selectors
        from spreekuur.results.capabilities import can_handle_lab_messages, can_review_results

        return Contributions(
            navigation=[
                NavEntry(
                    _("Uitslagen"),
                    "results:review_list",
                    Audience.STAFF,
                    30,
                    for_user(can_review_results),
                ),
                NavEntry(
                    _("Labberichten"),
                    "results:worklist",
                    Audience.STAFF,
                    35,
                    for_user(can_handle_lab_messages),
                ),
            ],
            counters=[
                Counter(
                    lambda n: (
                        ngettext(
                            "%(count)d uitslag te beoordelen",
                            "%(count)d uitslagen te beoordelen",
                            n,
                        )
                        % {"count": n}
                    ),
                    lambda user: selectors.results_to_review(by=user).count(),
                    "results:review_list",
                    20,
                    can_review_results,
                ),
                Counter(
                    lambda n: (
                        ngettext(
                            "%(count)d labbericht wacht op verwerking",
                            "%(count)d labberichten wachten op verwerking",
                            n,
                        )
                        % {"count": n}
                    ),
                    lambda user: selectors.lab_worklist(by=user).count(),
                    "results:worklist",
                    30,
                    can_handle_lab_messages,
                    urgent=True,
                ),
            ],
            updates=[Update(_portal_news, 30)],
            urls=[("", "spreekuur.results.urls")],
        )


def _portal_news(user: Any, patient: Any) -> list[UpdateLine]:
    """For the patient's start page: how many results came online since they last looked."""
    from django.urls import reverse

    from spreekuur.results.selectors import new_results_count

    count = new_results_count(patient, seen_by=user)
    if not count:
        return []
    text = ngettext(
        "%(count)d nieuwe uitslag met commentaar van de huisarts",
        "%(count)d nieuwe uitslagen met commentaar van de huisarts",
        count,
    ) % {"count": count}
    return [UpdateLine(text, reverse("dossier:my_results"), new=True)]


def _restore_test_table(*, using: str, apps: Any = None, **kwargs: Any) -> None:
    """After a flush (no `apps`; a migrate loads the table in its own migrations)."""
    if apps is not None:
        return
    from spreekuur.results.models import LabTest
    from spreekuur.results.table import load_test_table

    if using == DEFAULT_DB_ALIAS and not LabTest.objects.exists():
        load_test_table()
