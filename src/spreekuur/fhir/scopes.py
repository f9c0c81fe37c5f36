"""SMART on FHIR scopes: what a token may do, and in words a patient understands.

SMART App Launch 2 writes `patient/Observation.rs` (context, resource type, permissions
out of c-r-u-d-s in that order); version 1's `patient/Observation.read`, `.write` and
`.*` are understood as r+s, c+u+d and all. Besides those: `launch/patient` (the app
wants to know which patient), `openid fhirUser` (who signed in, as an ID token),
`offline_access` (a refresh token) and `online_access`. Granular scopes with a query
(`?category=...`) and `user/` scopes are not offered: the server says so in its
smart-configuration, and an app asking for them is refused (invalid_scope)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PERMISSIONS = "cruds"
INTERACTION_PERMISSION = {"read": "r", "search": "s", "create": "c", "update": "u", "delete": "d"}
V1_PERMISSIONS = {"read": "rs", "write": "cud", "*": "cruds"}
CONTEXTS = ("patient", "system")
LAUNCH_PATIENT = "launch/patient"
IDENTITY_SCOPES = ("openid", "fhirUser", "profile")
ACCESS_SCOPES = ("offline_access", "online_access")
SPECIAL_SCOPES = (LAUNCH_PATIENT, *IDENTITY_SCOPES, *ACCESS_SCOPES)
# What the server offers in general (smart-configuration's scopes_supported); each app
# gets what its practice allowed within these.
OFFERED_SCOPES = (
    *SPECIAL_SCOPES,
    "patient/*.rs",
    "patient/*.cruds",
    "patient/*.read",
    "system/*.rs",
)

_RESOURCE_SCOPE = re.compile(
    r"^(?P<context>patient|user|system)/(?P<type>\*|[A-Z][A-Za-z]{1,63})"
    r"\.(?P<permissions>[cruds]{1,5}|read|write|\*)$"
)


@dataclass(frozen=True)
class ResourceScope:
    context: str
    resource_type: str  # or "*"
    permissions: frozenset[str]

    def allows(self, context: str, resource_type: str, interaction: str) -> bool:
        return (
            self.context == context
            and self.resource_type in ("*", resource_type)
            and INTERACTION_PERMISSION[interaction] in self.permissions
        )


def parse_resource_scope(scope: str) -> ResourceScope | None:
    """The resource scope this string is, or None (not a resource scope, or malformed:
    v2 permissions out of order or repeated, like `.sr` or `.rr`)."""
    match = _RESOURCE_SCOPE.match(scope)
    if match is None:
        return None
    raw = match["permissions"]
    letters = V1_PERMISSIONS.get(raw, raw)
    if raw not in V1_PERMISSIONS and letters != "".join(p for p in PERMISSIONS if p in letters):
        return None
    return ResourceScope(match["context"], match["type"], frozenset(letters))


@dataclass(frozen=True)
class GrantedScopes:
    """The scopes of one token, parsed once."""

    raw: tuple[str, ...]
    resources: tuple[ResourceScope, ...]

    @classmethod
    def of(cls, scopes: Iterable[str]) -> GrantedScopes:
        raw = tuple(scopes)
        parsed = (parse_resource_scope(scope) for scope in raw)
        return cls(raw, tuple(scope for scope in parsed if scope is not None))

    def allows(self, context: str, resource_type: str, interaction: str) -> bool:
        return any(s.allows(context, resource_type, interaction) for s in self.resources)

    def __contains__(self, scope: str) -> bool:
        return scope in self.raw


def unknown_scopes(
    requested: Iterable[str], *, contexts: Iterable[str], resource_types: Iterable[str]
) -> list[str]:
    """The requested scopes this server does not offer in these contexts."""
    contexts = set(contexts)
    types = {"*", *resource_types}
    wrong = []
    for scope in requested:
        if scope in SPECIAL_SCOPES:
            if "patient" not in contexts:
                wrong.append(scope)  # a system has no patient and no one signing in
            continue
        parsed = parse_resource_scope(scope)
        if parsed is None or parsed.context not in contexts or parsed.resource_type not in types:
            wrong.append(scope)
    return wrong


def within(requested: Iterable[str], allowed: Iterable[str]) -> bool:
    """Every requested scope is covered by the scopes the practice allowed the app."""
    allowed = list(allowed)
    granted = GrantedScopes.of(allowed)
    for scope in requested:
        if scope in SPECIAL_SCOPES:
            if scope not in allowed:
                return False
            continue
        parsed = parse_resource_scope(scope)
        if parsed is None:
            return False
        for permission in parsed.permissions:
            interaction = next(k for k, v in INTERACTION_PERMISSION.items() if v == permission)
            # A requested `*` needs an allowed `*`: ResourceScope.allows matches "*" only so.
            if not granted.allows(parsed.context, parsed.resource_type, interaction):
                return False
    return True


_PERMISSION_WORDS = {
    "r": gettext_lazy("inzien"),
    "s": gettext_lazy("zoeken"),
    "c": gettext_lazy("toevoegen"),
    "u": gettext_lazy("wijzigen"),
    "d": gettext_lazy("verwijderen"),
}


def describe(scope: str) -> str:
    """One scope in the patient's words, for the consent screen."""
    from spreekuur.fhir.api.resources import TYPE_LABELS

    special = {
        LAUNCH_PATIENT: _("weten voor welke patiënt u de app gebruikt"),
        "openid": _("weten wie er inlogde"),
        "fhirUser": _("weten wie er inlogde"),
        "profile": _("uw naam zien"),
        "offline_access": _("verbonden blijven, ook als u niet ingelogd bent (tot u ontkoppelt)"),
        "online_access": _("verbonden blijven zolang u ingelogd bent"),
    }
    if scope in special:
        return str(special[scope])
    parsed = parse_resource_scope(scope)
    if parsed is None:
        return scope
    what = (
        _("uw hele dossier")
        if parsed.resource_type == "*"
        else str(TYPE_LABELS.get(parsed.resource_type, parsed.resource_type))
    )
    verbs = [str(_PERMISSION_WORDS[p]) for p in PERMISSIONS if p in parsed.permissions]
    return _("%(what)s: %(verbs)s") % {"what": what, "verbs": ", ".join(verbs)}
