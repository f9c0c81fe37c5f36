"""A member of a practice's staff as a FHIR R4 Practitioner (nl-core-HealthProfessional-
Practitioner): the name and the AGB code. The id is the membership's public id: the
person in this practice, as the agenda and the record name them."""

from __future__ import annotations

from typing import Any

from spreekuur.accounts.models import Membership
from spreekuur.core.fhir import AGB_SYSTEM, profile


def practitioner_resource(membership: Membership) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(membership.public_id),
        "meta": profile("nl-core-HealthProfessional-Practitioner"),
        "active": membership.active,
        "name": [{"use": "official", "text": membership.user.full_name}],
    }
    if membership.agb_code:
        resource["identifier"] = [{"system": AGB_SYSTEM, "value": membership.agb_code}]
    return resource
