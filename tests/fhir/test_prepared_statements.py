"""The statements every API call sends (the token lookup, the access log's chain lock and
append) are prepared once per PostgreSQL connection (core/db.py), and behave as before:
the same answers, the access log's chain still verifies, a new connection prepares them
again, and PREPARED_STATEMENTS=false plans each time."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings

from spreekuur.core.audit import verify_chains
from spreekuur.core.db import prepared_cursor
from spreekuur.core.models import AuditEntry
from tests.conftest import Cast
from tests.fhir.conftest import api, fhir_json

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [row[0] for row in cursor.fetchall()]


def _kinds(statements: list[str]) -> set[str]:
    found = set()
    for sql in statements:
        if "fhir_accesstokenlink" in sql:
            found.add("token")
        if "fhir_connection" in sql:
            found.add("connection")
        if "FROM core_auditchain" in sql and "FOR UPDATE" in sql:
            found.add("chain lock")
        if sql.startswith('WITH added AS (INSERT INTO "core_auditentry"'):
            found.add("append")
    return found


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")


def test_a_read_prepares_its_statements_once_and_answers_as_before(
    cast: Cast, token_a: str
) -> None:
    path = f"Patient/{cast.patient_a.public_id}"
    first = fhir_json(api(token_a, path))
    assert _kinds(_prepared()) == {"token", "connection", "chain lock", "append"}
    count = len(_prepared())
    entries = AuditEntry.objects.count()
    again = fhir_json(api(token_a, path))
    assert (again["id"], again["name"]) == (first["id"], first["name"])
    assert len(_prepared()) == count  # used again, not prepared again
    assert AuditEntry.objects.count() == entries + 1  # the read is logged as always
    checked, breaks = verify_chains(practice=cast.practice_a)
    assert checked > 0 and breaks == []


def test_a_refused_token_is_looked_up_the_same_way(cast: Cast, token_a: str) -> None:
    fhir_json(api(token_a + "x", f"Patient/{cast.patient_a.public_id}"), 401)
    assert "token" in _kinds(_prepared())


@pytest.mark.django_db(transaction=True)  # a connection closed outside a test transaction
def test_a_new_connection_prepares_them_again(cast: Cast, token_a: str) -> None:
    path = f"Patient/{cast.patient_a.public_id}"
    fhir_json(api(token_a, path))
    connection.close()  # what CONN_MAX_AGE or a failed health check does
    assert _prepared() == []
    fhir_json(api(token_a, path))
    assert "token" in _kinds(_prepared())


def test_a_failed_statement_leaves_the_connection_usable(cast: Cast, token_a: str) -> None:
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), prepared_cursor(connection) as c:
        c.execute("SELECT 1 / %s", [0])
    fhir_json(api(token_a, f"Patient/{cast.patient_a.public_id}"))


@pytest.mark.django_db(transaction=True)
@override_settings(PREPARED_STATEMENTS=False)
def test_switched_off_nothing_is_prepared(cast: Cast, token_a: str) -> None:
    connection.close()
    fhir_json(api(token_a, f"Patient/{cast.patient_a.public_id}"))
    assert _prepared() == []
