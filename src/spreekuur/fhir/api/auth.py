"""Who is calling the FHIR API: the access token in the Authorization header (never in
the URL), checked at every call against its app, its patient's connection and the
representation it rests on, so that disconnecting, switching an app off or a child's
16th birthday stops access at once."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connections, transaction
from django.http import HttpRequest

from spreekuur.accounts.models import User
from spreekuur.core.db import prepared_cursor
from spreekuur.core.models import Practice
from spreekuur.fhir.api.errors import FhirError
from spreekuur.fhir.api.rows import Columns
from spreekuur.fhir.models import AccessTokenLink, Connection, FhirApp
from spreekuur.fhir.scopes import GrantedScopes
from spreekuur.patients.models import Patient
from spreekuur.patients.portal import portal_capacity

MAX_TOKEN_LENGTH = 512


class _Statements:
    """What every call needs, in two statements written once (rows.py: compiling the
    ORM's joins on every call was about half of a read's CPU): the token with
    its link, app and practice; then, for a patient app, the connection with the person
    who connected it and the patient with their GP (all a Patient read shows). Not one
    statement: PostgreSQL took 1-3 ms to plan the join of nine tables, 0.25 ms for each
    of these."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model
        from oauth2_provider.models import get_access_token_model

        from spreekuur.accounts.models import Membership

        user_model = get_user_model()
        self.token = Columns(get_access_token_model(), "t")
        self.link = Columns(AccessTokenLink, "l")
        self.app = Columns(FhirApp, "a")
        self.practice = Columns(Practice, "p")
        self.connection = Columns(Connection, "c")
        self.user = Columns(user_model, "u")
        self.patient = Columns(Patient, "pt")
        self.gp = Columns(user_model, "g")
        self.membership = Columns(Membership, "m")
        self._sql: dict[str, tuple[str, str]] = {}

    def sql(self, alias: str) -> tuple[str, str]:
        found = self._sql.get(alias)
        if found is None:
            q = connections[alias].ops.quote_name
            token, link, app, practice = self.token, self.link, self.app, self.practice
            connection, user, patient = self.connection, self.user, self.patient
            gp, membership = self.gp, self.membership

            def table(columns: Columns) -> str:
                return f"{q(columns.model._meta.db_table)} {columns.alias}"

            def key(columns: Columns) -> str:
                return f"{columns.alias}.{q(columns.model._meta.pk.column)}"

            def select(*tables: Columns) -> str:
                return ", ".join(columns.select(q) for columns in tables)

            # Table and column names from the models' metadata, quoted; the values are
            # parameters.
            found = (
                f"SELECT {select(token, link, app, practice)} FROM {table(link)}"  # noqa: S608
                f" INNER JOIN {table(token)} ON {key(token)} = {link.column('access_token', q)}"
                f" INNER JOIN {table(app)} ON {key(app)} = {link.column('app', q)}"
                f" INNER JOIN {table(practice)} ON {key(practice)} = {app.column('practice', q)}"
                f" WHERE {token.column('token_checksum', q)} = %s"
                f" ORDER BY {key(link)} LIMIT 1",
                f"SELECT {select(connection, user, patient, gp, membership)}"  # noqa: S608
                f" FROM {table(connection)}"
                f" INNER JOIN {table(user)} ON {key(user)} = {connection.column('user', q)}"
                f" INNER JOIN {table(patient)}"
                f" ON {key(patient)} = {connection.column('patient', q)}"
                f" LEFT JOIN {table(gp)} ON {key(gp)} = {patient.column('gp', q)}"
                f" LEFT JOIN {table(membership)} ON {membership.column('user', q)} = {key(gp)}"
                f" WHERE {key(connection)} = %s",
            )
            self._sql[alias] = found
        return found

    def token_link(self, checksum: str) -> AccessTokenLink | None:
        """The token's link, with its token, app and the app's practice."""
        db = transaction.get_connection()
        with prepared_cursor(db) as cursor:
            cursor.execute(self.sql(db.alias)[0], [checksum])
            row = cursor.fetchone()
        if row is None:
            return None
        tables = (self.token, self.link, self.app, self.practice)
        token, link, app, practice = _instances(row, tables, db.alias)
        link.access_token = token
        app.practice = practice
        link.app = app
        return link  # type: ignore[no-any-return]

    def connection_of(self, link: AccessTokenLink) -> Connection:
        """The link's connection, with its user and its patient (practice, GP), as the
        ORM's select_related leaves them: nothing of it is fetched again."""
        db = transaction.get_connection()
        with prepared_cursor(db) as cursor:
            cursor.execute(self.sql(db.alias)[1], [link.connection_id])
            row = cursor.fetchone()
        if row is None:  # pragma: no cover - the link's foreign key keeps it there
            raise Connection.DoesNotExist
        tables = (self.connection, self.user, self.patient, self.gp, self.membership)
        connection, user, patient, gp, membership = _instances(row, tables, db.alias)
        practice = link.app.practice
        if patient.practice_id == practice.pk:
            patient.practice = practice
        if gp is not None or patient.gp_id is None:
            patient.gp = gp
        if gp is not None:
            type(gp).membership.related.set_cached_value(gp, membership)
            if membership is not None:
                membership.user = gp
        connection.user = user
        connection.patient = patient
        link.connection = connection
        return connection  # type: ignore[no-any-return]


