"""Synthetic data: the demo practice "De Linde", or a whole region for benchmarks.

Everything is made up and deterministic (a fixed random seed per practice), so running
it twice creates nothing twice. BSNs are valid by the elfproef but all start with 99,
so they are recognisable as synthetic. Bulk inserts keep a region of 500,000 patients
within minutes.
"""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from faker.providers.person.nl_NL import Provider as DutchNames

from spreekuur.accounts.models import Membership, User
from spreekuur.core.models import NewsItem, OpeningException, OpeningHours, Practice
from spreekuur.core.roles import StaffRole
from spreekuur.demo import region
from spreekuur.demo.agenda import build_demo_agenda, give_portal_patient_appointments
from spreekuur.demo.chroniccare import build_demo_chroniccare, give_portal_patient_programmes
from spreekuur.demo.dashboard import build_demo_dashboard
from spreekuur.demo.dossier import build_demo_records, give_portal_patient_record
from spreekuur.demo.econsult import build_demo_econsults, give_portal_patient_econsult
from spreekuur.demo.fhir import build_demo_apps
from spreekuur.demo.logins import DEMO_PASSWORD as DEMO_PASSWORD
from spreekuur.demo.logins import DEMO_TOTP_BASE32 as DEMO_TOTP_BASE32
from spreekuur.demo.logins import DEMO_TOTP_HEX as DEMO_TOTP_HEX
from spreekuur.demo.prescriptions import build_demo_prescriptions, give_portal_patient_repeats
from spreekuur.demo.results import build_demo_results, give_portal_patient_results
from spreekuur.demo.roster import build_demo_roster
from spreekuur.demo.telephony import build_demo_telephony
from spreekuur.demo.triage import build_demo_questionnaires, build_demo_triage
from spreekuur.patients.bsn import complete_bsn
from spreekuur.patients.models import Patient, PortalActivation, Sex
from spreekuur.patients.services import hash_activation_code

DEMO_SLUG = "de-linde"
DEMO_ACTIVATION_CODE = "DEMA-ANKR-2345"
BSN_PREFIX = "99"
# Each practice gets its own block of BSN counters; about 10 in 11 counters give a valid BSN.
BSN_BLOCK = 4_000

STAFF = [
    ("huisarts@de-linde.example", "Dr. Anna de Boer", StaffRole.HUISARTS, "01012345"),
    ("huisarts2@de-linde.example", "Dr. Pieter Jansen", StaffRole.HUISARTS, "01023456"),
    ("huisarts3@de-linde.example", "Dr. Fatima el Amrani", StaffRole.HUISARTS, "01034567"),
    ("assistent@de-linde.example", "Lisa Visser", StaffRole.ASSISTENT, ""),
    ("assistent2@de-linde.example", "Emma Bakker", StaffRole.ASSISTENT, ""),
    ("assistent3@de-linde.example", "Sevda Yilmaz", StaffRole.ASSISTENT, ""),
    ("assistent4@de-linde.example", "Joyce Smit", StaffRole.ASSISTENT, ""),
    ("poh@de-linde.example", "Marieke Mulder", StaffRole.POH, "01045678"),
    ("manager@de-linde.example", "Ruud Hendriks", StaffRole.PRAKTIJKMANAGER, ""),
]
DEMO_PATIENT_EMAIL = "patient@de-linde.example"

# Age bands of the Dutch population (CBS, rounded): (lowest age, highest age, share).
AGE_BANDS = [
    (0, 9, 0.100),
    (10, 19, 0.110),
    (20, 29, 0.130),
    (30, 39, 0.130),
    (40, 49, 0.120),
    (50, 59, 0.140),
    (60, 69, 0.125),
    (70, 79, 0.100),
    (80, 89, 0.040),
    (90, 100, 0.005),
]
STREETS = [
    "Kerkstraat",
    "Dorpsstraat",
    "Schoolstraat",
    "Molenweg",
    "Julianastraat",
    "Beatrixlaan",
    "Wilhelminastraat",
    "Stationsweg",
    "Lindelaan",
    "Eikenlaan",
    "Beukenlaan",
    "Parklaan",
    "Nieuwstraat",
    "Hoofdstraat",
    "Prins Bernhardstraat",
    "Oranjestraat",
    "Emmastraat",
    "Marktstraat",
    "Sportlaan",
    "Meidoornstraat",
    "Rozenstraat",
    "Tulpstraat",
    "Vijverweg",
    "Kastanjelaan",
    "Populierenlaan",
    "Zonnebloemstraat",
    "Vlasakker",
    "Graaf Florislaan",
]
# Longest first, so "van 't Erve" splits as "van 't" + "Erve", not "van" + "'t Erve".
NAME_PREFIXES = (
    "van der ",
    "van den ",
    "van de ",
    "van 't ",
    "in 't ",
    "van ",
    "de ",
    "den ",
    "ter ",
    "te ",
    "'t ",
)


