from typing import Any

from django.apps import AppConfig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from spreekuur.core.registry import (
    Audience,
    Contributions,
    Counter,
    NavEntry,
    PatientFact,
    Tile,
    Update,
    UpdateLine,
    for_user,
)


class ChronicCareConfig(AppConfig):
    """Chronic-care programmes (ketenzorg): the programmes as data, who takes part, the
    POH's control consult, due lists with invitations, and the patient's own view."""

    name = "spreekuur.chroniccare"
    label = "chroniccare"
    verbose_name = "Ketenzorg"

    def ready(self) -> None:
        from spreekuur.chroniccare.programmes import programmes

        programmes()  # a broken programmes file stops the start-up, with the reason

    def shell_contributions(self) -> Contributions:
        from spreekuur.chroniccare.capabilities import can_see_due_lists, can_see_indicators
        from spreekuur.dashboard.capabilities import can_view_region

        def indicators_only(user: Any) -> bool:  # the manager: no due list, the figures
            return can_see_indicators(user) and not can_see_due_lists(user)

        mine = _("Mijn zorgprogramma")
        return Contributions(
            navigation=[
                NavEntry(mine, "chroniccare:my_programmes", Audience.PATIENT, 55, _takes_part),
                NavEntry(
                    mine, "chroniccare:my_programmes", Audience.REPRESENTATIVE, 45, _takes_part
                ),
                NavEntry(
                    _("Ketenzorg"),
                    "chroniccare:overview",
                    Audience.STAFF,
                    60,
                    for_user(can_see_due_lists),
                ),
                NavEntry(
                    _("Ketenzorgcijfers"),
                    "chroniccare:indicators",
                    Audience.STAFF,
                    61,
                    for_user(indicators_only),
                ),
                NavEntry(
                    _("Ketenzorg in de regio"),
                    "chroniccare:region",
                    Audience.STAFF,
                    67,
                    for_user(can_view_region),
                ),
            ],
            tiles=[
                Tile(
                    mine,
                    _("Uw controles, uw eigen doelen en hoe uw waarden gaan."),
                    "chroniccare:my_programmes",
                    Audience.PATIENT,
                    45,
                    _takes_part,
                )
            ],
            counters=[
                Counter(
                    lambda n: (
                        ngettext(
                            "%(count)d patiënt toe aan een ketenzorgcontrole",
                            "%(count)d patiënten toe aan een ketenzorgcontrole",
                            n,
                        )
                        % {"count": n}
                    ),
                    _due_count,
                    "chroniccare:due_list",
                    55,
                    can_see_due_lists,
                )
            ],
            updates=[Update(_invitations, 30)],
            patient_facts=[PatientFact(_("Ketenzorg"), _programmes_of, 30)],
            urls=[("", "spreekuur.chroniccare.urls")],
        )


def _takes_part(request: HttpRequest) -> bool:
    """The patient (or whom they act for) takes part in a programme now: one query,
    asked once per request (the menu and the start page's tile both ask)."""
    from django.core.exceptions import PermissionDenied

    from spreekuur.chroniccare.models import Enrolment, EnrolmentStatus
    from spreekuur.core.exceptions import ChooseFirst
    from spreekuur.patients.portal import portal_subject

    known = getattr(request, "_spreekuur_takes_part", None)
    if known is not None:
        return bool(known)
    try:
        patient = portal_subject(request).patient
    except (PermissionDenied, ChooseFirst):
        found = False
    else:
        found = Enrolment.objects.filter(
            practice_id=patient.practice_id, patient=patient, status=EnrolmentStatus.ACTIVE
        ).exists()
    request._spreekuur_takes_part = found  # type: ignore[attr-defined]
    return found


def _due_count(user: Any) -> int:
    from django.utils import timezone

    from spreekuur.accounts.selectors import practice_of
    from spreekuur.chroniccare.selectors import due_list

    practice = practice_of(user)
    return 0 if practice is None else due_list(practice, today=timezone.localdate()).count()


def _invitations(user: Any, patient: Any) -> list[UpdateLine]:
    """For the patient's start page: an invitation to a control still to book."""
    from django.urls import reverse
    from django.utils import formats
    from django.utils.translation import gettext

    from spreekuur.chroniccare.programmes import programme
    from spreekuur.chroniccare.selectors import booking_link, open_invitations_of

    lines = []
    for invitation in open_invitations_of(patient):
        scheme = programme(invitation.enrolment.programme)
        text = gettext("Uitnodiging: uw %(kind)s %(programme)s") % {
            "kind": invitation.get_kind_display(),
            "programme": scheme.name,
        }
        detail = gettext("rond %(day)s") % {"day": formats.date_format(invitation.due_on, "j F Y")}
        url = booking_link(invitation) or reverse("chroniccare:my_programmes")
        lines.append(UpdateLine(text, url, detail, new=True))
    return lines


def _programmes_of(patient: Any, by: Any) -> list[str]:
    """The programmes the patient takes part in, for staff beside their work (logged)."""
    from django.utils import formats, timezone
    from django.utils.translation import gettext

    from spreekuur.chroniccare.models import EnrolmentStatus
    from spreekuur.chroniccare.programmes import programme
    from spreekuur.chroniccare.selectors import enrolments_of, next_due_of
    from spreekuur.chroniccare.services import record_programme_read

    active = [e for e in enrolments_of(patient) if e.status == EnrolmentStatus.ACTIVE]
    if not active:
        return []
    record_programme_read(
        by=by,
        patient=patient,
        object_kind="enrolment",
        object_ids=[e.public_id for e in active],
        detail="deelname",
    )
    lines = []
    for enrolment in active:
        due = next_due_of(enrolment, today=timezone.localdate())
        lines.append(
            gettext("%(programme)s sinds %(since)s; volgende %(kind)s %(day)s")
            % {
                "programme": programme(enrolment.programme).name,
                "since": formats.date_format(enrolment.started_on, "j N Y"),
                "kind": due.kind_label,
                "day": formats.date_format(due.due_on, "j N Y"),
            }
        )
    return lines
