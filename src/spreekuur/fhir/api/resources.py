"""The resource types of the API: for each, where its rows come from (the same selectors
as the portal, so that what is not online in the portal is not in the API either), its
search parameters, and its mapping (each app's own fhir.py).

A type in the patient compartment is always read for one patient: a patient app's own
(the token's), or, for a practice system, the one named by `patient=`. A search names
nothing outside that patient, so `_include` can only add that patient's own resources."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Max, Min, Model, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from spreekuur.accounts.fhir import practitioner_resource
from spreekuur.accounts.models import Membership
from spreekuur.agenda import selectors as agenda
from spreekuur.agenda.fhir import (
    STATUS,
    appointment_resource,
    appointment_type_system,
    schedule_resource,
    slot_resource,
)
from spreekuur.agenda.models import Appointment, AppointmentType, Slot
from spreekuur.core.audit_labels import with_labels
from spreekuur.core.fhir import (
    AGB_SYSTEM,
    BSN_SYSTEM,
    ICPC_SYSTEM,
    LOINC_SYSTEM,
    NHG_TABLE_45_SYSTEM,
    audit_event_resource,
    organization_resource,
)
from spreekuur.core.models import AuditEntry, Practice
from spreekuur.dossier import selectors as dossier
from spreekuur.dossier.fhir import (
    BLOOD_PRESSURE_PANEL,
    allergy_intolerance_resource,
    condition_resource,
    episode_of_care_resource,
    measurement_resource,
    medication_statement_resource,
    soap_report_resource,
)
from spreekuur.dossier.models import (
    SYSTOLIC,
    Allergy,
    Episode,
    JournalEntry,
    Measurement,
    Medication,
)
from spreekuur.fhir.api.errors import FhirError, bad_parameter
from spreekuur.fhir.api.params import (
    DateRange,
    Token,
    date_bounds,
    parse_date,
    parse_id,
    parse_token,
)
from spreekuur.patients.access_log import audit_entries_about
from spreekuur.patients.fhir import patient_resource
from spreekuur.patients.models import Patient, Sex
from spreekuur.prescriptions.fhir import (
    DECIDED,
    REQUEST_STATUS,
    pharmacy_resource,
    repeat_request_resource,
)
from spreekuur.prescriptions.models import Pharmacy, RepeatRequestItem
from spreekuur.results.fhir import lab_observation_resource
from spreekuur.results.models import LabResult
from spreekuur.results.selectors import released_results
from spreekuur.triage.fhir import (
    RED_FLAGS_ID,
    questionnaire_resource,
    questionnaire_response_resource,
    red_flags_questionnaire,
)
from spreekuur.triage.models import Questionnaire as TriageQuestionnaire
from spreekuur.triage.models import QuestionnaireInvitation, QuestionnaireStatus
from spreekuur.triage.models import QuestionnaireResponse as TriageQuestionnaireResponse
from spreekuur.triage.selectors import red_flags_for
from spreekuur.triage.selectors.questionnaires import document_of

NHG_SYSTEMS = {NHG_TABLE_45_SYSTEM, "urn:oid:2.16.840.1.113883.2.4.4.30.45"}


@dataclass(frozen=True)
class Query:
    """A search as read from the request: the recognised parameters (name -> values, a
    repeated parameter ANDs), the page, and the includes asked for."""

    params: dict[str, list[str]]
    count: int
    offset: int
    includes: tuple[str, ...] = ()

    def values(self, name: str) -> list[str]:
        return self.params.get(name, [])

    def dates(self, name: str) -> tuple[datetime | None, datetime | None]:
        ranges: list[DateRange] = [parse_date(name, raw) for raw in self.values(name)]
        return date_bounds(ranges)

    def tokens(self, name: str) -> list[list[Token]]:
        """Per occurrence (AND), its comma-separated alternatives (OR)."""
        return [[parse_token(name, part) for part in raw.split(",")] for raw in self.values(name)]


@dataclass(frozen=True)
class Accessed:
    """One row a response shows, for the access log."""

    patient: Patient | None
    object_kind: str
    public_id: str


@dataclass
class Found:
    resources: list[dict[str, Any]]
    total: int | None  # None: more follow this page, not counted
    accessed: list[Accessed] = field(default_factory=list)
    included: list[dict[str, Any]] = field(default_factory=list)


def _any_of(alternatives: Iterable[Q]) -> Q:
    combined = Q(pk__in=[])
    for condition in alternatives:
        combined |= condition
    return combined


def _on_days(queryset: QuerySet[Any], query: Query, name: str, column: str) -> QuerySet[Any]:
    """A date search on a date column ([low, high) on whole days in Dutch time)."""
    low, high = query.dates(name)
    if low is not None:
        queryset = queryset.filter(
            **{f"{column}__gte": timezone.localtime(low).date()}
            if timezone.localtime(low).time() == time.min
            else {f"{column}__gt": timezone.localtime(low).date()}
        )
    if high is not None:
        queryset = queryset.filter(**{f"{column}__lt": _day_after(high)})
    return queryset


def _day_after(moment: datetime) -> date:
    """The first whole day not inside [.., moment): an end at midnight excludes that day."""
    local = timezone.localtime(moment)
    return local.date() if local.time() == time.min else local.date() + timedelta(days=1)


def _at_moments(queryset: QuerySet[Any], query: Query, name: str, column: str) -> QuerySet[Any]:
    low, high = query.dates(name)
    if low is not None:
        queryset = queryset.filter(**{f"{column}__gte": low})
    if high is not None:
        queryset = queryset.filter(**{f"{column}__lt": high})
    return queryset


def _by_status(
    queryset: QuerySet[Any], query: Query, name: str, meaning: dict[str, Q]
) -> QuerySet[Any]:
    """A token search on a status we derive from dates: each occurrence of the parameter
    (AND) keeps the rows matching any of its codes (OR); a code we do not know finds
    nothing."""
    for alternatives in query.tokens(name):
        queryset = queryset.filter(
            _any_of(meaning[t.code] for t in alternatives if t.code in meaning)
        )
    return queryset


def with_ids(queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
    """The rows named by `_id`, when it is asked."""
    ids = _ids(query)
    return queryset if ids is None else queryset.filter(public_id__in=ids)


def _ids(query: Query) -> list[UUID] | None:
    """The `_id` values as UUIDs (None: no _id asked); an id that cannot be ours is kept
    out, so it finds nothing."""
    if not query.values("_id"):
        return None
    found: list[UUID] = []
    for raw in query.values("_id"):
        for part in raw.split(","):
            parsed = parse_id("_id", part)
            if parsed is not None:
                found.append(parsed)
    return found


class Kind:
    """One resource type. Subclasses say where its rows come from and how to filter."""

    name: str = ""
    label: Promise = _("gegevens")
    object_kind: str = ""
    params: dict[str, str] = {}
    includes: tuple[str, ...] = ()
    compartment = True
    interactions: tuple[str, ...] = ("read", "search-type")
    profile: str = ""
    model: type[Model] | None = None

    # --- outside the patient compartment (people, the practice) ------------------------
    def base(self, practice: Practice, patient: Patient | None) -> QuerySet[Any]:
        """The rows a caller of this practice may see; `patient`: a patient app's own."""
        raise NotImplementedError

    def read_named(self, practice: Practice, patient: Patient | None, raw_id: str) -> Any:
        """A resource with an id that is not a row's UUID (None: there is none)."""
        return None

    def read_row(self, practice: Practice, patient: Patient | None, public_id: UUID) -> Any:
        """The row with this id among those the caller may see (None: not there)."""
        return self.base(practice, patient).filter(public_id=public_id).first()

    def search_page(
        self, practice: Practice, patient: Patient | None, query: Query
    ) -> tuple[list[Any], int | None] | None:
        """A search that is not one filtered queryset: (this page's rows, the total, or
        None when more follow uncounted); None to use base, filter and order."""
        return None

    # --- for the patient compartment -------------------------------------------------
    def rows(self, patient: Patient) -> QuerySet[Any]:
        raise NotImplementedError

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        return queryset

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("-pk")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        raise NotImplementedError

    def to_fhir_in(self, row: Any, practice: Practice) -> dict[str, Any]:
        """The mapping where a resource needs its practice (the red-flag questions)."""
        return self.to_fhir(row)

    def search(self, patient: Patient, query: Query) -> Found:
        queryset = with_ids(self.filter(self.rows(patient), query), query)
        total = queryset.count()
        page = list(self.order(queryset)[query.offset : query.offset + query.count])
        return Found(
            [self.to_fhir(row) for row in page],
            total,
            [Accessed(patient, self.object_kind, str(row.public_id)) for row in page],
        )

    def read(self, practice: Practice, public_id: UUID) -> tuple[Patient, Any] | None:
        """The row with this id, if it is online for its patient (None otherwise)."""
        if self.model is None:
            raise NotImplementedError
        owner = (
            self.model._default_manager.filter(practice=practice, public_id=public_id)
            .select_related("patient__practice")
            .first()
        )
        if owner is None:
            return None
        patient = owner.patient  # type: ignore[attr-defined]
        row = self.rows(patient).filter(pk=owner.pk).first()
        return (patient, row) if row is not None else None


