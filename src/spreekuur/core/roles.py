"""The roles of Spreekuur (DESIGN.md §1). One word per role, everywhere."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    HUISARTS = "huisarts", _("Huisarts")
    ASSISTENT = "assistent", _("Doktersassistent")
    POH = "poh", _("Praktijkondersteuner (POH)")
    PRAKTIJKMANAGER = "praktijkmanager", _("Praktijkmanager")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Patiëntenportaal")
    STAFF = "staff", _("Praktijk")
    API = "api", _("API")
    TASK = "task", _("Achtergrondtaak")
    PUBLIC = "public", _("Publiek")


_OTHER_ROLE_LABELS = {
    "patient": _("patiënt"),
    "gemachtigde": _("gemachtigde"),
    "ouder": _("ouder of voogd"),
    "anoniem": _("niet ingelogd"),
    # Systems that sign in with their own token, named in the entry.
    "laboratorium": _("laboratorium"),
    "apotheek": _("apotheek"),
    "telefonie": _("telefooncentrale"),
    "koppeling": _("gekoppeld systeem (FHIR)"),
    "beheer": _("beheerder van de installatie"),
    "geen": _("geen rol"),
}


def role_label(code: str) -> str:
    """The readable name of a role code as stored in the audit log."""
    if code in StaffRole.values:
        return str(StaffRole(code).label)
    return str(_OTHER_ROLE_LABELS.get(code, code))
