"""Audit completeness (NEN 7513, DESIGN.md §3.5 and §4): every view and API call that reads
or changes patient data, done by the role that uses it, writes exactly the expected
access-log entries, each with every NEN 7513 field filled, and the hash chains stay whole.

The NEN 7513 fields and where AuditEntry keeps them:

    event        action (read, create, change, export, search, ...) and object_kind/object_ids
    time         occurred_at
    patient      patient (a list page names each patient shown in object_ids instead)
    user         actor and actor_name (a machine door: the door, named in the entry)
    acting for   actor_role carries the capacity (ouder, gemachtigde) beside the actor's own
                 name; the patient is the one acted for. (The acting_for column is for a
                 responsible user, e.g. an assistant working for a GP; no flow sets it yet.)
    role         actor_role
    access point channel and ip_address
    outcome      outcome (allowed, denied)

A refused attempt on another practice's object answers 404 and writes a denied entry in
the actor's own chain with the requested id only (no data of the other practice).

Coverage guard: every URL of the project is either exercised here or declared, with the
reason, in NOT_PATIENT_DATA; so a new patient-data URL without an audit case fails."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db.models import Max
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone
from standardwebhooks import Webhook

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda.models import Appointment, AppointmentType, KioskDevice, Slot
from spreekuur.agenda.views.portal import SESSION_DRAFT
from spreekuur.core.audit import verify_chains
from spreekuur.core.models import AuditAction, AuditEntry, AuditOutcome, Practice
from spreekuur.core.roles import Channel
from spreekuur.dossier import services as dossier_services
from spreekuur.dossier.models import Medication
from spreekuur.patients.models import Patient, Representation
from spreekuur.patients.services import issue_portal_activation
from spreekuur.prescriptions.models import OutboxMessage, Pharmacy, RepeatRequestItem
from spreekuur.prescriptions.services import forward_to_gp, mark_printed, request_repeat
from spreekuur.results.models import LabMessage, LabResult
from spreekuur.results.samples import SamplePatient, hl7_oru
from spreekuur.results.services import receive_lab_message
from spreekuur.telephony.models import TelephonyLink
from spreekuur.telephony.services import link_secret
from spreekuur.triage import services as triage_services
from spreekuur.triage.models import QuestionnaireInvitation
from spreekuur.triage.selectors import red_flags_for
from tests import test_authorization_matrix as matrix
from tests.agenda.test_views import kiosk_client
from tests.conftest import Cast, dob_parts, verified_client
from tests.factories import TEST_PASSWORD, PatientFactory, UserFactory, next_bsn, no_red_flags
from tests.results.conftest import CREATININE, LDL, oru, taken
from tests.test_url_walk import _patterns

pytestmark = pytest.mark.django_db

# The shared scene: one of every object (tests/test_authorization_matrix.py).
world = matrix.world

REMOTE = "192.0.2.17"  # TEST-NET-1: the access point every entry of a request must name
LAB_NAME = "Lab Noord-Holland"  # the lab link's own name (the message says "SALTRO")
NEW_PASSWORD = "Een-heel-lang-wachtwoord-2024"


# --- The scene -----------------------------------------------------------------------------------


@dataclass
class Scene:
    world: matrix.World
    gemachtigde: User  # acts for patient A, has no record of their own
    proxy: User  # a patient of the practice: gemachtigde of patient A, parent of `child`
    child: Patient
    no_account: Patient  # no portal account yet
    unreviewed: LabResult
    unmatched: LabMessage
    pending: RepeatRequestItem  # requested, waits for the assistant
    free_medication: Medication  # on the repeat list, not requested
    lab_token: str
    pharmacy: Pharmacy
    pharmacy_token: str
    stash: dict[str, Any] = field(default_factory=dict)  # what a case's setup hands on

    @property
    def cast(self) -> Cast:
        return self.world.cast

    def kwargs(self, name: str) -> dict[str, object]:
        return self.world.kwargs.get(name, {})

    def public_id(self, name: str) -> str:
        return str(self.world.kwargs[name]["public_id"])

    @property
    def appointment(self) -> Appointment:
        return Appointment.objects.get(public_id=self.public_id("agenda:appointment"))

    @property
    def outbox(self) -> OutboxMessage:
        return OutboxMessage.objects.get(
            public_id=self.public_id("prescriptions:print_prescription")
        )

    @property
    def free_slot(self) -> Slot:
        return Slot.objects.filter(
            practice=self.cast.practice_a, appointment__isnull=True
        ).earliest("starts_at", "id")

    @property
    def consult(self) -> AppointmentType:
        return AppointmentType.objects.get(practice=self.cast.practice_a, name="Consult")

    def ids(self) -> dict[str, str]:
        """The public ids that expected entries name, by a short key."""
        cast = self.cast
        return {
            "patient_a": str(cast.patient_a.public_id),
            "no_account": str(self.no_account.public_id),
            "child": str(self.child.public_id),
            "line": str(self.world.kwargs["dossier:shield"]["public_id"]),
            "medication": self.public_id("dossier:repeat"),
            "free_medication": str(self.free_medication.public_id),
            "result": self.public_id("results:result_detail"),
            "unreviewed": str(self.unreviewed.public_id),
            "quarantined": self.public_id("results:lab_message"),
            "unmatched": str(self.unmatched.public_id),
            "thread": self.public_id("econsult:my_thread"),
            "triage_session": self.public_id("triage:self_outcome"),
            "invitation": self.public_id("triage:answer"),
            "photo": self.public_id("econsult:photo"),
            "appointment": self.public_id("agenda:appointment"),
            "outbox_item": str(self.outbox.item.public_id),
            "pending": str(self.pending.public_id),
            "callback": self.public_id("telephony:callback_action"),
            "connection": self.public_id("fhir:disconnect"),
            "enrolment": self.public_id("chroniccare:control"),
            "letter": self.public_id("chroniccare:letter"),
        }


def _fhir_token(scene: Scene, user: User, patient: Patient) -> None:
    """An access token for the world's patient app ("Mijn PGO"), got through the consent
    screen as an app gets it; kept for the case's request."""
    from spreekuur.fhir.models import FhirApp
    from tests.fhir.conftest import Registered, patient_token

    app = FhirApp.objects.get(practice=scene.cast.practice_a, name="Mijn PGO")
    registered = Registered(app, app.application.client_id, None)
    token = patient_token(registered, user, patient, scope="launch/patient patient/*.rs")
    scene.stash["fhir_token"] = token["access_token"]


def _unmatched_message(practice: Practice) -> LabMessage:
    """A report for someone the practice does not know: it waits for the assistant."""
    stranger = SamplePatient(
        bsn=next_bsn(), born=date(1971, 3, 4), family_name="Vreemd", given_name="Iemand", sex="F"
    )
    raw = hl7_oru(stranger, [LDL], control_id="ONBEKEND1", order="LABONB1", taken=taken())
    outcome = receive_lab_message(practice=practice, door="hl7v2", raw=raw, source="test")
    return outcome.messages[0]


@pytest.fixture
def scene(world: matrix.World) -> Scene:
    cast = world.cast
    practice = cast.practice_a
    today = timezone.localdate()
    gemachtigde = UserFactory(full_name="Gemachtigde G")
    Representation.objects.create(
        practice=practice,
        patient=cast.patient_a,
        representative=gemachtigde,
        kind="gemachtigde",
        valid_from=today - timedelta(days=1),
        valid_until=today + timedelta(days=30),
        recorded_by=cast.assistant_a,
    )
    proxy = cast.other_patient_a.user
    Representation.objects.create(
        practice=practice,
        patient=cast.patient_a,
        representative=proxy,
        kind="gemachtigde",
        valid_from=today - timedelta(days=1),
        valid_until=today + timedelta(days=30),
        recorded_by=cast.assistant_a,
    )
    child = PatientFactory(
        practice=practice, given_name="Noor", date_of_birth=today - timedelta(days=5 * 365)
    )
    Representation.objects.create(
        practice=practice,
        patient=child,
        representative=proxy,
        kind="ouder",
        valid_from=today - timedelta(days=1),
        recorded_by=cast.assistant_a,
    )
    dossier_services.record_journal_entry(
        patient=child, contact_on=today, kind="consult", evaluation="Waterpokken", by=cast.gp_a
    )
    # A second result, not yet reviewed (the world's one is released).
    arrived = receive_lab_message(
        practice=practice, door="hl7v2", raw=oru(cast.patient_a, CREATININE), source="test"
    )
    unreviewed = LabResult.objects.get(message__in=arrived.messages)
    pharmacy = Pharmacy.objects.get(practice=practice)
    pending_medication, free_medication = (
        dossier_services.set_repeat(
            medication=dossier_services.record_medication(
                patient=cast.patient_a,
                name=name,
                dosage="1 keer per dag",
                started_on=today,
                by=cast.gp_a,
            ),
            repeatable=True,
            quantity="30 tabletten",
            by=cast.gp_a,
        )
        for name in ("Simvastatine 40 mg", "Omeprazol 20 mg")
    )
    pending = request_repeat(
        patient=cast.patient_a,
        medication_ids=[pending_medication.public_id],
        pharmacy=pharmacy,
        by=cast.patient_user_a,
    ).items.get()
    lab_out = StringIO()
    call_command("lab_link", LAB_NAME, practice=practice.slug, stdout=lab_out)
    pharmacy_token = Pharmacy.new_token()
    pharmacy.token_hash = Pharmacy.hash_token(pharmacy_token)
    pharmacy.save(update_fields=["token_hash"])
    return Scene(
        world=world,
        gemachtigde=gemachtigde,
        proxy=proxy,
        child=child,
        no_account=PatientFactory(practice=practice, given_name="Zonder", family_name="Account"),
        unreviewed=unreviewed,
        unmatched=_unmatched_message(practice),
        pending=pending,
        free_medication=free_medication,
        lab_token=lab_out.getvalue().strip(),
        pharmacy=pharmacy,
        pharmacy_token=pharmacy_token,
    )


