"""FHIR R4 (JSON): a bundle of Observations, or one Observation. Each entry stands on its
own; a patient is found only inside the bundle or by BSN, never by guess."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pydantic import ValidationError

from spreekuur.results.models import Flag, ResultStatus
from spreekuur.results.parsers.common import (
    AMSTERDAM,
    BSN_SYSTEM,
    LOCAL,
    LOINC_SYSTEMS,
    MAX_PATIENTS,
    MAX_RESULTS,
    MAX_TEXT,
    NHG_SYSTEMS,
    NO_PATIENT,
    WITHDRAW,
    Parsed,
    Report,
    ReportedPatient,
    ReportedResult,
    Unreadable,
    check_size,
    decode,
    finish,
    fitting_decimal,
    set_code,
    set_number,
    set_ratio,
    set_reference,
    set_text,
    set_words,
    system_kind,
    valid_bsn,
)
from spreekuur.results.parsers.flags import flag_of

# --- FHIR R4: a bundle of Observations, or one Observation ------------------------------------

FHIR_STATUSES = {
    "final": ResultStatus.FINAL,
    "amended": ResultStatus.CORRECTED,
    "corrected": ResultStatus.CORRECTED,
    "preliminary": ResultStatus.PRELIMINARY,
    "registered": ResultStatus.PENDING,
    "entered-in-error": WITHDRAW,
}
NORMAL_RANGE = "normal"  # referencerange-meaning: the range a flag is judged by


def _where_what(error: ValidationError) -> tuple[str, str]:
    # Where and what only: pydantic's "input" would copy patient data into the reason.
    details = error.errors()
    where = ".".join(str(part) for part in details[0]["loc"])[:80] if details else "-"
    what = str(details[0]["msg"])[:120] if details else ""
    return where, what


def _fhir_document(raw: bytes) -> dict[str, Any]:
    text = decode(raw).lstrip()
    if text.startswith("<"):
        raise Unreadable(
            _(
                "FHIR in XML wordt niet verwerkt; stuur de bundel of Observation als JSON "
                "(application/fhir+json)."
            )
        )
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise Unreadable(_("Geen geldige FHIR R4-bundel: geen leesbare JSON.")) from error
    if not isinstance(document, dict):
        raise Unreadable(_("Geen geldige FHIR R4-bundel: geen JSON-object."))
    kind = document.get("resourceType")
    if kind not in ("Bundle", "Observation"):
        shown = str(kind)[:40] if isinstance(kind, str) else "-"
        raise Unreadable(
            _(
                "Geen geldige FHIR R4-bundel: alleen een Bundle met Observations of één "
                "Observation wordt verwerkt, geen %(kind)s."
            )
            % {"kind": shown}
        )
    return document


def _validated(model: Any, resource: dict[str, Any]) -> tuple[Any, str]:
    """The resource read by fhir.resources, or None and why (where and what only)."""
    try:
        return model.model_validate(resource), ""
    except ValidationError as error:
        where, what = _where_what(error)
        return None, f"{where}: {what}"
    except Exception:  # fhir.resources raises other kinds on hostile input (KeyError)
        return None, "-"


def parse_fhir(raw: bytes) -> Parsed:
    # fhir.resources is imported where it is used, not at the top: it is big, and every
    # web worker would hold it while only a FHIR lab import needs it.
    from fhir.resources.R4B.bundle import Bundle

    check_size(raw)
    document = _fhir_document(raw)
    if document["resourceType"] == "Observation":
        return _fhir_parts(document, [{"resource": document}], bare=True)
    shell = {key: value for key, value in document.items() if key != "entry"}
    bundle, invalid = _validated(Bundle, shell)
    if bundle is None:
        where, _sep, what = invalid.partition(": ")
        raise Unreadable(
            _("Geen geldige FHIR R4-bundel (%(where)s: %(what)s).") % {"where": where, "what": what}
        )
    entries = document.get("entry") or []
    if not isinstance(entries, list):
        raise Unreadable(_("Geen geldige FHIR R4-bundel (entry: geen lijst)."))
    return _fhir_parts(document, entries, bare=False, bundle=bundle)


@dataclass
class _Subject:
    """Who an Observation is about, as far as it can be known safely."""

    patient: ReportedPatient | None
    entries: list[int] = field(default_factory=list)  # the bundle's Patient entries used
    unresolved: str = ""  # why not, for the work list
    key: str = ""  # what the Observation said, to keep unresolved subjects apart


def _fhir_parts(
    document: dict[str, Any], entries: list[Any], *, bare: bool, bundle: Any = None
) -> Parsed:
    from fhir.resources.R4B.observation import Observation  # see parse_fhir

    if bare:
        meta = document.get("meta")
        sender = str(meta.get("source") or "")[:120] if isinstance(meta, dict) else ""
        message_id = _first_identifier(document) or str(document.get("id") or "")[:120]
    else:
        sender = str(bundle.meta.source)[:120] if bundle.meta and bundle.meta.source else ""
        message_id = str(bundle.identifier.value)[:120] if bundle.identifier else ""
    patients: dict[int, ReportedPatient | str] = {}
    by_url: dict[str, int] = {}
    twice: set[str] = set()
    observations: list[tuple[int, dict[str, Any], str]] = []
    others: list[tuple[int, dict[str, Any], str]] = []  # DiagnosticReports, Specimens
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        full_url = entry.get("fullUrl")
        full_url = full_url if isinstance(full_url, str) else ""
        if full_url:
            twice |= {full_url} if full_url in by_url else set()
            by_url[full_url] = index
        kind = resource.get("resourceType")
        if kind == "Patient":
            patients[index] = _fhir_patient(resource)
        elif kind == "Observation":
            observations.append((index, resource, full_url))
        elif kind in ("DiagnosticReport", "Specimen"):
            others.append((index, resource, full_url))
    for url in twice:  # two entries under one address: neither is the one meant
        del by_url[url]
    if not observations:
        raise Unreadable(_("De bundel bevat geen uitslagen (Observation)."))
    if len(observations) > MAX_RESULTS:
        raise Unreadable(_("Meer dan %(max)s uitslagen in één bericht.") % {"max": MAX_RESULTS})
    reports: dict[object, Report] = {}
    used: dict[object, set[int]] = {}
    grouping = passed_over = 0
    sampled = _sample_times(entries, observations, others, by_url) if others else {}
    for index, resource, full_url in observations:
        subject = _fhir_subject(resource, full_url, patients, by_url)
        if _without_value(resource) and resource.get("hasMember"):
            grouping += 1  # a panel's heading: its members are the results
            continue
        if not subject.key and _without_value(resource):
            passed_over += 1  # no patient and no value: nothing to keep
            continue
        observation, invalid = _validated(Observation, resource)
        if observation is None:
            results = [_invalid_result(resource, invalid)]
        else:
            results = _fhir_results(observation, sender, message_id, sampled.get(index))
            if not results:
                grouping += 1
                continue
        group: object = subject.patient if subject.patient is not None else ("?", subject.key)
        report = reports.get(group)
        if report is None:
            patient = subject.patient or NO_PATIENT
            report = reports[group] = Report(patient=patient, unresolved=subject.unresolved)
            used[group] = set(subject.entries)
        report.results += results
        used[group] |= {index, *subject.entries}
        if index in sampled:  # where its time came from travels with it
            used[group] |= set(sampled[index][1])
    if len(reports) > MAX_PATIENTS:
        raise Unreadable(_("Meer dan %(max)s patiënten in één bericht.") % {"max": MAX_PATIENTS})
    notes = []
    if grouping:
        notes.append(
            ngettext(
                "%(count)s groeperende Observation zonder eigen waarde overgeslagen.",
                "%(count)s groeperende Observations zonder eigen waarde overgeslagen.",
                grouping,
            )
            % {"count": grouping}
        )
    if passed_over:
        notes.append(
            ngettext(
                "%(count)s Observation zonder patiënt en zonder waarde overgeslagen.",
                "%(count)s Observations zonder patiënt en zonder waarde overgeslagen.",
                passed_over,
            )
            % {"count": passed_over}
        )
    if not reports:
        raise Unreadable(
            _("De bundel bevat geen uitslagen met een patiënt of een waarde.")
            + " "
            + " ".join(notes)
        )
    # Each patient's part is a bundle of only their own entries (a lone Observation as is).
    for group, report in reports.items():
        own = [entries[i] for i in sorted(used[group])]
        report.raw = json.dumps(
            document if bare else {**document, "entry": own}, ensure_ascii=False
        )
    return Parsed(sender, message_id, list(reports.values()), notes)


def _first_identifier(resource: dict[str, Any]) -> str:
    identifiers = resource.get("identifier")
    first = identifiers[0] if isinstance(identifiers, list) and identifiers else None
    value = first.get("value") if isinstance(first, dict) else None
    return str(value)[:120] if isinstance(value, str) else ""


def _without_value(resource: dict[str, Any]) -> bool:
    return not any(
        key.startswith("value") or key in ("component", "dataAbsentReason") for key in resource
    )


def _fhir_patient(resource: dict[str, Any]) -> ReportedPatient | str:
    """The patient of a Patient resource, or why it cannot be used."""
    from fhir.resources.R4B.patient import Patient as FhirPatient  # see parse_fhir

    patient, invalid = _validated(FhirPatient, resource)
    if patient is None:
        return _("de patiënt in het bericht is ongeldig (%(error)s)") % {"error": invalid}
    bsn = next(
        (
            str(identifier.value)
            for identifier in patient.identifier or []
            if identifier.system == BSN_SYSTEM and identifier.value
        ),
        "",
    )
    names = patient.name or []
    birth = patient.birthDate
    return ReportedPatient(
        bsn=valid_bsn(bsn),
        birth_date=birth if isinstance(birth, date) else None,
        family_name=str(names[0].family or "")[:150] if names else "",
        given_name=str((names[0].given or [""])[0])[:100] if names else "",
        sex={"male": "M", "female": "F"}.get(str(patient.gender or ""), "X"),
    )


_RESTFUL = re.compile(r"^(https?://\S+/)[A-Za-z]+/[A-Za-z0-9\-.]{1,64}(?:/_history/\S+)?$")
_RELATIVE = re.compile(r"^[A-Za-z]+/[A-Za-z0-9\-.]{1,64}(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


def _in_bundle(reference: str, full_url: str, by_url: dict[str, int]) -> int | None:
    """The bundle entry a reference points at, following FHIR's rules: an absolute URL or
    urn:uuid as a fullUrl; a relative one ("Patient/23") only against the base of the
    referring entry's own RESTful fullUrl. Anything else is on some other server."""
    if reference in by_url:
        return by_url[reference]
    base = _RESTFUL.match(full_url)
    if base is None or _RELATIVE.match(reference) is None:
        return None
    return by_url.get(base.group(1) + reference)


