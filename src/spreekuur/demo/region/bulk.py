"""Bulk loading for the region generator (demo/region/).

PostgreSQL gets rows through COPY, loaded as pg_restore loads (`bulk_load`); other
databases (the tests' SQLite) through plain INSERTs of the same rows, each value
prepared by its model field as the ORM would (`write_rows`). Rows are lists of column
values in the order of their table's column names (demo/region/rows.py makes them from
the models' fields); primary keys are handed out before the rows are written
(`reserve_ids`), so that rows can point at each other.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


def copy_rows(table: str, columns: Iterable[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY the rows into the table (PostgreSQL)."""
    with connection.cursor() as cursor:
        names = ", ".join(columns)
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


@contextmanager
def bulk_load(tables: Sequence[str]) -> Iterator[None]:
    """Load as pg_restore does (inside the caller's transaction): the tables' foreign keys,
    unique constraints and other indexes go while the rows come in, and are then made
    again from their own definitions, each index in one sort and each foreign key checked
    in one query instead of row by row (those were four fifths of the time). Primary
    keys, check and exclusion constraints stay: an exclusion constraint made afterwards
    probes its GiST index once per row all the same, after the build, while the writer
    waits (two thirds of the agenda's index time); kept, it does that work as each row
    comes in, while the next rows are being made. If anything fails, the rollback
    restores the schema as well."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])"
            " AND contype IN ('f', 'u')"
            " ORDER BY contype DESC, conname",  # unique before foreign keys
            [list(tables)],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
            " ORDER BY 1",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        # Deferred foreign-key checks of rows written earlier in this transaction would
        # block ALTER TABLE ("pending trigger events"): run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _kind, _definition in reversed(constraints):
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for table, name, kind, definition in constraints:
            if kind == "u":
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, kind, definition in constraints:
            if kind == "f":
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def reserve_ids(model: type[models.Model], count: int, *, after: dict[str, int]) -> list[int]:
    """`count` new primary keys for the model's table: from its sequence on PostgreSQL,
    else counting on from the highest key (`after` remembers where each table is, for
    databases without sequences; one writer at a time, as the generator is)."""
    table = model._meta.db_table
    if count == 0:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
    if table not in after:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 (a model's table)
            after[table] = int(cursor.fetchone()[0])
    first = after[table] + 1
    after[table] += count
    return list(range(first, first + count))


def _fields(model: type[models.Model], columns: Sequence[str]) -> list[models.Field[Any, Any]]:
    by_column = {field.column: field for field in model._meta.concrete_fields}
    return [by_column[column] for column in columns]


def write_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Write the rows into the model's table: COPY on PostgreSQL (the driver adapts the
    Python values; JSON columns are prepared by their field, as the ORM would), INSERT
    elsewhere with every value prepared by its field, as the ORM's bulk_create would (but
    leaving the given creation times alone)."""
    if not rows:
        return
    table = model._meta.db_table
    fields = _fields(model, columns)
    if connection.vendor == "postgresql":
        json_columns = [
            (i, field) for i, field in enumerate(fields) if isinstance(field, models.JSONField)
        ]
        if json_columns:
            # The connection itself, not the proxy that looks it up on every use.
            db = connections[DEFAULT_DB_ALIAS]
            converted = []
            for row in rows:
                values = list(row)
                for i, field in json_columns:
                    values[i] = field.get_db_prep_save(values[i], db)
                converted.append(values)
            rows = converted
        copy_rows(table, columns, rows)
        return
    prepared = [
        [
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row, strict=True)
        ]
        for row in rows
    ]
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608 (a model's table)
            prepared,
        )


def analyse(
    tables: Sequence[str],
    *,
    started: float,
    rows_done: float,
    label: str,
    progress: Callable[[str], None],
) -> float:
    """After a bulk load: planner statistics for the tables just filled (PostgreSQL), and
    the two phases reported. Returns the moment it finished."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
    done = clock.perf_counter()
    progress(
        f"{label}: rijen in {rows_done - started:.1f} s, "
        f"indexen en sleutels in {done - rows_done:.1f} s"
    )
    return done
