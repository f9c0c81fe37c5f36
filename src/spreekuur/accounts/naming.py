"""How staff are named to patients and on screens: role and name, the way a practice says it."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from spreekuur.core.roles import StaffRole


def staff_label(role: str, full_name: str) -> str:
    """'Dokter De Boer' for a GP (a 'Dr.' typed into the name is not doubled),
    'Praktijkondersteuner Fatima Yilmaz', 'Assistent Lisa Peters'; a manager by name."""
    if role == StaffRole.HUISARTS:
        name = re.sub(r"^(dr\.?|dokter)\s+", "", full_name, flags=re.IGNORECASE)
        return _("Dokter %(name)s") % {"name": name}
    if role == StaffRole.POH:
        return _("Praktijkondersteuner %(name)s") % {"name": full_name}
    if role == StaffRole.ASSISTENT:
        return _("Assistent %(name)s") % {"name": full_name}
    return full_name