# --- Who does it -----------------------------------------------------------------------------

STAFF = {
    "gp_a": "huisarts",
    "assistant_a": "assistent",
    "poh_a": "poh",
    "manager_a": "praktijkmanager",
    "gp_b": "huisarts",
}
# Portal users by their own role; "proxy" and "parent" are one person (a patient of the
# practice) acting for patient A as gemachtigde, or for their child as parent.
PORTAL = {
    "patient_a": "patient",
    "patient_b": "patient",
    "gemachtigde": "gemachtigde",
    "proxy": "patient",
    "parent": "patient",
}
CAPACITY = {"gemachtigde": "gemachtigde", "proxy": "gemachtigde", "parent": "ouder"}
# Without a logged-in user: "lab", "pharmacy", "telephony" (machine doors with a token or
# a signature), "kiosk" (a
# device the practice switched on) and "anonymous" (the portal activation steps).


def _user(scene: Scene, who: str) -> User | None:
    cast = scene.cast
    return {
        "patient_a": cast.patient_user_a,
        "patient_b": cast.patient_user_b,
        "gemachtigde": scene.gemachtigde,
        "proxy": scene.proxy,
        "parent": scene.proxy,
    }.get(who) or getattr(cast, who, None)


def _client(scene: Scene, who: str) -> Client:
    if who == "kiosk":
        return kiosk_client(KioskDevice.objects.get(practice=scene.cast.practice_a))
    user = _user(scene, who)
    if user is None:
        return Client()
    client = verified_client(user)
    acting_for = {
        "gemachtigde": scene.cast.patient_a,
        "proxy": scene.cast.patient_a,
        "parent": scene.child,
    }.get(who)
    if acting_for is not None:  # "Namens": choose whom this session is about
        chosen = client.post(reverse("patients:acting_for"), {"patient": str(acting_for.public_id)})
        assert chosen.status_code == 302
    return client


# --- Cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One expected log line. `patient` and `objects` are keys of the scene's objects (an id
    that is not a key stands for itself); `actor` finds the user after the request."""

    action: str
    kind: str
    patient: str | None = "patient_a"
    outcome: str = AuditOutcome.ALLOWED
    objects: tuple[str, ...] = ()  # among object_ids (all of them when `only`)
    only: bool = False
    detail: str | None = None  # checked when given
    role: str | None = None  # default: the capacity when acting for someone, else own role
    channel: str | None = None  # default: portal or staff, by who
    practice: str | None = "own"  # "a", "b", None (the system chain), "own": by who
    actor: Callable[[Scene], User | None] | None = None  # default: who made the request


@dataclass(frozen=True)
class Case:
    id: str
    name: str  # URL name
    who: str
    entries: tuple[Entry, ...]
    status: int = 200
    method: str = "get"
    kwargs: Callable[[Scene], dict[str, object]] | None = None
    query: Callable[[Scene], dict[str, str]] | None = None
    data: Callable[[Scene], Any] | None = None
    setup: Callable[[Scene, Client], None] | None = None
    door: str = ""  # a machine door: its name must be in the entry (user), and its role
    xfail: str = ""  # a real bug: this case fails until it is fixed

    def param(self) -> Any:
        marks = [pytest.mark.xfail(strict=True, reason=self.xfail)] if self.xfail else []
        return pytest.param(self, id=self.id, marks=marks)


def read(kind: str, *objects: str, **extra: Any) -> Entry:
    return Entry(AuditAction.READ, kind, objects=objects, **extra)


def listed(kind: str, *objects: str, **extra: Any) -> Entry:
    """A list page: no single patient; the ids shown (and the patients named) in object_ids."""
    return Entry(AuditAction.READ, kind, patient=None, objects=objects, **extra)


def changed(kind: str, *objects: str, **extra: Any) -> Entry:
    return Entry(AuditAction.CHANGE, kind, objects=objects, **extra)


def created(kind: str, *objects: str, **extra: Any) -> Entry:
    return Entry(AuditAction.CREATE, kind, objects=objects, **extra)


def exported(kind: str, *objects: str, **extra: Any) -> Entry:
    return Entry(AuditAction.EXPORT, kind, objects=objects, **extra)


ACTING = "namens de patiënt"


def _preparation_answered(scene: Scene, _client: Client) -> None:
    """The patient filled in the questionnaire that waits for them (a consult preparation)."""
    invitation = QuestionnaireInvitation.objects.get(public_id=scene.ids()["invitation"])
    triage_services.submit_answers(
        invitation=invitation,
        submitted={"hulpvraag": ["Rugpijn"], "duur": ["1"]},
        by=scene.cast.patient_user_a,
    )


def _preparation_with_appointment(scene: Scene, client: Client) -> None:
    """That questionnaire belongs to the appointment, and is filled in."""
    invitation = QuestionnaireInvitation.objects.get(public_id=scene.ids()["invitation"])
    Appointment.objects.filter(pk=scene.appointment.pk).update(preparation=invitation)
    _preparation_answered(scene, client)


def _forward_pending(scene: Scene, _client: Client) -> None:
    forward_to_gp(items=[scene.pending], by=scene.cast.assistant_a)


def _draft(scene: Scene, client: Client) -> None:
    """Step 1 of booking done: the reason and the red-flag answers are in the session."""
    session = client.session
    session[SESSION_DRAFT] = {
        "reason": "Rugpijn",
        "answers": no_red_flags(scene.cast.practice_a),
        "at": time.time(),
    }
    session.save()


def _printed(scene: Scene, _client: Client) -> None:
    mark_printed(message=scene.outbox, by=scene.cast.assistant_a)


def _appointment_now(scene: Scene, _client: Client) -> None:
    """The appointment starts in half an hour: the kiosk may check it in."""
    starts = timezone.now() + timedelta(minutes=30)
    Appointment.objects.filter(pk=scene.appointment.pk).update(
        starts_at=starts, ends_at=starts + timedelta(minutes=10)
    )


def _video_now(scene: Scene, _client: Client) -> None:
    """The appointment is a video consult that starts in five minutes: the room is open."""
    AppointmentType.objects.filter(pk=scene.appointment.appointment_type_id).update(
        mode="beeldbellen"
    )
    starts = timezone.now() + timedelta(minutes=5)
    Appointment.objects.filter(pk=scene.appointment.pk).update(
        starts_at=starts, ends_at=starts + timedelta(minutes=10)
    )


@pytest.fixture(autouse=True)
def video_service(settings: Any) -> None:
    """A video service, so that a video consult can be joined (agenda:join_*)."""
    settings.VIDEO_BASE_URL = "https://beeld.praktijk-a.example"
    settings.VIDEO_APP_SECRET = "geheim-voor-de-videodienst-van-de-praktijk"


def _closed_on_appointment_day(scene: Scene, _client: Client) -> None:
    """The practice closes on the day of the scene's appointment: it goes on the desk list."""
    from spreekuur.core.models import OpeningException

    OpeningException.objects.create(
        practice=scene.cast.practice_a,
        date=timezone.localtime(scene.appointment.starts_at).date(),
        closed=True,
        reason="Scholing",
    )


def _code_entered(scene: Scene, client: Client) -> None:
    """Step 1 of opening the portal done: the letter's code and the right date of birth."""
    issued = issue_portal_activation(patient=scene.no_account, by=scene.cast.assistant_a)
    response = client.post(
        reverse("patients:activate"),
        {"code": issued.code, **dob_parts(scene.no_account.date_of_birth)},
    )
    assert response.status_code == 302


