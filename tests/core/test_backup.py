"""`spreekuur backup` and `spreekuur restore`: a round trip gives back every row, every
stored file and an intact audit chain; a damaged or foreign archive changes nothing.

These tests commit for real (pg_dump reads from its own connection), so they run on
whichever database the suite runs on: SQLite by default, PostgreSQL in CI."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from spreekuur.core.audit import verify_chains
from spreekuur.core.backup import BackupError, create_backup, restore_backup
from spreekuur.core.models import AuditEntry, Practice
from spreekuur.econsult import services as econsult_services
from spreekuur.econsult.models import Photo, Thread
from spreekuur.results.models import LabResult
from spreekuur.results.services import receive_lab_message
from spreekuur.results.table import load_test_table
from tests.conftest import Cast, verified_client
from tests.econsult.conftest import image_bytes, no_flags, upload
from tests.factories import PracticeFactory
from tests.results.conftest import HBA1C_HIGH, oru

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _test_table(transactional_db: None) -> None:
    """A transactional test empties every table when it ends, the test table included."""
    load_test_table()


def _fill(cast: Cast) -> Photo:
    """A question with two photos, a lab result and the audit entries that come with them."""
    content = image_bytes()
    econsult_services.ask_question(
        patient=cast.patient_a,
        category="huid",
        body="Een plek op de arm",
        triage_answers=no_flags(cast),
        consent=True,
        photos=[(upload(content), len(content)), (upload(image_bytes(size=(320, 200))), 1)],
        by=cast.patient_user_a,
    )
    receive_lab_message(
        practice=cast.practice_a, door="hl7v2", raw=oru(cast.patient_a, HBA1C_HIGH), source="t"
    )
    verified_client(cast.gp_a).get(reverse("patients:detail", args=[cast.patient_a.public_id]))
    return Photo.objects.order_by("id").first()  # type: ignore[return-value]


def _state() -> dict[str, object]:
    """What must come back: rows per table and the bytes of every stored file."""
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        rows = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows[table] = cursor.fetchone()[0]
    files = {}
    for photo in Photo.objects.all():
        with default_storage.open(photo.stored_name, "rb") as handle:
            files[photo.stored_name] = handle.read()
    audit = list(
        AuditEntry.objects.order_by("practice_id", "lane", "seq").values_list("entry_hash")
    )
    return {"rows": rows, "files": files, "audit": audit}


def test_round_trip_brings_back_rows_files_and_the_audit_chain(cast: Cast, tmp_path: Path) -> None:
    photo = _fill(cast)
    before = _state()
    assert len(before["files"]) == 2 and LabResult.objects.count() == 1  # type: ignore[arg-type]
    archive = tmp_path / "backup.tar"

    made = create_backup(archive)
    assert made.files == 2 and made.rows == sum(before["rows"].values())  # type: ignore[attr-defined]
    assert archive.stat().st_mode & 0o077 == 0  # readable by its owner only

    # Life goes on after the backup: a practice is added, a photo is lost, one is damaged.
    PracticeFactory(slug="na-de-backup")
    verified_client(cast.gp_a).get(reverse("patients:detail", args=[cast.patient_a.public_id]))
    names = sorted(before["files"])  # type: ignore[arg-type]
    default_storage.delete(names[0])
    with default_storage.open(names[1], "wb") as handle:
        handle.write(b"kapot")

    with pytest.raises(BackupError, match="bevat al gegevens"):
        restore_backup(archive)
    summary = restore_backup(archive, replace=True)

    assert _state() == before
    assert not Practice.objects.filter(slug="na-de-backup").exists()
    assert summary.files_written == 2 and summary.files_unchanged == 0
    assert summary.audit_entries_checked == len(before["audit"])  # type: ignore[arg-type]
    assert verify_chains()[1] == []
    # The restored database works: the photo is served again, and this read is logged on.
    response = verified_client(cast.gp_a).get(reverse("econsult:photo", args=[photo.public_id]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == before["files"][photo.stored_name]  # type: ignore[index]
    assert verify_chains()[1] == []


def test_restoring_the_same_backup_twice_rewrites_nothing(cast: Cast, tmp_path: Path) -> None:
    _fill(cast)
    archive = tmp_path / "backup.tar"
    create_backup(archive)
    restore_backup(archive, replace=True)
    again = restore_backup(archive, replace=True)
    assert again.files_written == 0 and again.files_unchanged == 2


def test_commands_report_in_dutch(cast: Cast, tmp_path: Path) -> None:
    _fill(cast)
    archive = tmp_path / "nacht.tar"
    out = io.StringIO()
    call_command("backup", "--output", str(archive), stdout=out)
    assert "Backup geschreven" in out.getvalue() and "2 bestanden" in out.getvalue()
    with pytest.raises(CommandError, match="--replace"):
        call_command("restore", str(archive), stdout=io.StringIO())
    out = io.StringIO()
    call_command("restore", str(archive), "--replace", stdout=out)
    assert "auditketen intact" in out.getvalue()


def test_no_key_and_no_partial_file_in_the_archive(cast: Cast, tmp_path: Path, settings) -> None:
    _fill(cast)
    archive = tmp_path / "backup.tar"
    create_backup(archive)
    raw = archive.read_bytes()
    assert settings.SECRET_KEY.encode() not in raw
    assert settings.AUDIT_CHAIN_KEY.encode() not in raw
    assert not list(tmp_path.glob("*.partial"))
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"][Thread._meta.db_table] == 1


def _rewrite(archive: Path, target: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Copy an archive member by member, letting `change` alter or add members."""
    with tarfile.open(archive) as source, tarfile.open(target, "w") as out:
        members = [(m, source.extractfile(m).read()) for m in source.getmembers()]  # type: ignore[union-attr]
        for info, body in change(members):
            info.size = len(body)
            out.addfile(info, io.BytesIO(body))