# --- The patient compartment: the record and the results ------------------------------------


class ConditionKind(Kind):
    name = "Condition"
    label = _("uw episodes en diagnoses")
    object_kind = "episode"
    params = {
        "_id": "token",
        "patient": "reference",
        "subject": "reference",
        "code": "token",
        "clinical-status": "token",
        "onset-date": "date",
    }
    includes: tuple[str, ...] = ("Condition:patient", "Condition:subject")
    profile = "nl-core-Problem"
    model = Episode

    def rows(self, patient: Patient) -> QuerySet[Any]:
        return dossier.online_episodes(patient).select_related("patient__practice")

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        for alternatives in query.tokens("code"):
            queryset = queryset.filter(
                _any_of(
                    Q(icpc_code=t.code.upper())
                    for t in alternatives
                    if t.system in (None, ICPC_SYSTEM)
                )
            )
        ended = Q(ended_on__isnull=False)
        queryset = _by_status(
            queryset,
            query,
            "clinical-status",
            {"active": Q(ended_on__isnull=True), "resolved": ended, "inactive": ended},
        )
        return _on_days(queryset, query, "onset-date", "started_on")

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("-started_on", "-id")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        return condition_resource(row)


class EpisodeOfCareKind(ConditionKind):
    name = "EpisodeOfCare"
    label = _("uw episodes")
    params = {"_id": "token", "patient": "reference", "status": "token", "date": "date"}
    includes: tuple[str, ...] = ("EpisodeOfCare:patient",)
    profile = ""

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        queryset = _by_status(
            queryset,
            query,
            "status",
            {"active": Q(ended_on__isnull=True), "finished": Q(ended_on__isnull=False)},
        )
        return _on_days(queryset, query, "date", "started_on")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        return episode_of_care_resource(row)


