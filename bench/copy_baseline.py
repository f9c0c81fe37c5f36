"""The baseline of the region generation: PostgreSQL writing exactly the rows the
generator wrote, into tables with the same indexes and constraints, the fastest way it
has (as pg_restore loads a dump).

1. Before the generator runs (after migrate), `marks` notes which tables hold rows
   already (the migrations' own) and their highest id.
2. After it ran, `measure` reads every table the generator wrote to with COPY TO (binary,
   into temporary files; not timed): all its rows, or for a table that held rows before,
   those with a higher id.
3. Timed, in one transaction: a scratch schema with an empty copy of each of those tables
   (`CREATE TABLE ... (LIKE ... INCLUDING ALL EXCLUDING INDEXES)`: columns, defaults, check
   constraints), the rows COPYed in, then the tables' own primary keys, unique and
   exclusion constraints, indexes and foreign keys made from their definitions (the keys
   pointing at the copies, or at the original table where it was not copied), ANALYZE,
   COMMIT. The scratch schema is dropped afterwards.

The generator does the same work and more: it makes the rows (in Python) and loads its
largest tables the same way (demo/region/bulk.py), the rest through the ORM.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

SCHEMA = "bench_baseline"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Mark:
    rows: int
    highest_id: int | None  # None: no integer id column


@dataclass
class Baseline:
    tables: dict[str, int] = field(default_factory=dict)  # table: rows copied
    rows: int = 0
    dump_seconds: float = 0.0  # COPY TO, not part of the baseline
    rows_seconds: float = 0.0  # schema, empty tables and COPY FROM
    keys_seconds: float = 0.0  # primary keys, unique and exclusion constraints, indexes
    foreign_seconds: float = 0.0  # foreign keys
    analyse_seconds: float = 0.0  # ANALYZE and COMMIT
    constraints: int = 0
    indexes: int = 0
    foreign_keys: int = 0

    @property
    def seconds(self) -> float:
        return self.rows_seconds + self.keys_seconds + self.foreign_seconds + self.analyse_seconds


def scalar(db: psycopg.Connection[Any], query: Any, params: Any = None) -> Any:
    row = db.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def public_tables(db: psycopg.Connection[Any]) -> list[str]:
    rows = db.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1"
    ).fetchall()
    return [row[0] for row in rows]


def has_integer_id(db: psycopg.Connection[Any], table: str) -> bool:
    kind = db.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attname = 'id' AND NOT attisdropped",
        [f"public.{table}"],
    ).fetchone()
    return kind is not None and kind[0] in ("smallint", "integer", "bigint")


def marks(db: psycopg.Connection[Any]) -> dict[str, Mark]:
    """The tables that hold rows before the generator runs: how many, and the highest id."""
    found = {}
    for table in public_tables(db):
        name = sql.Identifier("public", table)
        rows = scalar(db, sql.SQL("SELECT count(*) FROM {}").format(name))
        if rows:
            highest = (
                scalar(db, sql.SQL("SELECT max(id) FROM {}").format(name))
                if has_integer_id(db, table)
                else None
            )
            found[table] = Mark(rows, highest)
    return found


def columns(db: psycopg.Connection[Any], table: str) -> list[str]:
    """The columns COPY writes (generated columns are computed again)."""
    rows = db.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
        [f"public.{table}"],
    ).fetchall()
    return [row[0] for row in rows]


def written(db: psycopg.Connection[Any], before: dict[str, Mark]) -> dict[str, sql.Composable]:
    """Each table the generator wrote to, with the WHERE clause that picks its rows."""
    chosen: dict[str, sql.Composable] = {}
    for table in public_tables(db):
        name = sql.Identifier("public", table)
        mark = before.get(table)
        if mark is None:
            where: sql.Composable = sql.SQL("")
        elif mark.highest_id is not None:
            where = sql.SQL(" WHERE id > {}").format(sql.Literal(mark.highest_id))
        elif scalar(db, sql.SQL("SELECT count(*) FROM {}").format(name)) != mark.rows:
            where = sql.SQL("")  # no id to tell old rows from new: all of them
        else:
            continue
        if scalar(db, sql.SQL("SELECT EXISTS (SELECT 1 FROM {}{})").format(name, where)):
            chosen[table] = where
    return chosen


def definitions(
    db: psycopg.Connection[Any], table: str
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """The table's primary key, unique, exclusion and foreign-key constraints (kind, name,
    definition) and its other indexes (definitions), as the catalogue has them."""
    constraints = db.execute(
        "SELECT contype, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'x', 'f')"
        " ORDER BY position(contype::text in 'puxf'), conname",
        [f"public.{table}"],
    ).fetchall()
    indexes = db.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        " ORDER BY i.indexrelid::regclass::text",
        [f"public.{table}"],
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in constraints], [row[0] for row in indexes]


def measure(url: str, before: dict[str, Mark]) -> Baseline:
    """Dump what the generator wrote, then time writing it again (see the module's text)."""
    result = Baseline()
    with (
        psycopg.connect(url, autocommit=True) as db,
        tempfile.TemporaryDirectory(prefix="spreekuur-bench-copy-") as folder,
    ):
        db.execute("SET search_path = public")
        db.execute("SET statement_timeout = '20min'")  # bounded, as every step of make bench
        chosen = written(db, before)
        # Copied whole: foreign keys of the copies may point at these copies.
        whole = {table for table in chosen if table not in before}
        started = time.perf_counter()
        files, shape = {}, {}
        for table, where in chosen.items():
            names = columns(db, table)
            shape[table] = (names, *definitions(db, table))
            files[table] = Path(folder) / f"{table}.copy"
            listed = sql.SQL(", ").join(sql.Identifier(name) for name in names)
            query = sql.SQL("COPY (SELECT {} FROM {}{}) TO STDOUT (FORMAT binary)").format(
                listed, sql.Identifier("public", table), where
            )
            with files[table].open("wb") as out, db.cursor() as cursor:
                with cursor.copy(query) as copy:
                    for data in copy:
                        out.write(data)
                result.tables[table] = cursor.rowcount
        result.rows = sum(result.tables.values())
        result.dump_seconds = time.perf_counter() - started
        db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCHEMA)))
        try:
            load(db, result, files, shape, whole)
        finally:
            db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCHEMA)))
    return result