@dataclass(frozen=True)
class PracticeSpec:
    number: int  # 0 is De Linde; 1.. the region's practices
    slug: str
    name: str
    city: str
    patients: int


def _split_family_name(raw: str) -> tuple[str, str]:
    for prefix in NAME_PREFIXES:
        if raw.startswith(prefix):
            return prefix.strip(), raw[len(prefix) :]
    return "", raw


def _bsns(practice_number: int) -> Iterator[str]:
    start = practice_number * BSN_BLOCK
    for counter in range(start, start + BSN_BLOCK):
        bsn = complete_bsn(f"{BSN_PREFIX}{counter:06d}")
        if bsn is not None:
            yield bsn
    raise RuntimeError("BSN block exhausted: raise BSN_BLOCK")


def _birth_date(rng: random.Random, today: date) -> date:
    low, high, _share = rng.choices(AGE_BANDS, weights=[band[2] for band in AGE_BANDS])[0]
    age_days = rng.randint(low * 365, high * 365 + 364)
    return today - timedelta(days=age_days)


def _postal_code(rng: random.Random, practice_number: int) -> str:
    letters = "ABCDEFGHJKLMNPRSTVWXZ"
    return f"{3700 + practice_number % 6000:04d} {rng.choice(letters)}{rng.choice(letters)}"


def _patients_for(
    practice: Practice, spec: PracticeSpec, gp_ids: list[int], today: date
) -> Iterator[Patient]:
    rng = random.Random(f"patients-{spec.number}")
    bsns = _bsns(spec.number)
    for _ in range(spec.patients):
        born = _birth_date(rng, today)
        age = (today - born).days // 365
        female_share = 0.5 if age < 60 else 0.56
        sex = Sex.FEMALE if rng.random() < female_share else Sex.MALE
        if rng.random() < 0.002:
            sex = Sex.OTHER
        names = DutchNames.first_names_female if sex == Sex.FEMALE else DutchNames.first_names_male
        given = rng.choice(names)
        prefix, family = _split_family_name(rng.choice(DutchNames.last_names))
        enrolled = max(born, today - timedelta(days=rng.randint(0, 25 * 365)))
        yield Patient(
            practice=practice,
            bsn=next(bsns),
            initials=given[0] + "." + ("" if rng.random() < 0.6 else rng.choice("ACEHJMPW") + "."),
            given_name=given,
            name_prefix=prefix,
            family_name=family,
            date_of_birth=born,
            sex=sex,
            street=rng.choice(STREETS),
            house_number=str(rng.randint(1, 180))
            + ("" if rng.random() < 0.9 else rng.choice("abc")),
            postal_code=_postal_code(rng, spec.number),
            city=spec.city,
            phone=f"06{rng.randint(10_000_000, 99_999_999)}",
            gp_id=rng.choice(gp_ids),
            enrolled_on=enrolled,
        )


def _opening_hours(practice: Practice) -> None:
    rows = []
    for weekday in range(5):
        rows.append(
            OpeningHours(practice=practice, weekday=weekday, opens=time(8), closes=time(12, 30))
        )
        rows.append(
            OpeningHours(practice=practice, weekday=weekday, opens=time(13, 30), closes=time(17))
        )
    OpeningHours.objects.bulk_create(rows)


def _staff(practice: Practice, spec: PracticeSpec, password_hash: str) -> list[User]:
    if spec.number == 0:
        people = STAFF
    else:
        domain = f"{spec.slug}.example"
        people = [
            (email.replace("de-linde.example", domain), name, role, agb)
            for email, name, role, agb in STAFF
        ]
    confirmed = timezone.now()
    users = User.objects.bulk_create(
        [
            User(email=email, full_name=name, password=password_hash, email_confirmed_at=confirmed)
            for email, name, _r, _a in people
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=user,
                practice=practice,
                role=role,
                agb_code=f"{agb[:2]}{(int(agb[2:]) + spec.number * 7) % 1_000_000:06d}"
                if agb
                else "",
            )
            for user, (_e, _n, role, agb) in zip(users, people, strict=True)
        ]
    )
    TOTPDevice.objects.bulk_create(
        [TOTPDevice(user=user, name="Demo", key=DEMO_TOTP_HEX, confirmed=True) for user in users]
    )
    return users


