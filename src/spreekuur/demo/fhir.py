"""The demo's apps for the FHIR API: a personal health app (PGO) that a patient can
connect, and a practice system with client credentials. Their client ids, and the
system's secret, are fixed and published, like the demo logins: demo only."""

from __future__ import annotations

from oauth2_provider.models import Application

from spreekuur.core.models import Practice
from spreekuur.fhir.models import AppKind
from spreekuur.fhir.services import register_app

DEMO_PGO_CLIENT_ID = "demo-pgo"
DEMO_PGO_REDIRECT = "http://127.0.0.1:8765/callback"
DEMO_SYSTEM_CLIENT_ID = "demo-agendakoppeling"
DEMO_SYSTEM_SECRET = "demo-geheim-alleen-voor-de-demo"  # noqa: S105 - published, demo only
PGO_SCOPES = (
    "launch/patient openid fhirUser offline_access patient/*.rs patient/Appointment.cu "
    "patient/MedicationRequest.c patient/Observation.c patient/QuestionnaireResponse.c"
)
SYSTEM_SCOPES = "system/Patient.rs system/Schedule.rs system/Slot.rs system/Appointment.rs"


def build_demo_apps(practice: Practice) -> int:
    pgo, _secret = register_app(
        practice=practice,
        kind=AppKind.PATIENT_APP,
        name="Demo-PGO",
        vendor="Voorbeeld (docs/fhir.md)",
        allowed_scopes=PGO_SCOPES.split(),
        redirect_uris=[DEMO_PGO_REDIRECT],
        by=None,
    )
    system, _secret = register_app(
        practice=practice,
        kind=AppKind.SYSTEM,
        name="Demo-agendakoppeling",
        vendor="Voorbeeld (docs/fhir.md)",
        allowed_scopes=SYSTEM_SCOPES.split(),
        by=None,
    )
    Application.objects.filter(pk=pgo.application_id).update(client_id=DEMO_PGO_CLIENT_ID)
    application = system.application
    application.client_id = DEMO_SYSTEM_CLIENT_ID
    application.client_secret = DEMO_SYSTEM_SECRET  # hashed on save
    application.save(update_fields=["client_id", "client_secret"])
    return 2
