"""A cursor for the few statements every request sends (the access log's append, the API's
token lookup), which PostgreSQL prepares once per connection instead of planning on
every call.

Django binds parameters on the client and never prepares (its cursors are psycopg
ClientCursors): right for the thousands of statements the ORM writes, but a statement that
runs on every request then costs PostgreSQL its planning each time (0.25 ms for the
token's join, issue 21). Here the statement goes through a server-binding psycopg cursor
on the same connection and transaction, wrapped by Django's cursor wrapper as any other
(so execute_wrapper, query capture in tests and error translation still see it), and
psycopg prepares it at its first execution on that connection (`prepare_threshold` 0:
only these cursors bind on the server, so nothing else is prepared).

A pooler in between must keep the connection per client (PgBouncer in session mode, as
docs/production.md says); `PREPARED_STATEMENTS=false` plans each time again.
SQLite: Django's own cursor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper as BaseCursorDebugWrapper
from django.db.backends.utils import CursorWrapper


@contextmanager
def prepared_cursor(connection: BaseDatabaseWrapper) -> Iterator[Any]:
    """A Django cursor whose statements PostgreSQL prepares once per connection."""
    if connection.vendor != "postgresql" or not settings.PREPARED_STATEMENTS:
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import (  # type: ignore[attr-defined]
        ServerBindingCursor,  # psycopg 3 only, as this project requires
    )

    # What connection.cursor() does first: the health check, then (re)connect.
    connection.validate_thread_sharing()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold != 0:
        raw.prepare_threshold = 0
    with connection.wrap_database_errors:
        server_bound = ServerBindingCursor(raw)
    wrapped = (
        _LoggedCursor(server_bound, connection)
        if connection.queries_logged
        else connection.make_cursor(server_bound)
    )
    with wrapped as cursor:
        yield cursor


class _LoggedCursor(BaseCursorDebugWrapper):
    """Django's debug wrapper (tests, DEBUG), logging the statement as written with its
    parameters apart: the backend rebuilds "the last executed query" from a client-bound
    cursor only, and a prepared one has none to give."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params, use_last_executed_query=False):
            return CursorWrapper.execute(self, sql, params)
