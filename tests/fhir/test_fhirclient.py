"""A real SMART on FHIR client, the `fhirclient` library, against the running server:
it reads the CapabilityStatement for the OAuth2 endpoints, sends the patient to the consent
screen, exchanges the code (PKCE S256), and reads with its own FHIR models. Whatever an
app built on it does, the token opens the one patient's data and nothing else."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fhirclient import client as smart
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient
from fhirclient.server import FHIRNotFoundException

from spreekuur.fhir.models import AppKind
from spreekuur.fhir.services import register_app
from tests.conftest import Cast, verified_client
from tests.fhir.conftest import Charts

CALLBACK = "http://127.0.0.1/cb"
SCOPE = "openid fhirUser offline_access patient/*.rs"


@pytest.fixture
def on_live_server(settings: Any, live_server: Any) -> str:
    """The server's own URLs (FHIR base, OAuth2 endpoints, issuer) on the live server's
    address; they are derived from SITE_URL when the settings load."""
    base = live_server.url
    settings.SITE_URL = base
    settings.FHIR_BASE_URL = f"{base}/fhir/R4"
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": f"{base}/oauth"}
    return str(settings.FHIR_BASE_URL)


def connect(cast: Cast, api_base: str) -> smart.FHIRClient:
    """Patient A connects a public PGO built on fhirclient: the whole SMART launch."""
    app, _secret = register_app(
        practice=cast.practice_a,
        kind=AppKind.PATIENT_APP,
        name="fhirclient-PGO",
        allowed_scopes=f"launch/patient {SCOPE}".split(),
        redirect_uris=[CALLBACK],
        by=None,
    )
    client = smart.FHIRClient(
        settings={
            "app_id": app.application.client_id,
            "api_base": api_base,
            "redirect_uri": CALLBACK,
            "scope": SCOPE,
        }
    )
    authorize_url = urlsplit(client.authorize_url)  # fetches /metadata for the OAuth URIs
    assert f"{authorize_url.scheme}://{authorize_url.netloc}" == api_base.removesuffix("/fhir/R4")
    assert parse_qs(authorize_url.query)["code_challenge_method"] == ["S256"]

    browser = verified_client(cast.patient_user_a)
    page = browser.get(f"{authorize_url.path}?{authorize_url.query}")
    assert page.status_code == 200, page.content[:500]
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "patient"}
    data.update({"allow": "on", "patient": str(cast.patient_a.public_id)})
    answer = browser.post(authorize_url.path, data)
    assert answer.status_code == 302, answer.content[:500]
    assert answer["Location"].startswith(CALLBACK + "?")

    client.handle_callback(answer["Location"])  # the code exchange, over HTTP
    return client


@pytest.mark.django_db(transaction=True)
def test_fhirclient_completes_the_smart_launch_and_reads_the_patients_data(
    cast: Cast, charts: Charts, on_live_server: str
) -> None:
    client = connect(cast, on_live_server)

    assert client.ready
    assert client.patient_id == str(cast.patient_a.public_id)
    patient = Patient.read(client.patient_id, client.server)
    assert patient.id == str(cast.patient_a.public_id)
    assert patient.birthDate.isostring == cast.patient_a.date_of_birth.isoformat()

    labs = Observation.where({"patient": client.patient_id, "category": "laboratory"})
    found = list(labs.perform_resources_iter(client.server))
    assert {o.id for o in found} == {str(row.public_id) for row in charts.a.labs}
    everything = list(
        Observation.where({"patient": client.patient_id}).perform_resources_iter(client.server)
    )
    assert {o.id for o in everything} == {str(row.public_id) for row in charts.a.observations}


@pytest.mark.django_db(transaction=True)
def test_a_fhirclient_token_cannot_read_another_patient(
    cast: Cast, charts: Charts, on_live_server: str
) -> None:
    client = connect(cast, on_live_server)

    for other in (cast.other_patient_a, cast.patient_b):
        with pytest.raises(FHIRNotFoundException):
            Patient.read(str(other.public_id), client.server)
    for row in (charts.other_a.labs[0], charts.b.labs[0]):
        with pytest.raises(FHIRNotFoundException):
            Observation.read(str(row.public_id), client.server)
    theirs = Observation.where({"patient": str(cast.patient_b.public_id)})
    assert list(theirs.perform_resources_iter(client.server)) == []