class CompositionKind(Kind):
    """The journal: each contact's E and P lines (what the portal shows) as a SOEP report."""

    name = "Composition"
    label = _("uw journaal (conclusie en plan van elk contact)")
    object_kind = "journalentry"
    params = {"_id": "token", "patient": "reference", "subject": "reference", "date": "date"}
    includes: tuple[str, ...] = ("Composition:patient", "Composition:subject")
    profile = "nl-core-SOAPReport"
    model = JournalEntry

    def rows(self, patient: Patient) -> QuerySet[Any]:
        return dossier.online_journal(patient).select_related("patient__practice")

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        return _on_days(queryset, query, "date", "contact_on")

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("-contact_on", "-id")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        return soap_report_resource(row)


class MedicationStatementKind(Kind):
    name = "MedicationStatement"
    label = _("uw medicatie")
    object_kind = "medication"
    params = {
        "_id": "token",
        "patient": "reference",
        "subject": "reference",
        "status": "token",
        "effective": "date",
    }
    includes = ("MedicationStatement:patient", "MedicationStatement:subject")
    model = Medication

    def rows(self, patient: Patient) -> QuerySet[Any]:
        return dossier.online_medication(patient).select_related("patient__practice")

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        today = timezone.localdate()
        queryset = _by_status(
            queryset,
            query,
            "status",
            {
                "active": Q(ended_on__isnull=True) | Q(ended_on__gte=today),
                "completed": Q(ended_on__lt=today),
            },
        )
        return _on_days(queryset, query, "effective", "started_on")

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("-started_on", "-id")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        return medication_statement_resource(row)


class AllergyIntoleranceKind(Kind):
    name = "AllergyIntolerance"
    label = _("uw allergieën en intoleranties")
    object_kind = "allergy"
    params = {"_id": "token", "patient": "reference", "clinical-status": "token", "type": "token"}
    includes = ("AllergyIntolerance:patient",)
    profile = "nl-core-AllergyIntolerance"
    model = Allergy

    def rows(self, patient: Patient) -> QuerySet[Any]:
        return dossier.online_allergies(patient).select_related("patient__practice")

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        for alternatives in query.tokens("clinical-status"):
            if "active" not in {t.code for t in alternatives}:
                queryset = queryset.none()  # every allergy on record is active
        for alternatives in query.tokens("type"):
            kinds = {"allergy": "allergie", "intolerance": "intolerantie"}
            queryset = queryset.filter(kind__in=[kinds.get(t.code, "") for t in alternatives])
        return queryset

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("substance", "id")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        return allergy_intolerance_resource(row)


