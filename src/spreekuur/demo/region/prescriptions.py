"""Repeat prescriptions of a region practice's year.

Set up through the ORM: the practice's route (assistant first, or straight to the GP)
and two pharmacies, a linked one that takes FHIR messages and one that gets them printed.
Every chronic medicine on the repeat list is asked for about every 90 days, by portal,
phone or desk; nearly all approved, sent to the pharmacy and ready, a few refused with a
reason, the newest still open. An approved item has its pharmacy message, the FHIR
MedicationRequest that the approval writes, made by the product's own
`prescriptions.fhir.medication_request_json` from unsaved model instances, and already
delivered: nothing waits in the outbox."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from spreekuur.accounts.models import Membership, User
from spreekuur.core.models import Practice
from spreekuur.demo.prescriptions import REASONS as REJECTIONS
from spreekuur.demo.region.rows import Table
from spreekuur.demo.region.year import DAYS_BACK, REGION_PREFIX, PatientInfo, Year
from spreekuur.dossier.models import Medication
from spreekuur.patients.models import Patient
from spreekuur.prescriptions.fhir import medication_request_json
from spreekuur.prescriptions.models import (
    Channel,
    DeliveryStatus,
    ItemStatus,
    OutboxMessage,
    Pharmacy,
    PharmacyChoice,
    RepeatRequest,
    RepeatRequestItem,
    RepeatSettings,
    Route,
    Transport,
)

PAST_REJECTED = 0.06

TABLES = {
    "pharmacy_choice": Table(PharmacyChoice, {"id": "pharmacy_choice"}),
    "request": Table(RepeatRequest, {"id": "request", "requested_by_id": "user"}),
    "item": Table(
        RepeatRequestItem, {"id": "item", "request_id": "request", "medication_id": "medication"}
    ),
    "outbox": Table(OutboxMessage, {"id": "outbox", "item_id": "item"}),
}


def set_up_prescriptions(
    practice: Practice, rng: random.Random
) -> tuple[str, list[tuple[int, str]]]:
    """The practice's route for repeat requests and its two pharmacies (the linked one
    first): (route, [(pharmacy id, transport)])."""
    route = Route.STRAIGHT_TO_GP if rng.random() < 0.25 else Route.ASSISTANT_FIRST
    RepeatSettings.objects.update_or_create(practice=practice, defaults={"route": route})
    number = practice.slug.removeprefix(REGION_PREFIX)
    linked = Pharmacy.objects.create(
        practice=practice,
        name=f"Apotheek {practice.city}",
        city=practice.city,
        agb_code=f"06{int(number or 0):06d}",
        transport=Transport.HTTP,
        endpoint=f"https://apotheek-{practice.slug}.example/fhir/MedicationRequest",
        token_hash=Pharmacy.hash_token(Pharmacy.new_token()),
    )
    printed = Pharmacy.objects.create(
        practice=practice, name=f"Apotheek Centrum {practice.city}", transport=Transport.PRINT
    )
    return route, [(linked.pk, Transport.HTTP), (printed.pk, Transport.PRINT)]


class RepeatYear(Year):
    def repeats(self) -> None:
        """Every chronic medicine about every 90 days; the newest request may be open."""
        rng = self.rng
        s = self.s
        for i, medicines in enumerate(self.repeatable):
            if not medicines:
                continue
            patient = self.patients[i]
            linked = rng.random() < 0.8
            pharmacy, transport = s.pharmacies[0] if linked else s.pharmacies[1]
            self.new("pharmacy_choice", patient_id=patient.id, pharmacy_id=pharmacy)
            first = max(0, (patient.enrolled - self.first_day).days)
            day = first + rng.uniform(0, 90)
            while day <= DAYS_BACK:
                portal = i in self.user and int(day) > self.joined[i] and rng.random() < 0.75
                if portal:
                    created = self.at(int(day), rng.randint(7, 22), rng.randint(0, 59))
                    channel, by = Channel.PORTAL, self.user_ref(i)
                else:
                    created = self.at(int(day), rng.randint(8, 16), rng.choice((0, 20, 40)))
                    channel = Channel.DESK if rng.random() < 0.15 else Channel.PHONE
                    by = rng.choice(self.assistants)
                day += rng.uniform(80, 100)
                if created > self.now:
                    continue
                if portal:
                    self.seen(i, created)
                asked = (
                    medicines
                    if len(medicines) == 1 or rng.random() < 0.8
                    else [rng.choice(medicines)]
                )
                request = self.new(
                    "request",
                    public_id=self.uid(),
                    practice_id=s.practice_id,
                    patient_id=patient.id,
                    requested_by_id=by,
                    channel=channel,
                    pharmacy_id=pharmacy,
                    route=s.route,
                    created_at=created,
                )
                rejected = rng.random() < PAST_REJECTED
                gp = patient.gp if rng.random() < 0.7 else rng.choice(self.gps)
                # The steps, each some hours after the one before (None: not yet).
                forwarded = decided = sent = ready = None
                forwarder = None
                step = created
                if s.route == Route.ASSISTANT_FIRST:
                    step = created + timedelta(minutes=rng.randint(20, 360))
                    if rejected and rng.random() < 0.5:
                        decided, gp = step, rng.choice(self.assistants)  # the filter refuses
                    else:
                        forwarded, forwarder = step, rng.choice(self.assistants)
                if decided is None:
                    decided = step + timedelta(minutes=rng.randint(30, 1200))
                if not rejected:
                    if transport == Transport.HTTP:
                        sent = decided + timedelta(seconds=rng.randint(5, 90))
                        ready = sent + timedelta(minutes=rng.randint(240, 1800))
                    else:
                        sent = decided + timedelta(minutes=rng.randint(30, 240))  # printed
                now = self.now
                if forwarded is not None and forwarded > now:
                    forwarded = forwarder = None
                if decided > now:
                    decided = None
                if decided is None or (sent is not None and sent > now):
                    sent = ready = None
                if ready is not None and ready > now:
                    ready = None
                if decided is None:
                    status = ItemStatus.IN_REVIEW if forwarded else ItemStatus.REQUESTED
                elif rejected:
                    status = ItemStatus.REJECTED
                elif ready is not None:
                    status = ItemStatus.READY
                elif sent is not None:
                    status = ItemStatus.SENT
                elif transport == Transport.HTTP:
                    # The worker delivers within a minute of the approval.
                    sent, status = min(decided + timedelta(seconds=5), now), ItemStatus.SENT
                else:
                    status = ItemStatus.APPROVED  # waits to be printed
                updated = max(t for t in (created, forwarded, decided, sent, ready) if t)
                reason = rng.choice(REJECTIONS) if status == ItemStatus.REJECTED else ""
                approved = status not in (
                    ItemStatus.REQUESTED,
                    ItemStatus.IN_REVIEW,
                    ItemStatus.REJECTED,
                )
                for medication, name, dosage, quantity in asked:
                    item_id = self.uid()
                    item = self.new(
                        "item",
                        public_id=item_id,
                        practice_id=s.practice_id,
                        request_id=request,
                        medication_id=medication,
                        status=status,
                        reason=reason,
                        forwarded_by_id=forwarder,
                        decided_by_id=gp if decided else None,
                        decided_at=decided,
                        sent_at=sent,
                        ready_at=ready,
                        updated_at=updated,
                    )
                    if not approved or decided is None:
                        continue
                    self.new(
                        "outbox",
                        public_id=self.uid(),
                        practice_id=s.practice_id,
                        item_id=item,
                        pharmacy_id=pharmacy,
                        payload=self.pharmacy_message(
                            item_id, patient, (name, dosage, quantity), gp, decided
                        ),
                        status=DeliveryStatus.DELIVERED if sent else DeliveryStatus.TO_PRINT,
                        attempts=1 if transport == Transport.HTTP else 0,
                        next_attempt_at=decided,
                        delivered_at=sent,
                        created_at=decided,
                    )

    def pharmacy_message(
        self,
        item_id: str,
        patient: PatientInfo,
        medicine: tuple[str, str, str],
        prescriber: int,
        decided: datetime,
    ) -> dict[str, Any]:
        """The FHIR MedicationRequest that the approval writes into the outbox for the item:
        the product's own builder (`medication_request_json`, which tests/prescriptions
        prove equal to the validated `medication_request`, without validating each of
        thousands), given unsaved model instances (the moment in UTC, as the approval's
        clock gives it). The builder only reads them: the patient's request and the
        medicine are made once and shared by their messages (a third of the planner's
        time went into making model instances)."""
        item = RepeatRequestItem(
            public_id=uuid.UUID(item_id),
            request=self.request_instance(patient),
            medication=self.medication_instance(medicine),
            decided_by=self.staff_instance(prescriber),
            decided_at=decided.astimezone(UTC),
        )
        return medication_request_json(item)

    def request_instance(self, patient: PatientInfo) -> RepeatRequest:
        """A request of the patient as an unsaved model instance, with what a message says
        of them (the last patient's, kept: their requests come one after another)."""
        kept = getattr(self, "_request_instance", None)
        if kept is not None and kept[0] is patient:
            request: RepeatRequest = kept[1]
            return request
        request = RepeatRequest(patient=self.patient_instance(patient))
        self._request_instance = (patient, request)
        return request

    def medication_instance(self, medicine: tuple[str, str, str]) -> Medication:
        """A medicine as an unsaved model instance (name, dosage, quantity)."""
        if not hasattr(self, "_medication_instances"):
            self._medication_instances: dict[tuple[str, str, str], Medication] = {}
        made = self._medication_instances.get(medicine)
        if made is None:
            name, dosage, quantity = medicine
            made = Medication(name=name, dosage=dosage, quantity=quantity)
            self._medication_instances[medicine] = made
        return made

    def patient_instance(self, patient: PatientInfo) -> Patient:
        """The patient as an unsaved model instance, with what a message says of them."""
        return Patient(
            bsn=patient.bsn,
            given_name=patient.given,
            name_prefix=patient.prefix,
            family_name=patient.family,
            date_of_birth=patient.born,
            sex=patient.sex,
        )

    def staff_instance(self, user_id: int) -> User:
        """A staff member as an unsaved user with their membership (name and AGB code)."""
        if not hasattr(self, "_staff_instances"):
            self._staff_instances: dict[int, User] = {}
            for person in self.s.staff:
                user = User(full_name=person.name)
                user.membership = Membership(agb_code=person.agb)
                self._staff_instances[person.user_id] = user
        return self._staff_instances[user_id]
