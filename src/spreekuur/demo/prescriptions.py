"""Repeat prescriptions for the demo practice: the practice's pharmacies, a repeat list for
its chronic patients, and a month of requests in every state, taken through the real
services (by phone at the desk, and the portal patient through the portal) and then
spread over the month."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.dossier.models import Medication
from spreekuur.patients.models import Patient
from spreekuur.prescriptions.models import (
    DeliveryStatus,
    ItemStatus,
    OutboxMessage,
    Pharmacy,
    RepeatRequest,
    RepeatRequestItem,
    RepeatSettings,
    Route,
)
from spreekuur.prescriptions.services import (
    approve_items,
    forward_to_gp,
    reject_items,
    request_repeat,
)

QUANTITIES = {"inhalator": "1 inhalator", "crème": "100 gram"}
REASONS = ["controle", "te-vroeg", "niet-herhaalbaar"]


def quantity_for(name: str) -> str:
    """What a repeat prescription of the medicine is for (a pack, a tube, 90 tablets)."""
    lowered = name.lower()
    return next((q for word, q in QUANTITIES.items() if word in lowered), "90 tabletten")


def _staff(practice: Practice, role: str) -> User:
    staff = User.objects.filter(membership__practice=practice, membership__role=role)
    user = staff.order_by("id").first()
    if user is None:
        raise LookupError(f"the demo practice has no {role}")
    return user


def build_demo_prescriptions(practice: Practice, *, today: date, seed: int = 17) -> int:
    """Returns the number of requests made."""
    rng = random.Random(seed)
    RepeatSettings.objects.update_or_create(
        practice=practice, defaults={"route": Route.ASSISTANT_FIRST}
    )
    pharmacies = [
        Pharmacy.objects.create(
            practice=practice,
            name="Apotheek De Linde",
            city="Lindewijk",
            agb_code="06000101",
            transport="bestand",
            # The worker writes each approved prescription here as FHIR JSON.
            drop_folder=str(Path(settings.PHARMACY_DROP_ROOT) / "apotheek-de-linde"),
        ),
        Pharmacy.objects.create(
            practice=practice,
            name="Apotheek Lindeplein",
            city="Lindewijk",
            agb_code="06000102",
            transport="print",
        ),
    ]
    chronic = Medication.objects.filter(
        practice=practice, chronic=True, ended_on__isnull=True
    ).exclude(Q(name__icontains="zo nodig") | Q(dosage__icontains="zo nodig"))
    for medication in chronic.iterator():
        medication.repeatable = True
        medication.quantity = quantity_for(medication.name)
        medication.control_due_on = today + timedelta(days=rng.randint(-40, 300))
        medication.save(update_fields=["repeatable", "quantity", "control_due_on"])
    assistant, gp = _staff(practice, "assistent"), _staff(practice, "huisarts")
    patients = list(
        Patient.objects.filter(
            pk__in=Medication.objects.filter(practice=practice, repeatable=True)
            .values("patient_id")
            .distinct()
        ).order_by("id")
    )
    rng.shuffle(patients)
    made = 0
    for patient in patients[:180]:
        medications = list(
            Medication.objects.filter(patient=patient, repeatable=True, ended_on__isnull=True)
        )
        if not medications:
            continue
        request = request_repeat(
            patient=patient,
            medication_ids=[
                m.public_id for m in rng.sample(medications, k=min(2, len(medications)))
            ],
            pharmacy=rng.choice(pharmacies),
            channel=rng.choice(["telefoon", "telefoon", "balie"]),
            by=assistant,
        )
        made += 1
        _age(request, today, rng, assistant=assistant, gp=gp)
    return made


def _age(
    request: RepeatRequest, today: date, rng: random.Random, *, assistant: User, gp: User
) -> None:
    """Decide it as the practice would have, then move it back in the month."""
    items = list(request.items.all())
    days_ago = rng.randint(0, 30)
    if days_ago > 1:
        forward_to_gp(items=items, by=assistant)
        if rng.random() < 0.12:
            reject_items(items=items, reason=rng.choice(REASONS), by=gp)
        else:
            approve_items(items=items, by=gp)
            RepeatRequestItem.objects.filter(request=request).update(
                status=ItemStatus.READY if days_ago > 3 else ItemStatus.SENT
            )
            OutboxMessage.objects.filter(item__request=request).update(
                status=DeliveryStatus.DELIVERED, delivered_at=timezone.now(), attempts=1
            )
    elif days_ago == 1:
        forward_to_gp(items=items, by=assistant)
    created = timezone.make_aware(
        datetime.combine(
            today - timedelta(days=days_ago), time(rng.randint(8, 16), rng.choice((0, 20, 40)))
        )
    )
    RepeatRequest.objects.filter(pk=request.pk).update(created_at=created)
    decided = created + timedelta(hours=rng.choice((2, 4, 6, 20, 30, 70)))
    RepeatRequestItem.objects.filter(request=request, decided_at__isnull=False).update(
        decided_at=decided
    )


def give_portal_patient_repeats(patient: Patient, *, today: date) -> None:
    """The demo patient's amlodipine is on the repeat list, asked for once last month."""
    gp = _staff(patient.practice, "huisarts")
    medication = Medication.objects.filter(patient=patient, name__startswith="Amlodipine").first()
    if medication is None or patient.user is None:
        return
    Medication.objects.filter(pk=medication.pk).update(
        repeatable=True, quantity="90 tabletten", control_due_on=today + timedelta(days=120)
    )
    pharmacy = Pharmacy.objects.filter(practice=patient.practice).order_by("id").first()
    if pharmacy is None:
        return
    request = request_repeat(
        patient=patient,
        medication_ids=[medication.public_id],
        pharmacy=pharmacy,
        by=patient.user,
    )
    items = list(request.items.all())
    approve_items(items=items, by=gp)
    RepeatRequestItem.objects.filter(request=request).update(status=ItemStatus.READY)
    OutboxMessage.objects.filter(item__request=request).update(
        status=DeliveryStatus.DELIVERED, delivered_at=timezone.now(), attempts=1
    )
    RepeatRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(days=24)
    )