class ObservationKind(Kind):
    """Two sources in one type: released lab results, and the measurements of the
    practice (blood pressure, weight). A search reads both, newest first, and merges."""

    name = "Observation"
    label = _("uw uitslagen en metingen")
    object_kind = "labresult"
    params = {
        "_id": "token",
        "patient": "reference",
        "subject": "reference",
        "category": "token",
        "code": "token",
        "date": "date",
    }
    includes = ("Observation:patient", "Observation:subject")
    interactions = ("read", "search-type", "create")
    profile = "nl-core-LaboratoryTestResult"

    def _code_filter(self, alternatives: list[Token]) -> Q:
        conditions = []
        for token in alternatives:
            if token.code == BLOOD_PRESSURE_PANEL and token.system in (None, LOINC_SYSTEM):
                conditions.append(Q(test__nhg_code=SYSTOLIC))  # the panel is its systolic row
            elif token.system is None:
                conditions.append(Q(test__nhg_code=token.code) | Q(test__loinc=token.code))
            elif token.system in NHG_SYSTEMS:
                conditions.append(Q(test__nhg_code=token.code))
            elif token.system == LOINC_SYSTEM:
                conditions.append(Q(test__loinc=token.code))
        return _any_of(conditions)

    def _sources(self, patient: Patient, query: Query) -> tuple[QuerySet[Any], QuerySet[Any]]:
        labs = released_results(patient).select_related("test", "reviewed_by", "patient__practice")
        # A blood pressure is one Observation: its diastolic row travels with the systolic.
        measured = (
            dossier.online_measurements(patient)
            .filter(pair__isnull=True)
            .select_related("test", "patient__practice")
            .prefetch_related(
                Prefetch(
                    "partners",
                    queryset=dossier.online_measurements(patient).select_related("test"),
                )
            )
        )
        for alternatives in query.tokens("category"):
            codes = {t.code for t in alternatives}
            if "laboratory" not in codes:
                labs = labs.none()
            if "vital-signs" not in codes:
                measured = measured.none()
        for alternatives in query.tokens("code"):
            labs = labs.filter(self._code_filter(alternatives))
            measured = measured.filter(self._code_filter(alternatives))
        labs = _at_moments(labs, query, "date", "observed_at")
        measured = _on_days(measured, query, "date", "measured_on")
        ids = _ids(query)
        if ids is not None:
            labs = labs.filter(public_id__in=ids)
            measured = measured.filter(public_id__in=ids)
        return labs, measured

    def search(self, patient: Patient, query: Query) -> Found:
        labs, measured = self._sources(patient, query)
        total = labs.count() + measured.count()
        end = query.offset + query.count
        lab_rows = list(labs.order_by("-observed_at", "-id")[:end])
        measured_rows = list(measured.order_by("-measured_on", "-id")[:end])

        def moment(row: Any) -> datetime:
            if isinstance(row, LabResult):
                return row.observed_at
            # A measurement has a day: it sorts at the end of that day, as in the portal.
            return timezone.make_aware(datetime.combine(row.measured_on, time.max))

        merged = sorted([*lab_rows, *measured_rows], key=moment, reverse=True)
        page = merged[query.offset : end]
        return Found(
            [self.to_fhir(row) for row in page],
            total,
            [
                Accessed(patient, self.object_kind_of(shown), str(shown.public_id))
                for row in page
                for shown in (row, *([] if isinstance(row, LabResult) else row.partners.all()))
            ],
        )

    def read(self, practice: Practice, public_id: UUID) -> tuple[Patient, Any] | None:
        for model, rows in (
            (LabResult, lambda p: released_results(p).select_related("test", "reviewed_by")),
            (
                Measurement,
                lambda p: (
                    dossier.online_measurements(p)
                    .filter(pair__isnull=True)
                    .select_related("test")
                    .prefetch_related(
                        Prefetch(
                            "partners",
                            queryset=dossier.online_measurements(p).select_related("test"),
                        )
                    )
                ),
            ),
        ):
            owner = (
                model._default_manager.filter(practice=practice, public_id=public_id)
                .select_related("patient__practice")
                .first()
            )
            if owner is not None:
                row = rows(owner.patient).filter(pk=owner.pk).first()
                return (owner.patient, row) if row is not None else None
        return None

    def to_fhir(self, row: Any) -> dict[str, Any]:
        if isinstance(row, LabResult):
            return lab_observation_resource(row)
        partners = list(row.partners.all())
        return measurement_resource(row, partners[0] if partners else None)

    def object_kind_of(self, row: Any) -> str:
        return "labresult" if isinstance(row, LabResult) else "measurement"


# --- People and the practice -----------------------------------------------------------------