def _fhir_subject(
    resource: dict[str, Any],
    full_url: str,
    patients: dict[int, ReportedPatient | str],
    by_url: dict[str, int],
) -> _Subject:
    subject = resource.get("subject")
    subject = subject if isinstance(subject, dict) else {}
    reference = subject.get("reference")
    reference = reference.strip() if isinstance(reference, str) else ""
    identifier = subject.get("identifier")
    identifier = identifier if isinstance(identifier, dict) else {}
    system, value = identifier.get("system"), identifier.get("value")
    bsn = valid_bsn(value) if system == BSN_SYSTEM and isinstance(value, str) else ""
    key = reference or (f"{system}|{value}" if identifier else "")
    found: ReportedPatient | str | None = None
    entries: list[int] = []
    if reference.startswith("#"):  # a Patient contained in the Observation itself
        contained = resource.get("contained")
        found = next(
            (
                _fhir_patient(item)
                for item in (contained if isinstance(contained, list) else [])
                if isinstance(item, dict)
                and item.get("resourceType") == "Patient"
                and item.get("id") == reference[1:]
            ),
            None,
        )
        if found is None:
            return _Subject(None, unresolved=_("de verwijzing naar de patiënt klopt niet"), key=key)
    elif reference:
        index = _in_bundle(reference, full_url, by_url)
        if index is None:
            return _Subject(
                None,
                unresolved=_("de uitslag verwijst naar een patiënt buiten dit bericht"),
                key=key,
            )
        found, entries = patients.get(index), [index]
        if found is None:
            return _Subject(
                None, unresolved=_("de verwijzing wijst niet naar een patiënt"), key=key
            )
    if isinstance(found, str):
        return _Subject(None, entries, unresolved=found, key=key)
    if found is not None:
        if bsn and found.bsn != bsn:
            return _Subject(
                None, unresolved=_("de verwijzing en het BSN van de patiënt verschillen"), key=key
            )
        return _Subject(found, entries, key=key)
    if bsn:  # by identifier: the bundle's Patient with that BSN gives the birth date
        same = [i for i, p in patients.items() if isinstance(p, ReportedPatient) and p.bsn == bsn]
        identities = {patients[i] for i in same}
        only = identities.pop() if len(identities) == 1 else None
        if isinstance(only, ReportedPatient):
            return _Subject(only, same, key=key)
        return _Subject(ReportedPatient(bsn=bsn, birth_date=None), key=key)
    return _Subject(
        None,
        unresolved=_("de uitslag noemt de patiënt niet met een BSN of een verwijzing")
        if key
        else _("de uitslag noemt geen patiënt"),
        key=key,
    )


