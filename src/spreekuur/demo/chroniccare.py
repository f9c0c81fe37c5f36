"""The demo practice's chronic-care programmes (ketenzorg): who takes part, who does not,
who still waits for a decision, with about two years of controls (the values the POH
measured, advice now and then, the next date), goals and a few letters of invitation.

Written in bulk, like the rest of the demo's history (a picture of two years of care,
not requests that would fill the audit log with made-up entries). Only the demo patient
goes through the services, so that their portal shows what a real patient's would."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda.models import AppointmentType
from spreekuur.chroniccare.models import (
    Control,
    ControlKind,
    EndReason,
    Enrolment,
    EnrolmentStatus,
    Goal,
    GoalStatus,
    Invitation,
    InvitationChannel,
)
from spreekuur.chroniccare.planning import months_after
from spreekuur.chroniccare.programmes import Programme, programmes
from spreekuur.chroniccare.selectors import due_list, due_rows, next_due_of
from spreekuur.chroniccare.services import (
    add_goal,
    close_goal,
    enrol_patient,
    invite,
    record_control,
    replan,
)
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.dossier.models import (
    DIASTOLIC,
    MEASUREMENT_LIMITS,
    SYSTOLIC,
    ContactKind,
    Episode,
    JournalEntry,
    Measurement,
    Medication,
)
from spreekuur.dossier.services import record_home_measurements
from spreekuur.patients.models import Patient
from spreekuur.results.models import LabMessage, LabResult, LabTest
from spreekuur.results.samples import SampleResult, hl7_oru, sample_patient
from spreekuur.results.services import receive_lab_message
from spreekuur.results.table import TestTable

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CARE_GROUP = "Zorggroep Lindewijk (demo)"  # the care group of demo/dashboard.py
POH_TYPE = "POH-controle"  # the POH's appointment type (demo/agenda.py)
HISTORY_DAYS = 2 * 365 + 20  # about two years of controls

# Of the candidates: who takes part and who decided not to; the rest is still suggested.
TAKE_PART = {
    "diabetes": 0.85,
    "cvrm": 0.75,
    "copd": 0.8,
    "astma": 0.7,
    "hartfalen": 0.75,
    "af": 0.7,
}
DECLINE = 0.06
# Of the participants: the last control long ago, and new ones not seen yet.
OVERDUE = 0.08
NEW = 0.03

# Heart failure, which the record demo does not give: by age, as common as in NL practice.
HEART_FAILURE = ("K77", "Hartfalen", "Hartfalen met verminderde ejectiefractie.")
HEART_FAILURE_PLAN = "Ketenzorg hartfalen: controles bij de POH, dagelijks wegen."
HEART_FAILURE_DRUG = ("Furosemide 40 mg", "1 keer per dag")
HEART_FAILURE_LEAST = 3  # also in a small demo

ADVICE = {
    "diabetes": [
        "Voeding besproken: minder frisdrank en witbrood.",
        "Voeten onderzocht, geen bijzonderheden. Over een jaar opnieuw.",
        "Fundusfoto aangevraagd bij de optometrist.",
        "Metformine in overleg met de huisarts verhoogd naar 2 keer per dag 1000 mg.",
        "Bewegen besproken: elke dag een half uur wandelen.",
        "Hypo's besproken; nu geen klachten.",
    ],
    "cvrm": [
        "Leefstijl besproken: minder zout, meer bewegen.",
        "Bloeddruk boven de streefwaarde: thuis meten en over 4 weken terugkomen.",
        "Medicatie ongewijzigd, goed ingesteld.",
        "Stoppen met roken besproken; denkt erover na.",
    ],
    "copd": [
        "Inhalatietechniek gecontroleerd en verbeterd.",
        "Griepprik en pneumokokkenvaccinatie besproken.",
        "Longaanval besproken: actieplan meegegeven.",
        "Stoppen met roken: aangemeld bij de stoppen-met-rokenpoli.",
    ],
    "astma": [
        "Inhalatietechniek gecontroleerd, voorzetkamer meegegeven.",
        "Klachten goed onder controle; onderhoudsdosis blijft gelijk.",
        "Prikkels vermijden besproken (rook, huisstof).",
    ],
    "hartfalen": [
        "Dagelijks wegen besproken: bij 2 kilo erbij in 3 dagen bellen.",
        "Vochtbeperking van anderhalve liter per dag besproken.",
        "Enkels licht gezwollen; plastablet in overleg met de huisarts verhoogd.",
        "Beweegprogramma bij de fysiotherapeut besproken.",
    ],
    "af": [
        "Antistolling: therapietrouw besproken, geen bloedingen.",
        "Hartslag onregelmatig maar rustig; geen klachten.",
        "Nierfunctie laten bepalen voor de dosis van de antistolling.",
    ],
}
GOALS = {
    "diabetes": [
        ("Drie keer per week een half uur wandelen", "Na het avondeten een rondje door de wijk"),
        ("Vijf kilo afvallen", "Kleinere porties en geen frisdrank"),
        ("Minder snoepen tussendoor", "Fruit in plaats van koek"),
    ],
    "cvrm": [
        ("Stoppen met roken", "Stoppen-met-rokenbegeleiding bij de POH"),
        ("Minder zout eten", "Geen zout bij het koken, etiketten lezen"),
        ("Elke dag een half uur bewegen", "Met de fiets naar het werk"),
    ],
    "copd": [
        ("Stoppen met roken", "Stoppen-met-rokenbegeleiding bij de POH"),
        ("De trap op zonder te stoppen", "Elke dag de oefeningen van de fysiotherapeut"),
    ],
    "astma": [
        ("Weer kunnen sporten zonder benauwd te worden", "Voor het sporten de puffer"),
        ("Elke dag de onderhoudspuffer nemen", "Puffer naast de tandenborstel"),
    ],
    "hartfalen": [
        ("Elke ochtend wegen en opschrijven", "Lijstje op de koelkast"),
        ("Niet meer dan anderhalve liter per dag drinken", "Een maatbeker gebruiken"),
    ],
    "af": [
        ("Antistolling elke dag op tijd innemen", "Wekker op de telefoon"),
        ("Minder alcohol", "Alleen in het weekend een glas"),
    ],
}


@dataclass
class Body:
    """One patient's values now and how they went: the same person in every programme."""

    height: float  # m
    weight: float  # kg, now
    weight_slope: float  # kg a year ago more than now
    systolic: float  # mmHg, now
    systolic_slope: float  # mmHg a year ago more than now
    diastolic_offset: float
    pulse: float
    fev1_fvc: float  # %, now
    fev1_fvc_slope: float  # COPD loses about a point a year; asthma stays about the same
    points: int  # CHA2DS2-VASc without the age points


