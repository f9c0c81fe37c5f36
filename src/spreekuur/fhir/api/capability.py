"""The server's CapabilityStatement and its SMART configuration, both built from what
is really there (the resource types, their parameters and includes, the OAuth2 server),
so that they cannot promise what the server does not do."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from spreekuur.core.fhir import NICTIZ, base_url
from spreekuur.fhir.api.resources import KINDS
from spreekuur.fhir.scopes import OFFERED_SCOPES

SOFTWARE_VERSION = "0.1.0"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def oauth_url(name: str) -> str:
    return f"{settings.SITE_URL}{reverse(name)}"


def capability_statement() -> dict[str, Any]:
    resources = []
    for kind in KINDS.values():
        entry: dict[str, Any] = {
            "type": kind.name,
            "interaction": [{"code": code} for code in kind.interactions],
            "searchParam": [
                {"name": name, "type": kind_type} for name, kind_type in kind.params.items()
            ],
        }
        if kind.profile:
            entry["supportedProfile"] = [NICTIZ + kind.profile]
        if kind.includes:
            entry["searchInclude"] = list(kind.includes)
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-05",
        "publisher": "Spreekuur",
        "kind": "instance",
        "software": {"name": "Spreekuur", "version": SOFTWARE_VERSION},
        "implementation": {
            "description": "Spreekuur FHIR R4 API (nl-core / zib2020)",
            "url": base_url(),
        },
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Patient apps (PGO) connect with SMART App Launch (authorization code with "
                    "PKCE, patient/ scopes); practice systems with client credentials "
                    "(system/ scopes). Paging: _count (max 100) and the Bundle's links."
                ),
                "security": {
                    "cors": True,
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "extension": [
                        {
                            "url": OAUTH_URIS,
                            "extension": [
                                {
                                    "url": "authorize",
                                    "valueUri": oauth_url("oauth2_provider:authorize"),
                                },
                                {"url": "token", "valueUri": oauth_url("oauth2_provider:token")},
                                {
                                    "url": "revoke",
                                    "valueUri": oauth_url("oauth2_provider:revoke-token"),
                                },
                                {"url": "manage", "valueUri": oauth_url("fhir:connections")},
                            ],
                        }
                    ],
                },
                "resource": resources,
            }
        ],
    }


def smart_configuration() -> dict[str, Any]:
    return {
        "issuer": settings.OAUTH2_PROVIDER["OIDC_ISS_ENDPOINT"],
        "jwks_uri": oauth_url("oauth2_provider:jwks-info"),
        "authorization_endpoint": oauth_url("oauth2_provider:authorize"),
        "token_endpoint": oauth_url("oauth2_provider:token"),
        "revocation_endpoint": oauth_url("oauth2_provider:revoke-token"),
        "management_endpoint": oauth_url("fhir:connections"),
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": list(OFFERED_SCOPES),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": [
            "launch-standalone",
            "client-public",
            "client-confidential-symmetric",
            "context-standalone-patient",
            "context-banner",
            "permission-patient",
            "permission-offline",
            "permission-online",
            "permission-v1",
            "permission-v2",
            "sso-openid-connect",
        ],
    }
