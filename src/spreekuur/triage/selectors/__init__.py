"""Reads of triage, already scoped to a practice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.core.exceptions import OutOfReach
from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient
from spreekuur.triage.flows import Flow, parse_flow
from spreekuur.triage.models import ComplaintFlow, RedFlag, TriageSession, TriageUse
from spreekuur.triage.red_flags import baseline_flags

CALL_NOW_OR_TODAY = ["U0", "U1", "U2", "U3"]
# How long a triage can be handed to a booking or an e-consult: complaints change.
HAND_OVER_HOURS = 24
# How long a "call" outcome (U0-U3) keeps the patient from booking or asking online.
CALL_ADVICE_HOURS = 12
# Which outcomes may go on to which online step.
ALLOWED_USES = {TriageUse.BOOKING: {"U4", "U5"}, TriageUse.ECONSULT: {"U5"}}


def red_flags_for(practice: Practice) -> list[RedFlag]:
    """The national baseline plus the practice's own active red flags, in asking order.

    Should a national flag be missing from the table (a wiped or hand-edited table), its
    question is asked all the same, from the baseline in the code: the gate never runs
    with fewer questions than the baseline. (The table itself is made whole again by
    services.restore_red_flag_baseline, after every migrate.)"""
    flags = list(
        RedFlag.objects.filter(
            Q(practice__isnull=True) | Q(practice=practice, active=True)
        ).order_by(F("practice_id").asc(nulls_first=True), "sort_order", "id")
    )
    national = [flag for flag in flags if flag.practice_id is None]
    present = {flag.code for flag in national}
    missing = [flag for flag in baseline_flags() if flag.code not in present]
    if not missing:
        return flags
    national = sorted(national + missing, key=lambda flag: flag.sort_order)
    return national + [flag for flag in flags if flag.practice_id is not None]


def red_flags_with_switched_off(practice: Practice) -> list[RedFlag]:
    """For the settings page: the baseline, then the practice's own (also those switched off)."""
    return list(
        RedFlag.objects.filter(Q(practice__isnull=True) | Q(practice=practice)).order_by(
            F("practice_id").asc(nulls_first=True), "sort_order", "id"
        )
    )


def get_practice_red_flag(practice: Practice, public_id: str) -> RedFlag:
    """One of the practice's own red flags, or 404 (a national one is nobody's to change)."""
    return get_object_or_404(RedFlag, practice=practice, public_id=public_id)


# Flow rows never change in place (a change is a new row), so a parsed flow can be kept
# for the life of the process, keyed by its row's public id (never reused, unlike a key).
_PARSED: dict[uuid.UUID, Flow] = {}


def parsed(row: ComplaintFlow) -> Flow:
    flow = _PARSED.get(row.public_id)
    if flow is None:
        flow = _PARSED[row.public_id] = parse_flow(row.definition)
    return flow


@dataclass(frozen=True)
class OfferedFlow:
    row: ComplaintFlow
    national: ComplaintFlow | None  # the national version it stands for (None: the practice's own)

    @property
    def code(self) -> str:
        return self.row.code

    @property
    def flow(self) -> Flow:
        return parsed(self.row)


def offered_flows(practice: Practice) -> list[OfferedFlow]:
    """The complaints this practice offers for self-triage, by title: each national flow at
    its newest version (or the practice's texts for exactly that version), and the
    practice's own active flows at their newest version.

    A practice's texts made for an older national version are left out once the country
    ships a new one: that version may ask more, and the practice re-applies its texts."""
    # The documents stay in the table until a row is first parsed in this process.
    rows = list(
        ComplaintFlow.objects.filter(Q(practice__isnull=True) | Q(practice=practice))
        .defer("definition")
        .order_by("code", "-version")
    )
    newest_national: dict[str, ComplaintFlow] = {}
    for row in rows:
        if row.practice_id is None and row.code not in newest_national:
            newest_national[row.code] = row
    practice_texts: dict[str, ComplaintFlow] = {}
    own: dict[str, ComplaintFlow] = {}
    for row in rows:
        if row.practice_id is None:
            continue
        if row.based_on_id is not None:
            base = newest_national.get(row.code)
            newest_text = row.code not in practice_texts and row.active
            if base is not None and row.based_on_id == base.pk and newest_text:
                practice_texts[row.code] = row
        elif row.code not in own:
            own[row.code] = row
    offered = [
        OfferedFlow(practice_texts.get(code, national), national)
        for code, national in newest_national.items()
    ]
    offered += [OfferedFlow(row, None) for row in own.values() if row.active]
    return sorted(offered, key=lambda item: item.row.title.casefold())


