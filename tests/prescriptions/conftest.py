"""A practice with pharmacies and a patient with a repeat list."""

from __future__ import annotations

import socket
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from spreekuur.dossier import services as dossier_services
from spreekuur.dossier.models import Medication
from spreekuur.prescriptions.models import Pharmacy, RepeatRequestItem, RepeatSettings
from spreekuur.prescriptions.services import request_repeat
from tests.conftest import Cast


@dataclass
class Repeats:
    cast: Cast
    pharmacy: Pharmacy
    printing: Pharmacy
    metformin: Medication
    simvastatin: Medication
    other_patients: Medication

    def request(self, *medications: Medication, by=None, **extra) -> list[RepeatRequestItem]:
        request = request_repeat(
            patient=(medications or (self.metformin,))[0].patient,
            medication_ids=[m.public_id for m in medications or (self.metformin,)],
            pharmacy=extra.pop("pharmacy", self.pharmacy),
            by=by or self.cast.patient_user_a,
            **extra,
        )
        return list(request.items.order_by("id"))


def repeatable(
    cast: Cast, patient, name: str, *, due_in_days: int | None = 60, gp=None
) -> Medication:
    gp = gp or cast.gp_a
    medication = dossier_services.record_medication(
        patient=patient,
        name=name,
        dosage="1 keer per dag 1 tablet",
        started_on=date(2021, 3, 1),
        chronic=True,
        by=gp,
    )
    due = None if due_in_days is None else timezone.localdate() + timedelta(days=due_in_days)
    if due is not None and due < timezone.localdate():
        dossier_services.set_repeat(
            medication=medication, repeatable=True, quantity="90 tabletten", by=gp
        )
        Medication.objects.filter(pk=medication.pk).update(control_due_on=due)
        medication.refresh_from_db()
        return medication
    return dossier_services.set_repeat(
        medication=medication,
        repeatable=True,
        quantity="90 tabletten",
        control_due_on=due,
        by=gp,
    )


@pytest.fixture
def repeats(cast: Cast) -> Repeats:
    return make_repeats(cast)


def make_repeats(cast: Cast) -> Repeats:
    """Two pharmacies and a repeat list (also for other apps' tests)."""
    pharmacy = Pharmacy.objects.create(
        practice=cast.practice_a,
        name="Apotheek De Linde",
        city="Lindewijk",
        transport="http",
        endpoint="http://127.0.0.1:9/medicationrequest",
    )
    printing = Pharmacy.objects.create(
        practice=cast.practice_a, name="Apotheek Zonder Koppeling", transport="print"
    )
    return Repeats(
        cast=cast,
        pharmacy=pharmacy,
        printing=printing,
        metformin=repeatable(cast, cast.patient_a, "Metformine 500 mg"),
        simvastatin=repeatable(cast, cast.patient_a, "Simvastatine 40 mg"),
        other_patients=repeatable(cast, cast.other_patient_a, "Amlodipine 5 mg"),
    )


@pytest.fixture
def straight_to_gp(repeats: Repeats) -> Repeats:
    RepeatSettings.objects.create(practice=repeats.cast.practice_a, route="huisarts")
    return repeats


class FakeDNS:
    """Names resolve only to what a test says: there is no DNS on the test machines, and a
    test must never send anything off this machine. Address literals (also "127.1") go to
    the real resolver with AI_NUMERICHOST, so they never cause a lookup either."""

    def __init__(self, real: object) -> None:
        self._real = real
        self._answers: dict[str, list[tuple[str, ...] | None]] = {}
        self.lookups: Counter[str] = Counter()

    def point(self, name: str, *answers: tuple[str, ...] | None) -> None:
        """Each lookup of `name` takes the next answer (a tuple of addresses, or None for
        "not found"); the last one is kept."""
        self._answers[name] = list(answers)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in self._answers:
            return self._real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        self.lookups[name] += 1
        answers = self._answers[name]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        found = []
        for address in answer:
            if ":" in address:
                found.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                found.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return found


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    dns = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo)
    return dns