def _instances(row: Sequence[Any], tables: Sequence[Columns], alias: str) -> list[Any]:
    made = []
    start = 0
    for columns in tables:
        made.append(columns.instance(row, start, alias))
        start += len(columns)
    return made


_statements: _Statements | None = None


def _sql() -> _Statements:
    global _statements
    if _statements is None:
        _statements = _Statements()
    return _statements


@dataclass(frozen=True)
class ApiCaller:
    app: FhirApp
    practice: Practice
    scopes: GrantedScopes
    user: User | None  # the person who connected the app; None for a practice system
    patient: Patient | None  # the patient a patient app was connected for
    capacity: str | None  # "ouder" or "gemachtigde" when the user acts for the patient
    connection: Connection | None

    @property
    def context(self) -> str:
        return "patient" if self.patient is not None else "system"

    def require(self, resource_type: str, interaction: str) -> None:
        if not self.scopes.allows(self.context, resource_type, interaction):
            raise FhirError(
                403,
                "forbidden",
                f"Deze app heeft geen toestemming voor {interaction} op {resource_type}.",
                f"The token's scopes do not allow {interaction} on {resource_type}.",
                headers={
                    "WWW-Authenticate": 'Bearer realm="spreekuur", error="insufficient_scope"'
                },
            )


def _unauthenticated(english: str, dutch: str, error: str = "invalid_token") -> FhirError:
    challenge = 'Bearer realm="spreekuur"'
    if error:
        challenge += f', error="{error}"'
    return FhirError(401, "login", dutch, english, headers={"WWW-Authenticate": challenge})


def authenticate(request: HttpRequest) -> ApiCaller:
    header = request.headers.get("Authorization", "")
    if not header:
        raise _unauthenticated(
            "An access token is required (Authorization: Bearer).",
            "Aanmelden is nodig: stuur een toegangstoken (Authorization: Bearer).",
            error="",
        )
    scheme, _sep, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        raise _unauthenticated(
            "The access token is missing or malformed.", "Het toegangstoken klopt niet."
        )
    checksum = hashlib.sha256(token.encode()).hexdigest()
    link = _sql().token_link(checksum)
    if link is None or link.access_token.is_expired() or not link.app.active:
        raise _unauthenticated(
            "The access token is unknown, expired or revoked.",
            "Het toegangstoken is onbekend, verlopen of ingetrokken.",
        )
    connection = _sql().connection_of(link) if link.connection_id is not None else None
    patient = None
    capacity = None
    if connection is not None:
        if not connection.open:
            raise _unauthenticated(
                "The patient disconnected this app.", "De patiënt heeft deze app ontkoppeld."
            )
        patient = connection.patient
        try:
            capacity = portal_capacity(connection.user, patient)
        except PermissionDenied:
            raise _unauthenticated(
                "The person who connected this app may no longer act for this patient.",
                "Wie deze app koppelde, mag niet meer namens deze patiënt handelen.",
            ) from None
    return ApiCaller(
        app=link.app,
        practice=link.app.practice,
        scopes=GrantedScopes.of(link.access_token.scope.split()),
        # A patient app's token belongs to the person who connected it; a system's to none.
        user=connection.user if connection is not None else None,
        patient=patient,
        capacity=capacity,
        connection=connection,
    )