def _code_issued(scene: Scene, _client: Client) -> None:
    scene.stash["code"] = issue_portal_activation(
        patient=scene.no_account, by=scene.cast.assistant_a
    ).code


def _representation_ended(scene: Scene, _client: Client) -> None:
    """After the choice, the authorisation ends (its end date has passed)."""
    today = timezone.localdate()
    Representation.objects.filter(representative=scene.gemachtigde).update(
        valid_from=today - timedelta(days=10), valid_until=today - timedelta(days=1)
    )


def _question(scene: Scene) -> dict[str, str]:
    flags = {f"flag_{flag.code}": "nee" for flag in red_flags_for(scene.cast.practice_a)}
    return {**flags, "category": "klacht", "body": "Ik hoest al weken.", "consent": "on"}


def _new_account_user(scene: Scene) -> User | None:
    return Patient.objects.get(pk=scene.no_account.pk).user


def _gp_membership(scene: Scene) -> str:
    return str(Membership.objects.get(user=scene.cast.gp_a).public_id)


def _appointment_day(scene: Scene) -> str:
    return timezone.localtime(scene.appointment.starts_at).date().isoformat()


def _hl7(scene: Scene) -> bytes:
    return oru(scene.cast.patient_a, LDL)


def _phone_known(scene: Scene, _client: Client) -> None:
    Patient.objects.filter(pk=scene.cast.patient_a.pk).update(phone="06-55512345")


def _callback_event(scene: Scene) -> bytes:
    return json.dumps(
        {
            "id": "audit-1",
            "type": "callback_requested",
            "call_id": "audit-call",
            "at": timezone.now().isoformat(),
            "number": "+31655512345",
        }
    ).encode()


def _dispense(scene: Scene) -> bytes:
    item = scene.outbox.item.public_id
    return json.dumps(
        {
            "resourceType": "MedicationDispense",
            "status": "completed",
            "medicationCodeableConcept": {"text": "Metformine"},
            "authorizingPrescription": [{"identifier": {"value": f"urn:uuid:{item}"}}],
        }
    ).encode()


def _email_change_asked(scene: Scene, _client: Client) -> None:
    """Step 1 of a new e-mail address done: the link's token is in the mail to it."""
    import re

    from spreekuur.core.models import Notification
    from spreekuur.patients.services import request_email_change

    request_email_change(
        patient=scene.cast.patient_a,
        new_email="nieuw-adres@test.example",
        password=TEST_PASSWORD,
        by=scene.cast.patient_user_a,
        base_url="http://testserver/",
    )
    body = Notification.objects.get(recipient="nieuw-adres@test.example").body
    found = re.search(r"/bevestigen/([^/\s]+)/", body)
    assert found is not None
    scene.stash["token"] = found.group(1)


SOEP = {"subjective": "", "objective": "", "evaluation": "Beter", "plan": "Zo nodig terug"}

