"""The patient's own view of the access log is the practice's log seen through the
screens the apps declare (core.registry.PatientLogScreen): an entry about something the
patient may not see now (a shielded row, a result not released, an internal note) is
"screened". Decided in SQL when the log is read, so a page is always full and an entry
shows plainly again once what it names is released or unshielded.

Once released, every earlier entry shows as written (with the patient's labels): when
the result came in, who looked at it before it went online. That is what NEN 7513 gives
the patient (who accessed their data, and when); the only reason to screen was that the
data's existence was not theirs to see yet, and release ends that."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BooleanField,
    Case,
    F,
    Func,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.db.models.sql.compiler import SQLCompiler

from spreekuur.core.contributions import declared
from spreekuur.core.models import AuditEntry
from spreekuur.core.registry import PatientLogScreen
from spreekuur.patients.models import Patient

_NOTHING = Q(pk__in=[])


class NamesAnyOf(Func):
    """True when a JSON list of ids (AuditEntry.object_ids) holds one of the ids a
    subquery gives. The subquery is not correlated, so the database reads it once per
    query, not once per entry."""

    arity = 2
    output_field = BooleanField()

    def __init__(self, ids: str, public_ids: QuerySet[Any]) -> None:
        # The ids as text, as the log writes them: hyphenated on PostgreSQL (uuid::text);
        # SQLite stores a UUID as 32 hex digits, so there the log's hyphens are dropped.
        as_text = public_ids.annotate(named_id=Cast("public_id", TextField()))
        super().__init__(F(ids), Subquery(as_text.order_by().values("named_id")))

    def as_sql(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotSupportedError("The patient's log is screened on PostgreSQL and SQLite only.")

    def _parts(self, compiler: SQLCompiler) -> tuple[str, str, list[Any]]:
        """The ids column, the subquery "(SELECT …)", and their parameters."""
        ids, subquery = self.get_source_expressions()
        ids_sql, ids_params = compiler.compile(ids)
        sub_sql, sub_params = compiler.compile(subquery)
        return ids_sql, sub_sql, [*ids_params, *sub_params]

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        ids_sql, sub_sql, params = self._parts(compiler)
        return f"({ids_sql} ?| ARRAY{sub_sql})", params

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        ids_sql, sub_sql, params = self._parts(compiler)
        # Compiled SQL of a column and a subquery; every value stays a parameter.
        each = f"json_each({ids_sql}) AS named"
        sql = f"EXISTS (SELECT 1 FROM {each} WHERE REPLACE(named.value, '-', '') IN {sub_sql})"  # noqa: S608
        return sql, params


def patient_log_screens() -> tuple[PatientLogScreen, ...]:
    """What each installed app keeps out of a patient's own access log, from its
    AppConfig's `patient_log_screens()` (a separate method: only this log asks for it)."""
    return tuple(screen for screens in declared("patient_log_screens") for screen in screens)


def _screened_condition(patient: Patient) -> Q:
    condition = _NOTHING
    for screen in patient_log_screens():
        about = _NOTHING
        if screen.hidden_objects is not None:
            about |= Q(NamesAnyOf("object_ids", screen.hidden_objects(patient)))
        if screen.staff_only_details:
            about |= Q(detail__in=sorted(screen.staff_only_details))
        condition |= Q(object_kind=screen.object_kind) & about
    return condition


def screened(patient: Patient) -> Case:
    """True for an entry of the patient's that names what they may not see now (never
    NULL, so it can be filtered on safely)."""
    return Case(
        When(_screened_condition(patient), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


# Screened entries that no person wrote are left out: nobody looked, and who wrote it
# (a lab's name) would itself tell what came in.
SHOWN = Q(actor__isnull=False) | Q(screened=False)


def audit_entries_about(patient: Patient) -> QuerySet[AuditEntry]:
    """What a patient may see of their own log: every access to their record, each
    marked `screened` where it names what they may not see now (below), and
    without the screened ones that no person wrote. One query per page, however many
    entries are screened: the filter is SQL, so a page is never short."""
    return (
        AuditEntry.objects.filter(patient=patient, practice_id=patient.practice_id)
        .annotate(screened=screened(patient))
        .filter(SHOWN)
        .select_related("actor", "acting_for")
        .order_by("-occurred_at", "-id")
    )
