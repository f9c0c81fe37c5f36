"""Plain-Dutch names for what an audit entry is about, for the patient and the manager."""

from django.utils.translation import gettext_lazy as _

OBJECT_KIND_LABELS = {
    "personal_data": _("persoonsgegevens"),
    "patient": _("patiëntenlijst of zoekresultaat"),
    "patient_record": _("dossier van een patiënt"),
    "portal_activation": _("activeringscode portaal"),
    "portal_account": _("portaalaccount"),
    "audit_log": _("logboek"),
    "session": _("inlogsessie"),
    "page": _("pagina"),
    "passkey": _("passkey"),
    "second_factor": _("tweede stap (authenticator)"),
    "staff_membership": _("medewerker"),
    "news_item": _("nieuwsbericht"),
    "opening_exception": _("afwijkende openingstijd"),
    "practice_details": _("praktijkgegevens en openingstijden"),
    "appointment": _("afspraak"),
    "record": _("dossier (episodes, journaal, medicatie, allergieën)"),
    "episode": _("episode in het dossier"),
    "journalentry": _("journaalregel"),
    "medication": _("medicatie"),
    "allergy": _("allergie of intolerantie"),
    "records_online_from": _("datum vanaf wanneer het dossier online staat"),
    "labresult": _("uitslag van laboratoriumonderzoek"),
    "labmessage": _("labbericht"),
}


def object_kind_label(kind: str) -> str:
    return str(OBJECT_KIND_LABELS.get(kind, kind))


# Record rows a GP may shield: the patient's own log names them only as "your record",
# without detail, so the log never tells that (or when) something hidden exists.
# Results too: a result the GP has not released (or keeps off the portal) must not show
# up in the log as "a result" before the patient can see it.
CLINICAL_KINDS = frozenset(
    {"episode", "journalentry", "medication", "allergy", "labresult", "labmessage"}
)


def patient_object_kind_label(kind: str) -> str:
    if kind in CLINICAL_KINDS:
        return str(_("gegevens in uw dossier"))
    return object_kind_label(kind)
