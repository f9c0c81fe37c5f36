from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from spreekuur.accounts import capabilities
from spreekuur.accounts.selectors import practice_of, role_of, second_factor_done
from spreekuur.agenda import capabilities as agenda_capabilities
from spreekuur.econsult import capabilities as econsult_capabilities
from spreekuur.prescriptions import capabilities as prescription_capabilities
from spreekuur.results import capabilities as results_capabilities


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str


def navigation(request: HttpRequest) -> dict[str, object]:
    """Role-aware navigation: a link appears only where the capability allows the page."""
    user = getattr(request, "user", None)
    if user is None or not second_factor_done(user):
        return {"nav_items": [], "nav_practice": None, "nav_role": None}
    items = [NavItem(str(_("Start")), reverse("core:start"))]
    if capabilities.is_portal_user(user):
        items += [
            NavItem(str(_("Afspraken")), reverse("agenda:my_appointments")),
            NavItem(str(_("Mijn dossier")), reverse("dossier:my_record")),
            NavItem(str(_("Uitslagen")), reverse("results:my_results")),
            NavItem(str(_("Herhaalrecepten")), reverse("prescriptions:my_repeats")),
            NavItem(str(_("Vraag de praktijk")), reverse("econsult:my_questions")),
            NavItem(str(_("Mijn gegevens")), reverse("patients:my_details")),
            NavItem(str(_("Wie keek in mijn dossier")), reverse("core:my_audit_log")),
        ]
        if request.session.get("spreekuur_vertegenwoordiger"):  # set by the start page
            items.append(NavItem(str(_("Namens wie")), reverse("patients:acting_for")))
    elif capabilities.uses_portal(user):  # acts for others only (parent, gemachtigde)
        items += [
            NavItem(str(_("Namens wie")), reverse("patients:acting_for")),
            NavItem(str(_("Dossier")), reverse("dossier:my_record")),
            NavItem(str(_("Uitslagen")), reverse("results:my_results")),
            NavItem(str(_("Herhaalrecepten")), reverse("prescriptions:my_repeats")),
            NavItem(str(_("Vraag de praktijk")), reverse("econsult:my_questions")),
            NavItem(str(_("Wie keek in het dossier")), reverse("core:my_audit_log")),
        ]
    if agenda_capabilities.can_use_agenda(user):
        items.append(NavItem(str(_("Agenda")), reverse("agenda:day")))
    if capabilities.can_view_patient_list(user):
        items.append(NavItem(str(_("Patiënten")), reverse("patients:list")))
    if results_capabilities.can_review_results(user):
        items.append(NavItem(str(_("Uitslagen")), reverse("results:review_list")))
    if results_capabilities.can_handle_lab_messages(user):
        items.append(NavItem(str(_("Labberichten")), reverse("results:worklist")))
    if econsult_capabilities.can_work_inbox(user):
        items.append(NavItem(str(_("E-consults")), reverse("econsult:inbox")))
    if econsult_capabilities.can_manage_econsult(user):
        items.append(NavItem(str(_("E-consult")), reverse("econsult:settings")))
    if prescription_capabilities.can_approve(user):
        items.append(
            NavItem(str(_("Accorderingslijst")), reverse("prescriptions:accorderingslijst"))
        )
    elif prescription_capabilities.can_filter_requests(user):
        items.append(NavItem(str(_("Herhaalrecepten")), reverse("prescriptions:filter_list")))
    if prescription_capabilities.can_manage_repeat_settings(user):
        items.append(NavItem(str(_("Herhaalrecepten")), reverse("prescriptions:settings")))
    if agenda_capabilities.can_manage_agenda(user):
        items.append(NavItem(str(_("Agenda-instellingen")), reverse("agenda:settings")))
    if capabilities.can_manage_staff(user):
        items.append(NavItem(str(_("Medewerkers")), reverse("accounts:staff_list")))
    if capabilities.can_manage_practice_page(user):
        items.append(NavItem(str(_("Praktijkpagina")), reverse("core:manage_page")))
    if capabilities.can_search_audit_log(user):
        items.append(NavItem(str(_("Logboek")), reverse("core:audit_search")))
    items.append(NavItem(str(_("Beveiliging")), reverse("accounts:security")))
    return {
        "nav_items": items,
        "nav_practice": practice_of(user),
        "nav_role": role_of(user),
        # Set in the session when one chooses to act for someone (patients/portal.py).
        "acting_for_name": request.session.get("spreekuur_namens_naam", ""),
    }
