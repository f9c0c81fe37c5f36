"""The record in a region practice's year: chronic conditions from before the year with
their episode and medication (the repeatable medicines on the repeat list), allergies, and
a journal line in SOEP form for every consult that took place, by the practitioner who
saw the patient, under the episode it belongs to; measurements where they were taken.

The vocabularies are De Linde's (demo/dossier.py) where it has them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from spreekuur.agenda.models import AppointmentStatus
from spreekuur.core.roles import StaffRole
from spreekuur.demo.agenda import REASONS as BOOKING_REASONS
from spreekuur.demo.dossier import CONDITIONS, OBJECTIVE, SUBJECTIVE, Condition
from spreekuur.demo.prescriptions import quantity_for
from spreekuur.demo.region.rows import Table
from spreekuur.demo.region.year import TZ, Visit, Year
from spreekuur.dossier.models import (
    Allergy,
    AllergyKind,
    ContactKind,
    Episode,
    JournalEntry,
    Measurement,
    Medication,
)
from spreekuur.results.models import LabTest

TABLES = {
    "episode": Table(Episode, {"id": "episode"}),
    "journal": Table(JournalEntry, {"id": "journal", "episode_id": "episode"}),
    "medication": Table(Medication, {"id": "medication"}),
    "measurement": Table(Measurement, {"id": "measurement"}),
    "allergy": Table(Allergy, {"id": "allergy"}),
}
MEASURED = ("1744", "1740", "357")  # NHG codes: systolic and diastolic blood pressure, weight

# --- Vocabularies (De Linde's where it has them) --------------------------------------------


@dataclass(frozen=True)
class Problem:
    """An acute problem a patient comes to the GP with, and how the consult is written."""

    code: str
    title: str
    min_age: int
    max_age: int
    weight: float
    reason: str  # in the patient's words, when booked online
    subjective: str
    objective: str
    evaluation: str
    plan: str
    sex: str = ""
    medication: tuple[str, str, int] | None = None  # name, dosage, days


def from_condition(condition: Condition, weight: float, reason: str) -> Problem:
    medication = None
    if condition.medication is not None:
        name, dosage = condition.medication
        medication = (name, dosage, 28)
    return Problem(
        condition.code,
        condition.title,
        condition.min_age,
        condition.max_age,
        weight,
        reason,
        SUBJECTIVE[0],
        OBJECTIVE[0],
        condition.evaluation,
        condition.plan,
        condition.sex,
        medication,
    )


DEMO = {condition.code: condition for condition in CONDITIONS}
ACUTE = [
    from_condition(DEMO["R74"], 10, "Verkouden en keelpijn"),
    from_condition(DEMO["H71"], 5, "Oorpijn"),
    from_condition(DEMO["L03"], 8, BOOKING_REASONS[0]),
    from_condition(DEMO["D84"], 3, "Last van zuurbranden"),
    Problem(
        "U71",
        "Blaasontsteking",
        16,
        120,
        5,
        BOOKING_REASONS[9],
        "Branderig gevoel bij het plassen sinds twee dagen.",
        "Urine: nitriet positief.",
        DEMO["U71"].evaluation,
        DEMO["U71"].plan,
        "F",
        ("Nitrofurantoïne 100 mg", "2 keer per dag 1 capsule", 5),
    ),
    Problem(
        "R05",
        "Hoesten",
        0,
        120,
        6,
        BOOKING_REASONS[2],
        "Hoest al drie weken, geen koorts.",
        "Longen: vesiculair ademgeruis, geen bijgeluiden.",
        "Hoesten, waarschijnlijk na een virale infectie.",
        "Uitleg over beloop; terugkomen bij koorts of benauwdheid.",
    ),
    Problem(
        "S06",
        "Huiduitslag",
        0,
        120,
        5,
        BOOKING_REASONS[1],
        "Jeukende uitslag op de arm sinds een week.",
        "Rode schilferende plekken op de onderarm.",
        "Contacteczeem.",
        "Hormoonzalf klasse 1 gedurende een week.",
        medication=("Hydrocortisoncrème 1%", "2 keer per dag dun aanbrengen", 14),
    ),
    Problem(
        "L15",
        "Knieklachten",
        10,
        120,
        4,
        BOOKING_REASONS[6],
        "Knie verdraaid bij het voetballen.",
        "Lichte zwelling, stabiele knie.",
        "Distorsie knie, geen aanwijzingen voor meniscusletsel.",
        "Rust, daarna opbouwen; fysiotherapie bij aanhouden.",
    ),
    Problem(
        "A04",
        "Moeheid",
        18,
        120,
        3,
        BOOKING_REASONS[5],
        "Al weken moe en weinig energie.",
        OBJECTIVE[3],
        "Moeheid zonder duidelijke oorzaak.",
        "Laboratoriumonderzoek aangevraagd; terugkomen voor de uitslag.",
    ),
    Problem(
        "P06",
        "Slaapproblemen",
        18,
        120,
        2,
        BOOKING_REASONS[10],
        "Slaapt slecht sinds enkele maanden, piekert veel.",
        OBJECTIVE[0],
        "Slapeloosheid.",
        "Slaapadviezen meegegeven, geen medicatie.",
    ),
    Problem(
        "S82",
        "Moedervlek",
        18,
        120,
        3,
        BOOKING_REASONS[8],
        "Wil een moedervlek op de rug laten bekijken.",
        "Regelmatige pigmentvlek van 4 mm.",
        "Goedaardige moedervlek.",
        "Geen behandeling nodig; terugkomen bij verandering.",
    ),
    Problem(
        "N01",
        "Hoofdpijn",
        12,
        120,
        3,
        "Hoofdpijn",
        "Drukkende hoofdpijn aan het eind van de dag.",
        "Neurologisch onderzoek zonder afwijkingen.",
        "Spanningshoofdpijn.",
        "Paracetamol zo nodig, ontspanningsadviezen.",
    ),
    Problem(
        "F70",
        "Rood oog",
        0,
        120,
        2,
        "Rood oog",
        "Rood en plakkerig oog sinds gisteren.",
        "Conjunctivale roodheid, visus goed.",
        "Bacteriële conjunctivitis.",
        "Oog schoonhouden; terugkomen bij pijn of minder zien.",
    ),
    Problem(
        "L92",
        "Schouderklachten",
        30,
        120,
        3,
        "Pijnlijke schouder bij het optillen van de arm",
        "Pijn in de schouder bij het optillen van de arm.",
        "Pijnlijke boog tussen 60 en 120 graden.",
        "Subacromiale pijn.",
        "Uitleg, pijnstilling; fysiotherapie bij aanhouden na 6 weken.",
    ),
    Problem(
        "D11",
        "Diarree",
        0,
        120,
        3,
        "Diarree sinds drie dagen",
        "Waterdunne ontlasting sinds drie dagen, geen bloed.",
        "Buik soepel, geen drukpijn.",
        "Acute gastro-enteritis.",
        "Voldoende drinken; terugkomen bij bloed bij de ontlasting.",
    ),
]
CHILD_WEIGHTS = {"R74": 3.0, "H71": 3.0, "D11": 2.0, "S06": 1.5}  # more often under 12
FOLLOW_UP = (
    "Komt terug voor controle; klachten zijn afgenomen.",
    "Bij onderzoek verbeterd.",
    "Beleid voortzetten, terugkomen zo nodig.",
)
CHRONIC = [condition for condition in CONDITIONS if condition.chronic]
# POH controls a year per chronic condition (NHG standards: diabetes every quarter, ...).
POH_CONTROLS = {"T90": 4, "K86": 2, "T93": 1, "R95": 2, "R96": 1, "K78": 1, "P76": 3}
WITH_BLOOD_PRESSURE = {"T90", "K86", "T93", "K78"}
EXTRA_MEDICATION = {"R96": ("Beclometason inhalator 100 microgram", "2 keer per dag 1 pufje")}
CHRONIC_GP = (
    ("Controle bloeddruk", "Komt voor controle, gaat redelijk.", "Medicatie ongewijzigd."),
    ("Vraag over medicatie", "Vraagt om uitleg over de behandeling.", "Uitleg gegeven."),
)
POH_LINE = (
    "Komt voor de periodieke controle; gaat goed.",
    "Controle over 3 maanden bij de POH.",
)
POH_GGZ_LINE = (
    "Gesprek over stemming en slaap.",
    "Stemming iets beter, slaapt beter.",
    "Depressieve klachten, verbeterend.",
    "Vervolggesprek over 4 weken.",
)
# What the assistant does in her own hours: (reason, S, O, E, P); the first measures.
ASSISTANT_VISITS = [
    (
        "Controle bloeddruk",
        "Komt voor bloeddrukmeting.",
        "RR {systolic}/{diastolic}.",
        "Bloeddrukcontrole.",
        "Uitslag besproken met de huisarts.",
    ),
    (
        BOOKING_REASONS[11],
        "Hechtingen na een wond aan de hand.",
        "Wond rustig en gesloten.",
        "Hechtingen verwijderd.",
        "Geen vervolg nodig.",
    ),
    (
        "Oren uitspuiten",
        "Hoort minder door oorsmeer.",
        "Cerumen beiderzijds.",
        "Oren uitgespoten.",
        "Geen vervolg nodig.",
    ),
    (
        "Wondcontrole",
        "Controle van de wond.",
        "Wond schoon, geen tekenen van infectie.",
        "Wondcontrole, goede genezing.",
        "Verband verwisseld, controle over een week.",
    ),
    (
        "Vitamine B12-injectie",
        "Komt voor de injectie.",
        "Injectie gegeven in de bovenarm.",
        "Vitamine B12 toegediend.",
        "Volgende injectie over 2 maanden.",
    ),
]


def measurement_tests() -> dict[str, int]:
    """The lab tests that measurements are recorded as: NHG code, id."""
    return dict(LabTest.objects.filter(nhg_code__in=MEASURED).values_list("nhg_code", "id"))


class RecordYear(Year):
    def records_before_the_year(self) -> None:
        """Chronic conditions with their episode and medication, and allergies."""
        rng = self.rng
        for i, patient in enumerate(self.patients):
            age = self.age(patient, self.today)
            for c, condition in enumerate(CHRONIC):
                if not condition.min_age <= age <= condition.max_age:
                    continue
                if condition.sex and condition.sex != patient.sex:
                    continue
                if rng.random() > condition.chance:
                    continue
                years = max(1, min(age - condition.min_age, 10))
                started = self.first_day - timedelta(days=rng.randint(30, 365 * years))
                started = max(started, patient.born + timedelta(days=30))
                if started > self.today - timedelta(days=14):
                    continue
                self.chronic[i].append(c)
                moment = datetime.combine(started, time(10), tzinfo=TZ)
                shielded = condition.code == "P76" and rng.random() < 0.2
                self.chronic_episode[i, c] = self.new(
                    "episode",
                    **self.clinical(patient, patient.gp, moment),
                    shielded=shielded,
                    shielded_by_id=patient.gp if shielded else None,
                    icpc_code=condition.code,
                    title=condition.title,
                    started_on=started,
                )
                medicines = [condition.medication, EXTRA_MEDICATION.get(condition.code)]
                for medicine in medicines:
                    if medicine is None:
                        continue
                    name, dosage = medicine
                    repeatable = "zo nodig" not in f"{name} {dosage}".lower()
                    quantity = quantity_for(name) if repeatable else ""
                    ref = self.new(
                        "medication",
                        **self.clinical(patient, patient.gp, moment + timedelta(minutes=5)),
                        name=name,
                        dosage=dosage,
                        started_on=started,
                        prescriber_id=patient.gp,
                        chronic=True,
                        repeatable=repeatable,
                        quantity=quantity,
                        control_due_on=(
                            self.today + timedelta(days=rng.randint(-40, 300))
                            if repeatable
                            else None
                        ),
                    )
                    if repeatable:
                        self.repeatable[i].append((ref, name, dosage, quantity))
            if rng.random() < 0.05:
                recorded = self.today - timedelta(days=rng.randint(30, 2000))
                self.new(
                    "allergy",
                    **self.clinical(
                        patient, patient.gp, datetime.combine(recorded, time(11), tzinfo=TZ)
                    ),
                    substance="Penicilline",
                    kind=AllergyKind.ALLERGY,
                    reaction="Huiduitslag",
                    recorded_on=recorded,
                )

    def journal(self, visits: list[Visit]) -> None:
        """A journal line for every consult that took place, under its episode."""
        rng = self.rng
        appointments = self.tables["appointment"]
        starts_at, ends_at = appointments.index("starts_at"), appointments.index("ends_at")
        done = [v for v in visits if v.status == AppointmentStatus.COMPLETED]
        done.sort(key=lambda v: (v.contact.patient, v.row[starts_at]))
        episodes: dict[int, tuple[int, list[Any]]] = {}  # problem: (ref, row)
        last_contact: dict[int, date] = {}
        base_weight: dict[int, float] = {}
        kinds = {
            "Telefonisch consult": ContactKind.PHONE,
            "Beeldbellen": ContactKind.VIDEO,
        }
        ended_on = self.tables["episode"].index("ended_on")
        for visit in done:
            contact = visit.contact
            patient = self.patients[contact.patient]
            by = self.s.staff[visit.practitioner].user_id
            day = self.date_of(contact.day)
            written = visit.row[ends_at] + timedelta(minutes=rng.randint(1, 30))
            episode = None
            measured: list[tuple[str, str]] = []
            if contact.role == StaffRole.ASSISTENT:
                _reason, subjective, objective, evaluation, plan = ASSISTANT_VISITS[contact.topic]
                if contact.topic == 0:
                    systolic, diastolic = self.blood_pressure(contact.patient)
                    objective = objective.format(systolic=systolic, diastolic=diastolic)
                    measured = [("1744", str(systolic)), ("1740", str(diastolic))]
            elif contact.topic < 0:  # a chronic condition
                c = -1 - contact.topic
                condition = CHRONIC[c]
                episode = self.chronic_episode.get((contact.patient, c))
                evaluation = condition.evaluation
                if contact.role == StaffRole.POH and condition.code == "P76":
                    subjective, objective, evaluation, plan = POH_GGZ_LINE
                elif contact.role == StaffRole.POH:
                    subjective, plan = POH_LINE
                    objective = rng.choice(OBJECTIVE[:2])
                    if condition.code in WITH_BLOOD_PRESSURE:
                        systolic, diastolic = self.blood_pressure(contact.patient)
                        weight = base_weight.setdefault(
                            contact.patient, max(45.0, rng.gauss(84, 14))
                        ) + rng.uniform(-1.5, 1.5)
                        objective = f"RR {systolic}/{diastolic}, gewicht {weight:.1f} kg."
                        measured = [
                            ("1744", str(systolic)),
                            ("1740", str(diastolic)),
                            ("357", f"{weight:.1f}"),
                        ]
                else:
                    _reason, subjective, plan = rng.choice(CHRONIC_GP)
                    objective = rng.choice(OBJECTIVE)
                    plan = f"{plan} {condition.plan}"
            else:
                problem = ACUTE[contact.topic]
                known = episodes.get(contact.problem)
                if known is None:
                    subjective, objective = problem.subjective, problem.objective
                    evaluation, plan = problem.evaluation, problem.plan
                    episode = self.new(
                        "episode",
                        **self.clinical(patient, by, written),
                        icpc_code=problem.code,
                        title=problem.title,
                        started_on=day,
                    )
                    episodes[contact.problem] = (episode, self.rows["episode"][-episode - 1])
                    if problem.medication is not None and rng.random() < 0.6:
                        name, dosage, days = problem.medication
                        self.new(
                            "medication",
                            **self.clinical(patient, by, written),
                            name=name,
                            dosage=dosage,
                            started_on=day,
                            ended_on=day + timedelta(days=days),
                            prescriber_id=by,
                        )
                else:
                    episode = known[0]
                    subjective, objective, plan = FOLLOW_UP
                    evaluation = problem.evaluation
                last_contact[contact.problem] = day
            self.new(
                "journal",
                **self.clinical(patient, by, written),
                episode_id=episode,
                contact_on=day,
                kind=kinds.get(contact.kind, ContactKind.CONSULT),
                subjective=subjective,
                objective=objective,
                evaluation=evaluation,
                plan=plan,
            )
            for code, value in measured:
                if code in self.s.tests:
                    self.new(
                        "measurement",
                        **self.clinical(patient, by, written),
                        test_id=self.s.tests[code],
                        value=value,
                        measured_on=day,
                    )
        for key, (_ref, row) in episodes.items():
            end = last_contact[key] + timedelta(days=rng.randint(7, 42))
            row[ended_on] = end if end <= self.today else None

    def blood_pressure(self, patient: int) -> tuple[int, int]:
        rng = self.rng
        systolic = int(min(220, max(95, rng.gauss(138, 14))))
        diastolic = int(min(120, max(55, rng.gauss(84, 9))))
        return systolic, min(diastolic, systolic - 25)

    # -- repeat prescriptions