class PatientKind(Kind):
    name = "Patient"
    label = _("uw persoonsgegevens (naam, geboortedatum, BSN, adres)")
    object_kind = "personal_data"
    params = {
        "_id": "token",
        "identifier": "token",
        "name": "string",
        "family": "string",
        "given": "string",
        "birthdate": "date",
        "gender": "token",
    }
    includes = ("Patient:general-practitioner", "Patient:organization")
    compartment = False
    profile = "nl-core-Patient"
    model = Patient

    def base(self, practice: Practice, patient: Patient | None) -> QuerySet[Any]:
        patients = Patient.objects.filter(practice=practice).select_related(
            "practice", "gp__membership"
        )
        return patients.filter(pk=patient.pk) if patient is not None else patients

    def read_row(self, practice: Practice, patient: Patient | None, public_id: UUID) -> Any:
        if patient is None:
            return super().read_row(practice, patient, public_id)
        # A patient app reads its own patient: the row the token's check has just read,
        # with its practice and GP (auth.authenticate), is the one base() would find.
        if patient.public_id == public_id and patient.practice_id == practice.pk:
            return patient
        return None

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        for alternatives in query.tokens("identifier"):
            queryset = queryset.filter(
                bsn__in=[t.code for t in alternatives if t.system in (None, BSN_SYSTEM)]
            )
        for name, columns in (
            ("name", ("given_name", "family_name", "initials", "name_prefix")),
            ("family", ("family_name",)),
            ("given", ("given_name", "initials")),
        ):
            for raw in query.values(name):
                queryset = queryset.filter(
                    _any_of(
                        Q(**{f"{column}__istartswith": part.strip()})
                        for part in raw.split(",")
                        if part.strip()
                        for column in columns
                    )
                )
        genders = {"female": Sex.FEMALE, "male": Sex.MALE, "other": Sex.OTHER}
        for alternatives in query.tokens("gender"):
            queryset = queryset.filter(sex__in=[genders.get(t.code, "?") for t in alternatives])
        return _on_days(queryset, query, "birthdate", "date_of_birth")

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("family_name", "given_name", "id")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        return patient_resource(row)


class PractitionerKind(Kind):
    name = "Practitioner"
    label = _("de zorgverleners van uw praktijk")
    object_kind = "staff_membership"
    params = {"_id": "token", "identifier": "token", "name": "string"}
    compartment = False
    profile = "nl-core-HealthProfessional-Practitioner"
    model = Membership

    def base(self, practice: Practice, patient: Patient | None) -> QuerySet[Any]:
        return (
            Membership.objects.filter(practice=practice, active=True)
            .exclude(role="")
            .select_related("user")
        )

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        for alternatives in query.tokens("identifier"):
            queryset = queryset.filter(
                agb_code__in=[t.code for t in alternatives if t.system in (None, AGB_SYSTEM)]
            )
        for raw in query.values("name"):
            queryset = queryset.filter(
                _any_of(
                    Q(user__full_name__icontains=part.strip())
                    for part in raw.split(",")
                    if part.strip()
                )
            )
        return queryset

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("user__full_name", "id")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        return practitioner_resource(row)


class OrganizationKind(Kind):
    name = "Organization"
    label = _("uw huisartsenpraktijk")
    object_kind = "practice_details"
    params = {"_id": "token", "identifier": "token"}
    compartment = False
    profile = "nl-core-HealthcareProvider-Organization"
    model = Practice

    def base(self, practice: Practice, patient: Patient | None) -> QuerySet[Any]:
        return Practice.objects.filter(pk=practice.pk)

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        for alternatives in query.tokens("identifier"):
            queryset = queryset.filter(
                agb_code__in=[t.code for t in alternatives if t.system in (None, AGB_SYSTEM)]
            )
        return queryset

    def search_page(
        self, practice: Practice, patient: Patient | None, query: Query
    ) -> tuple[list[Any], int | None] | None:
        """The practice, then the pharmacies it sends prescriptions to (a repeat request
        names one as its dispenser)."""
        rows = [
            *self.filter(self.base(practice, patient), query),
            *self.filter(Pharmacy.objects.filter(practice=practice, active=True), query).order_by(
                "name", "id"
            ),
        ]
        ids = {part for raw in query.values("_id") for part in raw.split(",")}
        if ids:
            rows = [row for row in rows if str(row.public_id) in ids]
        return rows[query.offset : query.offset + query.count], len(rows)

    def read_named(self, practice: Practice, patient: Patient | None, raw_id: str) -> Any:
        public_id = parse_id("_id", raw_id)
        if public_id is None:
            return None
        return Pharmacy.objects.filter(practice=practice, public_id=public_id).first()

    def to_fhir(self, row: Any) -> dict[str, Any]:
        if isinstance(row, Pharmacy):
            return pharmacy_resource(row)
        return organization_resource(row)