def _invalid_result(resource: dict[str, Any], invalid: str) -> ReportedResult:
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    first = codings[0] if isinstance(codings, list) and codings else None
    shown = first.get("code") if isinstance(first, dict) else None
    return ReportedResult(
        code=str(shown)[:20] if isinstance(shown, str) else "",
        system=LOCAL,
        name="",
        value_text="",
        observed_at=None,
        order_key="",
        problem=_("ongeldige Observation (%(error)s)") % {"error": invalid},
    )


def _codings(concept: Any) -> list[tuple[str, str, str]]:
    """(system, code, display) of a CodeableConcept's codings that have a code."""
    codings = getattr(concept, "coding", None) or [] if concept is not None else []
    return [(str(c.system or ""), str(c.code), str(c.display or "")) for c in codings if c.code]


def _fhir_code(concept: Any) -> tuple[str, str, str, list[tuple[str, str]]]:
    """The test's (system kind, code, name) by NHG first, then LOINC, then the first
    coding; the other codings as further ways to find it."""
    codings = _codings(concept)
    chosen = next((c for c in codings if c[0] in NHG_SYSTEMS), None)
    chosen = chosen or next((c for c in codings if c[0] in LOINC_SYSTEMS), None)
    chosen = chosen or (codings[0] if codings else None)
    if chosen is None:
        return LOCAL, "", str(getattr(concept, "text", "") or "")[:120], []
    others = [(system_kind(s), c[:20]) for s, c, _d in codings if (s, c, _d) != chosen]
    return system_kind(chosen[0]), chosen[1][:20], chosen[2][:120], others


