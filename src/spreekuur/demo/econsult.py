"""E-consults for the demo practice: a month of questions in every state (waiting, over
time, answered, closed, with internal notes and a photo), through the real services.
The patients who asked get a portal account without a usable password (they exist to
have asked; only the demo patient logs in)."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.core.working_days import working_day_deadline
from spreekuur.econsult import services
from spreekuur.econsult.forms import ANSWER_TEMPLATES
from spreekuur.econsult.models import ConsultCode, Thread, ThreadStatus
from spreekuur.patients.models import Patient
from spreekuur.triage.selectors import red_flags_for

QUESTIONS = [
    ("huid", "Ik heb sinds twee weken een rode, schilferige plek op mijn elleboog. Het jeukt."),
    ("huid", "Een moedervlek op mijn rug lijkt groter geworden. Foto bijgevoegd."),
    ("medicijnen", "Mag ik mijn bloeddrukpil 's avonds innemen in plaats van 's ochtends?"),
    ("uitslag", "Wat betekent mijn cholesteroluitslag van vorige week precies?"),
    ("klacht", "Ik hoest al drie weken, zonder koorts. Moet ik langskomen?"),
    ("verwijzing", "Ik heb een nieuwe verwijzing nodig voor de fysiotherapeut."),
    ("anders", "Kan ik mijn griepprik dit jaar ook bij jullie halen?"),
]


def _photo() -> SimpleUploadedFile:
    image = Image.linear_gradient("L").resize((800, 600)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG")
    return SimpleUploadedFile("foto.jpg", out.getvalue(), content_type="image/jpeg")


def build_demo_econsults(practice: Practice, *, today: date, seed: int = 23) -> int:
    rng = random.Random(seed)
    ConsultCode.objects.get_or_create(
        practice=practice,
        year=today.year,
        # Demo values: a practice copies code and tariff from the NZa list for the year.
        defaults={
            "code": "12007",
            "description": "E-consult (demowaarde)",
            "tariff": Decimal("9.51"),
        },
    )
    staff = list(
        User.objects.filter(
            membership__practice=practice, membership__role__in=["huisarts", "poh", "assistent"]
        ).order_by("id")
    )
    gps = [u for u in staff if u.membership.role == "huisarts"]
    calm = {flag.code: False for flag in red_flags_for(practice)}
    patients = list(
        Patient.objects.filter(practice=practice, user__isnull=True).order_by("id")[100:140]
    )
    made = 0
    for number, patient in enumerate(patients):
        patient.user = User.objects.create_user(
            email=f"econsult-{practice.slug}-{number}@voorbeeld.example",
            full_name=patient.display_name,
            email_confirmed_at=timezone.now(),
        )
        patient.save(update_fields=["user"])
        category, text = QUESTIONS[number % len(QUESTIONS)]
        photos = [(_photo(), 0)] if category == "huid" and number % 2 == 0 else []
        thread = services.ask_question(
            patient=patient,
            category=category,
            body=text,
            triage_answers=calm,
            consent=True,
            photos=[(upload, upload.size or 0) for upload, _size in photos],
            by=patient.user,
        )
        made += 1
        _age(thread, number, rng, staff=staff, gps=gps)
    return made


def _age(
    thread: Thread, number: int, rng: random.Random, *, staff: list[User], gps: list[User]
) -> None:
    """Spread over the month and bring into every state."""
    state = number % 5
    # Waiting questions are recent (a few over time); answered ones spread over the month.
    days_ago = rng.randint(0, 3) if state in (0, 1, 2) else rng.randint(3, 25)
    if number in (0, 5):
        days_ago = 6  # two that went over time, for the inbox to flag
    created = timezone.now() - timedelta(days=days_ago, hours=rng.randint(0, 8))
    if state in (1, 2, 3):
        services.assign_thread(thread=thread, assignee=rng.choice(gps), by=staff[0])
    if state == 2:
        services.add_internal_note(
            thread=thread, body="Graag even naar de foto kijken voor het spreekuur.", by=staff[-1]
        )
    if state in (3, 4) and days_ago > 2:
        services.answer_thread(
            thread=thread,
            body=str(rng.choice(ANSWER_TEMPLATES)),
            by=rng.choice(gps),
            close=state == 4,
        )
    Thread.objects.filter(pk=thread.pk).update(created_at=created)
    # Open ones keep their deadline: two working days after the (moved) question.
    Thread.objects.filter(pk=thread.pk, status=ThreadStatus.OPEN).update(
        due_at=working_day_deadline(created, 2)
    )


def give_portal_patient_econsult(patient: Patient) -> None:
    """The demo patient asked about a skin spot (with a photo) and has an answer."""
    if patient.user is None:
        return
    gp = (
        User.objects.filter(membership__practice=patient.practice, membership__role="huisarts")
        .order_by("id")
        .first()
    )
    if gp is None:
        return
    upload = _photo()
    thread = services.ask_question(
        patient=patient,
        category="huid",
        body="Sinds een week een rode plek op mijn onderarm, hij jeukt een beetje.",
        triage_answers={flag.code: False for flag in red_flags_for(patient.practice)},
        consent=True,
        photos=[(upload, upload.size or 0)],
        by=patient.user,
    )
    services.answer_thread(thread=thread, body=str(ANSWER_TEMPLATES[2]), by=gp)