def copy_of(table: str) -> sql.Identifier:
    return sql.Identifier(SCHEMA, table)


def pointed_at(definition: str, whole: set[str]) -> str:
    """A foreign key's definition pointing at the copy of the table it references, if that
    table was copied whole, else at the original (search_path is public: unqualified)."""

    def target(found: re.Match[str]) -> str:
        table = found.group(1).strip('"')
        schema = SCHEMA if table in whole else "public"
        return f'REFERENCES "{schema}"."{table}"('

    return re.sub(r'REFERENCES ((?:"[^"]+")|(?:[a-z_][a-z0-9_$]*))\(', target, definition)


def load(
    db: psycopg.Connection[Any],
    result: Baseline,
    files: dict[str, Path],
    shape: dict[str, tuple[list[str], list[tuple[str, str, str]], list[str]]],
    whole: set[str],
) -> None:
    """The timed part: one transaction, as pg_restore --single-transaction loads."""
    started = time.perf_counter()
    with db.transaction():
        db.execute("SET LOCAL maintenance_work_mem = '256MB'")
        db.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
        for table, (names, _constraints, _indexes) in shape.items():
            db.execute(
                sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL EXCLUDING INDEXES)").format(
                    copy_of(table), sql.Identifier("public", table)
                )
            )
            listed = sql.SQL(", ").join(sql.Identifier(name) for name in names)
            query = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
                copy_of(table), listed
            )
            with (
                files[table].open("rb") as source,
                db.cursor() as cursor,
                cursor.copy(query) as copy,
            ):
                while data := source.read(CHUNK):
                    copy.write(data)
        rows_done = time.perf_counter()
        for table, (_names, constraints, indexes) in shape.items():
            for kind, name, definition in constraints:
                if kind != "f":
                    db.execute(add_constraint(table, name, definition))
                    result.constraints += 1
            for definition in indexes:
                moved = definition.replace(f" ON public.{table} ", f' ON "{SCHEMA}"."{table}" ', 1)
                if moved == definition:
                    raise RuntimeError(f"cannot place this index on the copy: {definition}")
                db.execute(sql.SQL(moved))  # type: ignore[arg-type]
                result.indexes += 1
        keys_done = time.perf_counter()
        for table, (_names, constraints, _indexes) in shape.items():
            for kind, name, definition in constraints:
                if kind == "f":
                    db.execute(add_constraint(table, name, pointed_at(definition, whole)))
                    result.foreign_keys += 1
        foreign_done = time.perf_counter()
        db.execute(sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(map(copy_of, shape))))
    done = time.perf_counter()
    result.rows_seconds = rows_done - started
    result.keys_seconds = keys_done - rows_done
    result.foreign_seconds = foreign_done - keys_done
    result.analyse_seconds = done - foreign_done


def add_constraint(table: str, name: str, definition: str) -> sql.Composable:
    return sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
        copy_of(table), sql.Identifier(name), sql.SQL(definition)
    )


def describe(base: Baseline) -> str:
    largest = sorted(base.tables.items(), key=lambda item: -item[1])[:6]
    return (
        f"The baseline, same run: the {base.rows:,} rows of the {len(base.tables)} tables "
        "the generator wrote to (for a table the migrations had filled, the rows it added), "
        "read out with COPY TO (binary, into temporary files, "
        f"{base.dump_seconds:.1f} s, not timed), then in one transaction COPYed into empty "
        "copies of those tables in a scratch schema (`LIKE ... INCLUDING ALL EXCLUDING "
        f"INDEXES`) in {base.rows_seconds:.1f} s, their {base.constraints} primary keys, "
        f"unique and exclusion constraints and {base.indexes} other indexes made from the "
        f"tables' own definitions in {base.keys_seconds:.1f} s, their {base.foreign_keys} "
        f"foreign keys in {base.foreign_seconds:.1f} s, ANALYZE and COMMIT in "
        f"{base.analyse_seconds:.1f} s. Largest: "
        + ", ".join(f"{table} {rows:,}" for table, rows in largest)
        + "."
    )