_FHIR_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?$"
)


def _moment_in(holder: Any, at: str, period: str) -> datetime | None:
    """A dateTime (or a period's start) of a resource read as JSON, to the day at least;
    a year or month alone says too little for a sample time."""
    text = holder.get(at) if isinstance(holder, dict) else None
    if text is None and isinstance(holder, dict) and isinstance(holder.get(period), dict):
        text = holder[period].get("start")
    if not isinstance(text, str) or _FHIR_MOMENT.match(text) is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=AMSTERDAM)


_OWN_TIMES = ("effectiveDateTime", "effectiveInstant", "issued")


def _same_subject(one: dict[str, Any], other: dict[str, Any]) -> bool:
    # Only a report or specimen that says it is about the same patient gives a time (and
    # goes with that patient's part of the bundle, never with another's).
    first = one.get("subject")
    return isinstance(first, dict) and bool(first) and first == other.get("subject")


def _sample_times(
    entries: list[Any],
    observations: list[tuple[int, dict[str, Any], str]],
    others: list[tuple[int, dict[str, Any], str]],
    by_url: dict[str, int],
) -> dict[int, tuple[datetime, list[int]]]:
    """The sample time of Observations without one of their own, taken only from this
    bundle: the DiagnosticReport that lists the Observation in `result` (or lists the panel
    whose `hasMember` it is), else the Specimen the Observation refers to. Per
    Observation: (time, the entries it came from). Two reports with different times
    give none: the result waits on the work list as before."""
    observed = {index: (resource, url) for index, resource, url in observations}

    def target(reference: Any, full_url: str) -> int | None:
        text = reference.get("reference") if isinstance(reference, dict) else None
        return _in_bundle(text.strip(), full_url, by_url) if isinstance(text, str) else None

    def listed(items: Any) -> list[Any]:
        return items if isinstance(items, list) else []

    # Per Observation: (time, the entries that give it: the report, and the panel between).
    direct: dict[int, set[tuple[datetime, tuple[int, ...]]]] = {}
    through_panel: dict[int, set[tuple[datetime, tuple[int, ...]]]] = {}
    for report, resource, full_url in others:
        moment = _moment_in(resource, "effectiveDateTime", "effectivePeriod")
        if resource.get("resourceType") != "DiagnosticReport" or moment is None:
            continue
        for reference in listed(resource.get("result")):
            index = target(reference, full_url)
            if index not in observed:
                continue
            if _same_subject(resource, observed[index][0]):
                direct.setdefault(index, set()).add((moment, (report,)))
            panel, panel_url = observed[index]  # a panel may name no patient of its own
            for member_reference in listed(panel.get("hasMember")):
                member = target(member_reference, panel_url)
                if member in observed and _same_subject(resource, observed[member][0]):
                    through_panel.setdefault(member, set()).add((moment, (report, index)))
    times: dict[int, tuple[datetime, list[int]]] = {}
    for index, (resource, full_url) in observed.items():
        period = resource.get("effectivePeriod")
        if any(resource.get(key) for key in _OWN_TIMES) or (
            isinstance(period, dict) and period.get("start")
        ):
            continue  # its own time wins (read by _fhir_moment)
        sources = direct.get(index) or through_panel.get(index) or set()
        if len({moment for moment, _report in sources}) == 1:
            given = {entry for _moment, path in sources for entry in path}
            times[index] = (next(iter(sources))[0], sorted(given))
            continue
        if sources:
            continue  # reports that disagree: no guess
        specimen = target(resource.get("specimen"), full_url)
        if specimen is None:
            continue
        found = entries[specimen].get("resource")
        if not isinstance(found, dict) or found.get("resourceType") != "Specimen":
            continue
        moment = _moment_in(found.get("collection"), "collectedDateTime", "collectedPeriod")
        if moment is not None and _same_subject(found, resource):
            times[index] = (moment, [specimen])
    return times