def test_damaged_archive_is_refused_before_anything_changes(cast: Cast, tmp_path: Path) -> None:
    _fill(cast)
    archive = tmp_path / "backup.tar"
    create_backup(archive)
    PracticeFactory(slug="blijft-staan")
    photo_name = Photo.objects.order_by("id").first().stored_name  # type: ignore[union-attr]
    original = default_storage.open(photo_name, "rb").read()

    def flip_a_byte(members):  # type: ignore[no-untyped-def]
        for info, body in members:
            if info.name.startswith("files/"):
                body = body[:-20] + bytes([body[-20] ^ 0xFF]) + body[-19:]
            yield info, body

    def smuggle(members):  # type: ignore[no-untyped-def]
        yield from members
        yield tarfile.TarInfo("../../etc/cron.d/x"), b"* * * * * root true\n"

    def other_engine(members):  # type: ignore[no-untyped-def]
        for info, body in members:
            if info.name == "manifest.json":
                manifest = json.loads(body)
                manifest["engine"] = "sqlite" if connection.vendor == "postgresql" else "postgresql"
                body = json.dumps(manifest).encode()
            yield info, body

    def newer_version(members):  # type: ignore[no-untyped-def]
        for info, body in members:
            if info.name == "manifest.json":
                manifest = json.loads(body)
                manifest["migrations"].append("core.9999_from_the_future")
                body = json.dumps(manifest).encode()
            yield info, body

    def other_chain_key(members):  # type: ignore[no-untyped-def]
        for info, body in members:
            if info.name == "manifest.json":
                manifest = json.loads(body)
                manifest["audit_chain_key"] = "0" * 64
                body = json.dumps(manifest).encode()
            yield info, body

    cases = [
        (other_chain_key, "andere AUDIT_CHAIN_KEY"),
        (flip_a_byte, "Controlegetal klopt niet"),
        (smuggle, "onvolledig of aangevuld"),
        (other_engine, "kan niet in"),
        (newer_version, "nieuwere versie"),
    ]
    for change, message in cases:
        bad = tmp_path / f"{change.__name__}.tar"
        _rewrite(archive, bad, change)
        with pytest.raises(BackupError, match=message):
            restore_backup(bad, replace=True)
    not_a_backup = tmp_path / "foto.tar"
    not_a_backup.write_bytes(b"\xff\xd8\xff" + b"\x00" * 600)
    with pytest.raises(BackupError, match="geen leesbare backup"):
        restore_backup(not_a_backup, replace=True)

    assert Practice.objects.filter(slug="blijft-staan").exists()
    assert default_storage.open(photo_name, "rb").read() == original