def _body(rng: random.Random, sex: str, codes: set[str]) -> Body:
    male = sex == "M"
    weight = rng.gauss(88 if male else 76, 12) + (8 if "T90" in codes else 0)
    weight -= 6 if "R95" in codes else 0
    on_target = rng.random() < 0.6
    return Body(
        height=rng.gauss(1.79 if male else 1.66, 0.065),
        weight=min(150.0, max(45.0, weight)),
        weight_slope=rng.gauss(0.5, 1.5),
        systolic=rng.uniform(118, 138) if on_target else rng.uniform(141, 162),
        systolic_slope=rng.gauss(2, 4),
        diastolic_offset=rng.gauss(14, 5),
        pulse=rng.uniform(62, 100) if "K78" in codes else rng.uniform(58, 84),
        fev1_fvc=rng.uniform(45, 68) if "R95" in codes else rng.uniform(68, 86),
        fev1_fvc_slope=0.8 if "R95" in codes else 0.0,
        points=(sex == "F")
        + ("K86" in codes)
        + ("T90" in codes)
        + ("K77" in codes)
        + 2 * ("K90" in codes)
        + ("K92" in codes),
    )


def _age(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _values(
    rng: random.Random, body: Body, born: date, day: date, today: date, codes: list[str]
) -> dict[str, Decimal]:
    """The values the POH measured on `day`, by NHG number."""
    years = (today - day).days / 365.25
    weight = body.weight + body.weight_slope * years + rng.gauss(0, 0.6)
    systolic = round(body.systolic + body.systolic_slope * years + rng.gauss(0, 6))
    systolic = min(200, max(100, systolic))
    age = _age(born, day)
    found = {
        SYSTOLIC: Decimal(systolic),
        DIASTOLIC: Decimal(
            min(systolic - 25, max(55, round(systolic * 0.5 + body.diastolic_offset)))
        ),
        "357": Decimal(f"{weight:.1f}"),
        "1272": Decimal(f"{weight / body.height**2:.1f}"),
        "1875": Decimal(round(body.pulse + rng.gauss(0, 6))),
        "1675": Decimal(round(body.fev1_fvc + body.fev1_fvc_slope * years + rng.gauss(0, 2.5))),
        "3657": Decimal(min(9, body.points + (2 if age >= 75 else 1 if age >= 65 else 0))),
    }
    return {code: found[code] for code in codes}


def _control_days(
    rng: random.Random, started: date, today: date, every: int, overdue: bool
) -> list[date]:
    """The days of the controls, oldest first: every `every` months back from the last,
    within the programme and the last two years."""
    period = round(every * 30.4)
    if overdue:
        last = today - timedelta(days=period + rng.randint(25, 240))
    else:  # some a few days late, some due within the fortnight the due list shows
        last = today - timedelta(days=rng.randint(5, period + 12))
    first = max(started, today - timedelta(days=HISTORY_DAYS))
    if last < first:  # enrolled lately: seen once since
        last = min(today - timedelta(days=3), first + timedelta(days=rng.randint(7, 30)))
    days = []
    day = last
    while day >= first:
        days.append(day)
        day = months_after(day, -every) + timedelta(days=rng.randint(-10, 10))
    return days[::-1]


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=AMSTERDAM)