def _fhir_moment(observation: Any, sampled: datetime | None = None) -> datetime | None:
    """When the sample was taken; else when the lab issued the result (as HL7 falls back
    from OBX-14 to the order's and the message's time); else the time its report or
    specimen in the same bundle gives (`sampled`): the Observation's own always wins."""
    effective = observation.effectiveDateTime
    if effective is None and observation.effectivePeriod is not None:
        effective = observation.effectivePeriod.start
    if effective is None:
        effective = observation.effectiveInstant or observation.issued or sampled
    if isinstance(effective, date) and not isinstance(effective, datetime):
        effective = datetime.combine(effective, time(0, 0))
    if isinstance(effective, datetime) and effective.tzinfo is None:
        effective = effective.replace(tzinfo=AMSTERDAM)
    return effective if isinstance(effective, datetime) else None


def _fhir_results(
    observation: Any, sender: str, message_id: str, sampled: tuple[datetime, list[int]] | None
) -> list[ReportedResult]:
    """The Observation's own value, and one result per component (blood pressure:
    systolic and diastolic); nothing for a grouping entry (hasMember) without a value."""
    components = observation.component or []
    has_value = any(getattr(observation, name, None) is not None for name in _VALUE_FIELDS)
    if (
        not has_value
        and (components or observation.hasMember)
        and not (observation.dataAbsentReason)
    ):
        holders = list(components)
    else:
        holders = [observation, *components]
    moment = _fhir_moment(observation, sampled[0] if sampled else None)
    identifiers = observation.identifier or []
    # Without an identifier, the sample time tells one value from another (a trend).
    key = (
        f"{identifiers[0].system}|{identifiers[0].value}"
        if identifiers
        else f"{message_id}|{moment.isoformat() if moment else ''}"
    )
    status_code = str(observation.status or "")
    status = FHIR_STATUSES.get(status_code)
    results = []
    for holder in holders:
        system, code, name, others = _fhir_code(holder.code)
        result = ReportedResult(
            code=code,
            system=system,
            name=name,
            value_text="",
            observed_at=moment,
            order_key=f"{sender}|{key}|{system}:{code}"[:200],
            status=status or ResultStatus.FINAL,
            other_codes=others,
        )
        _fhir_value(result, holder)
        _fhir_range(result, holder.referenceRange or [])
        result.flag = _fhir_flag(holder.interpretation or [])
        finish(result, known_status=status is not None, status_code=status_code)
        results.append(result)
    return results


