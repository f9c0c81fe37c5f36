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
    Update,
    UpdateLine,
    for_user,
)


class TriageConfig(AppConfig):
    name = "spreekuur.triage"
    label = "triage"
    verbose_name = "Triage"

    def ready(self) -> None:
        # The national red flags and complaint flows are reference data: after every
        # migrate (and every flush, which sends the same signal) the tables hold them again.
        post_migrate.connect(_restore_reference_data, sender=self)

    def shell_contributions(self) -> Contributions:
        from spreekuur.triage.capabilities import (
            can_edit_flows,
            can_see_questionnaires,
            can_view_triage_figures,
        )

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
                    _("Vragenlijsten"),
                    "triage:questionnaires",
                    Audience.STAFF,
                    63,
                    for_user(can_see_questionnaires),
                ),
                NavEntry(
                    _("Vragenlijsten"),
                    "triage:my_questionnaires",
                    Audience.PATIENT,
                    80,
                    badge=_open_questionnaires_badge,
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
            updates=[Update(_questionnaires_waiting, 30)],
            periodic_jobs=[
                PeriodicJob(
                    "spreekuur.triage.tasks.send_due_questionnaire_notices", every_seconds=60
                ),
                PeriodicJob("spreekuur.triage.tasks.release_anonymous_answers", every_seconds=3600),
            ],
            urls=[("", "spreekuur.triage.urls")],
        )


def _open_questionnaires_badge(request: Any) -> Any:
    """Questionnaires waiting for the patient (the menu's "Vragenlijsten")."""
    from spreekuur.patients.selectors import patient_profile
    from spreekuur.triage.selectors.questionnaires import open_invitations

    patient = patient_profile(request.user)
    return open_invitations(patient) if patient is not None else 0


def _questionnaires_waiting(user: Any, patient: Any) -> list[UpdateLine]:
    """For the patient's start page: each questionnaire waiting, with its deadline."""
    from django.urls import reverse
    from django.utils.formats import date_format
    from django.utils.timezone import localtime
    from django.utils.translation import gettext

    from spreekuur.triage.selectors.questionnaires import open_invitations

    lines = []
    for invitation in open_invitations(patient)[:3]:
        detail = ""
        if invitation.answer_before is not None:
            detail = gettext("Graag invullen vóór uw afspraak van %(day)s") % {
                "day": date_format(localtime(invitation.answer_before), "j F H:i")
            }
        elif invitation.mailing is not None:
            detail = gettext("Invullen kan tot en met %(day)s") % {
                "day": date_format(invitation.mailing.closes_on, "j F")
            }
        lines.append(
            UpdateLine(
                text=gettext("Vragenlijst: %(title)s") % {"title": invitation.questionnaire.title},
                url=reverse("triage:answer", args=[invitation.public_id]),
                detail=detail,
                new=True,
            )
        )
    return lines


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
    try:
        if apps is not None:
            apps.get_model("triage", "Questionnaire")
    except LookupError:  # migrated back to before the questionnaires existed
        return
    from spreekuur.triage.services import sync_shipped_questionnaires

    sync_shipped_questionnaires(using=using)