def offered_flow_by_id(practice: Practice, public_id: str) -> OfferedFlow | None:
    """The offered complaint whose current row this is; None for a row that is no longer
    offered (an older version: the page starts again); 404 for a row that never was."""
    for item in offered_flows(practice):
        if str(item.row.public_id) == str(public_id):
            return item
    if ComplaintFlow.objects.filter(
        Q(practice__isnull=True) | Q(practice=practice), public_id=public_id
    ).exists():
        return None
    raise Http404


def practice_flow_versions(practice: Practice) -> list[ComplaintFlow]:
    """For the settings page: the practice's own rows, newest first."""
    return list(ComplaintFlow.objects.filter(practice=practice).order_by("code", "-version"))


def session_of_patient(patient: Patient, public_id: str, *, by: User) -> TriageSession:
    """A patient's own finished triage, for its outcome page; anyone else's (or none) is a
    refused attempt for the access log, and a 404."""
    found = (
        TriageSession.objects.select_related("flow", "practice")
        .filter(patient=patient, public_id=public_id)
        .first()
    )
    if found is None:
        raise OutOfReach(actor=by, object_kind="triage", object_ids=[public_id])
    return found


def anonymous_session(practice: Practice, public_id: str) -> TriageSession:
    """An anonymous triage of this practice's website (or 404)."""
    return get_object_or_404(
        TriageSession.objects.select_related("flow", "practice"),
        practice=practice,
        patient__isnull=True,
        public_id=public_id,
    )


def recent_call_advice(patient: Patient, *, now: datetime, hours: int) -> TriageSession | None:
    """The patient's latest triage of the last hours that said "call" (U0-U3), if any:
    booking and e-consult do not let them past that advice."""
    return (
        TriageSession.objects.filter(
            patient=patient,
            created_at__gte=now - timedelta(hours=hours),
            urgency__in=CALL_NOW_OR_TODAY,
        )
        .select_related("flow")
        .first()
    )


@dataclass(frozen=True)
class ComplaintCount:
    title: str
    by_urgency: dict[str, int]
    total: int


@dataclass(frozen=True)
class TriageFigures:
    start: date
    end: date
    rows: list[ComplaintCount]
    by_urgency: dict[str, int]
    total: int
    by_channel: dict[str, int]
    booked: int
    asked: int

    @property
    def self_care(self) -> int:
        return self.by_urgency.get("U5", 0)

    @property
    def self_care_percent(self) -> float | None:
        return round(100 * self.self_care / self.total, 1) if self.total else None


URGENCIES = ["U0", "U1", "U2", "U3", "U4", "U5"]


def triage_figures(practice: Practice, *, start: date, end: date) -> TriageFigures:
    """Finished self-triages of one practice from `start` to `end` (both included), by
    complaint and urgency: counts only, no patient. Self-care (U5) is what the practice
    would otherwise have heard on the phone."""
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    sessions = TriageSession.objects.filter(
        practice=practice, created_at__gte=since, created_at__lt=until
    )
    grouped = sessions.values("flow__title", "urgency").annotate(n=Count("id"))
    per_title: dict[str, dict[str, int]] = {}
    by_urgency = dict.fromkeys(URGENCIES, 0)
    for row in grouped:
        per_title.setdefault(row["flow__title"], dict.fromkeys(URGENCIES, 0))[row["urgency"]] += (
            row["n"]
        )
        by_urgency[row["urgency"]] += row["n"]
    rows = sorted(
        (
            ComplaintCount(title, counts, sum(counts.values()))
            for title, counts in per_title.items()
        ),
        key=lambda row: (-row.total, row.title),
    )
    by_channel = {
        row["channel"]: row["n"] for row in sessions.values("channel").annotate(n=Count("id"))
    }
    uses = {
        row["used_for"]: row["n"] for row in sessions.values("used_for").annotate(n=Count("id"))
    }
    return TriageFigures(
        start=start,
        end=end,
        rows=rows,
        by_urgency=by_urgency,
        total=sum(by_urgency.values()),
        by_channel=by_channel,
        booked=uses.get(TriageUse.BOOKING, 0),
        asked=uses.get(TriageUse.ECONSULT, 0),
    )


def handover_preview(
    patient: Patient, public_id: str, *, use: str, now: datetime
) -> TriageSession | None:
    """The self-triage a booking or e-consult page was opened from, if it may go on to
    that step (this patient's, or anonymous of their practice; recent, unused, fitting
    outcome). Only for showing it: the service checks again when it takes it."""
    try:
        uuid.UUID(str(public_id))
    except ValueError:
        return None
    return (
        TriageSession.objects.filter(
            Q(patient__isnull=True) | Q(patient=patient),
            public_id=public_id,
            practice_id=patient.practice_id,
            urgency__in=ALLOWED_USES[TriageUse(use)],
            used_for="",
            created_at__gte=now - timedelta(hours=HAND_OVER_HOURS),
        )
        .select_related("flow")
        .first()
    )