class MedicationRequestKind(Kind):
    """The patient's repeat requests (herhaalrecepten) and what became of them."""

    name = "MedicationRequest"
    label = _("uw herhaalrecepten (inzien en aanvragen)")
    object_kind = "repeatrequest"
    params = {
        "_id": "token",
        "patient": "reference",
        "subject": "reference",
        "status": "token",
        "intent": "token",
        "authoredon": "date",
    }
    includes = ("MedicationRequest:patient",)
    interactions = ("read", "search-type", "create")
    model = RepeatRequestItem

    def rows(self, patient: Patient) -> QuerySet[Any]:
        return RepeatRequestItem.objects.filter(
            practice_id=patient.practice_id,
            request__patient=patient,
            medication__shielded=False,
        ).select_related("medication", "request__pharmacy", "request__patient")

    def read(self, practice: Practice, public_id: UUID) -> tuple[Patient, Any] | None:
        owner = (
            RepeatRequestItem.objects.filter(practice=practice, public_id=public_id)
            .select_related("request__patient__practice")
            .first()
        )
        if owner is None:
            return None
        patient = owner.request.patient
        row = self.rows(patient).filter(pk=owner.pk).first()
        return (patient, row) if row is not None else None

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        for alternatives in query.tokens("status"):
            wanted = {t.code for t in alternatives}
            queryset = queryset.filter(
                status__in=[ours for ours, theirs in REQUEST_STATUS.items() if theirs in wanted]
            )
        for alternatives in query.tokens("intent"):
            wanted = {t.code for t in alternatives}
            decided = Q(status__in=DECIDED)
            intent = Q(pk__in=[])
            if "order" in wanted:
                intent |= decided
            if "proposal" in wanted:
                intent |= ~decided
            queryset = queryset.filter(intent)
        return _at_moments(queryset, query, "authoredon", "request__created_at")

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("-request__created_at", "-id")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        return repeat_request_resource(row)


# --- The agenda (eAfspraak) --------------------------------------------------------------------


def _online_types(practice: Practice) -> list[AppointmentType]:
    return agenda.online_types_for(practice, agenda.booking_rules_for(practice))


def _offered(types: list[AppointmentType], membership: Membership) -> list[AppointmentType]:
    return [t for t in types if t.offered_by_role(membership.role)]


def _type_ids(query: Query) -> list[UUID]:
    found = []
    for alternatives in query.tokens("service-type"):
        for token in alternatives:
            if token.system in (None, appointment_type_system()):
                parsed = parse_id("service-type", token.code)
                if parsed is not None:
                    found.append(parsed)
    return found


class ScheduleKind(Kind):
    """A practitioner's agenda. A patient app sees the practitioners it can book online
    with; a practice system all of them."""

    name = "Schedule"
    label = _("de agenda's van de zorgverleners")
    object_kind = "staff_membership"
    params = {"_id": "token", "actor": "reference", "active": "token", "service-type": "token"}
    compartment = False
    model = Membership

    def base(self, practice: Practice, patient: Patient | None) -> QuerySet[Any]:
        return agenda.practitioners_of(practice)

    def search_page(
        self, practice: Practice, patient: Patient | None, query: Query
    ) -> tuple[list[Any], int]:
        rows = self._rows(practice, patient, query)
        return rows[query.offset : query.offset + query.count], len(rows)

    def _rows(self, practice: Practice, patient: Patient | None, query: Query) -> list[Any]:
        types = _online_types(practice)
        rows = list(self.filter(self.base(practice, patient), query))
        wanted = set(_type_ids(query))
        chosen = []
        for membership in rows:
            offered = _offered(types, membership)
            if patient is not None and not offered:
                continue  # a patient app books online only
            if wanted and not wanted & {t.public_id for t in offered}:
                continue
            membership.offered = offered
            chosen.append(membership)
        return chosen

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        for raw in query.values("actor"):
            queryset = queryset.filter(public_id=parse_id("actor", raw, "Practitioner"))
        for alternatives in query.tokens("active"):
            if "true" not in {t.code for t in alternatives}:
                queryset = queryset.none()
        return queryset

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset

    def to_fhir(self, row: Any) -> dict[str, Any]:
        offered = getattr(row, "offered", None)
        if offered is None:
            offered = _offered(_online_types(row.practice), row)
        return schedule_resource(row, offered)