def _add_heart_failure(practice: Practice, rng: random.Random, today: date, left_out: int) -> int:
    """Heart failure (K77) for some older patients, as the record demo writes episodes:
    the episode, a contact or two, and the diuretic."""
    gps = list(User.objects.filter(membership__practice=practice, membership__role="huisarts"))
    old = list(
        Patient.objects.filter(
            practice=practice, date_of_birth__lte=today - timedelta(days=65 * 365)
        )
        .exclude(pk=left_out)
        .order_by("id")
        .only("id", "date_of_birth")
    )
    chosen = [
        patient
        for patient in old
        if rng.random() < (0.09 if _age(patient.date_of_birth, today) >= 75 else 0.03)
    ]
    # A small demo still has a few (the first old patients not chosen by chance).
    ids = {patient.pk for patient in chosen}
    chosen += [p for p in old if p.pk not in ids][: max(0, HEART_FAILURE_LEAST - len(chosen))]
    code, title, _evaluation = HEART_FAILURE
    episodes = [
        Episode(
            practice=practice,
            patient=patient,
            icpc_code=code,
            title=title,
            started_on=today - timedelta(days=rng.randint(60, 6 * 365)),
            created_by=rng.choice(gps),
        )
        for patient in chosen
    ]
    Episode.objects.bulk_create(episodes)
    journal = [
        JournalEntry(
            practice=practice,
            patient_id=episode.patient_id,
            episode=episode,
            contact_on=min(today, episode.started_on + timedelta(days=number * 42)),
            kind=ContactKind.CONSULT,
            subjective="Kortademig bij traplopen, dikke enkels.",
            objective="Crepitaties basaal beiderzijds, enkeloedeem.",
            evaluation=HEART_FAILURE[2],
            plan=HEART_FAILURE_PLAN,
            created_by=episode.created_by,
        )
        for episode in episodes
        for number in range(rng.randint(1, 2))
    ]
    JournalEntry.objects.bulk_create(journal)
    name, dosage = HEART_FAILURE_DRUG
    Medication.objects.bulk_create(
        Medication(
            practice=practice,
            patient_id=episode.patient_id,
            name=name,
            dosage=dosage,
            started_on=episode.started_on,
            prescriber=episode.created_by,
            chronic=True,
            created_by=episode.created_by,
        )
        for episode in episodes
    )
    return len(episodes)