def build_practice(spec: PracticeSpec, *, password_hash: str, today: date) -> tuple[Practice, bool]:
    """Create one practice with staff and patients; (practice, created)."""
    existing = Practice.objects.filter(slug=spec.slug).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        practice = Practice.objects.create(
            slug=spec.slug,
            name=spec.name,
            agb_code=f"01{50000 + spec.number:06d}",
            street="Lindeplein 1"
            if spec.number == 0
            else f"{STREETS[spec.number % len(STREETS)]} 1",
            postal_code=f"{3700 + spec.number % 6000:04d} AB",
            city=spec.city,
            phone_main=f"0345-{100000 + spec.number:06d}",
            phone_urgent=f"0345-{200000 + spec.number:06d}",
            website_intro=(
                "Uw huisartsenpraktijk in het hart van de wijk. "
                "(Demopraktijk: alle gegevens zijn verzonnen.)"
            ),
            hap_name="Huisartsenpost Rivierenland (demo)",
            hap_phone="0900-1234567",
            hap_address="Ziekenhuisweg 10, Lindewijk",
            records_online_from=date(2020, 7, 1),
        )
        _opening_hours(practice)
        users = _staff(practice, spec, password_hash)
        gp_ids = [
            u.pk
            for u, (_e, _n, role, _a) in zip(users, STAFF, strict=True)
            if role == StaffRole.HUISARTS
        ]
        batch: list[Patient] = []
        for patient in _patients_for(practice, spec, gp_ids, today):
            batch.append(patient)
            if len(batch) >= 5000:
                Patient.objects.bulk_create(batch)
                batch = []
        Patient.objects.bulk_create(batch)
    return practice, True


def activation_code_hash(code: str) -> str:
    """What a letter's activation code is stored as: the product's own hash."""
    return hash_activation_code(code)


def _demo_extras(practice: Practice, *, password_hash: str, today: date) -> None:
    """De Linde only: a patient with a portal login, an activation letter, news, exceptions."""
    manager = User.objects.get(email="manager@de-linde.example")
    assistant = User.objects.get(email="assistent@de-linde.example")
    patients = Patient.objects.filter(practice=practice).order_by("id")
    portal_patient = patients.filter(date_of_birth__lte=today - timedelta(days=40 * 365)).first()
    if portal_patient is None:
        raise RuntimeError("the demo practice needs an adult patient")
    portal_user = User.objects.create(
        email=DEMO_PATIENT_EMAIL,
        full_name=portal_patient.display_name,
        password=password_hash,
        email_confirmed_at=timezone.now(),
    )
    TOTPDevice.objects.create(user=portal_user, name="Demo", key=DEMO_TOTP_HEX, confirmed=True)
    portal_patient.user = portal_user
    portal_patient.save(update_fields=["user"])

    letter_patient = (
        patients.exclude(pk=portal_patient.pk)
        .filter(date_of_birth__lte=today - timedelta(days=20 * 365))
        .first()
    )
    if letter_patient is None:
        raise RuntimeError("the demo practice needs a second adult patient")
    now = timezone.now()
    PortalActivation.objects.create(
        patient=letter_patient,
        practice=practice,
        code_hash=activation_code_hash(DEMO_ACTIVATION_CODE),
        issued_by=assistant,
        issued_at=now,
        expires_at=now + timedelta(days=365),
    )
    NewsItem.objects.bulk_create(
        [
            NewsItem(
                practice=practice,
                title="Griepvaccinatie",
                body=(
                    "Bent u 60 jaar of ouder of heeft u een chronische aandoening? "
                    "Dan krijgt u een uitnodiging voor de griepprik."
                ),
                published_on=today - timedelta(days=10),
                created_by=manager,
            ),
            NewsItem(
                practice=practice,
                title="Nieuw: uw gegevens online",
                body=(
                    "Via het patiëntenportaal ziet u voortaan uw gegevens. "
                    "Vraag bij de doktersassistent een activeringsbrief aan."
                ),
                published_on=today - timedelta(days=3),
                created_by=manager,
            ),
        ]
    )
    training_day = today + timedelta(days=(2 - today.weekday()) % 7 + 14)  # a Wednesday
    OpeningException.objects.create(
        practice=practice,
        date=training_day,
        closed=False,
        opens=time(8),
        closes=time(12, 30),
        reason="Middag gesloten wegens scholing",
    )


@dataclass(frozen=True)
class DemoResult:
    practices_created: int
    patients_created: int
    seconds: float