class SlotKind(Kind):
    """Free times. A patient app sees the free times released for online booking in the
    practice's booking window; with `service-type` only the starts where that kind of
    appointment fits (a longer one takes the next slots too). A practice system sees every
    slot from now on, free or taken (never who took it)."""

    name = "Slot"
    label = _("vrije tijden in de agenda")
    object_kind = "slot"
    params = {
        "_id": "token",
        "schedule": "reference",
        "start": "date",
        "status": "token",
        "service-type": "token",
    }
    includes = ("Slot:schedule",)
    compartment = False
    model = Slot

    def base(self, practice: Practice, patient: Patient | None) -> QuerySet[Any]:
        now = timezone.now()
        slots = Slot.objects.filter(practice=practice).select_related("practitioner__user")
        if patient is None:
            return slots.filter(starts_at__gte=now)
        window = agenda.online_window(agenda.booking_rules_for(practice), now)
        return slots.filter(
            online=True,
            appointment__isnull=True,
            starts_at__gte=window.earliest,
            starts_at__lt=window.latest,
        )

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        for raw in query.values("schedule"):
            queryset = queryset.filter(
                practitioner__public_id=parse_id("schedule", raw, "Schedule")
            )
        for alternatives in query.tokens("status"):
            wanted = {t.code for t in alternatives}
            status = Q(pk__in=[])
            if "free" in wanted:
                status |= Q(appointment__isnull=True)
            if "busy" in wanted:
                status |= Q(appointment__isnull=False)
            queryset = queryset.filter(status)
        return _at_moments(queryset, query, "start", "starts_at")

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("starts_at", "practitioner_id", "id")

    def search_page(
        self, practice: Practice, patient: Patient | None, query: Query
    ) -> tuple[list[Any], int | None] | None:
        """With `service-type`: the starts where that kind of appointment fits, as the
        portal offers them (agenda.selectors.free_slot_choices)."""
        type_ids = _type_ids(query)
        if not query.values("service-type"):
            return None
        types = [t for t in _online_types(practice) if t.public_id in type_ids]
        if len(types) != 1:
            return [], 0  # an unknown kind, or several at once: nothing fits all
        wanted = types[0]
        slots = self.filter(self.base(practice, patient), query)
        bounds = slots.aggregate(first=Min("starts_at"), last=Max("starts_at"))
        if bounds["first"] is None:
            return [], 0
        practitioners = [
            m for m in agenda.practitioners_of(practice) if wanted.offered_by_role(m.role)
        ]
        schedules = [parse_id("schedule", raw, "Schedule") for raw in query.values("schedule")]
        if schedules:
            practitioners = [m for m in practitioners if m.public_id in schedules]
        limit = query.offset + query.count + 1
        choices = agenda.free_slot_choices(
            practice=practice,
            appointment_type=wanted,
            practitioners=practitioners,
            online=patient is not None,
            earliest=bounds["first"],
            latest=bounds["last"] + timedelta(seconds=1),
            limit=limit,
        )
        rows = []
        for choice in choices:
            choice.slot.offered = [wanted]  # type: ignore[attr-defined]
            choice.slot.practitioner = choice.practitioner  # known: no query per slot
            rows.append(choice.slot)
        page = rows[query.offset : query.offset + query.count]
        # The total is known when the search ran out before its limit; otherwise there
        # is more after this page, how much is not counted (None).
        return page, (len(rows) if len(rows) < limit else None)

    def to_fhir(self, row: Any) -> dict[str, Any]:
        offered = getattr(row, "offered", None)
        if offered is None:
            offered = _offered(_online_types(row.practice), row.practitioner)
        return slot_resource(row, offered)


class AppointmentKind(Kind):
    name = "Appointment"
    label = _("uw afspraken (inzien, maken en afzeggen)")
    object_kind = "appointment"
    params = {
        "_id": "token",
        "patient": "reference",
        "actor": "reference",
        "date": "date",
        "status": "token",
    }
    includes = ("Appointment:patient",)
    interactions = ("read", "search-type", "create", "update", "patch")
    model = Appointment

    def rows(self, patient: Patient) -> QuerySet[Any]:
        return agenda.appointments_of_patient(patient).prefetch_related("slots")

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        statuses = {value: key for key, value in STATUS.items()}
        for alternatives in query.tokens("status"):
            queryset = queryset.filter(
                status__in=[statuses[t.code] for t in alternatives if t.code in statuses]
            )
        return _at_moments(queryset, query, "date", "starts_at")

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("-starts_at", "-id")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        return appointment_resource(row, list(row.slots.all()))


# --- Questionnaires ------------------------------------------------------------------------


