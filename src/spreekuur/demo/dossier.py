"""A synthetic record for every demo patient: common ICPC episodes by age and sex, a few
contacts per episode in SOEP form, chronic medication that fits, and some allergies.

Written in bulk (a picture of years of care, not requests), with clearly made-up text."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.dossier.models import (
    Allergy,
    AllergyKind,
    ContactKind,
    Episode,
    JournalEntry,
    Measurement,
    Medication,
)
from spreekuur.patients.models import Patient
from spreekuur.results.models import LabTest


@dataclass(frozen=True)
class Condition:
    code: str
    title: str
    min_age: int
    max_age: int
    chance: float
    chronic: bool
    sex: str = ""  # "" for both
    medication: tuple[str, str] | None = None
    evaluation: str = ""
    plan: str = ""


CONDITIONS = [
    Condition(
        "R74",
        "Verkoudheid",
        0,
        120,
        0.35,
        False,
        evaluation="Virale bovenste luchtweginfectie.",
        plan="Uitleg over beloop, paracetamol zo nodig. Terugkomen bij koorts na 3 dagen.",
    ),
    Condition(
        "H71",
        "Middenoorontsteking",
        0,
        12,
        0.25,
        False,
        evaluation="Otitis media acuta rechts.",
        plan="Pijnstilling, controle bij aanhouden.",
    ),
    Condition(
        "S87",
        "Eczeem",
        0,
        40,
        0.1,
        True,
        medication=("Cetomacrogolcrème FNA", "2 keer per dag insmeren"),
        evaluation="Constitutioneel eczeem.",
        plan="Vet insmeren, hormoonzalf bij opvlamming.",
    ),
    Condition(
        "R96",
        "Astma",
        5,
        120,
        0.07,
        True,
        medication=("Salbutamol inhalator 100 microgram", "zo nodig 1-2 pufjes"),
        evaluation="Astma, redelijk onder controle.",
        plan="Inhalatie-instructie door POH.",
    ),
    Condition(
        "L03",
        "Lage rugpijn",
        18,
        120,
        0.2,
        False,
        evaluation="Aspecifieke lage rugpijn.",
        plan="Blijven bewegen, oefeningen meegegeven.",
    ),
    Condition(
        "D84",
        "Maagklachten door zuurbranden",
        25,
        120,
        0.1,
        False,
        medication=("Omeprazol 20 mg", "1 keer per dag"),
        evaluation="Refluxklachten.",
        plan="Leefstijladvies, omeprazol 4 weken.",
    ),
    Condition(
        "U71",
        "Blaasontsteking",
        16,
        120,
        0.15,
        False,
        sex="F",
        evaluation="Ongecompliceerde cystitis.",
        plan="Nitrofurantoïne 5 dagen.",
    ),
    Condition(
        "P76",
        "Depressieve klachten",
        18,
        120,
        0.06,
        True,
        medication=("Sertraline 50 mg", "1 keer per dag"),
        evaluation="Depressieve stoornis.",
        plan="Gesprekken bij POH-GGZ, controle over 4 weken.",
    ),
    Condition(
        "K86",
        "Hoge bloeddruk",
        40,
        120,
        0.22,
        True,
        medication=("Amlodipine 5 mg", "1 keer per dag"),
        evaluation="Hypertensie.",
        plan="Controle bloeddruk bij POH over 3 maanden.",
    ),
    Condition(
        "T93",
        "Verhoogd cholesterol",
        45,
        120,
        0.15,
        True,
        medication=("Atorvastatine 20 mg", "1 keer per dag"),
        evaluation="Hypercholesterolemie, verhoogd risico hart- en vaatziekten.",
        plan="Statine gestart, lab over 3 maanden.",
    ),
    Condition(
        "T90",
        "Diabetes mellitus type 2",
        45,
        120,
        0.09,
        True,
        medication=("Metformine 500 mg", "2 keer per dag"),
        evaluation="Diabetes mellitus type 2.",
        plan="Ketenzorg diabetes, controles bij POH.",
    ),
    Condition(
        "R95",
        "COPD",
        55,
        120,
        0.06,
        True,
        medication=("Tiotropium inhalator 2,5 microgram", "1 keer per dag 2 pufjes"),
        evaluation="COPD GOLD 2.",
        plan="Stoppen met roken besproken, controle bij POH.",
    ),
    Condition(
        "K78",
        "Boezemfibrilleren",
        65,
        120,
        0.06,
        True,
        medication=("Apixaban 5 mg", "2 keer per dag"),
        evaluation="Atriumfibrilleren.",
        plan="Antistolling gestart, controle over 6 weken.",
    ),
]

SUBJECTIVE = [
    "Klachten sinds enkele dagen, geen koorts.",
    "Komt voor controle, gaat redelijk.",
    "Klachten wisselend aanwezig, slaapt slecht.",
    "Vraagt om uitleg over de behandeling.",
]
OBJECTIVE = [
    "Algemeen niet ziek. Bij onderzoek geen bijzonderheden.",
    "RR 142/88, pols regulair.",
    "Temperatuur 37,8. Lichte roodheid.",
    "Geen afwijkingen bij lichamelijk onderzoek.",
]


def _age(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@transaction.atomic
def build_demo_records(practice: Practice, *, today: date, seed: int = 11) -> int:
    """A record for every patient of the practice; returns the journal lines made."""
    rng = random.Random(seed)
    gps = list(User.objects.filter(membership__practice=practice, membership__role="huisarts"))
    patients = list(
        Patient.objects.filter(practice=practice).only("id", "practice_id", "date_of_birth", "sex")
    )
    episodes: list[Episode] = []
    plans: list[tuple[Episode, Condition]] = []
    medication: list[Medication] = []
    allergies: list[Allergy] = []
    for patient in patients:
        age = _age(patient.date_of_birth, today)
        gp = rng.choice(gps)
        for condition in CONDITIONS:
            if not condition.min_age <= age <= condition.max_age:
                continue
            if condition.sex and condition.sex != patient.sex:
                continue
            if rng.random() > condition.chance:
                continue
            years_back = min(age - condition.min_age, 8)
            started = today - timedelta(days=rng.randint(10, 365 * max(1, years_back)))
            started = max(started, patient.date_of_birth + timedelta(days=30))
            if started > today:
                continue  # a newborn: nothing to record yet
            ended = None
            if not condition.chronic:
                ended = min(today, started + timedelta(days=rng.randint(7, 60)))
            episode = Episode(
                practice=practice,
                patient=patient,
                icpc_code=condition.code,
                title=condition.title,
                started_on=started,
                ended_on=ended,
                created_by=gp,
            )
            episodes.append(episode)
            plans.append((episode, condition))
            if condition.medication and (condition.chronic or rng.random() < 0.5):
                name, dosage = condition.medication
                medication.append(
                    Medication(
                        practice=practice,
                        patient=patient,
                        name=name,
                        dosage=dosage,
                        started_on=started,
                        ended_on=ended,
                        prescriber=gp,
                        chronic=condition.chronic,
                        created_by=gp,
                    )
                )
        if rng.random() < 0.05:
            allergies.append(
                Allergy(
                    practice=practice,
                    patient=patient,
                    substance="Penicilline",
                    kind=AllergyKind.ALLERGY,
                    reaction="Huiduitslag",
                    recorded_on=today - timedelta(days=rng.randint(30, 2000)),
                    created_by=gp,
                )
            )
    Episode.objects.bulk_create(episodes, batch_size=2000)
    journal: list[JournalEntry] = []
    for episode, condition in plans:
        contacts = rng.randint(1, 4 if condition.chronic else 2)
        for number in range(contacts):
            day = episode.started_on + timedelta(days=number * rng.randint(14, 120))
            if day > today:
                break
            journal.append(
                JournalEntry(
                    practice=practice,
                    patient_id=episode.patient_id,
                    episode=episode,
                    contact_on=day,
                    kind=rng.choice([ContactKind.CONSULT, ContactKind.CONSULT, ContactKind.PHONE]),
                    subjective=rng.choice(SUBJECTIVE),
                    objective=rng.choice(OBJECTIVE),
                    evaluation=condition.evaluation,
                    plan=condition.plan,
                    created_by=episode.created_by,
                )
            )
    JournalEntry.objects.bulk_create(journal, batch_size=2000)
    Medication.objects.bulk_create(medication, batch_size=2000)
    Allergy.objects.bulk_create(allergies, batch_size=2000)
    return len(journal)


def give_portal_patient_record(patient: Patient, *, today: date) -> None:
    """The demo patient's record shows each part, and one shielded line the portal hides."""
    gp = User.objects.filter(
        membership__practice=patient.practice, membership__role="huisarts"
    ).first()
    if gp is None:
        return
    started = today - timedelta(days=400)
    # The generator may already have given this patient high blood pressure: one episode,
    # one running Amlodipine, never two of each.
    episode = Episode.objects.filter(patient=patient, icpc_code="K86").first()
    if episode is None:
        episode = Episode.objects.create(
            practice=patient.practice,
            patient=patient,
            icpc_code="K86",
            title="Hoge bloeddruk",
            started_on=started,
            created_by=gp,
        )
    if not Medication.objects.filter(
        patient=patient, name="Amlodipine 5 mg", ended_on__isnull=True
    ).exists():
        Medication.objects.create(
            practice=patient.practice,
            patient=patient,
            name="Amlodipine 5 mg",
            dosage="1 keer per dag",
            started_on=started,
            prescriber=gp,
            chronic=True,
            created_by=gp,
        )
    if not Allergy.objects.filter(patient=patient).exists():
        Allergy.objects.create(
            practice=patient.practice,
            patient=patient,
            substance="Penicilline",
            kind=AllergyKind.ALLERGY,
            reaction="Huiduitslag",
            recorded_on=started - timedelta(days=900),
            created_by=gp,
        )
    lines = [
        (
            started,
            "RR 162/98 bij herhaling.",
            "Hypertensie.",
            "Leefstijladvies, amlodipine gestart.",
        ),
        (
            started + timedelta(days=90),
            "RR 138/84.",
            "Hypertensie, goed ingesteld.",
            "Controle over een jaar bij de POH.",
        ),
    ]
    for day, objective, evaluation, plan in lines:
        JournalEntry.objects.create(
            practice=patient.practice,
            patient=patient,
            episode=episode,
            contact_on=day,
            kind=ContactKind.CONSULT,
            objective=objective,
            evaluation=evaluation,
            plan=plan,
            created_by=gp,
        )
    tests = {t.nhg_code: t for t in LabTest.objects.filter(nhg_code__in=["1744", "1740", "357"])}
    readings = [(400, 162, 98, "88.0"), (310, 138, 84, "86.5"), (40, 134, 82, "85.0")]
    Measurement.objects.bulk_create(
        Measurement(
            practice=patient.practice,
            patient=patient,
            test=tests[code],
            value=Decimal(value),
            measured_on=today - timedelta(days=days_ago),
            created_by=gp,
        )
        for days_ago, systolic, diastolic, weight in readings
        for code, value in (("1744", systolic), ("1740", diastolic), ("357", weight))
        if code in tests
    )
    JournalEntry.objects.create(
        practice=patient.practice,
        patient=patient,
        contact_on=today - timedelta(days=30),
        kind=ContactKind.PHONE,
        subjective="Werkaantekening van de huisarts.",
        evaluation="Afgeschermde regel: niet zichtbaar in het portaal.",
        shielded=True,
        shielded_by=gp,
        created_by=gp,
    )
