"""The scale path of DESIGN.md, checked against the schema: Citus with `practice_id` as the
distribution column (docs/production.md, "How it grows").

Citus can distribute a table by practice only when

- the table itself has the `practice_id` column (a child row whose parent has it is not
  enough: rows are placed by their own columns, and a join between co-located shards
  needs the column on both sides);
- that column is never NULL (Citus refuses to insert a row without a shard to go to);
- every UNIQUE constraint, unique index (partial ones too) and exclusion constraint
  includes it: a shard can only check uniqueness among its own rows. A UUID `public_id`
  is no exception: `unique=True` on it alone cannot be created on a distributed table,
  so it is `UniqueConstraint(fields=["public_id", "practice"])`, public_id first, so the
  one index still serves lookups by public_id alone.

Two things are deliberately not checked here, and done once, at the Citus step itself
(docs/production.md): the auto-increment primary key `id` becomes `(id, practice_id)`,
and the foreign keys between distributed tables become composite `(practice_id, x_id)`.
Django's models keep their single-column `id`; that step is a migration of SQL only.

Every model of the spreekuur apps is either practice-scoped and passes these checks, or
named in REFERENCE_TABLES (with why), or its gap is in KNOWN_GAPS until it is fixed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.postgres.constraints import ExclusionConstraint
from django.db import models
from django.db.models.expressions import F
from django.test.utils import isolate_apps

import spreekuur.settings
from spreekuur.core.models import Practice

DISTRIBUTION_COLUMN = "practice_id"

# Tables without practice_id, and why that is right. In Citus they become reference tables
# (small, copied to every node, joinable with any shard) or stay on the coordinator.
REFERENCE_TABLES = {
    # The tenant itself (about 4,500 practices nationally): a reference table.
    "core.Practice": "the tenant table",
    # One row: the fingerprint of AUDIT_CHAIN_KEY, read at every process start.
    "core.AuditKey": "system table, one row",
    # A login identity, not a medical record: one person can work in two practices and
    # represent children registered at other practices, so it has no single practice.
    # A reference table per region (foreign keys from every shard point at it); the
    # patient's medical data is on the practice-scoped Patient and below.
    "accounts.User": "identity across practices",
    # NHG Tabel 45 (diagnostic tests) and its reference ranges: a national catalogue,
    # the same for every practice, updated twice a year.
    "results.LabTest": "national code catalogue",
    "results.ReferenceRange": "national code catalogue",
    # The care groups above the practices (a handful per region) and their analysts: the
    # region's view reads each practice's summary rows, so these sit above the shards.
    "dashboard.Region": "care groups, above the practices",
    "dashboard.RegionAnalyst": "a care group's analyst: a user of no practice",
}

# What still stands in the way, one entry per gap, each with the change that closes it.
# The test fails when a new gap appears and when one of these is closed (then delete it).
KNOWN_GAPS = {
    # --- core (AuditEntry, AuditChain, Notification) ---
    # Events outside any practice (a failed login of an unknown name) go to the system
    # chain with practice NULL. Change: a "system" Practice row (never shown, no
    # patients) that owns the system chain, so practice becomes NOT NULL; then the
    # conditional constraint on seq alone goes and (practice, seq) covers every entry.
    "core.AuditEntry: practice_id may be NULL": "system chain",
    "core.AuditEntry: constraint audit_entry_system_seq": "system chain",
    "core.AuditChain: practice_id may be NULL": "system chain",
    # scope ("practice:<id>[:<lane>]" / "system") is derived from practice and lane.
    # Change: drop the field (the chain is found by practice and lane, unique already)
    # once the system chain has a row.
    "core.AuditChain: unique scope": "derived from practice",
    # Change: UniqueConstraint(fields=["public_id", "practice"]) instead of unique=True.
    "core.AuditEntry: unique public_id": "public id",
    "core.NewsItem: unique public_id": "public id",
    "core.Notification: unique public_id": "public id",
    # Account mail (confirmation, password link) to a login with no practice of its own
    # (a gemachtigde who is not a patient anywhere). Change: the system practice as above.
    "core.Notification: practice_id may be NULL": "mail outside any practice",
    # --- agenda ---
    # Change for each: UniqueConstraint(fields=["public_id", "practice"]).
    "agenda.AppointmentType: unique public_id": "public id",
    "agenda.ScheduleBlock: unique public_id": "public id",
    "agenda.ScheduleException: unique public_id": "public id",
    "agenda.Appointment: unique public_id": "public id",
    "agenda.Slot: unique public_id": "public id",
    "triage.RedFlag: unique public_id": "public id",
    "agenda.KioskDevice: unique public_id": "public id",
    # The practitioner (a Membership) belongs to one practice, so adding practice keeps
    # the rule exactly. Change: fields=["practitioner", "starts_at", "practice"].
    "agenda.ScheduleBlock: constraint block_once": "practitioner implies practice",
    "agenda.Slot: constraint slot_once": "practitioner implies practice",
    "agenda.Appointment: constraint appointment_one_per_practitioner_start": "same",
    # rescheduled_from is a OneToOneField (unique on its own). Change: a ForeignKey with
    # UniqueConstraint(fields=["rescheduled_from", "practice"]) and the reverse accessor
    # `rescheduled_to` read through .first() where it is used.
    "agenda.Appointment: unique rescheduled_from": "one-to-one in the practice",
    # checkin_code: typed at the kiosk of one practice. Change: unique with practice.
    "agenda.Appointment: unique checkin_code": "kiosk code of one practice",
    # The national baseline red flags (practice NULL) sit in the same table as each
    # practice's own. Change: the baseline moves to a reference table of its own
    # (BaselineRedFlag, no practice), the practice table keeps practice NOT NULL.
    "triage.RedFlag: practice_id may be NULL": "baseline rows",
    "triage.RedFlag: constraint red_flag_code_baseline": "baseline rows",
    # The national complaint flows likewise (practice NULL) beside each practice's own.
    # Change: as for the red flags, a reference table of their own (NationalFlow).
    "triage.ComplaintFlow: practice_id may be NULL": "national flows",
    "triage.ComplaintFlow: constraint flow_version_national": "national flows",
    "triage.ComplaintFlow: unique public_id": "public id",
    # The shipped questionnaires likewise (practice NULL) beside each practice's own
    # versions. Change: a reference table of their own (ShippedQuestionnaire).
    "triage.Questionnaire: practice_id may be NULL": "shipped sets",
    "triage.Questionnaire: constraint questionnaire_version_shipped": "shipped sets",
    "triage.Questionnaire: unique public_id": "public id",
    # --- results ---
    # Change: UniqueConstraint(fields=["public_id", "practice"]).
    "results.LabMessage: unique public_id": "public id",
    "results.LabResult: unique public_id": "public id",
    "results.LabLink: unique public_id": "public id",
    # A correction replaces one result of the same practice. Change: as for
    # agenda.Appointment.rescheduled_from (ForeignKey + unique with practice).
    "results.LabResult: unique replaces": "one-to-one in the practice",
    # A lab's token is looked up before the practice is known (the bearer token names
    # it). Change: the token carries the practice's id as a prefix (`<practice>.<secret>`)
    # and the hash is unique with practice; the lookup then reads one shard.
    "results.LabLink: unique token_hash": "looked up before the practice is known",
    # --- accounts, patients: one login, one patient / one membership ---
    # A OneToOneField: one Patient per login across the whole region, looked up by
    # `user.patient` before the practice is known. On Citus that lookup needs the
    # practice first: store it on the login (User.patient_practice, a reference-table
    # column) and make this unique with practice (ForeignKey + UniqueConstraint).
    # Needs code outside the models (every `user.patient`), so not done here.
    "patients.Patient: unique user": "login to patient, looked up before the practice",
    # The same for staff: one practice per staff login (`user.membership`).
    "accounts.Membership: unique user": "login to membership, looked up before practice",
    # An activation code is typed with a birth date, without the practice: unique over
    # the region, looked up over all of it. Change: the letter's code carries the
    # practice (a prefix, as the demo's "DEMA-…"), or the code hash moves to a small
    # table on the coordinator that names the practice; then unique with practice.
    "patients.PortalActivation: unique code_hash": "looked up before the practice is known",
    # --- one-to-one children of a practice-scoped row ---
    # Each is a OneToOneField to a row of the same practice, so (x, practice) unique is
    # exactly as strict as (x) alone. Change: ForeignKey + UniqueConstraint(fields=[x,
    # "practice"]); the reverse accessors (`entry.replaced_by`, `item.outbox`,
    # `thread.declaration`) become a .filter(...).first() where they are read.
    "dossier.JournalEntry: unique replaces": "one-to-one in the practice",
    "prescriptions.OutboxMessage: unique item": "one-to-one in the practice",
    "econsult.Declaration: unique thread": "one-to-one in the practice",
    # The patient's chosen pharmacy has no practice column (a child of Patient). Change:
    # practice = ForeignKey(Practice) filled from patient.practice_id (a data migration),
    # set in prescriptions.services.requests (update_or_create defaults) and in
    # demo/region/prescriptions.py; then unique(patient) becomes (patient, practice).
    "prescriptions.PharmacyChoice: no practice_id column": "child of Patient",
    # --- fhir: the OAuth2 server's own tables ---
    # django-oauth-toolkit's tables (applications, codes, tokens) have no practice: a
    # token is looked up by its hash before the practice is known, so they stay on the
    # coordinator. Our rows beside them are one-to-one with theirs (unique on their own).
    # Change: swap django-oauth-toolkit's models (OAUTH2_PROVIDER_*_MODEL) for ones with
    # practice_id, let the token carry the practice as a prefix (as the lab token would),
    # and fold these link rows into them, unique with practice.
    "fhir.FhirApp: unique application": "one row per OAuth2 application",
    "fhir.GrantLink: primary key grant": "one row per authorization code",
    "fhir.AccessTokenLink: primary key access_token": "one row per access token",
    "fhir.RefreshLink: primary key refresh_token": "one row per refresh token",
}


def _practice_field(model: type[models.Model]) -> models.Field | None:
    for field in model._meta.concrete_fields:
        if field.column == DISTRIBUTION_COLUMN:
            return field
    return None


def _columns(model: type[models.Model], names: Iterable[str]) -> set[str]:
    return {model._meta.get_field(name).column for name in names}


def _expression_columns(model: type[models.Model], expressions: Iterable[object]) -> set[str]:
    """The columns an expression-based constraint reads (F("practice"), Lower("x"), ...)."""
    found: set[str] = set()
    for expression in expressions:
        if isinstance(expression, str):
            found |= _columns(model, [expression])
        elif isinstance(expression, F):
            found |= _columns(model, [expression.name])
        else:
            found |= _expression_columns(model, expression.get_source_expressions())  # type: ignore[attr-defined]
    return found


def distribution_gaps(model: type[models.Model]) -> list[str]:
    """What keeps this table from being distributed by practice_id, as short sentences."""
    label = model._meta.label
    field = _practice_field(model)
    if field is None:
        return [f"{label}: no {DISTRIBUTION_COLUMN} column"]
    gaps = []
    if field.null:
        gaps.append(f"{label}: {DISTRIBUTION_COLUMN} may be NULL")
    pk = model._meta.pk
    # The auto id is widened to (id, practice_id) at the Citus step (see the docstring);
    # any other primary key must include the column already.
    if not isinstance(pk, models.AutoField | models.BigAutoField) and pk is not field:
        gaps.append(f"{label}: primary key {pk.name}")
    for other in model._meta.concrete_fields:
        if other.unique and not other.primary_key and other.column != DISTRIBUTION_COLUMN:
            gaps.append(f"{label}: unique {other.name}")
    for together in model._meta.unique_together:
        if DISTRIBUTION_COLUMN not in _columns(model, together):
            gaps.append(f"{label}: unique_together {tuple(together)}")
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            columns = _columns(model, constraint.fields) | _expression_columns(
                model, constraint.expressions
            )
            if DISTRIBUTION_COLUMN not in columns:
                gaps.append(f"{label}: constraint {constraint.name}")
        elif isinstance(constraint, ExclusionConstraint):
            # Citus takes an exclusion constraint only with `practice_id WITH =` in it.
            equal = [expr for expr, operator in constraint.expressions if operator == "="]
            if DISTRIBUTION_COLUMN not in _expression_columns(model, equal):
                gaps.append(f"{label}: constraint {constraint.name}")
    return gaps


def spreekuur_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if model.__module__.startswith("spreekuur.") and not model._meta.proxy
    ]


def test_every_spreekuur_table_is_ready_to_be_distributed_by_practice() -> None:
    found = {
        gap
        for model in spreekuur_models()
        if model._meta.label not in REFERENCE_TABLES
        for gap in distribution_gaps(model)
    }
    new = sorted(found - set(KNOWN_GAPS))
    closed = sorted(set(KNOWN_GAPS) - found)
    assert not new, "Not ready for Citus (see docs/production.md):\n" + "\n".join(new)
    assert not closed, "Closed, remove from KNOWN_GAPS:\n" + "\n".join(closed)


def test_allow_lists_name_real_models() -> None:
    """A renamed model must not keep an exemption it no longer needs."""
    labels = {model._meta.label for model in spreekuur_models()}
    assert set(REFERENCE_TABLES) <= labels
    assert {gap.split(":")[0] for gap in KNOWN_GAPS} <= labels


def test_reference_tables_hold_no_patient() -> None:
    """A reference table is copied to every node: none may point at a patient."""
    for label in REFERENCE_TABLES:
        model = apps.get_model(label)
        related = {
            field.related_model._meta.label
            for field in model._meta.concrete_fields
            if field.is_relation
        }
        assert "patients.Patient" not in related, label


def test_patient_data_tables_are_practice_scoped() -> None:
    """Every table that points at a patient carries practice_id itself (or is a named gap)."""
    missing = [
        model._meta.label
        for model in spreekuur_models()
        if any(
            field.is_relation and field.related_model._meta.label == "patients.Patient"
            for field in model._meta.concrete_fields
        )
        and _practice_field(model) is None
        and f"{model._meta.label}: no {DISTRIBUTION_COLUMN} column" not in KNOWN_GAPS
    ]
    assert not missing


# --- the check itself, on tables made up for it -------------------------------------------


@isolate_apps("spreekuur.core")
def test_check_passes_a_table_that_is_ready() -> None:
    class Ready(models.Model):
        practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
        public_id = models.UUIDField()
        bsn = models.CharField(max_length=9)
        code = models.CharField(max_length=9)
        starts = models.IntegerField()

        class Meta:
            app_label = "core"
            unique_together = [("code", "practice")]
            constraints = [
                models.UniqueConstraint(fields=["public_id", "practice"], name="ready_public"),
                models.UniqueConstraint(
                    fields=["practice", "bsn"], condition=models.Q(starts__gt=0), name="ready_bsn"
                ),
                models.UniqueConstraint(
                    F("practice"), models.functions.Lower("code"), name="ready_code"
                ),
                ExclusionConstraint(
                    name="ready_exclusion", expressions=[("practice", "="), ("starts", "=")]
                ),
            ]

    assert distribution_gaps(Ready) == []


@isolate_apps("spreekuur.core")
def test_check_names_every_kind_of_gap() -> None:
    class Child(models.Model):
        parent = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")

        class Meta:
            app_label = "core"

    class Loose(models.Model):
        practice = models.ForeignKey(
            Practice, on_delete=models.PROTECT, null=True, related_name="+"
        )
        public_id = models.UUIDField(unique=True)
        partner = models.OneToOneField(Practice, on_delete=models.PROTECT, related_name="+")
        code = models.CharField(max_length=9)
        bsn = models.CharField(max_length=9)
        starts = models.IntegerField()

        class Meta:
            app_label = "core"
            unique_together = [("code", "bsn")]
            constraints = [
                models.UniqueConstraint(
                    fields=["bsn"], condition=models.Q(starts__gt=0), name="loose_bsn"
                ),
                models.UniqueConstraint(models.functions.Lower("code"), name="loose_code"),
                # practice is in it, but not with "=": shards cannot check it alone.
                ExclusionConstraint(
                    name="loose_exclusion", expressions=[("practice", "<>"), ("starts", "=")]
                ),
            ]

    class OwnKey(models.Model):
        practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
        code = models.CharField(max_length=9, primary_key=True)

        class Meta:
            app_label = "core"

    assert distribution_gaps(Child) == ["core.Child: no practice_id column"]
    assert distribution_gaps(Loose) == [
        "core.Loose: practice_id may be NULL",
        "core.Loose: unique public_id",
        "core.Loose: unique partner",
        "core.Loose: unique_together ('code', 'bsn')",
        "core.Loose: constraint loose_bsn",
        "core.Loose: constraint loose_code",
        "core.Loose: constraint loose_exclusion",
    ]
    assert distribution_gaps(OwnKey) == ["core.OwnKey: primary key code"]


@pytest.mark.parametrize("label", sorted(REFERENCE_TABLES))
def test_reference_tables_have_no_practice_column(label: str) -> None:
    """An exemption is for a table without practice_id; one that has it needs none."""
    assert _practice_field(apps.get_model(label)) is None, label


# --- the production files (deploy/) ---------------------------------------------------------


def test_env_example_lists_every_variable_settings_read() -> None:
    """deploy/spreekuur.env.example names every variable settings.py reads (set or as a
    commented default), so an operator never meets one for the first time in an error."""
    tree = ast.parse(Path(spreekuur.settings.__file__).read_text())
    read = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("env_")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    example = Path(__file__).resolve().parents[1] / "deploy" / "spreekuur.env.example"
    listed = {
        line.lstrip("#").split("=", 1)[0].strip()
        for line in example.read_text().splitlines()
        if "=" in line and not line.startswith("# ")
    }
    assert len(read) > 30  # the parse found the settings' variables at all
    assert not read - listed, sorted(read - listed)
