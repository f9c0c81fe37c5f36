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
    Update,
    UpdateLine,
    for_user,
)
from spreekuur.core.signals import opening_hours_changed


class AgendaConfig(AppConfig):
    name = "spreekuur.agenda"
    label = "agenda"
    verbose_name = "Agenda"

    def ready(self) -> None:
        # Other hours on a day close (or reopen) that day's slots at once, not at the
        # next run of the worker.
        opening_hours_changed.connect(_resync_slots, dispatch_uid="agenda.resync_slots")

    def shell_contributions(self) -> Contributions:
        from spreekuur.agenda.capabilities import can_manage_agenda, can_use_agenda

        return Contributions(
            navigation=[
                NavEntry(_("Afspraken"), "agenda:my_appointments", Audience.PATIENT, 10),
                NavEntry(_("Agenda"), "agenda:day", Audience.STAFF, 10, for_user(can_use_agenda)),
                NavEntry(
                    _("Agenda-instellingen"),
                    "agenda:settings",
                    Audience.STAFF,
                    60,
                    for_user(can_manage_agenda),
                ),
            ],
            tiles=[
                Tile(
                    _("Afspraken"),
                    _("Een afspraak maken, verzetten of annuleren."),
                    "agenda:my_appointments",
                    Audience.PATIENT,
                    10,
                )
            ],
            counters=[
                Counter(
                    lambda n: (
                        ngettext(
                            "%(count)d afspraak buiten de openingstijden",
                            "%(count)d afspraken buiten de openingstijden",
                            n,
                        )
                        % {"count": n}
                    ),
                    _out_of_hours_count,
                    "agenda:out_of_hours",
                    30,
                    can_use_agenda,
                    urgent=True,
                ),
                Counter(
                    lambda n: (
                        ngettext("%(count)d afspraak vandaag", "%(count)d afspraken vandaag", n)
                        % {"count": n}
                    ),
                    _todays_appointments,
                    "agenda:day",
                    5,
                    can_use_agenda,
                    query=_own_agenda,
                ),
            ],
            updates=[Update(_next_appointment, 10)],
            periodic_jobs=[
                PeriodicJob("spreekuur.agenda.tasks.send_due_reminders", every_seconds=300),
                PeriodicJob("spreekuur.agenda.tasks.extend_slots", every_seconds=6 * 3600),
            ],
            urls=[("", "spreekuur.agenda.urls")],
        )


def _resync_slots(*, practice: Any, days: list[Any], **kwargs: Any) -> None:
    from spreekuur.agenda.services import resync_days

    resync_days(practice=practice, days=days)


def _out_of_hours_count(user: Any) -> int:
    from django.utils import timezone

    from spreekuur.accounts.selectors import practice_of
    from spreekuur.agenda.selectors import appointments_out_of_hours

    practice = practice_of(user)
    if practice is None:
        return 0
    return len(appointments_out_of_hours(practice, now=timezone.now()))


def _todays_appointments(user: Any) -> int:
    """A GP's or POH's own appointments today; the practice's for the desk."""
    from spreekuur.agenda.selectors import todays_appointments_count

    return todays_appointments_count(by=user)


def _own_agenda(user: Any) -> str:
    from spreekuur.agenda.selectors import own_agenda_query

    return own_agenda_query(user)


def _next_appointment(user: Any, patient: Any) -> list[UpdateLine]:
    """For the patient's start page: the next appointment, when and with whom."""
    from django.urls import reverse
    from django.utils.formats import date_format
    from django.utils.timezone import localtime
    from django.utils.translation import gettext

    from spreekuur.agenda.selectors import next_appointment_of

    appointment = next_appointment_of(patient)
    if appointment is None:
        return []
    starts = localtime(appointment.starts_at)
    text = gettext("Uw volgende afspraak: %(day)s om %(time)s") % {
        "day": date_format(starts, "l j F"),
        "time": date_format(starts, "H:i"),
    }
    detail = gettext("%(kind)s bij %(who)s") % {
        "kind": appointment.kind,
        "who": appointment.practitioner_name,
    }
    url = reverse("agenda:my_appointment", args=[appointment.public_id])
    return [UpdateLine(text, url, detail)]
