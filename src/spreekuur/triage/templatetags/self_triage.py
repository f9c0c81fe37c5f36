"""`{% self_triage_answers session %}`: a self-triage as the practice reads it with the
booking or e-consult it led to (the complaint, the outcome, every question and answer,
in the flow version the patient answered)."""

from __future__ import annotations

from typing import Any

from django import template

from spreekuur.triage.models import TriageSession
from spreekuur.triage.services import triage_summary

register = template.Library()


@register.inclusion_tag("triage/_self_triage_answers.html")
def self_triage_answers(session: TriageSession | None) -> dict[str, Any]:
    return {"summary": triage_summary(session) if session is not None else None}
