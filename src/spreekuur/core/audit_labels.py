"""Plain Dutch for the audit-log pages: what an entry is about, and who did it when no
person did (a background job, a linked system). The log stores codes ("repeatrequest");
people read these labels. tests/shell/test_audit_labels.py walks every object kind the
code can write and fails on one without a label here."""

from __future__ import annotations

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from spreekuur.core.models import AuditAction, AuditEntry
from spreekuur.core.roles import Channel, role_label

OBJECT_KIND_LABELS: dict[str, Promise] = {
    # people and accounts
    "personal_data": _("persoonsgegevens"),
    "patient": _("patiëntenlijst of zoekresultaat"),
    "patient_record": _("dossier van een patiënt"),
    "portal_activation": _("activeringscode portaal"),
    "portal_account": _("portaalaccount"),
    "representation": _("machtiging van een ouder of gemachtigde"),
    "session": _("inlogsessie"),
    "passkey": _("passkey (tweede stap bij het inloggen)"),
    "second_factor": _("tweede stap (authenticator)"),
    "staff_membership": _("medewerker"),
    "audit_log": _("logboek"),
    "page": _("pagina"),
    "notification": _("e-mail of sms"),
    # the practice
    "news_item": _("nieuwsbericht"),
    "opening_exception": _("afwijkende openingstijd"),
    "practice_details": _("praktijkgegevens en openingstijden"),
    "records_online_from": _("datum vanaf wanneer het dossier online staat"),
    "phone_settings": _("keuzemenu en terugbelinstellingen van de telefoon"),
    "telephony_link": _("koppeling met de telefooncentrale"),
    "call_report": _("gespreksrapport van de telefooncentrale"),
    "roster_shift": _("dienst in het rooster"),
    "tariff": _("tarief van een prestatiecode"),
    "monthly_review": _("maandbespreking van het dashboard"),
    "region": _("cijfers van de regio"),
    "staff_absence": _("afwezigheid van een medewerker"),
    # care
    "appointment": _("afspraak"),
    "callback_request": _("terugbelverzoek"),
    "record": _("dossier (episodes, journaal, medicatie, allergieën)"),
    "episode": _("episode in het dossier"),
    "journalentry": _("journaalregel"),
    "medication": _("medicatie"),
    "allergy": _("allergie of intolerantie"),
    "measurement": _("meting (zoals bloeddruk of gewicht)"),
    "labresult": _("uitslag van laboratoriumonderzoek"),
    "labmessage": _("labbericht"),
    "econsult": _("e-consult (vraag aan de praktijk)"),
    "econsult_photo": _("foto bij een e-consult"),
    "econsult_settings": _("instellingen e-consult"),
    "consult_code": _("tarief e-consult"),
    "repeatrequest": _("aanvraag herhaalrecept"),
    "triage": _("zelftriage (klacht en advies)"),
    "questionnaire": _("vragenlijst"),
    "questionnaire-mailing": _("vragenlijst aan een groep"),
    "repeat_settings": _("instellingen herhaalrecepten"),
    "pharmacy": _("apotheek"),
    "enrolment": _("deelname aan een ketenzorgprogramma"),
    "chronic_control": _("controle in een ketenzorgprogramma"),
    "care_goal": _("doel in het zorgplan"),
    "chronic_invitation": _("uitnodiging voor een ketenzorgcontrole"),
    # apps (the FHIR API)
    "fhir_app": _("app of systeem dat de FHIR-koppeling gebruikt"),
    "fhir_connection": _("toestemming voor een app"),
}

# Record rows a GP may shield, and results: the patient's own log names them only as
# "your record", without detail. An entry about one the patient may not see now (shielded,
# not released) is screened as well (patients.access_log), so the log never tells that (or
# when) something hidden exists.
CLINICAL_KINDS = frozenset(
    {"episode", "journalentry", "medication", "allergy", "measurement", "labresult", "labmessage"}
)


def object_kind_label(kind: str) -> str:
    """The label of a kind; an unknown one (a new app's, not yet named here) reads as
    "gegevens" rather than as its code."""
    label = OBJECT_KIND_LABELS.get(kind)
    return str(label) if label is not None else str(_("gegevens"))


def patient_object_kind_label(kind: str) -> str:
    if kind in CLINICAL_KINDS:
        return str(_("gegevens in uw dossier"))
    return object_kind_label(kind)


def detail_label(entry: AuditEntry) -> str:
    """The entry's detail as written, except where it is a code: a refused page names
    its view ("econsult:my_thread"); people read the part of Spreekuur it belongs to."""
    if entry.object_kind == "page" and ":" in entry.detail:
        app_label = entry.detail.split(":", 1)[0]
        try:
            return str(apps.get_app_config(app_label).verbose_name)
        except LookupError:
            return ""
    return entry.detail


def action_label(action: str) -> str:
    try:
        return str(AuditAction(action).label)
    except ValueError:
        return str(_("gebruikt"))


# Work that no person does: named for what it is. (object kind, action) of an entry
# without a user, written by a background job (or a service that the job runs).
SYSTEM_WORK: dict[tuple[str, str], Promise] = {
    ("repeatrequest", AuditAction.EXPORT): _("verzending naar de apotheek (automatisch)"),
    ("repeatrequest", AuditAction.CHANGE): _("bericht van de apotheek (automatisch)"),
    ("labresult", AuditAction.CREATE): _("inlezen van labuitslagen (automatisch)"),
    ("labmessage", AuditAction.CREATE): _("inlezen van labberichten (automatisch)"),
    ("notification", AuditAction.CHANGE): _("verzending van e-mail en sms (automatisch)"),
    ("appointment", AuditAction.CHANGE): _("agenda (automatisch)"),
    ("appointment", AuditAction.CREATE): _("agenda (automatisch)"),
    ("econsult", AuditAction.CHANGE): _("e-consult (automatisch)"),
}


def system_actor_label(entry: AuditEntry) -> str:
    """Who did it, for an entry without a user and without a system's own name."""
    known = SYSTEM_WORK.get((entry.object_kind, entry.action))
    if known is not None:
        return str(known)
    if entry.channel == Channel.TASK:
        return str(_("achtergrondtaak van de praktijk (automatisch)"))
    if entry.channel == Channel.API:
        return str(_("gekoppeld systeem"))
    return str(_("iemand die niet was ingelogd"))


def with_labels(entries: list[AuditEntry], *, for_patient: bool = False) -> list[AuditEntry]:
    """Each entry with its plain Dutch: what (action and object), who (a person, a named
    system, or the background job it was), and the detail where the reader may see it."""
    for entry in entries:
        # Screened (patients.access_log): it names what the patient may not see now; it
        # reads as the person looking at their data, the same words as any other look.
        screened = for_patient and getattr(entry, "screened", False)
        hide = screened or (for_patient and entry.object_kind in CLINICAL_KINDS)
        entry.object_label = (  # type: ignore[attr-defined]
            patient_object_kind_label(entry.object_kind)
            if for_patient
            else object_kind_label(entry.object_kind)
        )
        shown_action = AuditAction.READ if screened else entry.action
        entry.action_label = action_label(shown_action)  # type: ignore[attr-defined]
        entry.detail_label = "" if hide else detail_label(entry)  # type: ignore[attr-defined]
        entry.role_label = role_label(entry.actor_role)  # type: ignore[attr-defined]
        entry.system_label = (  # type: ignore[attr-defined]
            system_actor_label(entry) if entry.actor_id is None and not entry.actor_name else ""
        )
    return entries
