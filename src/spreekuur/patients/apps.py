from django.apps import AppConfig
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from spreekuur.core.registry import (
    Audience,
    Contributions,
    Counter,
    Figure,
    NavEntry,
    Tile,
    for_user,
)


def _also_acts_for_others(request: HttpRequest) -> bool:
    # Set by the start page (patients.portal.SESSION_REPRESENTS), so the menu needs no query.
    return bool(request.session.get("spreekuur_vertegenwoordiger"))


class PatientsConfig(AppConfig):
    name = "spreekuur.patients"
    label = "patients"
    verbose_name = "Patiënten"

    def shell_contributions(self) -> Contributions:
        from spreekuur.accounts.capabilities import (
            can_handle_address_changes,
            can_view_patient_list,
        )
        from spreekuur.accounts.selectors import is_staff_member
        from spreekuur.patients import selectors

        acting_for = _("Namens wie")
        return Contributions(
            navigation=[
                NavEntry(_("Mijn gegevens"), "patients:my_details", Audience.PATIENT, 60),
                NavEntry(
                    acting_for, "patients:acting_for", Audience.PATIENT, 80, _also_acts_for_others
                ),
                NavEntry(acting_for, "patients:acting_for", Audience.REPRESENTATIVE, 5),
                NavEntry(
                    _("Patiënten"),
                    "patients:list",
                    Audience.STAFF,
                    20,
                    for_user(can_view_patient_list),
                ),
            ],
            tiles=[
                Tile(
                    _("Mijn gegevens"),
                    _(
                        "Uw naam, adres en eigen huisarts zoals de praktijk ze kent; "
                        "uw telefoonnummer, e-mailadres of nieuw adres doorgeven."
                    ),
                    "patients:my_details",
                    Audience.PATIENT,
                    60,
                ),
                Tile(
                    _("Patiënt zoeken"),
                    _("Op naam, BSN of geboortedatum; activeringsbrief voor het portaal."),
                    "patients:list",
                    Audience.STAFF,
                    10,
                    for_user(can_view_patient_list),
                ),
            ],
            counters=[
                Counter(
                    lambda n: (
                        ngettext(
                            "%(count)d adreswijziging te verwerken",
                            "%(count)d adreswijzigingen te verwerken",
                            n,
                        )
                        % {"count": n}
                    ),
                    lambda user: selectors.address_changes_to_handle(by=user).count(),
                    "patients:address_changes",
                    60,
                    can_handle_address_changes,
                ),
            ],
            figures=[
                Figure(
                    _("Ingeschreven patiënten"),
                    lambda user: selectors.patients_for_staff(by=user).count(),
                    10,
                    is_staff_member,
                ),
                Figure(
                    _("Met actief portaalaccount"),
                    lambda user: (
                        selectors.patients_for_staff(by=user).filter(user__isnull=False).count()
                    ),
                    20,
                    is_staff_member,
                ),
                Figure(
                    _("Activeringsbrieven nog niet gebruikt"),
                    lambda user: selectors.open_activations(by=user).count(),
                    30,
                    is_staff_member,
                ),
            ],
            urls=[("", "spreekuur.patients.urls")],
        )
