"""Restore the newest Spreekuur backup into a scratch database and data folder, and drop
them again: the weekly proof that the backups can be restored (spreekuur-restore-test).

    python deploy/restore_test.py /var/backups/spreekuur

Reads the installation's own environment (DATABASE_URL, AUDIT_CHAIN_KEY, ...) and changes
only the database name and SPREEKUUR_DATA_DIR, so the live database and uploads are
never touched. (In production the key comes from the environment; a development set-up
keeps it in its data folder, so there pass AUDIT_CHAIN_KEY explicitly.)
`spreekuur restore` does the checking: every checksum, then the row count
of every table and the audit chain, with the installation's AUDIT_CHAIN_KEY. Exit status
0 only when all of that holds; the scratch database is dropped either way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BIN = Path(sys.executable).parent
SCRATCH = os.environ.get("RESTORE_TEST_DATABASE", "spreekuur_restore_test")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def psql(url: str, sql: str) -> None:
    # The names are ours (RESTORE_TEST_DATABASE), never input from outside.
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True)  # noqa: S603, S607


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/var/backups/spreekuur")
    archives = sorted(folder.glob("spreekuur-backup-*.tar"))
    if not archives:
        print(f"no backup in {folder}", file=sys.stderr)
        return 1
    newest = archives[-1]  # the names sort by date and time
    live = os.environ["DATABASE_URL"]
    if not live.startswith(("postgres://", "postgresql://")):
        print("the restore test is for PostgreSQL installations", file=sys.stderr)
        return 1
    if urlsplit(live).path.lstrip("/") == SCRATCH:
        print("RESTORE_TEST_DATABASE must not be the live database", file=sys.stderr)
        return 1
    maintenance = with_database(live, "postgres")
    psql(maintenance, f'DROP DATABASE IF EXISTS "{SCRATCH}"')
    psql(maintenance, f'CREATE DATABASE "{SCRATCH}"')
    try:
        with tempfile.TemporaryDirectory(prefix="spreekuur-restore-test-") as data:
            env = {**os.environ, "DATABASE_URL": with_database(live, SCRATCH)}
            env["SPREEKUUR_DATA_DIR"] = data
            print(f"restoring {newest.name} into {SCRATCH}", flush=True)
            done = subprocess.run(  # noqa: S603 (our own command)
                [str(BIN / "spreekuur"), "restore", str(newest)], env=env, check=False
            )
            return done.returncode
    finally:
        psql(maintenance, f'DROP DATABASE IF EXISTS "{SCRATCH}"')


if __name__ == "__main__":
    sys.exit(main())