def load(
    *,
    region_practices: int = 0,
    patients_per_practice: int = 2500,
    demo_patients: int = 3000,
    progress: Callable[[str], None] = lambda message: None,
) -> DemoResult:
    started = clock.perf_counter()
    today = timezone.localdate()
    password_hash = make_password(DEMO_PASSWORD)
    specs = [PracticeSpec(0, DEMO_SLUG, "Huisartsenpraktijk De Linde", "Lindewijk", demo_patients)]
    specs += [
        PracticeSpec(
            n,
            f"regio-{n:03d}",
            f"Huisartsenpraktijk Regio {n:03d}",
            f"Regiostad {n % 40 + 1}",
            patients_per_practice,
        )
        for n in range(1, region_practices + 1)
    ]
    if max(spec.patients for spec in specs) > BSN_BLOCK * 10 // 11 - 100:
        raise ValueError(f"At most {BSN_BLOCK * 10 // 11 - 100} patients per practice")
    created = patients = 0
    for index, spec in enumerate(specs, start=1):
        practice, was_created = build_practice(spec, password_hash=password_hash, today=today)
        if was_created:
            created += 1
            patients += spec.patients
            if spec.number == 0:
                with transaction.atomic():
                    _demo_extras(practice, password_hash=password_hash, today=today)
                made = build_demo_agenda(practice, today=today)
                portal_patient = Patient.objects.get(user__email=DEMO_PATIENT_EMAIL)
                give_portal_patient_appointments(portal_patient, today=today)
                lines = build_demo_records(practice, today=today)
                give_portal_patient_record(portal_patient, today=today)
                progress(f"dossiers van {spec.name}: {lines} journaalregels")
                results = build_demo_results(practice, today=today)
                give_portal_patient_results(portal_patient, today=today)
                progress(f"uitslagen van {spec.name}: {results} via HL7 ingelezen")
                requests = build_demo_prescriptions(practice, today=today)
                give_portal_patient_repeats(portal_patient, today=today)
                progress(f"herhaalrecepten van {spec.name}: {requests} aanvragen in een maand")
                # After the repeat prescriptions, which pick from the chronic medication:
                # the programmes' new medication leaves their choice as it was.
                taking_part = build_demo_chroniccare(
                    practice, today=today, leave_out=portal_patient
                )
                give_portal_patient_programmes(portal_patient, today=today)
                progress(
                    f"ketenzorg van {spec.name}: "
                    + ", ".join(f"{code} {count}" for code, count in taking_part.items())
                    + " deelnemers"
                )
                questions = build_demo_econsults(practice, today=today)
                give_portal_patient_econsult(portal_patient)
                progress(f"e-consults van {spec.name}: {questions} vragen")
                triaged = build_demo_triage(practice, today=today, leave_out=portal_patient)
                progress(f"zelftriage van {spec.name}: {triaged} afgeronde triages")
                surveyed = build_demo_questionnaires(
                    practice, today=today, portal_patient=portal_patient
                )
                progress(f"vragenlijsten van {spec.name}: {surveyed}")
                calls = build_demo_telephony(practice, today=today)
                progress(f"telefonie van {spec.name}: {calls} gesprekken in drie maanden")
                shifts = build_demo_roster(practice, today=today)
                progress(f"rooster van {spec.name}: {shifts} vaste diensten")
                apps = build_demo_apps(practice)
                progress(f"apps van {spec.name}: {apps} (FHIR-API, docs/fhir.md)")
                progress(f"agenda van {spec.name}: {made} afspraken in een maand")
        if index % 10 == 0 or index == len(specs):
            progress(f"{index}/{len(specs)} praktijken klaar ({patients} patiënten aangemaakt)")
    if region_practices:
        # Lab results for the region practices, in bulk (De Linde's came through the door).
        lab = region.build_region_results(today=today, progress=progress)
        progress(f"uitslagen van de regio: {lab.results} in {lab.seconds:.1f} s")
        # A year of agenda, record, repeat prescriptions and e-consults for them, in bulk.
        care = region.build_region_care(today=today, progress=progress)
        progress(
            f"zorg van de regio: {care.appointments} afspraken, {care.journal_entries} "
            f"journaalregels, {care.repeat_requests} herhaalaanvragen, {care.econsults} "
            f"e-consults in {care.seconds:.1f} s"
        )
        phone = region.build_region_calls(today=today, progress=progress)
        progress(
            f"telefonie van de regio: {phone.calls} gesprekken, {phone.hours} uren in "
            f"{phone.seconds:.1f} s"
        )
    if created:
        # Codes, tariffs, the care group and a first count of the dashboard's figures.
        everyone = list(
            Practice.objects.filter(slug__in=[spec.slug for spec in specs]).order_by("id")
        )
        counted = build_demo_dashboard(today=today, practices=everyone)
        progress(f"dashboard: {counted} dagcijfers van {len(everyone)} praktijken")
    return DemoResult(created, patients, clock.perf_counter() - started)
