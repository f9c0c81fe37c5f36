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


class ShellConfig(AppConfig):
    """The top floor: start pages, the menu, work queues, the audit-log pages and the
    sending of e-mail and SMS. It collects what the apps contribute (core.registry) and
    knows no feature by name."""

    name = "spreekuur.shell"
    label = "shell"
    verbose_name = "Spreekuur"

    def ready(self) -> None:
        from spreekuur.core.outbox import when_queued
        from spreekuur.shell.tasks import enqueue_delivery

        when_queued(enqueue_delivery)  # a queued notice is sent as soon as it is committed

    def shell_contributions(self) -> Contributions:
        from spreekuur.accounts.capabilities import can_follow_notifications, can_search_audit_log
        from spreekuur.shell import selectors

        start = _("Start")
        audit_search = for_user(can_search_audit_log)
        return Contributions(
            navigation=[
                *(NavEntry(start, "shell:start", audience, 0) for audience in Audience),
                NavEntry(_("Wie keek in mijn dossier"), "shell:my_audit_log", Audience.PATIENT, 70),
                NavEntry(
                    _("Wie keek in het dossier"),
                    "shell:my_audit_log",
                    Audience.REPRESENTATIVE,
                    70,
                ),
                NavEntry(_("Logboek"), "shell:audit_search", Audience.STAFF, 90, audit_search),
            ],
            tiles=[
                Tile(
                    _("Wie heeft mijn dossier bekeken"),
                    _("Elke keer dat iemand uw gegevens inzag: wie, wanneer en wat."),
                    "shell:my_audit_log",
                    Audience.PATIENT,
                    70,
                ),
                Tile(
                    _("Logboek (NEN 7513)"),
                    _("Wie heeft welk dossier ingezien of gewijzigd."),
                    "shell:audit_search",
                    Audience.STAFF,
                    50,
                    audit_search,
                ),
            ],
            counters=[
                Counter(
                    lambda n: (
                        ngettext(
                            "%(count)d e-mail of sms niet verzonden",
                            "%(count)d e-mails of sms'jes niet verzonden",
                            n,
                        )
                        % {"count": n}
                    ),
                    lambda user: selectors.failed_notifications(by=user).count(),
                    "shell:failed_notifications",
                    90,
                    can_follow_notifications,
                    urgent=True,
                )
            ],
            periodic_jobs=[PeriodicJob("spreekuur.shell.tasks.deliver_pending", every_seconds=60)],
        )
