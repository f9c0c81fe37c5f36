"""The pharmacy's door: "ready to collect", as a FHIR MedicationDispense, with the
pharmacy's own token. Idempotent; an item of another pharmacy or practice is a 404."""

from __future__ import annotations

import json
import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from spreekuur.prescriptions.fhir import dispensed_item_id
from spreekuur.prescriptions.models import Pharmacy
from spreekuur.prescriptions.services import IllegalTransition, confirm_ready

MAX_BODY = 64 * 1024
security_log = logging.getLogger("spreekuur.security")


def _outcome(status: int, severity: str, text: str) -> HttpResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": "processing", "diagnostics": text}],
    }
    return HttpResponse(json.dumps(body), status=status, content_type="application/fhir+json")


@csrf_exempt  # a machine door with its own token, no cookies
@login_not_required
@require_POST
def dispense(request: HttpRequest) -> HttpResponse:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    pharmacy = (
        Pharmacy.objects.filter(token_hash=Pharmacy.hash_token(token), active=True).first()
        if token and len(token) < 200
        else None
    )
    if pharmacy is None:
        security_log.warning("pharmacy door: refused token")
        return _outcome(401, "error", "Niet aangemeld.")
    declared = request.headers.get("Content-Length", "")
    if not (declared.isascii() and declared.isdigit()) or int(declared) > MAX_BODY:
        return _outcome(413, "error", "Bericht ontbreekt of is groter dan 64 kB.")
    try:
        item_id, status = dispensed_item_id(request.body)
    except Exception:  # fhir.resources raises several kinds on a bad body
        return _outcome(400, "error", "Geen geldige MedicationDispense met een voorschrift-id.")
    if status != "completed":
        return _outcome(200, "information", "Ontvangen; alleen 'completed' wijzigt de status.")
    try:
        item = confirm_ready(pharmacy=pharmacy, item_public_id=item_id)
    except IllegalTransition:
        # Not marked as sent yet (the worker is about to): the pharmacy may try again.
        return _outcome(409, "error", "Dit voorschrift is nog niet als verzonden gemarkeerd.")
    if item is None:
        security_log.warning("pharmacy door: unknown prescription")
        return _outcome(404, "error", "Onbekend voorschrift voor deze apotheek.")
    return _outcome(200, "information", "Klaar om op te halen.")