_VALUE_FIELDS = (
    "valueQuantity",
    "valueCodeableConcept",
    "valueString",
    "valueBoolean",
    "valueInteger",
    "valueRange",
    "valueRatio",
    "valueSampledData",
    "valueTime",
    "valueDateTime",
    "valuePeriod",
)


def _fhir_number(value: Any) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _fhir_value(result: ReportedResult, holder: Any) -> None:
    quantity = holder.valueQuantity
    concept = holder.valueCodeableConcept
    ratio = holder.valueRatio
    if quantity is not None and quantity.value is not None:
        comparator = str(quantity.comparator or "")
        set_number(result, f"{comparator}{_fhir_number(quantity.value)}")
        # A UCUM code is the unit; the display text beside it may say otherwise ("Kgs"
        # beside [lb_av] in a real bundle).
        ucum = quantity.system == "http://unitsofmeasure.org" and quantity.code
        result.unit = str(ucum or quantity.unit or quantity.code or "")[:20]
    elif concept is not None:
        codings = _codings(concept)
        code, system, display = (
            (codings[0][1], codings[0][0], codings[0][2]) if codings else ("", "", "")
        )
        set_code(result, code, system, str(concept.text or "") or display)
    elif holder.valueString is not None:
        set_words(result, str(holder.valueString))
    elif ratio is not None and ratio.numerator is not None and ratio.denominator is not None:
        numerator, denominator = ratio.numerator.value, ratio.denominator.value
        if numerator is None or denominator is None:
            result.problem = _("de verhouding is niet te lezen")
        else:
            comparator = str(ratio.numerator.comparator or "")
            set_ratio(result, comparator, _fhir_number(numerator), _fhir_number(denominator))
    elif holder.valueInteger is not None:
        set_number(result, str(holder.valueInteger))
    elif holder.valueBoolean is not None:
        set_text(result, _("ja") if holder.valueBoolean else _("nee"))
    elif holder.valueRange is not None:
        low, high = holder.valueRange.low, holder.valueRange.high
        bounds = [
            _fhir_number(q.value) if q is not None and q.value is not None else ""
            for q in (low, high)
        ]
        set_text(result, "-".join(bounds))
    elif any(getattr(holder, name, None) is not None for name in _VALUE_FIELDS):
        result.problem = _("een soort waarde die niet wordt verwerkt")
    elif holder.dataAbsentReason is not None:
        codings = _codings(holder.dataAbsentReason)
        reason = codings[0][1][:30] if codings else "-"
        result.problem = _("geen waarde (%(reason)s)") % {"reason": reason}
    else:
        result.problem = _("uitslag zonder waarde")


def _fhir_range(result: ReportedResult, ranges: list[Any]) -> None:
    """The normal range (no type, or type "normal"): its bounds, or its text."""
    chosen = next(
        (
            candidate
            for candidate in ranges
            if candidate.type is None
            or any(code == NORMAL_RANGE for _s, code, _d in _codings(candidate.type))
        ),
        None,
    )
    if chosen is None:
        return
    text = str(chosen.text or "")
    low = chosen.low.value if chosen.low is not None else None
    high = chosen.high.value if chosen.high is not None else None
    if low is None and high is None:
        set_reference(result, text)
        return
    result.reference_low, result.reference_high = (
        fitting_decimal(_fhir_number(bound)) if bound is not None else None for bound in (low, high)
    )
    result.reference_text = " ".join(text.split())[:MAX_TEXT]


def _fhir_flag(interpretations: list[Any]) -> str | None:
    codings = [
        (system, code) for concept in interpretations for system, code, _d in _codings(concept)
    ]
    if codings:
        return flag_of(codings)
    # Only words ("verhoogd"): the lab flagged it, we cannot say which way.
    return Flag.ABNORMAL if any(concept.text for concept in interpretations) else None
