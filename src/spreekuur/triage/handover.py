"""What booking and e-consult ask of triage before their first page (HTTP side): the
advice to call, if a recent self-triage gave it, and the triage the page was opened from."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient
from spreekuur.triage.models import TriageSession
from spreekuur.triage.selectors import CALL_ADVICE_HOURS, handover_preview, recent_call_advice


@dataclass(frozen=True)
class Gate:
    stop: HttpResponse | None  # the page to show instead: call, do not book or ask online
    handed: TriageSession | None  # the self-triage this page was opened from (`?triage=`)


def call_advice_stop(request: HttpRequest, practice: Practice) -> HttpResponse:
    return render(request, "triage/call_advice_stop.html", {"practice": practice})


def before_online_step(request: HttpRequest, patient: Patient, *, use: str) -> Gate:
    now = timezone.now()
    if recent_call_advice(patient, now=now, hours=CALL_ADVICE_HOURS) is not None:
        return Gate(call_advice_stop(request, patient.practice), None)
    chosen = request.POST.get("triage") or request.GET.get("triage", "")
    return Gate(None, handover_preview(patient, chosen, use=use, now=now))
