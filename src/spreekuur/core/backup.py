"""Backup and restore: the database and the stored files in one archive, checked on the way back.

An archive is a plain tar file (its biggest parts, a PostgreSQL dump and JPEG photos, are
already compressed):

- ``manifest.json``: format, time, database engine, applied migrations, rows per table, the
  head of every audit chain, and the SHA-256 and size of every other member;
- ``database.pgdump`` (``pg_dump`` custom format) or ``database.sqlite3`` (SQLite's online
  backup API, consistent while the server runs);
- ``files/<name>``: every file in the default storage (e-consult photos, ...).

The row counts and chain heads come from the very snapshot that is dumped, so a restore can
prove it got back exactly what was saved. Keys (``SECRET_KEY``, ``AUDIT_CHAIN_KEY``) are never
in an archive: they are kept apart, or a stolen backup would carry the means to forge the
audit chain.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from spreekuur.core.audit import chain_key_fingerprint, verify_chains
from spreekuur.core.models import AuditChain, AuditEntry, Practice

FORMAT = "spreekuur-backup/1"
MANIFEST = "manifest.json"
FILES_PREFIX = "files/"
CHUNK = 1024 * 1024
SUBPROCESS_TIMEOUT = 6 * 3600  # a regional database dumps in minutes; never hang forever

Progress = Callable[[str], None]


class BackupError(Exception):
    """Something the operator must act on, said in Dutch."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    tables: int
    rows: int
    files: int
    bytes: int


@dataclass
class RestoreSummary:
    tables: int = 0
    rows: int = 0
    files_written: int = 0
    files_unchanged: int = 0
    files_not_in_backup: int = 0
    audit_entries_checked: int = 0
    migrations_behind: list[str] = field(default_factory=list)


# --- the database ---------------------------------------------------------------------------


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"Backup van een {vendor}-database wordt niet ondersteund.")
    return vendor


def _pg_environment() -> dict[str, str]:
    """libpq's variables for pg_dump and psql: the password never appears in a command line."""
    settings = connection.settings_dict
    env = {**os.environ, "PGDATABASE": settings["NAME"], "PGCONNECT_TIMEOUT": "10"}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if settings.get(key):
            env[variable] = str(settings[key])
    return env


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is niet gevonden; installeer de PostgreSQL-clientprogramma's "
            "(Debian: postgresql-client) in dezelfde versie als de server of nieuwer."
        )
    return path


def _run(command: list[str], *, env: dict[str, str] | None = None, **kwargs: Any) -> None:
    """Run a PostgreSQL client program; the arguments are ours, never user input."""
    try:
        subprocess.run(  # noqa: S603
            [_program(command[0]), *command[1:]],
            env=env,
            check=True,
            capture_output=True,
            timeout=SUBPROCESS_TIMEOUT,
            **kwargs,
        )
    except subprocess.CalledProcessError as error:
        # stderr of pg_dump/psql names objects, never row contents
        detail = error.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise BackupError(f"{command[0]} is mislukt: {detail[0]}") from error


def _table_rows(cursor: Any, tables: list[str], quote: Callable[[str], str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (names from catalog)
        counts[table] = cursor.fetchone()[0]
    return counts


def _chain_heads(cursor: Any) -> dict[str, list[Any]]:
    table = connection.ops.quote_name(AuditChain._meta.db_table)
    cursor.execute(f"SELECT scope, last_seq, last_hash FROM {table}")  # noqa: S608
    return {scope: [seq, head] for scope, seq, head in cursor.fetchall()}


def _dump_postgresql(target: Path) -> dict[str, Any]:
    """Count and dump one snapshot: a REPEATABLE READ transaction exports it to pg_dump."""
    snapshot_connection = connections.create_connection("default")
    try:
        snapshot_connection.ensure_connection()
        with snapshot_connection.connection.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            cursor.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
            tables = [row[0] for row in cursor.fetchall()]
            counts = _table_rows(cursor, tables, snapshot_connection.ops.quote_name)
            heads = _chain_heads(cursor)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ],
                env=_pg_environment(),
            )
            cursor.execute("COMMIT")
    finally:
        snapshot_connection.close()
    return {"tables": counts, "audit_chains": heads}


