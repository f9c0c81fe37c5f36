from collections.abc import Sequence
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
    PatientLogScreen,
    PeriodicJob,
    Tile,
    Update,
    UpdateLine,
    for_user,
)


class EconsultConfig(AppConfig):
    name = "spreekuur.econsult"
    label = "econsult"
    verbose_name = "E-consult"

    def patient_log_screens(self) -> Sequence[PatientLogScreen]:
        """What the patient's own access log must not tell (shell collects it)."""
        from spreekuur.econsult.patient_log import SCREENS

        return SCREENS

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
                NavEntry(ask, "econsult:my_questions", Audience.PATIENT, 50, badge=_unread_badge),
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
                Counter(
                    lambda n: (
                        ngettext(
                            "%(count)d e-consult vandaag te beantwoorden",
                            "%(count)d e-consults vandaag te beantwoorden",
                            n,
                        )
                        % {"count": n}
                    ),
                    lambda user: _summary(user).due_today,
                    "econsult:inbox",
                    12,
                    can_work_inbox,
                ),
            ],
            updates=[Update(_portal_news, 20)],
            periodic_jobs=[
                PeriodicJob("spreekuur.econsult.tasks.remind_unread_answers", every_seconds=3600)
            ],
            urls=[("", "spreekuur.econsult.urls")],
        )


def _unread_badge(request: HttpRequest) -> QuerySet[Any] | int:
    """Answers the patient has not read yet (the menu's "Vraag de praktijk")."""
    from spreekuur.econsult.selectors import unread_answers
    from spreekuur.patients.selectors import patient_profile

    patient = patient_profile(request.user)  # type: ignore[arg-type]
    return unread_answers(patient) if patient is not None else 0


def _portal_news(user: Any, patient: Any) -> list[UpdateLine]:
    """For the patient's start page: each unread answer, and each question still waiting
    (with the day the answer is due). One query."""
    from django.db.models import Q
    from django.urls import reverse
    from django.utils.formats import date_format
    from django.utils.timezone import localtime
    from django.utils.translation import gettext

    from spreekuur.econsult.models import ThreadStatus
    from spreekuur.econsult.selectors import (
        answered_by,
        has_unread_answer,
        opening_words,
        threads_of,
        unread_answer,
        with_overview,
    )

    waiting = threads_of(patient).filter(unread_answer() | Q(status=ThreadStatus.OPEN))
    lines = []
    for thread in with_overview(waiting)[:5]:
        opening = opening_words(thread.opening_text or "", length=60)  # type: ignore[attr-defined]
        subject = f"{thread.get_category_display()}: “{opening}”"
        asked = date_format(localtime(thread.created_at), "j F")
        url = reverse("econsult:my_thread", args=[thread.public_id])
        if not has_unread_answer(thread):
            due = date_format(localtime(thread.due_at), "l j F")
            text = gettext("Uw vraag van %(day)s wacht op antwoord") % {"day": asked}
            detail = gettext("%(subject)s · antwoord uiterlijk %(due)s") % {
                "subject": subject,
                "due": due,
            }
            lines.append(UpdateLine(text, url, detail))
            continue
        text = gettext("Nieuw antwoord op uw vraag van %(day)s") % {"day": asked}
        by = answered_by(thread.answered_by_role)  # type: ignore[attr-defined]
        detail = f"{subject} · {gettext('antwoord van %(name)s') % {'name': by}}" if by else subject
        lines.append(UpdateLine(text, url, detail, new=True))
    return lines
