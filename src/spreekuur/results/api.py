"""The lab's HTTP door: one POST per message, authenticated by the lab link's token.

The answer speaks the sender's language: an HL7 ACK (MSA AA, or AE with the reason when
the message went to quarantine), a FHIR OperationOutcome, or plain text for CSV; each
says what was set aside for the work list. A message in quarantine is still in our
keeping, so the lab should not send it again. An HL7 batch (FHS/BHS, or several messages
in one body) is read as `import_lab` reads a file, and answered with a batch of ACKs."""

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
from spreekuur.results.parsers import MAX_MESSAGE_BYTES, hl7_control_id, is_hl7_batch
from spreekuur.results.services import ImportOutcome, receive_lab_message
from spreekuur.results.services.imports import FileOutcome, receive_hl7_file

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
    return _receive(link, door, request.read(int(declared)))


def _receive(link: LabLink, door: str, raw: bytes) -> HttpResponse:
    """One message, or an HL7 batch as `import_lab` reads a file; answered in kind."""
    if door == Door.HL7V2 and is_hl7_batch(raw):
        batch = receive_hl7_file(
            practice=link.practice, raw=raw, source=link.name, channel=Channel.API
        )
        return _hl7_batch_ack(batch)
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
    said = [f"Ontvangen: {outcome.stored} uitslagen opgeslagen."]
    said += [f"Apart gezet voor de werklijst: {reason}" for reason in outcome.set_aside]
    return " ".join(said + outcome.notes)


# What the ACK never echoes: control characters (a NUL, an escape sequence, a segment
# break) and HL7's delimiters, with which a sender could reshape the ACK.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f|^~\\&]")
MAX_CONTROL_ID = 199  # MSH-10's length in HL7 v2.7


def _hl7_safe(text: str, limit: int) -> str:
    return _UNSAFE.sub(" ", text)[:limit].strip()


def _echoed_control_id(raw: bytes) -> str:
    """MSH-10 exactly as sent (also after a byte order mark), less what is unsafe."""
    return _UNSAFE.sub("", hl7_control_id(raw))[:MAX_CONTROL_ID]


def _ack_segments(raw: bytes, outcome: ImportOutcome, stamp: str) -> list[str]:
    control_id = _echoed_control_id(raw)
    code = "AE" if outcome.quarantined else "AA"
    note = _hl7_safe(_summary(outcome), 200)
    own_id = f"ACK{control_id}"[:MAX_CONTROL_ID]
    return [
        f"MSH|^~\\&|SPREEKUUR||||{stamp}||ACK^R01|{own_id}|P|2.5",
        f"MSA|{code}|{control_id}|{note}",
    ]


def _hl7_ack(raw: bytes, outcome: ImportOutcome) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    ack = "\r".join(_ack_segments(raw, outcome, stamp))
    return HttpResponse(ack + "\r", content_type="x-application/hl7-v2+er7; charset=utf-8")


def _hl7_batch_ack(batch: FileOutcome) -> HttpResponse:
    """One ACK per message read, in a batch; BTS-2 says when the counts disagreed."""
    stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
    segments = [f"FHS|^~\\&|SPREEKUUR||||{stamp}", f"BHS|^~\\&|SPREEKUUR||||{stamp}"]
    for raw, outcome in zip(batch.raws, batch.outcomes, strict=True):
        segments += _ack_segments(raw, outcome, stamp)
    comment = _hl7_safe(" ".join(batch.problems), 200)
    segments += [f"BTS|{len(batch.outcomes)}|{comment}", "FTS|1"]
    return HttpResponse(
        "\r".join(segments) + "\r", content_type="x-application/hl7-v2+er7; charset=utf-8"
    )


def _operation_outcome(outcome: ImportOutcome) -> HttpResponse:
    severity, code = (
        ("error", "invalid") if outcome.quarantined else ("information", "informational")
    )
    issues = [{"severity": severity, "code": code, "diagnostics": _summary(outcome)}]
    if not outcome.quarantined and not outcome.duplicate:
        # Each part set aside for the work list, so a machine can count them too.
        issues += [
            {"severity": "warning", "code": "incomplete", "diagnostics": reason}
            for reason in outcome.set_aside
        ]
        issues += [
            {"severity": "information", "code": "informational", "diagnostics": note}
            for note in outcome.notes
        ]
    body = {"resourceType": "OperationOutcome", "issue": issues}
    return HttpResponse(json.dumps(body), content_type="application/fhir+json")
