"""Apps that reach the FHIR API, and each patient's permission for one of them.

The OAuth2 machinery (client ids, hashed secrets, codes, tokens) is django-oauth-toolkit's
own; these tables say what Spreekuur adds to it: which practice registered an app and
what it may ask for (`FhirApp`), and which patient a patient's "yes" was for
(`Connection`). Every code and token we issue is tied to its connection (or, for a
practice system, to its app) by a link row, so a token says by itself whose data it
opens, and disconnecting an app ends all of its tokens at once."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from spreekuur.core.models import Practice


class AppKind(models.TextChoices):
    # A personal health app (PGO): a patient signs in and chooses to connect it.
    PATIENT_APP = "patient_app", _("App voor patiënten (PGO)")
    # A system of the practice or its partners: its own credentials, no patient signs in.
    SYSTEM = "system", _("Systeem van de praktijk")


class FhirApp(models.Model):
    """An app a practice manager registered: a patient app (authorization code with
    PKCE, public or confidential) or a practice system (client credentials, named scopes)."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    application = models.OneToOneField(
        "oauth2_provider.Application",
        on_delete=models.CASCADE,
        related_name="fhir_app",
    )
    kind = models.CharField(_("soort"), max_length=20, choices=AppKind.choices)
    name = models.CharField(_("naam"), max_length=100)
    vendor = models.CharField(_("leverancier"), max_length=100, blank=True)
    homepage = models.URLField(_("website"), max_length=200, blank=True)
    # What the app may ask for, as SMART scopes (space-separated); a patient app asks
    # within these and the patient agrees or not, a system gets exactly what it asks.
    allowed_scopes = models.TextField(_("toegestane scopes"), max_length=2000)
    active = models.BooleanField(_("actief"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="fhirapp_public_id_per_practice"
            ),
            models.UniqueConstraint(fields=["practice", "name"], name="fhirapp_name_per_practice"),
        ]

    def __str__(self) -> str:
        return self.name


class Connection(models.Model):
    """One patient's permission for one app: given by the patient (or by a parent or
    gemachtigde for them) on the consent screen, ended by disconnecting."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    app = models.ForeignKey(FhirApp, on_delete=models.CASCADE, related_name="connections")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    # Who said yes: the patient, or the parent or gemachtigde acting for them.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scope = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="connection_public_id_per_practice"
            ),
            # One open permission per app, patient and person who gave it; a new "yes"
            # replaces the scope of the open one.
            models.UniqueConstraint(
                fields=["practice", "app", "patient", "user"],
                condition=Q(revoked_at__isnull=True),
                name="connection_one_open_per_app_patient_user",
            ),
        ]
        indexes = [models.Index(fields=["practice", "patient"])]

    def __str__(self) -> str:
        return f"connection {self.public_id}"

    @property
    def open(self) -> bool:
        return self.revoked_at is None


class GrantLink(models.Model):
    """An authorization code's connection, until the code is exchanged (or expires)."""

    grant = models.OneToOneField(
        "oauth2_provider.Grant", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grant", "practice"], name="grantlink_per_practice")
        ]

    def __str__(self) -> str:
        return f"grantlink {self.grant_id}"


class AccessTokenLink(models.Model):
    """What an access token opens: a patient's connection, or (no connection) the
    practice of the system app it was issued to."""

    access_token = models.OneToOneField(
        "oauth2_provider.AccessToken",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="fhir_link",
    )
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    app = models.ForeignKey(FhirApp, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["access_token", "practice"], name="accesstokenlink_per_practice"
            )
        ]

    def __str__(self) -> str:
        return f"accesstokenlink {self.access_token_id}"


class RefreshLink(models.Model):
    """A refresh token's connection: a refreshed token opens what the first one did."""

    refresh_token = models.OneToOneField(
        "oauth2_provider.RefreshToken",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="fhir_link",
    )
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["refresh_token", "practice"], name="refreshlink_per_practice"
            )
        ]

    def __str__(self) -> str:
        return f"refreshlink {self.refresh_token_id}"