class QuestionnaireKind(Kind):
    """The red-flag questions asked before booking (id `rode-vlaggen`), and the
    questionnaires the practice sent the patient (a practice system: every one it uses)."""

    name = "Questionnaire"
    label = _("vragenlijsten van de praktijk")
    object_kind = "questionnaire"
    params = {"_id": "token", "url": "uri", "status": "token"}
    compartment = False
    model = TriageQuestionnaire

    def base(self, practice: Practice, patient: Patient | None) -> QuerySet[Any]:
        if patient is None:
            return TriageQuestionnaire.objects.filter(
                practice=practice, status=QuestionnaireStatus.PUBLISHED
            )
        invited = QuestionnaireInvitation.objects.filter(patient=patient).values("questionnaire_id")
        return TriageQuestionnaire.objects.filter(pk__in=invited).select_related("practice")

    def search_page(
        self, practice: Practice, patient: Patient | None, query: Query
    ) -> tuple[list[Any], int | None] | None:
        rows: list[Any] = [RED_FLAGS]
        rows += list(self.base(practice, patient).order_by("title", "-version", "id"))
        ids = set(query.values("_id")) and {
            part for raw in query.values("_id") for part in raw.split(",")
        }
        urls = set(query.values("url"))
        wanted_status = {t.code for alternatives in query.tokens("status") for t in alternatives}
        chosen = []
        for row in rows:
            resource = self.to_fhir_in(row, practice)
            if ids and resource["id"] not in ids:
                continue
            if urls and resource["url"] not in urls:
                continue
            if wanted_status and resource["status"] not in wanted_status:
                continue
            chosen.append(row)
        return chosen[query.offset : query.offset + query.count], len(chosen)

    def read_named(self, practice: Practice, patient: Patient | None, raw_id: str) -> Any:
        if raw_id == RED_FLAGS_ID:
            return RED_FLAGS
        return None

    def to_fhir_in(self, row: Any, practice: Practice) -> dict[str, Any]:
        if row is RED_FLAGS:
            return red_flags_questionnaire(red_flags_for(practice))
        return self.to_fhir(row)

    def to_fhir(self, row: Any) -> dict[str, Any]:
        return questionnaire_resource(row, document_of(row))


class _RedFlags:
    """The red-flag questionnaire's place in a result list (it has no row)."""

    public_id = RED_FLAGS_ID


RED_FLAGS = _RedFlags()


class QuestionnaireResponseKind(Kind):
    name = "QuestionnaireResponse"
    label = _("uw antwoorden op vragenlijsten")
    object_kind = "questionnaire"
    interactions = ("read", "search-type", "create")
    params = {
        "_id": "token",
        "patient": "reference",
        "subject": "reference",
        "questionnaire": "reference",
        "authored": "date",
    }
    includes = ("QuestionnaireResponse:patient",)
    model = TriageQuestionnaireResponse

    def rows(self, patient: Patient) -> QuerySet[Any]:
        return TriageQuestionnaireResponse.objects.filter(
            practice_id=patient.practice_id,
            patient=patient,
            submitted_at__isnull=False,
            questionnaire__anonymous=False,
        ).select_related("questionnaire__practice", "patient", "answered_by")

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        for raw in query.values("questionnaire"):
            queryset = queryset.filter(
                questionnaire__public_id=parse_id("questionnaire", raw, "Questionnaire")
            )
        return _at_moments(queryset, query, "authored", "submitted_at")

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("-submitted_at", "-id")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        return questionnaire_response_resource(
            row.questionnaire, document_of(row.questionnaire), row
        )


# --- The patient's own access log ------------------------------------------------------------


class AuditEventKind(Kind):
    """Who looked at the patient's record, and when (NEN 7513): the portal's own
    "wie heeft mijn dossier bekeken", read through the same screens, so an entry about
    what the patient may not see now reads as a look at their record, without detail."""

    name = "AuditEvent"
    label = _("wie uw dossier heeft bekeken")
    object_kind = "audit_log"
    params = {"_id": "token", "patient": "reference", "date": "date"}
    model = AuditEntry

    def rows(self, patient: Patient) -> QuerySet[Any]:
        return audit_entries_about(patient).select_related("practice")

    def filter(self, queryset: QuerySet[Any], query: Query) -> QuerySet[Any]:
        return _at_moments(queryset, query, "date", "occurred_at")

    def order(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by("-occurred_at", "-id")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        [labelled] = with_labels([row], for_patient=True)
        return audit_event_resource(labelled, patient_id=row.patient.public_id)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        PatientKind(),
        PractitionerKind(),
        OrganizationKind(),
        ConditionKind(),
        EpisodeOfCareKind(),
        CompositionKind(),
        ObservationKind(),
        MedicationStatementKind(),
        AllergyIntoleranceKind(),
        MedicationRequestKind(),
        ScheduleKind(),
        SlotKind(),
        AppointmentKind(),
        QuestionnaireKind(),
        QuestionnaireResponseKind(),
        AuditEventKind(),
    )
}
RESOURCE_TYPES: tuple[str, ...] = tuple(KINDS)
TYPE_LABELS: dict[str, Promise] = {name: kind.label for name, kind in KINDS.items()}


def not_supported(resource_type: str) -> FhirError:
    return FhirError(
        404,
        "not-supported",
        f"Het brontype {resource_type} wordt door deze server niet ondersteund.",
        f"Resource type {resource_type} is not supported by this server.",
    )


def bad_reference(name: str) -> FhirError:
    return bad_parameter(name, "is geen geldige verwijzing", "is not a valid reference")


Mapper = Callable[[Any], dict[str, Any]]
