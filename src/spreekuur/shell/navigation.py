"""The main menu, built from what each app contributes (core.registry)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from spreekuur.accounts import capabilities
from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of, role_of, second_factor_done
from spreekuur.core.registry import Audience
from spreekuur.shell import registry


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str


def audience_of(user: User) -> Audience:
    """Each user is one audience: a patient, someone acting only for others, or staff."""
    if capabilities.is_portal_user(user):
        return Audience.PATIENT
    if capabilities.uses_portal(user):
        return Audience.REPRESENTATIVE
    return Audience.STAFF


def navigation(request: HttpRequest) -> dict[str, object]:
    """Role-aware navigation: a link appears only where the capability allows the page."""
    user = getattr(request, "user", None)
    if user is None or not second_factor_done(user):
        return {"nav_items": [], "nav_practice": None, "nav_role": None}
    audience = audience_of(user)
    items = [
        NavItem(str(entry.label), reverse(entry.url_name))
        for entry in registry.navigation()
        if entry.audience == audience and entry.visible(request)
    ]
    return {
        "nav_items": items,
        "nav_practice": practice_of(user),
        "nav_role": role_of(user),
        # Set in the session when one chooses to act for someone (patients/portal.py).
        "acting_for_name": request.session.get("spreekuur_namens_naam", ""),
    }