def _sqlite_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return [row[0] for row in cursor.fetchall()]


def _dump_sqlite(target: Path) -> dict[str, Any]:
    """SQLite's backup API copies a consistent database while others keep writing."""
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        cursor = copy.cursor()
        counts = _table_rows(cursor, _sqlite_tables(cursor), connection.ops.quote_name)
        heads = _chain_heads(cursor)
    finally:
        copy.close()
    return {"tables": counts, "audit_chains": heads}


def _applied_migrations() -> list[str]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.applied_migrations)


def _chain_key_fingerprint() -> str:
    """Tells whether two installations share AUDIT_CHAIN_KEY without revealing it, so a
    restore with the wrong key is refused before anything changes."""
    return chain_key_fingerprint(b"spreekuur-backup: audit chain key")


# --- the archive ----------------------------------------------------------------------------


class _HashingReader:
    """Reads through a file object while hashing what passes; tarfile pulls the bytes."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        return chunk


def _stored_files(storage: Storage, folder: str = "") -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # no upload has ever been stored
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from _stored_files(storage, f"{folder}/{sub}" if folder else sub)


def _add_member(archive: tarfile.TarFile, name: str, handle: IO[bytes], size: int) -> str:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    reader = _HashingReader(handle)
    archive.addfile(info, reader)
    return reader.digest.hexdigest()


def create_backup(destination: Path, *, progress: Progress = lambda message: None) -> BackupSummary:
    """Write the archive to ``destination`` (atomically: a partial file is never left under
    that name) and return what it holds."""
    engine = _engine()
    destination = destination.resolve()
    destination.parent.mkdir(parents=True, exist_ok=True)
    members: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="spreekuur-backup-") as work:
        dump = Path(work) / ("database.pgdump" if engine == "postgresql" else "database.sqlite3")
        progress("database kopiëren …")
        snapshot = _dump_postgresql(dump) if engine == "postgresql" else _dump_sqlite(dump)
        partial = destination.with_name(destination.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
                with dump.open("rb") as handle:
                    size = dump.stat().st_size
                    members[dump.name] = {"sha256": _add_member(tar, dump.name, handle, size)}
                    members[dump.name]["size"] = size
                progress("bestanden kopiëren …")
                for count, name in enumerate(_stored_files(default_storage), start=1):
                    size = default_storage.size(name)
                    with default_storage.open(name, "rb") as handle:
                        digest = _add_member(tar, FILES_PREFIX + name, handle, size)
                    members[FILES_PREFIX + name] = {"sha256": digest, "size": size}
                    if count % 500 == 0:
                        progress(f"{count} bestanden gekopieerd")
                manifest = {
                    "format": FORMAT,
                    "created_at": datetime.now(UTC).isoformat(),
                    "engine": engine,
                    "migrations": _applied_migrations(),
                    "audit_chain_key": _chain_key_fingerprint(),
                    **snapshot,
                    "members": members,
                }
                body = json.dumps(manifest, indent=1, sort_keys=True).encode()
                _add_member(tar, MANIFEST, io.BytesIO(body), len(body))
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, destination)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    files = sum(1 for name in members if name.startswith(FILES_PREFIX))
    progress(f"klaar: {destination}")
    return BackupSummary(
        path=destination,
        tables=len(snapshot["tables"]),
        rows=sum(snapshot["tables"].values()),
        files=files,
        bytes=destination.stat().st_size,
    )


# --- restore --------------------------------------------------------------------------------


def _member(archive: tarfile.TarFile, member: str | tarfile.TarInfo) -> IO[bytes]:
    try:
        handle = archive.extractfile(member)
    except KeyError as error:
        raise BackupError(f"De backup mist {member!r}.") from error
    if handle is None:
        raise BackupError(f"Ongeldig onderdeel in de backup: {member!r}.")
    return handle


def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    if MANIFEST not in archive.getnames():
        raise BackupError("Dit is geen Spreekuur-backup: manifest.json ontbreekt.")
    manifest: dict[str, Any] = json.loads(_member(archive, MANIFEST).read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Onbekend backupformaat: {manifest.get('format')!r}.")
    return manifest


def _check_members(archive: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    """Every member is what the manifest says, before anything is changed."""
    listed = set(manifest["members"])
    present = {member.name for member in archive.getmembers()} - {MANIFEST}
    if listed != present:
        missing = sorted(listed - present)[:3]
        extra = sorted(present - listed)[:3]
        raise BackupError(
            f"De backup is onvolledig of aangevuld (ontbreekt: {missing}, extra: {extra})."
        )
    for member in archive.getmembers():
        if member.name == MANIFEST:
            continue
        if not member.isfile() or member.name.startswith("/") or ".." in member.name.split("/"):
            raise BackupError(f"Ongeldig onderdeel in de backup: {member.name!r}.")
        handle = _member(archive, member)
        digest = hashlib.sha256()
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
        if digest.hexdigest() != manifest["members"][member.name]["sha256"]:
            raise BackupError(f"Controlegetal klopt niet voor {member.name!r}: backup beschadigd.")


def _database_holds_data() -> bool:
    tables = set(connection.introspection.table_names())
    return any(
        model._meta.db_table in tables and model.objects.exists()
        for model in (Practice, AuditEntry)
    )


def _check_migrations(manifest: dict[str, Any]) -> list[str]:
    """Refuse a backup from a newer version; return the migrations it lacks (run migrate)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations}
    in_backup = set(manifest["migrations"])
    unknown = sorted(in_backup - known)
    if unknown:
        raise BackupError(
            "Deze backup komt van een nieuwere versie van Spreekuur "
            f"(onbekende migraties: {', '.join(unknown[:3])}). Installeer eerst die versie."
        )
    return sorted(known - in_backup)


