"""Region rows come from the models' own fields (demo/region/rows.py): the columns, their
database names and what a row holds where the generator gives nothing."""

from __future__ import annotations

import pytest

from spreekuur.agenda.models import Appointment, AppointmentStatus
from spreekuur.demo.region.rows import Table
from spreekuur.dossier.models import Medication
from spreekuur.results.models import LabResult


def test_a_table_has_every_concrete_column_of_its_model_in_order() -> None:
    table = Table(Appointment)
    fields = Appointment._meta.concrete_fields
    assert table.columns == tuple(field.column for field in fields)
    assert table.attnames == tuple(field.attname for field in fields)
    assert table.index("patient_id") == table.attnames.index("patient_id")


def test_a_row_gets_the_field_defaults_for_what_it_does_not_give() -> None:
    table = Table(Medication)
    row = dict(
        zip(
            table.attnames,
            table.row(
                id=-1,
                public_id="0" * 32,
                practice_id=1,
                patient_id=2,
                created_by_id=3,
                created_at="2026-01-01T10:00:00+01:00",
                name="Metformine 500 mg",
                dosage="2 keer per dag 1 tablet",
                started_on="2025-01-01",
            ),
            strict=True,
        )
    )
    # As Medication() would have them: no default means "" for text, None where nullable.
    assert row["shielded"] is False and row["shielded_by_id"] is None
    assert row["chronic"] is False and row["repeatable"] is False
    assert row["quantity"] == "" and row["ended_on"] is None and row["control_due_on"] is None
    # A callable default is called per row.
    appointments = Table(Appointment)
    first = dict(zip(appointments.attnames, _appointment(appointments), strict=True))
    second = dict(zip(appointments.attnames, _appointment(appointments), strict=True))
    assert first["status"] == AppointmentStatus.BOOKED
    assert first["triage_answers"] == {} and first["triage_answers"] is not second["triage_answers"]


def _appointment(table: Table) -> list[object]:
    return table.row(
        id=-1,
        public_id="0" * 32,
        practice_id=1,
        patient_id=2,
        practitioner_id=3,
        appointment_type_id=4,
        starts_at="2026-01-01T10:00:00+01:00",
        ends_at="2026-01-01T10:10:00+01:00",
        channel="telefoon",
        booked_by_id=5,
        booked_at="2026-01-01T09:00:00+01:00",
        checkin_code="",
    )


def test_a_row_refuses_unknown_columns_and_missing_keys_or_moments() -> None:
    table = Table(Medication)
    with pytest.raises(TypeError, match="no column"):
        table.row(id=-1, created_at="2026-01-01T10:00:00+01:00", colour="blauw")
    with pytest.raises(TypeError, match="must give"):
        table.row(id=-1)  # created_at is the plan's to give (auto_now_add), and the patient
    with pytest.raises(LookupError):
        Table(Medication, {"patient": "patient"})  # refs name columns: patient_id


def test_a_layout_takes_values_in_order_and_leaves_the_key_to_the_database() -> None:
    given = (
        "public_id",
        "message_id",
        "practice_id",
        "patient_id",
        "test_id",
        "observed_at",
        "created_at",
    )
    layout = Table(LabResult).layout(*given)
    with pytest.raises(TypeError, match="must give"):
        Table(LabResult).layout(*given[:-1])  # created_at must be given
    assert "id" not in layout.columns
    assert layout.columns[:2] == ("public_id", "message_id")
    assert set(layout.columns) == {
        field.column for field in LabResult._meta.concrete_fields if field.column != "id"
    }
    row = layout.row("a" * 32, 0, 1, 2, 3, "2026-01-01T10:00:00+01:00", "2026-01-01T16:00:00+01:00")
    assert len(row) == len(layout.columns) and layout.index("message_id") == 1
