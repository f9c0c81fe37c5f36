"""Complaint flows: the national ones from the code, the practice's texts and own flows."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import practice_of
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import Practice
from spreekuur.triage.capabilities import can_edit_flows
from spreekuur.triage.flows import (
    Flow,
    FlowInvalid,
    load_shipped_flows,
    parse_flow,
    weakening_problems,
)
from spreekuur.triage.models import ComplaintFlow

logger = logging.getLogger(__name__)

OWN_PREFIX = "praktijk-"
MAX_DOCUMENT_BYTES = 64 * 1024


def sync_national_flows(*, using: str = "default") -> int:
    """Store every shipped flow version the table lacks (after every migrate and flush).
    A shipped file whose text changed without a new version is not stored again: the
    stored version is what patients answered, so it is logged for the maintainers."""
    added = 0
    with transaction.atomic(using=using):
        stored = {
            (row.code, row.version): row.definition
            for row in ComplaintFlow.objects.using(using).filter(practice__isnull=True)
        }
        for flow in load_shipped_flows():
            document = flow.document.model_dump(mode="json", exclude_none=True)
            key = (flow.code, flow.document.version)
            if key in stored:
                if stored[key] != document:
                    logger.warning(
                        "triage flow %s v%s changed without a new version",
                        flow.code,
                        flow.document.version,
                    )
                continue
            ComplaintFlow.objects.using(using).create(
                practice=None,
                code=flow.code,
                version=flow.document.version,
                title=flow.document.title,
                definition=document,
                source_name=flow.document.source.name,
                source_url=flow.document.source.url,
            )
            added += 1
    return added


def _require_editor(by: User, practice: Practice) -> None:
    own = practice_of(by)
    if not (can_edit_flows(by) and own is not None and own.pk == practice.pk):
        raise PermissionDenied


def _checked(data: Any) -> Flow:
    try:
        return parse_flow(data)
    except FlowInvalid as invalid:
        raise BusinessRuleError(" ".join(invalid.problems)) from None


@transaction.atomic
def save_flow_texts(
    *, practice: Practice, national: ComplaintFlow, texts: Mapping[str, str], by: User
) -> ComplaintFlow:
    """The practice's own wording of a national flow's advice (outcome id -> text): a new
    version row based on exactly this national version. Everything else stays as the
    country ships it, which `weakening_problems` checks."""
    _require_editor(by, practice)
    if not national.is_national:
        raise PermissionDenied
    base = parse_flow(national.definition)
    document = base.document.model_dump(mode="json", exclude_none=True)
    for outcome in document["outcomes"]:
        if outcome["id"] in texts:
            outcome["advice"] = texts[outcome["id"]].strip()
    changed = _checked(document)
    problems = weakening_problems(base, changed)
    if problems:
        raise BusinessRuleError(" ".join(problems))
    return _new_version(practice, national.code, document, changed, by, based_on=national)


@transaction.atomic
def add_own_flow(*, practice: Practice, document_text: str, by: User) -> ComplaintFlow:
    """A flow the practice wrote itself (a JSON document, checked like the shipped ones).
    Its code gets the "praktijk-" prefix, so it can never stand in for a national flow;
    saving the same code again makes a new version."""
    _require_editor(by, practice)
    if len(document_text.encode()) > MAX_DOCUMENT_BYTES:
        raise BusinessRuleError(_("Het klachtschema is te groot (hooguit 64 kB)."))
    try:
        data = json.loads(document_text)
    except ValueError:
        raise BusinessRuleError(_("Dit is geen geldige JSON.")) from None
    if not isinstance(data, dict):
        raise BusinessRuleError(_("Een klachtschema is een JSON-object."))
    code = str(data.get("code", ""))
    if not code.startswith(OWN_PREFIX):
        data["code"] = (OWN_PREFIX + slugify(code))[:40].rstrip("-")
    data["version"] = 1  # set by the table below; a placeholder for the check
    flow = _checked(data)
    return _new_version(practice, flow.code, data, flow, by, based_on=None)


def _new_version(
    practice: Practice,
    code: str,
    document: dict[str, Any],
    flow: Flow,
    by: User,
    *,
    based_on: ComplaintFlow | None,
) -> ComplaintFlow:
    # The practice's versions of one code are serialised by the unique constraint: a
    # second editor at the same moment gets a clear refusal, not a lost version.
    newest = ComplaintFlow.objects.filter(practice=practice, code=code).aggregate(
        newest=Max("version")
    )["newest"]
    version = (newest or 0) + 1
    if based_on is None:
        document = {**document, "version": version}
    try:
        with transaction.atomic():
            return ComplaintFlow.objects.create(
                practice=practice,
                code=code,
                version=version,
                title=flow.document.title,
                definition=document,
                source_name=flow.document.source.name,
                source_url=flow.document.source.url,
                based_on=based_on,
                created_by=by,
            )
    except IntegrityError:
        raise BusinessRuleError(
            _("Iemand anders sloeg dit klachtschema net op. Open het opnieuw en kijk het na.")
        ) from None


@transaction.atomic
def switch_off_own_flow(*, practice: Practice, code: str, by: User) -> int:
    """Stop offering one of the practice's own flows (or its own texts for a national
    flow, which then shows the national texts again). Rows stay: sessions point at them."""
    _require_editor(by, practice)
    return ComplaintFlow.objects.filter(practice=practice, code=code, active=True).update(
        active=False
    )