def _restore_files(
    archive: tarfile.TarFile, manifest: dict[str, Any], summary: RestoreSummary
) -> None:
    """Write each file unless the same bytes are there already; keep files not in the backup
    (they harm nothing, and a restore never deletes what it did not bring)."""
    in_backup = {
        name[len(FILES_PREFIX) :] for name in manifest["members"] if name.startswith(FILES_PREFIX)
    }
    for name in sorted(in_backup):
        expected = manifest["members"][FILES_PREFIX + name]["sha256"]
        if default_storage.exists(name):
            digest = hashlib.sha256()
            with default_storage.open(name, "rb") as current:
                while chunk := current.read(CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() == expected:
                summary.files_unchanged += 1
                continue
            default_storage.delete(name)
        handle = _member(archive, FILES_PREFIX + name)
        saved = default_storage.save(name, File(handle, name=name))
        if saved != name:
            raise BackupError(f"Bestand {name!r} kon niet onder zijn eigen naam terug.")
        summary.files_written += 1
    summary.files_not_in_backup = sum(
        1 for name in _stored_files(default_storage) if name not in in_backup
    )


@contextmanager
def _extracted(archive: tarfile.TarFile, member: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="spreekuur-restore-") as work:
        handle = _member(archive, member)
        path = Path(work) / Path(member).name
        with path.open("wb") as out:
            shutil.copyfileobj(handle, out, CHUNK)
        yield path


def _restore_postgresql(dump: Path) -> None:
    """Replace the schema in one transaction: on any error the old database stays as it was.
    A running server holds locks; the lock timeout turns a wait into a clear refusal."""
    env = _pg_environment()
    pg_restore = _program("pg_restore")
    connection.close()  # our own idle connection must not hold the schema
    with tempfile.TemporaryFile() as errors:
        script = subprocess.Popen(  # noqa: S603 (our arguments)
            [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        _pipe_into_psql(script, env)
        errors.seek(0)
        detail = errors.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
    if script.returncode != 0:
        raise BackupError(f"pg_restore is mislukt ({detail[0]}); de database is niet gewijzigd.")


def _pipe_into_psql(script: subprocess.Popen[bytes], env: dict[str, str]) -> None:
    try:
        _run(
            [
                "psql",
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--command=SET lock_timeout = '15s'",
                "--command=DROP SCHEMA IF EXISTS public CASCADE",
                "--command=CREATE SCHEMA public",
                "--file=-",
            ],
            env=env,
            stdin=script.stdout,
        )
    except BackupError as error:
        if "lock timeout" in str(error):
            raise BackupError(
                "De database is in gebruik: stop eerst de webserver en de worker."
            ) from error
        raise
    finally:
        if script.stdout is not None:
            script.stdout.close()
        script.wait(timeout=60)


def _restore_sqlite(copy: Path) -> None:
    """The backup API writes the copy into the live database as one unit (it takes the lock)."""
    connection.ensure_connection()
    source = sqlite3.connect(copy)
    try:
        source.backup(connection.connection)
    except sqlite3.OperationalError as error:
        raise BackupError(
            "De database is in gebruik: stop eerst de webserver en de worker."
        ) from error
    finally:
        source.close()


def _verify_restored(manifest: dict[str, Any], summary: RestoreSummary) -> None:
    """What is in the database now must be exactly what was saved, and the chain must hold."""
    expected: dict[str, int] = manifest["tables"]
    with connection.cursor() as cursor:
        counts = _table_rows(cursor, list(expected), connection.ops.quote_name)
        heads = _chain_heads(cursor)
    wrong = [table for table in expected if counts[table] != expected[table]]
    if wrong:
        raise BackupError(f"Na het terugzetten klopt het aantal rijen niet in: {wrong[:5]}.")
    if heads != manifest["audit_chains"]:
        raise BackupError("Na het terugzetten wijkt het begin van de auditketens af.")
    checked, breaks = verify_chains()
    if breaks:
        raise BackupError(
            f"De auditketen is gebroken na het terugzetten ({len(breaks)} keten(s)); "
            "is AUDIT_CHAIN_KEY dezelfde als bij het maken van de backup?"
        )
    summary.tables = len(expected)
    summary.rows = sum(expected.values())
    summary.audit_entries_checked = checked


@contextmanager
def _open_archive(source: Path) -> Iterator[tarfile.TarFile]:
    try:
        archive = tarfile.open(source, mode="r:")  # noqa: SIM115 (closed below)
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"{source} is geen leesbare backup.") from error
    with archive:
        yield archive


def restore_backup(
    source: Path, *, replace: bool = False, progress: Progress = lambda message: None
) -> RestoreSummary:
    """Check the whole archive, then put files and database back and prove the result."""
    engine = _engine()
    summary = RestoreSummary()
    with _open_archive(source) as archive:
        manifest = read_manifest(archive)
        if manifest["engine"] != engine:
            raise BackupError(
                f"Deze backup is van een {manifest['engine']}-database en kan niet in "
                f"{engine} worden teruggezet."
            )
        if not hmac.compare_digest(manifest["audit_chain_key"], _chain_key_fingerprint()):
            raise BackupError(
                "Deze backup is gemaakt met een andere AUDIT_CHAIN_KEY: zet eerst de sleutel "
                "van die installatie terug, anders is de auditketen niet te controleren."
            )
        summary.migrations_behind = _check_migrations(manifest)
        progress("backup controleren …")
        _check_members(archive, manifest)
        if _database_holds_data() and not replace:
            raise BackupError(
                "De database bevat al gegevens. Gebruik --replace om die te vervangen "
                "(maak er eerst een backup van)."
            )
        progress("bestanden terugzetten …")
        _restore_files(archive, manifest, summary)
        progress("database terugzetten …")
        dump_name = "database.pgdump" if engine == "postgresql" else "database.sqlite3"
        with _extracted(archive, dump_name) as dump:
            if engine == "postgresql":
                _restore_postgresql(dump)
            else:
                _restore_sqlite(dump)
    progress("controleren: rijen, auditketen …")
    _verify_restored(manifest, summary)
    return summary
