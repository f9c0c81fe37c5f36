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
