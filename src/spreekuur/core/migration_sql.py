"""Raw SQL for a migration that differs per database (triggers, for instance)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import migrations


def sql_per_vendor(
    *,
    postgresql: tuple[str, str],
    sqlite: tuple[Sequence[str], Sequence[str]],
) -> migrations.RunPython:
    """Run (forward, backward) SQL for PostgreSQL as one script and for SQLite statement by
    statement (its driver runs one at a time); other databases get nothing."""

    def run(schema_editor: object, backward: bool) -> None:
        vendor = schema_editor.connection.vendor  # type: ignore[attr-defined]
        if vendor == "postgresql":
            schema_editor.execute(postgresql[backward], None)  # type: ignore[attr-defined]
        elif vendor == "sqlite":
            for statement in sqlite[backward]:
                schema_editor.execute(statement)  # type: ignore[attr-defined]

    return migrations.RunPython(
        lambda apps, schema_editor: run(schema_editor, False),
        lambda apps, schema_editor: run(schema_editor, True),
    )
