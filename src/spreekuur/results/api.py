"""The lab's HTTP door: one POST per message, authenticated by the lab link's token.

The answer speaks the sender's language: an HL7 ACK (MSA AA, or AE with the reason when
the message went to quarantine), a FHIR OperationOutcome, or plain text for CSV. A
message in quarantine is still in our keeping, so the lab should not send it again."""

from __future__ import annotations

import json
import logging
import re

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from spreekuur.core.middleware import takes_large_requests
from spreekuur.core.roles import Channel
from spreekuur.results.models import Door, LabLink
from spreekuur.results.parsers import MAX_MESSAGE_BYTES
from spreekuur.results.services import ImportOutcome, receive_lab_message

security_log = logging.getLogger("spreekuur.security")


def _link(request: HttpRequest) -> LabLink | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or len(header) > 200:
        return None
    token = header.removeprefix("Bearer ").strip()
    return (
        LabLink.objects.select_related("practice")
        .filter(token_hash=LabLink.hash_token(token), active=True)
        .first()
    )


@csrf_exempt  # a machine door with its own token, no cookies
@login_not_required
@takes_large_requests(MAX_MESSAGE_BYTES)  # a lab's file; its parser reads it
@require_POST
def lab_inbox(request: HttpRequest, door: str) -> HttpResponse:
    if door not in Door.values:
        return HttpResponse(status=404)
    link = _link(request)
    if link is None:
        # Never the token itself; the request id and address are in the log line's context.
        security_log.warning("lab door: refused token", extra={"door": door})
        response = HttpResponse("Niet aangemeld.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="spreekuur-lab"'
        return response
    declared = request.headers.get("Content-Length", "")
    if not (declared.isascii() and declared.isdigit()):
        # Without a length (chunked) the body would read as empty: ask for a length.
        return HttpResponse("Content-Length ontbreekt.\n", status=411, content_type="text/plain")
    if int(declared) > MAX_MESSAGE_BYTES:
        # Refused before the body is read.
        return HttpResponse("Bericht groter dan 2 MB.\n", status=413, content_type="text/plain")
    # Read from the stream: the form limit (DATA_UPLOAD_MAX_MEMORY_SIZE) is not a lab's.
    raw = request.read(int(declared))
    outcome = receive_lab_message(
        practice=link.practice, door=door, raw=raw, source=link.name, channel=Channel.API
    )
    if door == Door.HL7V2:
        return _hl7_ack(raw, outcome)
    if door == Door.FHIR:
        return _operation_outcome(outcome)
    return HttpResponse(_summary(outcome) + "\n", content_type="text/plain; charset=utf-8")


def _summary(outcome: ImportOutcome) -> str:
    if outcome.duplicate:
        return "Al ontvangen; niets opnieuw opgeslagen."
    if outcome.quarantined:
        return f"In quarantaine: {outcome.reason}"
    return f"Ontvangen: {outcome.stored} uitslagen opgeslagen."


def _hl7_safe(text: str, limit: int) -> str:
    """Echo nothing the sender could use to break the ACK: no control characters (a NUL,
    an escape sequence, a segment break) and none of HL7's delimiters."""
    return re.sub(r"[\x00-\x1f\x7f|^~\\&]", " ", text)[:limit].strip()


def _hl7_ack(raw: bytes, outcome: ImportOutcome) -> HttpResponse:
    text = raw.decode("utf-8", errors="replace")
    header = text.split("\r", 1)[0].split("\n", 1)[0]
    fields = header.split("|") if header.startswith("MSH") else []
    control_id = _hl7_safe(fields[9] if len(fields) > 9 else "", 20).replace(" ", "")
    code = "AE" if outcome.quarantined else "AA"
    note = _hl7_safe(_summary(outcome), 200)
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    ack = "\r".join(
        [
            f"MSH|^~\\&|SPREEKUUR||||{stamp}||ACK^R01|ACK{control_id[:17]}|P|2.5",
            f"MSA|{code}|{control_id[:20]}|{note}",
        ]
    )
    return HttpResponse(ack + "\r", content_type="x-application/hl7-v2+er7; charset=utf-8")


def _operation_outcome(outcome: ImportOutcome) -> HttpResponse:
    severity, code = (
        ("error", "invalid") if outcome.quarantined else ("information", "informational")
    )
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": _summary(outcome)}],
    }
    return HttpResponse(json.dumps(body), content_type="application/fhir+json")
