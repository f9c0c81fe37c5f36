"""The pharmacy's door: "ready to collect", as a FHIR MedicationDispense, with the
pharmacy's own token. Idempotent; an item of another pharmacy or practice is a 404; a
dispense for another patient or medicine than the prescription's is refused (422)."""

from __future__ import annotations

import json
import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from spreekuur.prescriptions.fhir import read_dispense
from spreekuur.prescriptions.models import Pharmacy
from spreekuur.prescriptions.services import DispenseMismatch, IllegalTransition, confirm_ready

MAX_BODY = 64 * 1024
security_log = logging.getLogger("spreekuur.security")


REFUSED = {
    "patient": "De patiënt van deze afgifte is niet de patiënt van het voorschrift.",
    "medicine": (
        "Het geneesmiddel van deze afgifte is niet dat van het voorschrift (of niet te "
        "vergelijken: geef de G-Standaardcode of de naam mee)."
    ),
}


def _outcome(status: int, severity: str, text: str, code: str = "processing") -> HttpResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": text}],
    }
    return HttpResponse(json.dumps(body), status=status, content_type="application/fhir+json")


def _signed_in_pharmacy(request: HttpRequest) -> Pharmacy | None:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if not token or len(token) >= 200:
        return None
    return Pharmacy.objects.filter(token_hash=Pharmacy.hash_token(token), active=True).first()


@csrf_exempt  # a machine door with its own token, no cookies
@login_not_required
@require_POST
def dispense(request: HttpRequest) -> HttpResponse:
    pharmacy = _signed_in_pharmacy(request)
    if pharmacy is None:
        security_log.warning("pharmacy door: refused token")
        return _outcome(401, "error", "Niet aangemeld.")
    declared = request.headers.get("Content-Length", "")
    if not (declared.isascii() and declared.isdigit()) or int(declared) > MAX_BODY:
        return _outcome(413, "error", "Bericht ontbreekt of is groter dan 64 kB.")
    try:
        report = read_dispense(request.body)
    except Exception:  # fhir.resources raises several kinds on a bad body
        return _outcome(400, "error", "Geen geldige MedicationDispense met een voorschrift-id.")
    if report.status != "completed":
        return _outcome(200, "information", "Ontvangen; alleen 'completed' wijzigt de status.")
    try:
        item = confirm_ready(pharmacy=pharmacy, dispense=report)
    except DispenseMismatch as refused:
        # Which part, never what the pharmacy sent: no BSN or medicine in the log.
        security_log.warning("pharmacy door: dispense refused, %s differs", refused.part)
        return _outcome(422, "error", REFUSED[refused.part], code="business-rule")
    except IllegalTransition:
        # Not marked as sent yet (the worker is about to): the pharmacy may try again.
        return _outcome(409, "error", "Dit voorschrift is nog niet als verzonden gemarkeerd.")
    if item is None:
        security_log.warning("pharmacy door: unknown prescription")
        return _outcome(404, "error", "Onbekend voorschrift voor deze apotheek.")
    return _outcome(200, "information", "Klaar om op te halen.")
