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


class EconsultConfig(AppConfig):
    name = "spreekuur.econsult"
    label = "econsult"
    verbose_name = "E-consult"

    def shell_contributions(self) -> Contributions:
        from spreekuur.accounts.selectors import practice_of
        from spreekuur.econsult import selectors
        from spreekuur.econsult.capabilities import can_manage_econsult, can_work_inbox

        def _summary(user: Any) -> selectors.DaySummary:
            practice = practice_of(user)
            if practice is None:  # not staff of a practice: nothing waits for them
                return selectors.DaySummary(open=0, overdue=0, due_today=0, unassigned=0)
            return selectors.day_summary(practice)

        ask = _("Vraag de praktijk")
        return Contributions(
            navigation=[
                NavEntry(ask, "econsult:my_questions", Audience.PATIENT, 50),
                NavEntry(ask, "econsult:my_questions", Audience.REPRESENTATIVE, 50),
                NavEntry(
                    _("E-consults"), "econsult:inbox", Audience.STAFF, 40, for_user(can_work_inbox)
                ),
                NavEntry(
                    _("E-consult"),
                    "econsult:settings",
                    Audience.STAFF,
                    45,
                    for_user(can_manage_econsult),
                ),
            ],
            tiles=[
                Tile(
                    _("Vraag de praktijk (e-consult)"),
                    _(
                        "Een vraag zonder haast, met foto's als dat helpt. "
                        "Antwoord binnen enkele werkdagen."
                    ),
                    "econsult:my_questions",
                    Audience.PATIENT,
                    30,
                )
            ],
            counters=[
                Counter(
                    lambda n: (
                        ngettext(
                            "%(count)d e-consult over tijd", "%(count)d e-consults over tijd", n
                        )
                        % {"count": n}
                    ),
                    lambda user: _summary(user).overdue,
                    "econsult:inbox",
                    10,
                    can_work_inbox,
                    urgent=True,
                ),
                Counter(
                    lambda n: (
                        ngettext("%(count)d open e-consult", "%(count)d open e-consults", n)
                        % {"count": n}
                    ),
                    lambda user: _summary(user).open,
                    "econsult:inbox",
                    11,
                    can_work_inbox,
                ),
            ],
            periodic_jobs=[
                PeriodicJob("spreekuur.econsult.tasks.remind_unread_answers", every_seconds=3600)
            ],
            urls=[("", "spreekuur.econsult.urls")],
        )