@dataclass
class _Plan:
    enrolment: Enrolment
    scheme: Programme
    days: list[date]
    checkup_phase: int  # counted back from the newest control, which are check-ups


def _per_checkup(scheme: Programme) -> int:
    """Controls per check-up: 4 for quarterly controls, 1 when every control is one."""
    return max(1, scheme.checkup_every_months // scheme.control_every_months)


@transaction.atomic
def build_demo_chroniccare(
    practice: Practice, *, today: date, leave_out: Patient | None = None, seed: int = 19
) -> dict[str, int]:
    """Heart failure episodes, then for every programme its participants (with two years
    of controls and values, goals, invitations), its refusals and its suggestions; the
    demo patient (`leave_out`) gets theirs from give_portal_patient_programmes. Returns
    the participants per programme."""
    rng = random.Random(seed)
    left_out = leave_out.pk if leave_out is not None else 0
    _add_heart_failure(practice, rng, today, left_out)
    schemes = programmes()
    wanted = {code: scheme for scheme in schemes.values() for code in scheme.icpc_codes}
    memberships = {
        m.user_id: m
        for m in Membership.objects.filter(
            practice=practice, active=True, role__in=[StaffRole.POH, StaffRole.HUISARTS]
        ).select_related("user")
    }
    poh = next(m for m in memberships.values() if m.role == StaffRole.POH)
    assistant = User.objects.filter(
        membership__practice=practice, membership__role=StaffRole.ASSISTENT
    ).order_by("id")[0]
    episodes = (
        Episode.objects.filter(practice=practice, ended_on__isnull=True, icpc_code__in=wanted)
        .exclude(patient_id=left_out)
        .select_related("patient")
        .only(
            "icpc_code",
            "patient__practice_id",
            "started_on",
            "patient__id",
            "patient__date_of_birth",
            "patient__sex",
            "patient__gp_id",
        )
        .order_by("patient_id", "started_on", "id")
    )
    patients: dict[int, Patient] = {}
    codes_of: dict[int, set[str]] = {}
    since: dict[str, dict[int, date]] = {code: {} for code in schemes}
    for episode in episodes:
        patients[episode.patient_id] = episode.patient
        codes_of.setdefault(episode.patient_id, set()).add(episode.icpc_code)
        programme_code = wanted[episode.icpc_code].code
        since[programme_code].setdefault(episode.patient_id, episode.started_on)
    # All open codes for the CHA2DS2-VASc points, not only the programmes' own.
    for patient_id, code in Episode.objects.filter(
        patient_id__in=patients, ended_on__isnull=True
    ).values_list("patient_id", "icpc_code"):
        codes_of[patient_id].add(code)

    plans: list[_Plan] = []
    declined: list[Enrolment] = []
    for code, scheme in schemes.items():
        candidates = [
            (patients[patient_id], episode_start)
            for patient_id, episode_start in since[code].items()
            # A child with asthma sees the GP (the care groups' programme is for adults).
            if _age(patients[patient_id].date_of_birth, today) >= scheme.suggest_from_age
        ]
        for index, (patient, episode_start) in enumerate(candidates):
            # The first candidate takes part, so that a small demo has every programme.
            roll = DECLINE if index == 0 else rng.random()
            if roll < DECLINE:
                declined.append(_declined(rng, patient, code, episode_start, today, poh.user))
                continue
            if roll > DECLINE + TAKE_PART[code]:
                continue  # still suggested: nobody decided yet
            plans.append(_participant(rng, patient, scheme, episode_start, today, poh, memberships))
    Enrolment.objects.bulk_create([plan.enrolment for plan in plans] + declined)

    bodies: dict[int, Body] = {}
    controls: list[Control] = []
    readings: list[tuple[Patient, date, User, dict[str, Decimal]]] = []
    goals: list[tuple[Goal, datetime]] = []
    for plan in plans:
        enrolment, scheme = plan.enrolment, plan.scheme
        patient = enrolment.patient
        if patient.pk not in bodies:
            bodies[patient.pk] = _body(rng, patient.sex, codes_of[patient.pk])
        by = enrolment.main_practitioner.user if enrolment.main_practitioner else poh.user
        newest = len(plan.days) - 1
        for index, day in enumerate(plan.days):
            checkup = (newest - index) % _per_checkup(scheme) == plan.checkup_phase
            measured = [
                m.nhg_code
                for m in scheme.measures
                if m.nhg_code in MEASUREMENT_LIMITS and (checkup or m.every_months < 12)
            ]
            readings.append(
                (
                    patient,
                    day,
                    by,
                    _values(rng, bodies[patient.pk], patient.date_of_birth, day, today, measured),
                )
            )
            controls.append(
                Control(
                    practice=practice,
                    patient=patient,
                    enrolment=enrolment,
                    kind=ControlKind.CHECKUP if checkup else ControlKind.CONTROL,
                    held_on=day,
                    advice=rng.choice(ADVICE[scheme.code]) if rng.random() < 0.35 else "",
                    next_on=months_after(day, scheme.control_every_months),
                    created_by=by,
                )
            )
        goals += _goals(rng, plan, today, by)
    Control.objects.bulk_create(controls, batch_size=2000)
    replan(Enrolment.objects.filter(practice=practice, status=EnrolmentStatus.ACTIVE))
    _store_readings(practice, readings)
    _backdated(Goal, goals)  # the day a goal was agreed shows on the control page
    _letters(practice, rng, today, assistant, [plan.enrolment for plan in plans])
    taking_part = Counter(plan.scheme.code for plan in plans)
    return {code: taking_part[code] for code in schemes}


def _declined(
    rng: random.Random, patient: Patient, code: str, episode_start: date, today: date, by: User
) -> Enrolment:
    """A "does not take part": the patient's wish, or the specialist treats them."""
    specialist = 0.6 if code in ("hartfalen", "af", "copd") else 0.2
    reason = (
        EndReason.SPECIALIST
        if rng.random() < specialist
        else rng.choice([EndReason.PATIENT_CHOICE, EndReason.PATIENT_CHOICE, EndReason.OTHER])
    )
    decided = min(today, episode_start + timedelta(days=rng.randint(14, 200)))
    return Enrolment(
        practice_id=patient.practice_id,
        patient=patient,
        programme=code,
        status=EnrolmentStatus.DECLINED,
        started_on=decided,
        end_reason=reason,
        created_by=by,
    )


def _participant(
    rng: random.Random,
    patient: Patient,
    scheme: Programme,
    episode_start: date,
    today: date,
    poh: Membership,
    memberships: dict[int, Membership],
) -> _Plan:
    """One participant: since when, with whom, and the days of their controls."""
    gp = memberships.get(patient.gp_id or 0)
    gp_share = 0.5 if scheme.code in ("hartfalen", "af") else 0.25
    main = gp if gp is not None and rng.random() < gp_share else poh
    new = rng.random() < NEW
    if new:  # enrolled lately, not seen at a control yet
        started = today - timedelta(days=rng.randint(3, 50))
    else:
        started = min(
            episode_start + timedelta(days=rng.randint(7, 120)),
            today - timedelta(days=rng.randint(30, 90)),
        )
    started = max(started, episode_start)
    enrolment = Enrolment(
        practice_id=patient.practice_id,
        patient=patient,
        programme=scheme.code,
        started_on=started,
        next_control_on=started,  # planned from the controls once they are stored
        next_checkup_on=started,
        main_practitioner=main,
        care_group=CARE_GROUP,
        financing_period=str(today.year),
        created_by=main.user,
    )
    days = (
        []
        if new
        else _control_days(rng, started, today, scheme.control_every_months, rng.random() < OVERDUE)
    )
    phase = rng.randrange(_per_checkup(scheme))
    if days and started >= today - timedelta(days=HISTORY_DAYS):
        # Their first control (all of them are here) is a check-up.
        phase = (len(days) - 1) % _per_checkup(scheme)
    return _Plan(enrolment, scheme, days, phase)


def _goals(rng: random.Random, plan: _Plan, today: date, by: User) -> list[tuple[Goal, datetime]]:
    """One or two of the patient's own goals for some, agreed at a control; the older
    ones reached or stopped now and then."""
    if len(plan.days) < 2 or rng.random() > 0.35:
        return []
    made = []
    for text, action in rng.sample(GOALS[plan.scheme.code], k=rng.choice([1, 1, 2])):
        agreed = rng.choice(plan.days)
        status = GoalStatus.ACTIVE
        closed = None
        if (today - agreed).days > 180:
            roll = rng.random()
            status = (
                GoalStatus.REACHED
                if roll < 0.4
                else GoalStatus.STOPPED
                if roll < 0.55
                else GoalStatus.ACTIVE
            )
        if status != GoalStatus.ACTIVE:
            closed = min(today, agreed + timedelta(days=rng.randint(60, 180)))
        goal = Goal(
            practice_id=plan.enrolment.practice_id,
            patient=plan.enrolment.patient,
            enrolment=plan.enrolment,
            text=text,
            action=action,
            review_on=months_after(agreed, rng.choice([3, 6])),
            status=status,
            closed_on=closed,
            created_by=by,
        )
        made.append((goal, _moment(agreed)))
    return made


def _backdated(model: type[Goal] | type[Invitation], rows: list[tuple[Any, datetime]]) -> None:
    """Stored with the moment each was made (bulk_create stamps auto_now_add with now)."""
    model.objects.bulk_create([row for row, _when in rows], batch_size=2000)
    for row, made in rows:
        row.created_at = made
    model.objects.bulk_update([row for row, _when in rows], ["created_at"], batch_size=500)


def _store_readings(
    practice: Practice, readings: list[tuple[Patient, date, User, dict[str, Decimal]]]
) -> None:
    """The measured values into the record; the systolic first, so that its diastolic
    can name it as the other half of the blood pressure."""
    tests = {t.nhg_code: t for t in LabTest.objects.filter(nhg_code__in=list(MEASUREMENT_LIMITS))}
    systolic: list[Measurement] = []
    others: list[tuple[Measurement, int | None]] = []
    for patient, day, by, values in readings:
        pair_index = None
        if SYSTOLIC in values:
            pair_index = len(systolic)
            systolic.append(
                Measurement(
                    practice=practice,
                    patient=patient,
                    test=tests[SYSTOLIC],
                    value=values[SYSTOLIC],
                    measured_on=day,
                    created_by=by,
                )
            )
        for code, value in values.items():
            if code == SYSTOLIC:
                continue
            row = Measurement(
                practice=practice,
                patient=patient,
                test=tests[code],
                value=value,
                measured_on=day,
                created_by=by,
            )
            others.append((row, pair_index if code == DIASTOLIC else None))
    Measurement.objects.bulk_create(systolic, batch_size=2000)
    for row, index in others:
        if index is not None:
            row.pair = systolic[index]
    Measurement.objects.bulk_create([row for row, _index in others], batch_size=2000)


def _letters(
    practice: Practice, rng: random.Random, today: date, by: User, enrolments: list[Enrolment]
) -> None:
    """Some of those due were invited by letter these last weeks (the due list shows it)."""
    kind = AppointmentType.objects.filter(practice=practice, name=POH_TYPE).first()
    by_id = {enrolment.pk: enrolment for enrolment in enrolments}
    now = timezone.now()
    letters: list[tuple[Invitation, datetime]] = []
    for due in due_rows(due_list(practice, today=today), today=today):
        enrolment = by_id.get(due.enrolment_id)
        if enrolment is None or rng.random() > 0.35:
            continue  # not one of these (the demo patient is invited in the portal)
        letter = Invitation(
            practice=practice,
            patient_id=enrolment.patient_id,
            enrolment=enrolment,
            kind=due.kind,
            due_on=due.due_on,
            channel=InvitationChannel.LETTER,
            appointment_type=kind,
            created_by=by,
        )
        sent = now - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
        letters.append((letter, sent))
    _backdated(Invitation, letters)


# --- The demo patient, through the services -----------------------------------------------

PORTAL_CONTROLS = 8  # quarterly, the last one a quarter before the coming check-up
PORTAL_GOALS = [
    (
        "Drie keer per week een half uur wandelen",
        "Met de hond een extra rondje door het park",
        GoalStatus.ACTIVE,
    ),
    ("Vijf kilo afvallen", "Minder brood, geen frisdrank meer", GoalStatus.ACTIVE),
    ("Elke dag de medicijnen innemen", "Een weekdoos bij het ontbijt", GoalStatus.REACHED),
]
# (systolic, diastolic, weight) at the controls, oldest first: his blood pressure went up
# until the GP started amlodipine (demo/dossier.py), his weight slowly down.
PORTAL_READINGS = [
    (146, 88, "91.2"),
    (150, 90, "90.6"),
    (154, 92, "90.1"),
    (158, 94, "89.4"),
    (139, 85, "87.9"),
    (136, 83, "86.8"),
    (133, 81, "86.0"),
    (131, 80, "85.3"),
]
PORTAL_HBA1C = [(24, "60", "8.4"), (18, "58", "8.1"), (12, "55", "7.6"), (6, "52", "7.2")]
PORTAL_HOME = [(45, 132, 81, "85.1"), (30, 129, 79, "84.8"), (12, 131, 78, "84.4")]
PORTAL_HEIGHT = 1.78


def give_portal_patient_programmes(patient: Patient, *, today: date) -> None:
    """The demo patient has type 2 diabetes: two years of quarterly controls with the POH,
    HbA1c from the lab commented on by the GP, readings from home, his goals, and an
    invitation in the portal to his coming annual check-up."""
    practice = patient.practice
    poh = Membership.objects.select_related("user").get(
        practice=practice, role=StaffRole.POH, active=True
    )
    gp = User.objects.filter(membership__practice=practice, membership__role="huisarts").first()
    if gp is None or patient.user is None:
        return
    checkup = today + timedelta(days=10)  # the coming annual check-up
    days = [
        months_after(checkup, -3 * (PORTAL_CONTROLS - index)) - timedelta(days=(index * 5) % 9)
        for index in range(PORTAL_CONTROLS)
    ]
    started = days[0] - timedelta(days=30)
    _diabetes_in_record(patient, started - timedelta(days=60), gp)
    enrolment = enrol_patient(
        patient=patient,
        programme="diabetes",
        started_on=started,
        by=poh.user,
        main_practitioner=poh,
        care_group=CARE_GROUP,
        financing_period=str(today.year),
    )
    advice = {
        0: "Uitleg over diabetes; voeding en bewegen besproken.",
        3: "Bloeddruk te hoog: afspraak bij de huisarts gemaakt.",
        4: "Voeten onderzocht, geen bijzonderheden. Fundusfoto aangevraagd.",
        7: "Gaat goed. Wandelt drie keer per week; jaarcontrole over drie maanden.",
    }
    for index, day in enumerate(days):
        systolic, diastolic, weight = PORTAL_READINGS[index]
        is_checkup = index % 4 == 0
        values = {"1744": Decimal(systolic), "1740": Decimal(diastolic), "357": Decimal(weight)}
        if is_checkup:
            values["1272"] = Decimal(f"{float(weight) / PORTAL_HEIGHT**2:.1f}")
        control = record_control(
            enrolment=enrolment,
            kind=ControlKind.CHECKUP if is_checkup else ControlKind.CONTROL,
            held_on=day,
            measurements=values,
            by=poh.user,
            advice=advice.get(index, ""),
            next_on=checkup if index == len(days) - 1 else months_after(day, 3),
        )
        Control.objects.filter(pk=control.pk).update(created_at=_moment(day))
    for days_ago, systolic, diastolic, weight in PORTAL_HOME:
        record_home_measurements(
            patient=patient,
            measured_on=today - timedelta(days=days_ago),
            values={"1744": Decimal(systolic), "1740": Decimal(diastolic), "357": Decimal(weight)},
            by=patient.user,
        )
    for index, (text, action, status) in enumerate(PORTAL_GOALS):
        goal = add_goal(
            enrolment=enrolment,
            text=text,
            action=action,
            by=poh.user,
            review_on=checkup if index == 0 else months_after(checkup, 3),
        )
        agreed = days[4] if status == GoalStatus.ACTIVE else days[1]
        if status != GoalStatus.ACTIVE:
            close_goal(goal=goal, status=status, by=poh.user)
        Goal.objects.filter(pk=goal.pk).update(
            created_at=_moment(agreed),
            closed_on=None if status == GoalStatus.ACTIVE else days[4],
        )
    _portal_hba1c(patient, checkup, gp)
    kind = AppointmentType.objects.filter(practice=practice, name=POH_TYPE).first()
    due = next_due_of(enrolment, today=today)
    invite(
        enrolment=enrolment,
        kind=due.kind,
        due_on=due.due_on,
        channel=InvitationChannel.PORTAL,
        by=poh.user,
        appointment_type=kind,
    )


def _diabetes_in_record(patient: Patient, found_on: date, gp: User) -> None:
    """Type 2 diabetes in the record (once, like demo/dossier.py's high blood pressure),
    with metformin and the consult where the GP found it."""
    if Episode.objects.filter(patient=patient, icpc_code="T90", ended_on__isnull=True).exists():
        return
    episode = Episode.objects.create(
        practice=patient.practice,
        patient=patient,
        icpc_code="T90",
        title="Diabetes mellitus type 2",
        started_on=found_on,
        created_by=gp,
    )
    JournalEntry.objects.create(
        practice=patient.practice,
        patient=patient,
        episode=episode,
        contact_on=found_on,
        kind=ContactKind.CONSULT,
        subjective="Veel dorst en vaak plassen.",
        objective="HbA1c 64 mmol/mol, nuchtere glucose 8,9.",
        evaluation="Diabetes mellitus type 2.",
        plan="Metformine gestart. Ketenzorg diabetes bij de POH.",
        created_by=gp,
    )
    if not Medication.objects.filter(
        patient=patient, name__startswith="Metformine", ended_on__isnull=True
    ).exists():
        Medication.objects.create(
            practice=patient.practice,
            patient=patient,
            name="Metformine 500 mg",
            dosage="2 keer per dag",
            started_on=found_on,
            prescriber=gp,
            chronic=True,
            created_by=gp,
        )


def _portal_hba1c(patient: Patient, checkup: date, gp: User) -> None:
    """HbA1c and fasting glucose a week before each check-up and half-way, through the
    lab door like the demo's other results, each commented on by the GP and released."""
    table = TestTable.load()
    messages: list[LabMessage] = []
    for months_ago, hba1c, glucose in PORTAL_HBA1C:
        raw = hl7_oru(
            sample_patient(patient),
            [SampleResult("2816", hba1c, "mmol/mol"), SampleResult("372", glucose, "mmol/l")],
            control_id=f"DEMO-KETEN-{months_ago}",
            order=f"DK{months_ago}",
            taken=_moment(months_after(checkup, -months_ago) - timedelta(days=7), 8),
            lab="Streeklab Lindewijk",
        )
        messages += receive_lab_message(
            practice=patient.practice, door="hl7v2", raw=raw, source="demo", table=table
        ).messages
    LabResult.objects.filter(message__in=messages).update(
        comment="Uw suiker daalt mooi. Ga zo door; we bespreken het bij de controle.",
        reviewed_by=gp,
        reviewed_at=timezone.now(),
        released=True,
    )