CASES: list[Case] = [
    # --- Staff reads ---------------------------------------------------------------------------
    Case(
        "patient list",
        "patients:list",
        "assistant_a",
        (Entry(AuditAction.SEARCH, "patient", patient=None, objects=("patient_a", "no_account")),),
    ),
    Case(
        "patient search",
        "patients:list",
        "assistant_a",
        (Entry(AuditAction.SEARCH, "patient", patient=None, objects=("no_account",), only=True),),
        method="post",
        data=lambda s: {"query": "Zonder Account"},
    ),
    Case(
        "patient detail",
        "patients:detail",
        "assistant_a",
        (read("personal_data", "patient_a", only=True),),
    ),
    Case(
        "staff record",
        "dossier:patient_record",
        "gp_a",
        (read("record", "line", "medication", "free_medication"),),
    ),
    Case(
        "staff results of a patient",
        "results:patient_results",
        "poh_a",
        (read("labresult", "result", "unreviewed"),),
    ),
    Case("result detail", "results:result_detail", "gp_a", (read("labresult", "result"),)),
    Case("a lab order's results", "results:panel_review", "gp_a", (read("labresult", "result"),)),
    Case(
        "review list",
        "results:review_list",
        "gp_a",
        (listed("labresult", "unreviewed", "patient_a", only=True),),
    ),
    Case(
        "lab work list",
        "results:worklist",
        "assistant_a",
        (listed("labmessage", "quarantined", "unmatched", only=True),),
    ),
    Case(
        "quarantined lab message",
        "results:lab_message",
        "assistant_a",
        (listed("labmessage", "quarantined", only=True),),
    ),
    Case(
        "unmatched lab message with candidates by birth date",
        "results:lab_message",
        "assistant_a",
        (
            Entry(AuditAction.SEARCH, "patient", patient=None, only=True),
            listed("labmessage", "unmatched", only=True),
        ),
        kwargs=lambda s: {"public_id": s.unmatched.public_id},
    ),
    Case(
        "callback queue (names the callers it knows)",
        "telephony:callbacks",
        "assistant_a",
        (read("callback_request", "callback", only=True),),
    ),
    Case(
        "callback claimed",
        "telephony:callback_action",
        "assistant_a",
        (changed("callback_request", "callback", only=True, detail="opgepakt"),),
        method="post",
        data=lambda s: {"actie": "oppakken"},
        status=302,
    ),
    Case(
        "e-consult inbox",
        "econsult:inbox",
        "assistant_a",
        (listed("econsult", "thread", "patient_a", only=True),),
    ),
    Case(
        "e-consult thread (staff)",
        "econsult:staff_thread",
        "gp_a",
        # Beside the question: the patient's current medication (the scene's), read from
        # the record and logged by the dossier; and their chronic-care programme.
        (
            read("econsult", "thread", only=True),
            read("record", detail="huidige medicatie"),
            read("enrolment", "enrolment", only=True, detail="deelname"),  # ketenzorg
        ),
    ),
    Case(
        "e-consult photo (staff)",
        "econsult:photo",
        "poh_a",
        (read("econsult_photo", "photo", only=True),),
    ),
    Case(
        "repeat filter list",
        "prescriptions:filter_list",
        "assistant_a",
        (listed("repeatrequest", "pending", "patient_a", only=True),),
    ),
    Case(
        "accorderingslijst",
        "prescriptions:accorderingslijst",
        "gp_a",
        (listed("repeatrequest", "pending", "patient_a", only=True),),
        setup=_forward_pending,
    ),
    Case(
        "deliveries",
        "prescriptions:deliveries",
        "assistant_a",
        (listed("repeatrequest", "outbox_item", "patient_a", only=True),),
    ),
    Case(
        "printed prescription",
        "prescriptions:print_prescription",
        "assistant_a",
        (exported("repeatrequest", "outbox_item", only=True, detail="recept afgedrukt"),),
    ),
    Case(
        "agenda day",
        "agenda:day",
        "assistant_a",
        (listed("appointment", "appointment", "patient_a", only=True),),
        query=lambda s: {"dag": _appointment_day(s)},
    ),
    Case(
        "agenda week of one practitioner",
        "agenda:week",
        "gp_a",
        (listed("appointment", "appointment", "patient_a", only=True),),
        query=lambda s: {"week": _appointment_day(s), "zorgverlener": _gp_membership(s)},
    ),
    Case(
        "appointments outside the opening hours (desk list)",
        "agenda:out_of_hours",
        "assistant_a",
        (listed("appointment", "appointment", "patient_a", only=True),),
        setup=_closed_on_appointment_day,
    ),
    Case(
        "appointment (staff)",
        "agenda:appointment",
        "assistant_a",
        (read("appointment", "appointment", only=True),),
    ),
    Case(
        "reschedule page (staff)",
        "agenda:reschedule",
        "assistant_a",
        (read("appointment", "appointment", only=True),),
    ),
    Case(
        "book for a patient: the patient chosen",
        "agenda:book_for_patient",
        "assistant_a",
        (read("personal_data", "patient_a", only=True),),
        method="post",
        data=lambda s: {"stap": "kiezen", "patient": str(s.cast.patient_a.public_id)},
    ),
    Case(
        "audit log search (manager)",
        "shell:audit_search",
        "manager_a",
        (Entry(AuditAction.SEARCH, "audit_log", patient=None, only=True),),
    ),
    Case(
        "audit log of one patient (manager)",
        "shell:audit_search",
        "manager_a",
        (Entry(AuditAction.SEARCH, "audit_log", only=True),),
        query=lambda s: {"patient": str(s.cast.patient_a.public_id)},
    ),
    Case(
        "audit log: finding a patient by BSN (manager)",
        "shell:audit_find_patient",
        "manager_a",
        (Entry(AuditAction.SEARCH, "patient", patient=None, objects=("patient_a",), only=True),),
        method="post",
        data=lambda s: {"zoek": s.cast.patient_a.bsn},
    ),
    # --- Staff changes -------------------------------------------------------------------------
    Case(
        "journal entry",
        "dossier:patient_record",
        "gp_a",
        (created("journalentry"),),
        status=302,
        method="post",
        data=lambda s: {
            "formulier": "journaal",
            "contact_on": timezone.localdate().isoformat(),
            "kind": "consult",
            "episode": "",
            **SOEP,
        },
    ),
    Case(
        "journal correction",
        "dossier:patient_record",
        "poh_a",
        (created("journalentry"),),
        status=302,
        method="post",
        data=lambda s: {"formulier": "verbeteren", "regel": s.ids()["line"], **SOEP},
    ),
    Case(
        "allergy",
        "dossier:patient_record",
        "assistant_a",
        (created("allergy"),),
        status=302,
        method="post",
        data=lambda s: {"formulier": "allergie", "substance": "Penicilline", "kind": "allergie"},
    ),
    # One create entry per stored measurement: a blood pressure and a weight are three rows.
    Case(
        "blood pressure and weight",
        "dossier:patient_record",
        "poh_a",
        (created("measurement"), created("measurement"), created("measurement")),
        status=302,
        method="post",
        data=lambda s: {
            "formulier": "meting",
            "measured_on": timezone.localdate().isoformat(),
            "systolic": "135",
            "diastolic": "85",
            "weight": "82.5",
        },
    ),
    Case(
        "shield a journal line",
        "dossier:shield",
        "gp_a",
        (changed("journalentry", "line", only=True, detail="afgeschermd"),),
        status=302,
        method="post",
        data=lambda s: {"afschermen": "ja"},
    ),
    Case(
        "take a medicine off the repeat list",
        "dossier:repeat",
        "gp_a",
        (changed("medication", "medication", only=True, detail="niet meer herhaalbaar"),),
        status=302,
        method="post",
        data=lambda s: {"herhaalbaar": "nee"},
    ),
    Case(
        "review and release a result",
        "results:result_detail",
        "gp_a",
        (changed("labresult", "unreviewed", only=True, detail="beoordeeld en vrijgegeven"),),
        status=302,
        method="post",
        kwargs=lambda s: {"public_id": s.unreviewed.public_id},
        data=lambda s: {"comment": "Goed"},
    ),
    Case(
        "review and release a lab order with one comment",
        "results:panel_review",
        "gp_a",
        (changed("labresult", "unreviewed", only=True, detail="beoordeeld en vrijgegeven"),),
        status=302,
        method="post",
        kwargs=lambda s: {"public_id": s.unreviewed.message.public_id},
        data=lambda s: {"comment": "Goed", "results": str(s.unreviewed.public_id)},
    ),
    Case(
        "link an unmatched lab message to a patient",
        "results:lab_message",
        "assistant_a",
        (
            created("labresult", patient="no_account"),
            changed("labmessage", "unmatched", patient="no_account", only=True),
        ),
        status=302,
        method="post",
        kwargs=lambda s: {"public_id": s.unmatched.public_id},
        data=lambda s: {"actie": "koppelen", "patient": str(s.no_account.public_id)},
    ),
    Case(
        "close a quarantined lab message",
        "results:lab_message",
        "assistant_a",
        (changed("labmessage", "quarantined", patient=None, only=True, detail="afgehandeld"),),
        status=302,
        method="post",
        data=lambda s: {"actie": "afhandelen", "note": "Lab belt terug"},
    ),
    Case(
        "forward a repeat request to the GP",
        "prescriptions:filter_list",
        "assistant_a",
        (changed("repeatrequest", "pending", only=True, detail="doorgestuurd naar de huisarts"),),
        status=302,
        method="post",
        data=lambda s: {"actie": "doorsturen", "aanvraag": str(s.pending.public_id)},
    ),
    Case(
        "approve a repeat request",
        "prescriptions:accorderingslijst",
        "gp_a",
        (changed("repeatrequest", "pending", only=True, detail="goedgekeurd"),),
        status=302,
        method="post",
        data=lambda s: {"actie": "goedkeuren", "aanvraag": str(s.pending.public_id)},
        setup=_forward_pending,
    ),
    Case(
        "mark a prescription printed",
        "prescriptions:delivery_action",
        "assistant_a",
        (exported("repeatrequest", "outbox_item", only=True),),
        status=302,
        method="post",
        data=lambda s: {"actie": "afgedrukt"},
    ),
    Case(
        "answer an e-consult",
        "econsult:staff_thread",
        "gp_a",
        (changed("econsult", "thread", only=True, detail="beantwoord"),),
        status=302,
        method="post",
        data=lambda s: {"actie": "antwoorden", "body": "Kom langs op het spreekuur."},
    ),
    Case(
        "internal note on an e-consult",
        "econsult:staff_thread",
        "assistant_a",
        (changed("econsult", "thread", only=True, detail="interne notitie"),),
        status=302,
        method="post",
        data=lambda s: {"actie": "notitie", "note": "Terugbellen"},
    ),
    Case(
        "appointment completed",
        "agenda:change_status",
        "assistant_a",
        (changed("appointment", "appointment", only=True, detail="afgerond"),),
        status=302,
        method="post",
    ),
    Case(
        "move an appointment (staff)",
        "agenda:reschedule",
        "assistant_a",
        (created("appointment"), changed("appointment", "appointment", detail="verzet")),
        status=302,
        method="post",
        data=lambda s: {"tijd": str(s.free_slot.public_id)},
    ),
    Case(
        "book for a patient",
        "agenda:book_for_patient",
        "assistant_a",
        (created("appointment"),),
        status=302,
        method="post",
        data=lambda s: {
            "stap": "boeken",
            "patient": str(s.cast.patient_a.public_id),
            "soort": str(s.consult.public_id),
            "kanaal": "telefoon",
            "reason": "Controle",
        },
    ),
    Case(
        "portal activation letter",
        "patients:issue_activation",
        "assistant_a",
        (created("portal_activation", patient="no_account"),),
        method="post",
        kwargs=lambda s: {"public_id": s.no_account.public_id},
    ),
    Case(
        "record a gemachtigde",
        "patients:representations",
        "assistant_a",
        (created("representation", detail="gemachtigde"),),
        status=302,
        method="post",
        data=lambda s: {
            "actie": "toevoegen",
            "email": UserFactory(full_name="Nieuwe Gemachtigde").email,
            "kind": "gemachtigde",
            "valid_from": timezone.localdate().isoformat(),
            "valid_until": (timezone.localdate() + timedelta(days=90)).isoformat(),
        },
    ),
    # --- The patient's portal: reads -----------------------------------------------------------
    Case("my record", "dossier:my_record", "patient_a", (read("record", "line", "medication"),)),
    Case(
        "my record as PDF",
        "dossier:my_record_pdf",
        "patient_a",
        (exported("record", "line", "medication", "result", detail="pdf"),),
    ),
    Case("my results", "dossier:my_results", "patient_a", (read("labresult", "result"),)),
    Case(
        "my chronic-care programme",
        "chroniccare:my_programmes",
        "patient_a",
        (read("enrolment", "enrolment", only=True),),
    ),
    Case(
        "chronic-care programme, for someone",
        "chroniccare:my_programmes",
        "proxy",
        (read("enrolment", "enrolment", only=True, detail=ACTING),),
    ),
    Case(
        "chronic-care participants",
        "chroniccare:programme",
        "poh_a",
        (listed("enrolment", "enrolment", "patient_a", only=True, detail="diabetes"),),
    ),
    Case(
        "chronic-care decision about a patient",
        "chroniccare:decide",
        "gp_a",
        (read("patient", "patient_a", only=True),),
    ),
    Case(
        "chronic-care control consult",
        "chroniccare:control",
        "poh_a",
        (read("enrolment", "enrolment", only=True, detail="diabetes: controle"),),
    ),
    Case(
        "chronic-care due list",
        "chroniccare:due_list",
        "assistant_a",
        (listed("enrolment", "enrolment", "patient_a", only=True, detail="oproeplijst"),),
    ),
    Case(
        "chronic-care invitation letter",
        "chroniccare:letter",
        "assistant_a",
        (read("chronic_invitation", "letter", only=True, detail="brief"),),
    ),
    Case(
        "my test results chart",
        "results:my_test_results",
        "patient_a",
        (read("labresult", "result", only=True),),
    ),
    Case(
        "my e-consults",
        "econsult:my_questions",
        "patient_a",
        (read("econsult", "thread", only=True),),
    ),
    Case(
        "my e-consult thread",
        "econsult:my_thread",
        "patient_a",
        (read("econsult", "thread", only=True),),
    ),
    Case(
        "my self-triage outcome",
        "triage:self_outcome",
        "patient_a",
        (read("triage", "triage_session", only=True),),
    ),
    Case(
        "my self-triage outcome, as gemachtigde",
        "triage:self_outcome",
        "proxy",
        (read("triage", "triage_session", only=True, detail=ACTING),),
    ),
    Case(
        "my questionnaires",
        "triage:my_questionnaires",
        "patient_a",
        (read("questionnaire", "invitation"),),
    ),
    Case(
        "a questionnaire to fill in",
        "triage:answer",
        "patient_a",
        (read("questionnaire", "invitation", only=True),),
    ),
    Case(
        "a questionnaire to fill in, as gemachtigde",
        "triage:answer",
        "proxy",
        (read("questionnaire", "invitation", only=True, detail=ACTING),),
    ),
    Case(
        "my answers read back",
        "triage:answer",
        "patient_a",
        (read("questionnaire", "invitation"),),
        setup=_preparation_answered,
    ),
    Case(
        "my e-consult photo",
        "econsult:photo",
        "patient_a",
        (read("econsult_photo", "photo", only=True),),
    ),
    Case(
        "my repeat prescriptions",
        "prescriptions:my_repeats",
        "patient_a",
        (read("repeatrequest", "medication", "free_medication", "pending", "outbox_item"),),
    ),
    Case(
        "my audit log",
        "shell:my_audit_log",
        "patient_a",
        (read("audit_log", "patient_a", only=True),),
    ),
    Case(
        "my details",
        "patients:my_details",
        "patient_a",
        (read("personal_data", "patient_a", only=True),),
    ),
    *(
        Case(
            f"my details: {name}",
            f"patients:{name}",
            "patient_a",
            (read("personal_data", "patient_a", only=True),),
        )
        for name in ("change_phone", "change_email", "change_address")
    ),
    Case(
        "my phone number changed",
        "patients:change_phone",
        "patient_a",
        (changed("personal_data", "patient_a", only=True, detail="telefoonnummer gewijzigd"),),
        status=302,
        method="post",
        data=lambda s: {"phone": "06-98765432"},
    ),
    Case(
        "a new e-mail address asked for",
        "patients:change_email",
        "patient_a",
        (changed("personal_data", "patient_a", detail="e-mailadres wijzigen aangevraagd"),),
        status=302,
        method="post",
        data=lambda s: {"new_email": "nieuw-adres@test.example", "password": TEST_PASSWORD},
    ),
    Case(
        "a new e-mail address confirmed",
        "patients:confirm_email_change",
        "patient_a",
        (changed("personal_data", "patient_a", detail="e-mailadres gewijzigd"),),
        status=302,
        method="post",
        kwargs=lambda s: {"token": s.stash["token"]},
        setup=_email_change_asked,
    ),
    Case(
        "a new address given",
        "patients:change_address",
        "patient_a",
        (changed("personal_data", "patient_a", detail="adreswijziging doorgegeven"),),
        status=302,
        method="post",
        data=lambda s: {
            "street": "Beukenlaan",
            "house_number": "3",
            "postal_code": "3512 CD",
            "city": "Utrecht",
        },
    ),
    Case(
        "the desk's address changes",
        "patients:address_changes",
        "assistant_a",
        (listed("personal_data", "patient_a", detail="adreswijzigingen te verwerken"),),
    ),
    Case(
        "one address change at the desk",
        "patients:address_change",
        "assistant_a",
        (read("personal_data", "patient_a", detail="adreswijziging"),),
    ),
    Case(
        "an address change accepted",
        "patients:accept_address_change",
        "assistant_a",
        (changed("personal_data", "patient_a", detail="adreswijziging verwerkt"),),
        status=302,
        method="post",
    ),
    Case(
        "an address change rejected",
        "patients:reject_address_change",
        "assistant_a",
        (changed("personal_data", "patient_a", detail="adreswijziging afgewezen"),),
        status=302,
        method="post",
        data=lambda s: {"reason": "Niet gevonden in de BRP"},
    ),
    Case(
        "my appointments",
        "agenda:my_appointments",
        "patient_a",
        (read("appointment", "appointment", only=True),),
    ),
    Case(
        "my appointment",
        "agenda:my_appointment",
        "patient_a",
        (read("appointment", "appointment", only=True),),
    ),
    Case(
        "my appointment in my calendar",
        "agenda:my_appointment_ics",
        "patient_a",
        (exported("appointment", "appointment", only=True, detail="ics"),),
    ),
    Case(
        "cancel page",
        "agenda:cancel_my_appointment",
        "patient_a",
        (read("appointment", "appointment", only=True),),
    ),
    Case(
        "move page",
        "agenda:reschedule_my_appointment",
        "patient_a",
        (read("appointment", "appointment", only=True),),
    ),
    # --- The patient's portal: changes ---------------------------------------------------------
    Case(
        "cancel my appointment",
        "agenda:cancel_my_appointment",
        "patient_a",
        (changed("appointment", "appointment", only=True, detail="geannuleerd"),),
        status=302,
        method="post",
    ),
    Case(
        "move my appointment",
        "agenda:reschedule_my_appointment",
        "patient_a",
        (created("appointment"), changed("appointment", "appointment", detail="verzet")),
        status=302,
        method="post",
        data=lambda s: {"tijd": str(s.free_slot.public_id)},
    ),
    Case(
        "book online",
        "agenda:book_confirm",
        "patient_a",
        (created("appointment"),),
        status=302,
        method="post",
        data=lambda s: {"soort": str(s.consult.public_id), "tijd": str(s.free_slot.public_id)},
        setup=_draft,
    ),
    Case(
        "ask an e-consult",
        "econsult:ask",
        "patient_a",
        (created("econsult"),),
        status=302,
        method="post",
        data=_question,
    ),
    Case(
        "reply in my e-consult",
        "econsult:my_thread",
        "patient_a",
        (changed("econsult", "thread", only=True, detail="reactie van de patiënt"),),
        status=302,
        method="post",
        data=lambda s: {"body": "Het is nog niet over."},
    ),
    Case(
        "fill in a questionnaire",
        "triage:answer",
        "patient_a",
        (created("questionnaire"),),
        status=302,
        method="post",
        data=lambda s: {"hulpvraag": "Rugpijn", "duur": "1"},
    ),
    Case(
        "put a preparation questionnaire ready for an appointment",
        "agenda:attach_preparation",
        "assistant_a",
        (created("questionnaire"),),
        status=302,
        method="post",
        data=lambda s: {"questionnaire": "consultvoorbereiding"},
    ),
    Case(
        "answers per patient (staff)",
        "triage:questionnaire_responses",
        "gp_a",
        (read("questionnaire"),),
        setup=_preparation_answered,
    ),
    Case(
        "answers as CSV (staff)",
        "triage:export_questionnaire",
        "poh_a",
        (exported("questionnaire"),),
        setup=_preparation_answered,
    ),
    Case(
        "answers as FHIR QuestionnaireResponse (staff)",
        "triage:export_questionnaire",
        "gp_a",
        (exported("questionnaire"),),
        kwargs=lambda s: {**s.kwargs("triage:export_questionnaire"), "kind": "fhir"},
        setup=_preparation_answered,
    ),
    Case(
        "appointment with the patient's preparation (staff)",
        "agenda:appointment",
        "gp_a",
        (read("appointment", "appointment", only=True), read("questionnaire")),
        setup=_preparation_with_appointment,
    ),
    Case(
        "answer the last self-triage question",
        "triage:self_step",
        "patient_a",
        (created("triage"),),
        status=302,
        method="post",
        data=lambda s: {"a": "1.1.1.1", "antwoord": "1"},
    ),
    Case(
        "request a repeat prescription",
        "prescriptions:my_repeats",
        "patient_a",
        (created("repeatrequest"),),
        status=302,
        method="post",
        data=lambda s: {
            "medications": str(s.free_medication.public_id),
            "pharmacy": str(s.pharmacy.public_id),
        },
    ),
    # --- Acting for someone: the actor, the patient and the capacity ---------------------------
    # A patient of the practice acting as gemachtigde: own role "patient", capacity
    # "gemachtigde", so an entry that forgets the capacity shows.
    Case(
        "record, for someone",
        "dossier:my_record",
        "proxy",
        (read("record", "line", "medication", detail=ACTING),),
    ),
    # Someone with no record here, who only acts for others.
    Case(
        "record, by a gemachtigde without a record of their own",
        "dossier:my_record",
        "gemachtigde",
        (read("record", "line", "medication", detail=ACTING),),
    ),
    Case(
        "record PDF, for someone",
        "dossier:my_record_pdf",
        "proxy",
        (exported("record", "line", "medication", "result", detail="pdf, " + ACTING),),
    ),
    Case(
        "results, for someone",
        "dossier:my_results",
        "proxy",
        (read("labresult", "result", detail=ACTING),),
    ),
    Case(
        "test results chart, for someone",
        "results:my_test_results",
        "proxy",
        (read("labresult", "result", only=True, detail=ACTING),),
    ),
    Case(
        "e-consults, for someone",
        "econsult:my_questions",
        "proxy",
        (read("econsult", "thread", only=True, detail=ACTING),),
    ),
    Case(
        "e-consult thread, for someone",
        "econsult:my_thread",
        "proxy",
        (read("econsult", "thread", only=True, detail=ACTING),),
    ),
    Case(
        "e-consult photo, for someone",
        "econsult:photo",
        "proxy",
        (read("econsult_photo", "photo", only=True, detail=ACTING),),
    ),
    Case(
        "repeat prescriptions, for someone",
        "prescriptions:my_repeats",
        "proxy",
        (read("repeatrequest", "medication", "pending", detail=ACTING),),
    ),
    Case(
        "audit log, for someone",
        "shell:my_audit_log",
        "proxy",
        (read("audit_log", "patient_a", only=True, detail=ACTING),),
    ),
    Case(
        "ask an e-consult, for someone",
        "econsult:ask",
        "proxy",
        (created("econsult"),),
        status=302,
        method="post",
        data=_question,
    ),
    Case(
        "request a repeat prescription, for someone",
        "prescriptions:my_repeats",
        "proxy",
        (created("repeatrequest"),),
        status=302,
        method="post",
        data=lambda s: {
            "medications": str(s.free_medication.public_id),
            "pharmacy": str(s.pharmacy.public_id),
        },
    ),
    Case(
        "a child's record, by a parent who is a patient too",
        "dossier:my_record",
        "parent",
        (read("record", patient="child", detail=ACTING),),
    ),
    Case(
        "a child's audit log, by a parent",
        "shell:my_audit_log",
        "parent",
        (read("audit_log", "child", patient="child", only=True, detail=ACTING),),
    ),
    # --- The FHIR API: an app with the patient's token, no session --------------------------
    Case(
        "a patient's app reads their Patient resource",
        "fhir:instance",
        "pgo",
        (
            read(
                "personal_data",
                "patient_a",
                only=True,
                channel=Channel.API,
                role="patient",
                detail="app: Mijn PGO",
                actor=lambda s: s.cast.patient_user_a,
            ),
        ),
        kwargs=lambda s: {"resource_type": "Patient", "public_id": s.cast.patient_a.public_id},
        setup=lambda s, c: _fhir_token(s, s.cast.patient_user_a, s.cast.patient_a),
    ),
    Case(
        "a patient's app searches their results (the unreviewed one is not among them)",
        "fhir:type",
        "pgo",
        (
            Entry(
                AuditAction.SEARCH,
                "labresult",
                objects=("result",),
                only=True,
                channel=Channel.API,
                role="patient",
                detail="app: Mijn PGO",
                actor=lambda s: s.cast.patient_user_a,
            ),
        ),
        kwargs=lambda s: {"resource_type": "Observation"},
        query=lambda s: {"category": "laboratory"},
        setup=lambda s, c: _fhir_token(s, s.cast.patient_user_a, s.cast.patient_a),
    ),
    Case(
        "a parent's app reads the child's Patient resource",
        "fhir:instance",
        "pgo",
        (
            read(
                "personal_data",
                "child",
                patient="child",
                only=True,
                channel=Channel.API,
                role="ouder",
                detail="app: Mijn PGO",
                actor=lambda s: s.proxy,
            ),
        ),
        kwargs=lambda s: {"resource_type": "Patient", "public_id": s.child.public_id},
        setup=lambda s, c: _fhir_token(s, s.proxy, s.child),
    ),
    Case(
        "a patient disconnects an app",
        "fhir:disconnect",
        "patient_a",
        (changed("fhir_connection", "connection", only=True),),
        method="post",
        status=302,
    ),
    # --- Doors without a logged-in user --------------------------------------------------------
    Case(
        "lab door (HL7 v2 over HTTP)",
        "results:lab_inbox",
        "lab",
        (created("labresult", channel=Channel.API),),
        method="post",
        kwargs=lambda s: {"door": "hl7v2"},
        data=_hl7,
        door=LAB_NAME,
    ),
    Case(
        "telephony door (a callback request from a known number)",
        "telephony:events",
        "telephony",
        (created("callback_request", channel=Channel.API),),
        method="post",
        kwargs=lambda s: {"link_id": s.world.kwargs["telephony:link_action"]["public_id"]},
        data=_callback_event,
        setup=_phone_known,
        door="Centrale",
    ),
    Case(
        "pharmacy door (ready to collect)",
        "prescriptions:dispense",
        "pharmacy",
        (changed("repeatrequest", "outbox_item", only=True, channel=Channel.API),),
        method="post",
        data=_dispense,
        setup=_printed,
        door="Apotheek",
    ),
    Case(
        "kiosk check-in with the confirmation code",
        "agenda:kiosk",
        "kiosk",
        (changed("appointment", "appointment", only=True, channel=Channel.PUBLIC, role="anoniem"),),
        method="post",
        kwargs=lambda s: {"slug": s.cast.practice_a.slug},
        data=lambda s: {"manier": "code", "qr-code": s.appointment.checkin_code},
        setup=_appointment_now,
        door="zuil",
    ),
    Case(
        "opening the portal account",
        "patients:activate_account",
        "anonymous",
        (
            created(
                "portal_account",
                patient="no_account",
                role="patient",
                channel=Channel.PORTAL,
                actor=_new_account_user,
            ),
        ),
        status=302,
        method="post",
        data=lambda s: {
            "email": "nieuw@test.example",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        setup=_code_entered,
    ),
    # --- Refusals that are not another practice's 404 (those: test_refusals_...) -------------------
    Case(
        "portal activation with a wrong date of birth",
        "patients:activate",
        "anonymous",
        (
            Entry(
                AuditAction.CREATE,
                "portal_account",
                patient="no_account",
                outcome=AuditOutcome.DENIED,
                role="anoniem",
                channel=Channel.PUBLIC,
                detail="activering met verkeerde geboortedatum",
            ),
        ),
        method="post",
        data=lambda s: {"code": s.stash["code"], **dob_parts(date(1901, 1, 1))},
        setup=_code_issued,
    ),
    Case(
        "choosing to act for someone one does not represent",
        "patients:acting_for",
        "patient_a",
        (
            Entry(
                AuditAction.READ,
                "representation",
                patient=None,
                outcome=AuditOutcome.DENIED,
                objects=("no_account",),
                only=True,
            ),
            Entry(AuditAction.READ, "page", patient=None, outcome=AuditOutcome.DENIED),
        ),
        status=403,
        method="post",
        data=lambda s: {"patient": str(s.no_account.public_id)},
    ),
    Case(
        "acting for someone after the authorisation ended",
        "dossier:my_record",
        "gemachtigde",
        (
            Entry(
                AuditAction.READ,
                "representation",
                outcome=AuditOutcome.DENIED,
                role="gemachtigde",
                objects=("patient_a",),
                only=True,
            ),
            Entry(
                AuditAction.READ,
                "page",
                patient=None,
                outcome=AuditOutcome.DENIED,
                role="gemachtigde",
                practice=None,  # no practice of their own: the system chain
                detail="dossier:my_record",
            ),
        ),
        status=403,
        setup=_representation_ended,
    ),
    Case(
        "a repeat request for a medicine not on one's list",
        "prescriptions:my_repeats",
        "patient_a",
        (
            Entry(
                AuditAction.READ,
                "repeatrequest",
                patient=None,
                outcome=AuditOutcome.DENIED,
                objects=("outbox_item",),
                only=True,
            ),
        ),
        status=404,
        method="post",
        data=lambda s: {
            "medications": s.ids()["outbox_item"],
            "pharmacy": str(s.pharmacy.public_id),
        },
    ),
    Case(
        "join the video consult (the patient)",
        "agenda:join_my_video",
        "patient_a",
        (
            read(
                "appointment", "appointment", only=True, detail="beeldbellen: toegang als deelnemer"
            ),
        ),
        status=302,
        method="post",
        setup=_video_now,
    ),
    Case(
        "join the video consult (the appointment's own GP)",
        "agenda:join_video",
        "gp_a",
        (
            read(
                "appointment", "appointment", only=True, detail="beeldbellen: toegang als moderator"
            ),
        ),
        status=302,
        method="post",
        setup=_video_now,
    ),
    Case(
        "join the video consult as another member of staff: refused",
        "agenda:join_video",
        "assistant_a",
        (
            Entry(
                AuditAction.READ,
                "page",
                patient=None,
                outcome=AuditOutcome.DENIED,
                objects=("appointment",),
                detail="agenda:join_video",
            ),
        ),
        status=403,
        method="post",
        setup=_video_now,
    ),
    Case(
        "a manager (no patient work) opening a record",
        "dossier:patient_record",
        "manager_a",
        (
            Entry(
                AuditAction.READ,
                "page",
                patient=None,
                outcome=AuditOutcome.DENIED,
                objects=("patient_a",),
                detail="dossier:patient_record",
            ),
        ),
        status=403,
    ),
]

# --- Refusals: another practice's object is a 404 and a denied entry in one's own chain -----

# The kind of object each refused lookup logs (the access helper of that resource).
DENIED_KIND = {
    "patients:detail": "patient_record",
    "patients:issue_activation": "patient_record",
    "patients:representations": "patient_record",
    "dossier:patient_record": "patient_record",
    "results:patient_results": "patient_record",
    "dossier:shield": "journalentry",
    "dossier:repeat": "medication",
    "results:result_detail": "labresult",
    "results:panel_review": "labmessage",
    "results:lab_message": "labmessage",
    "agenda:appointment": "appointment",
    "agenda:reschedule": "appointment",
    "agenda:change_status": "appointment",
    "agenda:my_appointment": "appointment",
    "agenda:my_appointment_ics": "appointment",
    "agenda:cancel_my_appointment": "appointment",
    "agenda:reschedule_my_appointment": "appointment",
    "agenda:join_my_video": "appointment",
    "agenda:join_video": "appointment",
    "prescriptions:delivery_action": "repeatrequest",
    "prescriptions:print_prescription": "repeatrequest",
    "econsult:staff_thread": "econsult",
    "econsult:my_thread": "econsult",
    "econsult:photo": "econsult_photo",
    "triage:self_outcome": "triage",
    "triage:answer": "questionnaire",
    "agenda:attach_preparation": "appointment",
    "telephony:callback_action": "callback_request",
    "fhir:disconnect": "fhir_connection",
    "chroniccare:decide": "patient_record",
    "chroniccare:control": "enrolment",
    "chroniccare:letter": "chronic_invitation",
}
# A 404 for another practice that refuses no patient's data, so logs nothing.
NOT_A_REFUSAL = {
    # A free slot of another practice's agenda: no patient in it.
    ("agenda:book_for_patient", "gp_b"),
    # The id is a test of the NHG table (reference data, shared by all): the 404 says "no
    # results of yours for this test"; nothing of anyone else was asked for.
    ("results:my_test_results", "patient_b"),
    # Another practice's questionnaire: its questions, its counts; no patient is named in
    # the lookup (the answers behind it are refused with it).
    *(
        (name, "gp_b")
        for name in (
            "triage:questionnaire",
            "triage:preview_questionnaire",
            "triage:questionnaire_results",
            "triage:mailing",
            "triage:questionnaire_responses",
            "triage:export_questionnaire",
            "triage:add_question",
            "triage:edit_question",
            "triage:send_questionnaire",
            "triage:question_action",
            "triage:publish_questionnaire",
            "triage:new_questionnaire_version",
            "triage:discard_questionnaire",
        )
    ),
}
REFUSALS = sorted(
    (name, who)
    for name, policy in matrix.POLICY.items()
    for who in ("gp_b", "patient_b")
    if policy.get(who) == 404 and (name, who) not in NOT_A_REFUSAL
)


# --- Pages without patient data (the coverage guard's other half) ---------------------------

NOT_PATIENT_DATA = {
    # The programmes with their counts, the indicators and their anonymised export, and
    # the region's view of them: counts, no patient named.
    "chroniccare:overview",
    "chroniccare:indicators",
    "chroniccare:indicators_csv",
    "chroniccare:indicators_fhir",
    "chroniccare:region",
    "chroniccare:region_csv",
    # The phone line's setup and its counts per hour: no caller, no patient.
    "telephony:call_load",
    "telephony:settings",
    "telephony:link_create",
    "telephony:link_action",
    "telephony:config_export",
    "telephony:call_report_import",
    # The dashboard: sums per day, the tariff table, the team's notes, the region's
    # anonymised figures.
    "dashboard:dashboard",
    "dashboard:dashboard_csv",
    "dashboard:monthly_review",
    "dashboard:tariffs",
    "dashboard:remove_tariff",
    "dashboard:region",
    "dashboard:region_csv",
    # The roster: staff, their shifts and leave, counts of calls and consults.
    "roster:week",
    "roster:meeting_planner",
    "roster:shifts",
    "roster:remove_shift",
    "roster:leave",
    "roster:remove_leave",
    # Public pages: the practice's facts, the language switch, the health check.
    "shell:landing",
    "shell:healthz",
    "shell:set_language",
    "practice:practice_page",
    # A welcome with the user's own given name, or the practice's counts for staff.
    "shell:start",
    # The practice's public page, kept by the manager (logged as news_item etc.).
    "practice:manage_page",
    "practice:practice_details",
    "practice:remove_news",
    # One's own account: login steps (logged as login events, tests/accounts), password,
    # second factor, passkeys, e-mail confirmation.
    "accounts:login",
    "accounts:verify",
    "accounts:setup_totp",
    "accounts:logout",
    "accounts:confirm_email",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:recovery_codes",
    "accounts:remove_passkey",
    "accounts:resend_email_confirmation",
    "accounts:security",
    "accounts:reverify",
    # Staff accounts (logged as staff_membership and second_factor, tests/accounts).
    "accounts:staff_list",
    "accounts:staff_change",
    "accounts:role_requests",
    "accounts:reset_second_factor",
    # Booking steps 1 and 2: the red-flag questions and free times; the reason typed stays
    # in the session until book_confirm, which is audited above.
    "agenda:book_start",
    "agenda:book_choose",
    # Counts only (small practice figures, no names).
    "agenda:figures",
    "prescriptions:figures",
    # Settings of the practice: appointment types, schedules, red flags, kiosks, routes,
    # pharmacies, e-consult limits.
    "agenda:settings",
    "triage:settings",
    "agenda:edit_type",
    "triage:switch_off_flag",
    "triage:edit_texts",
    "triage:add_flow",
    "triage:switch_off_flow",
    # Self-triage counts per complaint and urgency, no patient.
    "triage:figures",
    # Self-triage questions (the flow, no one's answers), and the anonymous self-triage of
    # the practice page and widget (no person stored: tests/triage/test_sessions.py).
    "triage:self_index",
    "triage:public_index",
    "triage:public_step",
    "triage:public_outcome",
    "triage:widget_script",
    "triage:widget_index",
    "triage:widget_step",
    "triage:widget_outcome",
    # The FAQ assistant: a question is answered and forgotten (nothing stored or logged),
    # and the practice's answers to practical questions.
    "triage:portal_assistant",
    "triage:public_assistant",
    "triage:faq_answers",
    "triage:add_faq",
    "triage:edit_faq",
    # Questionnaires themselves (questions, versions), and the counted results: no one's
    # name; the answers per patient and their exports are audited above.
    "triage:questionnaires",
    "triage:questionnaire",
    "triage:preview_questionnaire",
    "triage:questionnaire_results",
    "triage:add_question",
    "triage:edit_question",
    "triage:question_action",
    "triage:publish_questionnaire",
    "triage:new_questionnaire_version",
    "triage:discard_questionnaire",
    "triage:adopt_questionnaire",
    # A mailing to a group: who is in it stays in the database; the page shows counts
    # (logged when sent, as questionnaire-mailing).
    "triage:send_questionnaire",
    "triage:mailing",
    "agenda:schedule",
    "agenda:remove_block",
    "agenda:remove_absence",
    "agenda:kiosks",
    "agenda:revoke_kiosk",
    "prescriptions:settings",
    "econsult:settings",
    # E-mail and SMS that did not leave: an address and a content-free text, no record
    # data (sending one again is logged as notification, tests/shell/test_outbox.py).
    "shell:failed_notifications",
    "shell:retry_notification",
    # tests/shell_plugin: a made-up app that proves plugging in; its page has no data.
    "shell_plugin:home",
    # Apps: the practice's register of apps (logged as fhir_app), the patient's own list
    # of connected apps (app names; connecting and disconnecting are logged as
    # fhir_connection), the consent screen (logged when the patient says yes, tests/fhir),
    # and the OAuth2 server and discovery documents (no patient data; each API call that
    # uses a token is logged above).
    "fhir:apps",
    "fhir:app_detail",
    "fhir:connections",
    "oauth2_provider:authorize",
    "oauth2_provider:token",
    "oauth2_provider:revoke-token",
    "oauth2_provider:user-info",
    "oauth2_provider:oidc-connect-discovery-info",
    "oauth2_provider:jwks-info",
    "fhir:metadata",
    "fhir:smart_configuration",
    "fhir:openapi",
    "fhir:unknown",
    # The waiting-room screen: practitioner and queue number, never a patient.
    "agenda:waiting_room",
    "agenda:waiting_room_calls",
}


# --- Running a case ----------------------------------------------------------------------------


def _perform(scene: Scene, case: Case) -> tuple[list[AuditEntry], datetime, datetime]:
    client = _client(scene, case.who)
    if case.setup is not None:
        case.setup(scene, client)
    kwargs = case.kwargs(scene) if case.kwargs is not None else scene.kwargs(case.name)
    url = reverse(case.name, kwargs=kwargs)
    if case.query is not None:
        url += "?" + urlencode(case.query(scene))
    extra: dict[str, Any] = {"REMOTE_ADDR": REMOTE}
    if case.who == "lab":
        extra |= {
            "content_type": "x-application/hl7-v2+er7",
            "headers": {"Authorization": f"Bearer {scene.lab_token}"},
        }
    elif case.who == "pgo":
        extra |= {"headers": {"Authorization": f"Bearer {scene.stash['fhir_token']}"}}
    elif case.who == "pharmacy":
        extra |= {
            "content_type": "application/fhir+json",
            "headers": {"Authorization": f"Bearer {scene.pharmacy_token}"},
        }
    data = case.data(scene) if case.data is not None else {}
    if case.who == "telephony":  # each request signed with the link's secret
        link = TelephonyLink.objects.get(public_id=scene.public_id("telephony:link_action"))
        moment, message_id = timezone.now(), f"msg_{uuid.uuid4().hex}"
        extra |= {
            "content_type": "application/json",
            "headers": {
                "webhook-id": message_id,
                "webhook-timestamp": str(int(moment.timestamp())),
                "webhook-signature": Webhook(link_secret(link)).sign(message_id, moment, data),
            },
        }
    last = AuditEntry.objects.aggregate(last=Max("pk"))["last"] or 0
    started = timezone.now()
    if case.method == "get":
        response = client.get(url, data, **extra)
    else:
        response = client.post(url, data, **extra)
    if response.streaming:  # read to the end: the test client then closes it (a photo)
        b"".join(response.streaming_content)
    finished = timezone.now()
    assert response.status_code == case.status, (
        f"{case.name} as {case.who}: {response.status_code}, expected {case.status}"
    )
    return list(AuditEntry.objects.filter(pk__gt=last).order_by("pk")), started, finished


def _practice(scene: Scene, case: Case, expected: Entry) -> int | None:
    if expected.practice == "own":
        b = case.who.endswith("_b")
        return (scene.cast.practice_b if b else scene.cast.practice_a).pk
    return {"a": scene.cast.practice_a.pk, "b": scene.cast.practice_b.pk, None: None}[
        expected.practice
    ]


def _check_entry(
    scene: Scene,
    case: Case,
    entry: AuditEntry,
    expected: Entry,
    started: datetime,
    finished: datetime,
) -> None:
    label = f"{entry.action} {entry.object_kind}"
    ids = scene.ids()
    # Event: the action, and the objects involved.
    wanted = {ids.get(key, key) for key in expected.objects}
    if expected.only:
        assert set(entry.object_ids) == wanted, f"{label}: objects {entry.object_ids}"
    else:
        assert wanted <= set(entry.object_ids), f"{label}: {wanted - set(entry.object_ids)}"
    # Time.
    assert started <= entry.occurred_at <= finished, label
    # Patient (a list names the patients shown in its object ids, checked above).
    patients = {"patient_a": scene.cast.patient_a, "child": scene.child}
    patients["no_account"] = scene.no_account
    patient = patients.get(expected.patient or "")
    assert entry.patient_id == (patient.pk if patient else None), f"{label}: patient"
    assert entry.practice_id == _practice(scene, case, expected), f"{label}: chain"
    # User: a person by account and name; a machine door names itself in the entry.
    actor = expected.actor(scene) if expected.actor is not None else _user(scene, case.who)
    assert entry.actor_id == (actor.pk if actor is not None else None), f"{label}: actor"
    if actor is not None:
        assert entry.actor_name and entry.actor_name == actor.full_name, label
    elif case.door:  # an entry without a person comes from a door that names itself
        assert case.door in f"{entry.actor_name} {entry.detail}", f"{label}: which door?"
    else:  # or from someone not logged in (a wrong activation code), and says so
        assert entry.actor_role == "anoniem" and entry.channel == Channel.PUBLIC, label
    # Acting for: the capacity beside the actor's own name; the patient is the one acted for.
    # (acting_for, the responsible user, is for staff working for a colleague: unused yet.)
    assert entry.acting_for_id is None, label
    # Role.
    if expected.role is not None:
        role = expected.role
    elif case.who in CAPACITY and expected.outcome == AuditOutcome.ALLOWED:
        role = CAPACITY[case.who]
    else:
        role = STAFF.get(case.who) or PORTAL.get(case.who) or ""
    if role:
        assert entry.actor_role == role, f"{label}: role {entry.actor_role!r}"
    else:  # an authenticated machine door has a role of its own, not "not logged in"
        assert entry.actor_role not in ("", "anoniem", "geen"), f"{label}: role"
    # Access point.
    channel = expected.channel or (Channel.PORTAL if case.who in PORTAL else Channel.STAFF)
    assert entry.channel == channel, f"{label}: channel {entry.channel}"
    assert entry.ip_address == REMOTE, f"{label}: address {entry.ip_address}"
    # Outcome.
    assert entry.outcome == expected.outcome, label
    if expected.detail is not None:
        assert entry.detail == expected.detail, f"{label}: detail {entry.detail!r}"
    # Every NEN 7513 field filled, whatever the case.
    assert entry.action in AuditAction.values and entry.outcome in AuditOutcome.values
    assert entry.actor_role and entry.channel in Channel.values
    # Whose data, or what was shown or asked for (a search may find no one; a search of
    # the log and a refused page name the page).
    assert (
        entry.object_ids
        or entry.patient_id
        or entry.action == AuditAction.SEARCH
        or entry.object_kind == "page"
    ), f"{label}: about whom?"
    assert entry.entry_hash and entry.prev_hash


def _run(scene: Scene, case: Case) -> None:
    new, started, finished = _perform(scene, case)
    got = [(e.action, e.object_kind, e.outcome) for e in new]
    want = [(x.action, x.kind, x.outcome) for x in case.entries]
    assert got == want, f"{case.name} as {case.who}: entries {got}, expected {want}"
    for entry, expected in zip(new, case.entries, strict=True):
        _check_entry(scene, case, entry, expected, started, finished)
    checked, breaks = verify_chains()
    assert breaks == [] and checked > 0


# --- The tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_each_patient_data_view_writes_exactly_its_audit_entries(scene: Scene, case: Case) -> None:
    _run(scene, case)


@pytest.mark.parametrize(("name", "who"), REFUSALS)
def test_another_practices_object_is_404_and_a_denied_entry_in_ones_own_chain(
    scene: Scene, name: str, who: str
) -> None:
    requested = scene.public_id(name)
    refusal = Entry(
        AuditAction.READ,
        DENIED_KIND[name],
        patient=None,  # the other practice's patient is never linked into this chain
        outcome=AuditOutcome.DENIED,
        objects=(requested,),
        only=True,
    )
    method = matrix.POLICY[name]["method"]
    _run(scene, Case(f"{name} by {who}", name, who, (refusal,), status=404, method=method))


def test_every_url_is_audited_here_or_declared_without_patient_data() -> None:
    routes = {
        name: route
        for route, _view, name in _patterns(get_resolver().url_patterns)
        if not name.startswith(matrix.LIBRARY) and not route.startswith("static/")
    }
    audited = {case.name for case in CASES}
    # Every URL that takes an object, and every page a patient opens, is audited here or
    # declared to hold no patient data; and so is every other URL of the project.
    takes_object = {name for name in matrix.POLICY if "<" in routes.get(name, "")}
    portal = {name for name, policy in matrix.POLICY.items() if policy["patient_a"] == "ok"}
    missing = (takes_object | portal) - audited - NOT_PATIENT_DATA
    assert not missing, f"patient-data URLs without an audit case: {sorted(missing)}"
    unplaced = set(routes) - audited - NOT_PATIENT_DATA
    assert not unplaced, f"URLs neither audited here nor declared: {sorted(unplaced)}"
    assert not (audited & NOT_PATIENT_DATA), "declared without patient data, yet audited"
    assert set(routes) >= NOT_PATIENT_DATA, "declarations for URLs that no longer exist"
    # Every 404 for another practice is a logged refusal, or declared not to be one.
    assert {name for name, _who in REFUSALS} <= set(DENIED_KIND)
    assert set(DENIED_KIND) <= {name for name, _who in REFUSALS}
