"""FHIR API benchmark: what a PGO or a practice system gets from /fhir/R4/ on the region.

What is measured, and why (the issue: Patient read at least 350 requests/s, Observation
search p95 at most 200 ms, booking through the API with the portal storm's invariants,
each against the same queries run bare through psycopg in the same run):

A. Tokens, the way apps get them (not timed): a patient app ("Bench-PGO") and a practice
   system ("Bench-systeem") registered in each of the first READ_PRACTICES region
   practices and in the booking storm's practice (`fhir.services.register_app`); every
   simulated patient gets a portal account and a verified session (as bench/booking.py
   makes them), says yes on the consent screen (`/oauth/authorize/`, PKCE S256) and the
   app exchanges the code at `/oauth/token/`, in a child process with Django's test
   client; the systems sign in with client credentials.
B. Patient read: READ_CLIENTS concurrent clients (plain asyncio streams, one connection per
   request) GET `/fhir/R4/Patient/<id>` READS times, round robin over READ_PATIENTS
   patients' own tokens, against gunicorn (the booking bench's workers); requests/s and
   latency. Before it, /healthz at the same concurrency: what this load generator and
   gunicorn reach at all on the machine.
C. Observation search, `_count=50`, for the SEARCH_PATIENTS patients with the most lab
   results online in those practices: with each patient's own token
   (`Observation?_count=50`) and with the system token (`Observation?patient=<id>&_count=50`),
   SEARCH_CLIENTS concurrent clients, SEARCHES requests each.
D. Booking through the API: the portal storm of bench/booking.py (same practice, same
   CLIENTS patients on SLOTS released slots, pairs wanting the same slot, STORM_ROUNDS
   rounds), but each patient's app POSTs `/fhir/R4/Appointment` with the red-flag answers
   (all "no") contained; a 409 is retried once with a free Slot from `Slot?service-type=`.
   Afterwards booking.py's five double-booking checks, and the 201s must equal the
   bookings in the database; never a 5xx.
E. Baselines, same run, gunicorn stopped. For B and C, in a child process with Django:
   each request once more through Django's test client with its statements captured
   (`connection.execute_wrapper`: SQL, parameters, transaction), then the same statements
   replayed through psycopg (client-side binding and the adapters Django uses, and the
   statements core/db.py prepares prepared once per connection, as the app does; the rows
   fetched) over as many connections as gunicorn has workers, the same number of times.
   The audit entry goes to scratch copies of the audit tables (empty, same indexes; the
   real chain is HMAC-keyed and append-only), with a fresh id, sequence number and hash
   per replay.
   For D, booking.py's bare booking transaction with the app's locks (`sql_baseline`).
   The captured requests also give the queries per request (no N+1: a patient with few
   results next to the heavy ones).

Before B, an ANALYZE of the database (not timed): the bench's PostgreSQL may run without
autovacuum, and the accounts and tokens of A are new.

Run alone (`python bench/fhir_api.py`) against the database of `make bench` (built with the
region if it is not there); `bench/run.py` calls `bench_fhir()` after its other steps.
Bounded: fixed request counts, a timeout on every request, phase and child process.
BENCH_FHIR_* change the sizes (see the constants below). Not `fhir.py`: bench/ is the first
entry of every bench script's import path, and that name would hide the `fhir.resources`
package from Spreekuur in all of them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as clock
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import booking  # server, storm checks, CPU and SQL baseline of the agenda benchmark
import httpx
import prescriptions as rx  # its child-process helper
import psycopg
import results  # django_setup, ensure_database, describe_database, query_kind
import run
import summary

READ_PRACTICES = int(os.environ.get("BENCH_FHIR_PRACTICES", "4"))
READ_PATIENTS = int(os.environ.get("BENCH_FHIR_PATIENTS", "400"))
READS = int(os.environ.get("BENCH_FHIR_READS", "5000"))
READ_CLIENTS = int(os.environ.get("BENCH_FHIR_CLIENTS", "16"))
SEARCH_PATIENTS = int(os.environ.get("BENCH_FHIR_SEARCH_PATIENTS", "50"))
SEARCHES = int(os.environ.get("BENCH_FHIR_SEARCHES", "1000"))
# As many searches at once as gunicorn has workers: the workers busy, no queue at the door.
SEARCH_CLIENTS = int(
    os.environ.get("BENCH_FHIR_SEARCH_CLIENTS", str(booking.WORKERS * booking.THREADS))
)
PAGE_SIZE = 50
WARM_UP = 100  # untimed requests on a fresh server, spread over its workers
REQUEST_TIMEOUT = 30.0
PHASE_TIMEOUT = 900.0
CHILD_TIMEOUT = 1800
TARGET_READS_PER_S = 350.0  # Medplum's published self-hosted figure, about 350 reads/s per vCPU
TARGET_SEARCH_P95_MS = 200.0
APP_NAME = "Bench-PGO"
SYSTEM_NAME = "Bench-systeem"
PATIENT_SCOPES = (
    "launch/patient patient/Patient.rs patient/Observation.rs patient/Slot.rs "
    "patient/Schedule.rs patient/Appointment.crus patient/Questionnaire.rs"
)
SYSTEM_SCOPES = "system/Patient.rs system/Observation.rs"
REDIRECT = "https://pgo.example/callback"
FHIR = "application/fhir+json"
APPOINTMENT = "/fhir/R4/Appointment"
SLOTS_PATH = "/fhir/R4/Slot"
READ_PATH = r"/fhir/R4/Patient/[0-9a-f-]{36}"
SEARCH_PATH = r"/fhir/R4/Observation"
SCRATCH = {"core_auditentry": "bench_fhir_auditentry", "core_auditchain": "bench_fhir_auditchain"}
AUDIT_TABLE = re.compile(r"\bcore_audit(entry|chain)\b")
CHAIN_LOCK = "SELECT id, practice_id, lane, last_seq, last_hash FROM core_auditchain"
CHAIN_APPEND = 'WITH added AS (INSERT INTO "core_auditentry"'


# --- A. Apps and tokens (child process, Django) ---------------------------------------------


class HiddenInputs(HTMLParser):
    """The consent form's hidden fields (django-oauth-toolkit's, checked again on POST)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields[str(found["name"])] = found.get("value") or ""


def patient_app(practice: Any) -> Any:
    """(Child.) The practice's bench PGO: public, authorization code with PKCE."""
    from spreekuur.fhir.models import AppKind, FhirApp
    from spreekuur.fhir.services import register_app

    app = FhirApp.objects.filter(practice=practice, name=APP_NAME).first()
    if app is None:
        app, _secret = register_app(
            practice=practice,
            kind=AppKind.PATIENT_APP,
            name=APP_NAME,
            vendor="Spreekuur bench",
            allowed_scopes=PATIENT_SCOPES.split(),
            redirect_uris=[REDIRECT],
            by=None,
        )
    return app


def system_token(practice: Any) -> str:
    """(Child.) A token of the practice's bench system, by client credentials (a new
    secret when the app is there from an earlier run: the old one is shown only once)."""
    from django.test import Client

    from spreekuur.fhir.models import AppKind, FhirApp
    from spreekuur.fhir.services import register_app, renew_client_secret

    app = FhirApp.objects.filter(practice=practice, name=SYSTEM_NAME).first()
    if app is None:
        app, secret = register_app(
            practice=practice,
            kind=AppKind.SYSTEM,
            name=SYSTEM_NAME,
            allowed_scopes=SYSTEM_SCOPES.split(),
            by=None,
        )
    else:
        secret = renew_client_secret(app=app, by=None)
    basic = base64.b64encode(f"{app.application.client_id}:{secret}".encode()).decode()
    answer = Client().post(
        "/oauth/token/",
        {"grant_type": "client_credentials", "scope": SYSTEM_SCOPES},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    if answer.status_code != 200:
        raise RuntimeError(f"client credentials refused: {answer.content[:300]!r}")
    return str(answer.json()["access_token"])


def connect(app: Any, session_key: str, patient: Any) -> str:
    """(Child.) The patient connects the app as a PGO makes them: the consent screen
    (their verified session), yes for themself, the code exchanged with its verifier."""
    from django.conf import settings
    from django.test import Client

    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session_key
    client_id = app.application.client_id
    page = browser.get(
        "/oauth/authorize/",
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": PATIENT_SCOPES,
            "state": "bench",
            "aud": settings.FHIR_BASE_URL,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    if page.status_code != 200:
        raise RuntimeError(f"no consent screen (HTTP {page.status_code})")
    form = HiddenInputs()
    form.feed(page.content.decode())
    answer = browser.post(
        "/oauth/authorize/", {**form.fields, "allow": "on", "patient": str(patient.public_id)}
    )
    if answer.status_code != 302:
        raise RuntimeError(f"consent refused (HTTP {answer.status_code})")
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    token = Client().post(
        "/oauth/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    if token.status_code != 200:
        raise RuntimeError(f"code exchange refused: {token.content[:300]!r}")
    return str(token.json()["access_token"])


def online_results(practices: list[Any]) -> list[tuple[int, int]]:
    """(Child.) (patient id, lab results online) for every patient of these practices
    with any, most first: the rows results.selectors.released_results gives the API."""
    from django.db.models import Count
    from django.utils import timezone

    from spreekuur.results.models import LabResult

    found: list[tuple[int, int]] = []
    for practice in practices:
        online_from = practice.records_online_from
        if online_from is None or online_from > timezone.localdate():
            continue
        rows = (
            LabResult.objects.filter(
                practice=practice,
                released=True,
                replaced=False,
                observed_at__gte=timezone.make_aware(datetime.combine(online_from, clock.min)),
            )
            .values("patient_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("patient_id", "n")
        )
        found += list(rows)
    return sorted(found, key=lambda row: (-row[1], row[0]))


def prepare_in_django(spec_path: str) -> dict[str, Any]:
    """(Child.) Part A: the apps, the patients of B and C with their tokens, the storm's
    patients' tokens, and what a booking body needs."""
    results.django_setup()
    from django.contrib.auth.hashers import make_password

    from spreekuur.agenda.fhir import appointment_type_system
    from spreekuur.core.models import Practice
    from spreekuur.demo.generator import DEMO_PASSWORD
    from spreekuur.patients.models import Patient
    from spreekuur.triage.fhir import red_flags_url
    from spreekuur.triage.selectors import red_flags_for

    spec = json.loads(Path(spec_path).read_text())
    started = time.perf_counter()
    practices = list(
        Practice.objects.filter(slug__startswith="regio-").order_by("id")[:READ_PRACTICES]
    )
    if not practices:
        raise SystemExit("the FHIR benchmark needs the region (regio-001, ...)")
    per_practice = -(-READ_PATIENTS // len(practices))
    readers = [
        patient
        for practice in practices
        for patient in Patient.objects.filter(practice=practice).order_by("id")[:per_practice]
    ][:READ_PATIENTS]
    counted = online_results(practices)
    if len(counted) < 2:
        raise SystemExit("the region practices have no lab results online")
    heavy_ids = [patient_id for patient_id, _n in counted[:SEARCH_PATIENTS]]
    light_id, light_n = counted[-1]  # the fewest results online (at least one)
    by_id = Patient.objects.in_bulk([*heavy_ids, light_id])
    heavy = [by_id[patient_id] for patient_id in heavy_ids]
    light = by_id[light_id]
    everyone = list({p.pk: p for p in [*readers, *heavy, light]}.values())
    booking.give_portal_accounts(
        everyone, prefix="fhir", password_hash=make_password(DEMO_PASSWORD)
    )
    sessions = dict(zip([p.pk for p in everyone], booking.patient_sessions(everyone), strict=True))
    apps = {practice.pk: patient_app(practice) for practice in practices}
    systems = {practice.pk: system_token(practice) for practice in practices}
    tokens = {p.pk: connect(apps[p.practice_id], sessions[p.pk], p) for p in everyone}
    bench = Practice.objects.get(pk=spec["practice"])
    storm_app = patient_app(bench)
    storm_patients = Patient.objects.in_bulk([row["patient"] for row in spec["clients"]])
    storm = []
    for row in spec["clients"]:
        patient = storm_patients[row["patient"]]
        storm.append(
            {
                "token": connect(storm_app, row["session"], patient),
                "patient": str(patient.public_id),
            }
        )
    results_of = dict(counted)
    return {
        "practices": [p.slug for p in practices],
        "readers": [{"token": tokens[p.pk], "patient": str(p.public_id)} for p in readers],
        "heavy": [
            {
                "token": tokens[p.pk],
                "system": systems[p.practice_id],
                "patient": str(p.public_id),
                "results": results_of[p.pk],
            }
            for p in heavy
        ],
        "light": {
            "token": tokens[light.pk],
            "patient": str(light.public_id),
            "results": light_n,
        },
        "storm": storm,
        "type_system": appointment_type_system(),
        "red_flags_url": red_flags_url(),
        "red_flags": [flag.code for flag in red_flags_for(bench)],
        "connected": len(tokens) + len(storm),
        "seconds": time.perf_counter() - started,
    }


# --- E. The same statements, bare (child process, Django for the capture) -------------------


@dataclass
class Statement:
    sql: str
    params: Any
    many: bool
    in_transaction: bool  # inside an atomic block
    begins: bool  # the first statement of its transaction (BEGIN before it)
    # Sent through core.db.prepared_cursor: PostgreSQL prepares it once per connection,
    # and the replay does the same.
    prepared: bool = False


@dataclass
class Captured:
    status: int
    statements: list[Statement]
    entries: int | None  # resources in the answer's Bundle (a search)

    def counted(self) -> dict[str, Any]:
        sql = [s.sql for s in self.statements]
        plain = [s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE"))]
        return {
            "status": self.status,
            "entries": self.entries,
            "queries": len(sql),
            "plain": len(plain),
            "kinds": [results.query_kind(s) for s in plain],
        }


def capture(method: str, path: str, token: str, body: Any = None) -> Captured:
    """(Child.) One API request through Django's test client; every statement it sent,
    with its parameters and whether it ran inside a transaction."""
    from django.db import connection
    from django.test import Client
    from psycopg.pq import TransactionStatus

    statements: list[Statement] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        status = connection.connection.info.transaction_status
        statements.append(
            Statement(
                sql,
                params,
                many,
                connection.in_atomic_block,
                connection.in_atomic_block and status == TransactionStatus.IDLE,
                not isinstance(context["cursor"].cursor, psycopg.ClientCursor),
            )
        )
        return execute(sql, params, many, context)

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT=FHIR)
    with connection.execute_wrapper(record):
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, json.dumps(body), content_type=FHIR)
    answer = response.json() if response.status_code < 300 else {}
    entries = len(answer.get("entry", [])) if answer.get("resourceType") == "Bundle" else None
    return Captured(response.status_code, statements, entries)


@dataclass
class Replay:
    """One captured request, ready to run bare: autocommit statements and transactions,
    the audit chain's lock and append pointed at the scratch tables."""

    units: list[list[Statement]]  # each: one autocommit statement, or one transaction
    audit_fields: list[str]  # the INSERT's columns, in order (AuditEntry's concrete fields)


def replay_of(captured: Captured, audit_fields: list[str]) -> Replay:
    units: list[list[Statement]] = []
    for statement in captured.statements:
        if AUDIT_TABLE.search(statement.sql) and not statement.sql.startswith(
            (CHAIN_LOCK, CHAIN_APPEND)
        ):
            raise RuntimeError(f"an audit statement the replay does not know: {statement.sql}")
        if statement.in_transaction and not statement.begins and units:
            units[-1].append(statement)
        else:
            units.append([statement])
    return Replay(units, audit_fields)


def appended(sql: str, params: list[Any], head: tuple[Any, ...], fields: list[str]) -> list[Any]:
    """The chain append's parameters for this replay: each entry a fresh id, the next
    sequence number after the locked head, its time and hash, as `core.audit` links them;
    then the head's new sequence number and hash and its id. One entry is a VALUES row;
    several are one list per column (Django's UNNEST bulk insert on PostgreSQL)."""
    width = len(fields)
    values = params[:-3]
    by_column = "UNNEST(" in sql
    if by_column and len(values) == width:
        rows = [list(row) for row in zip(*values, strict=True)]
    elif not by_column and len(values) % width == 0:
        rows = [values[start : start + width] for start in range(0, len(values), width)]
    else:
        raise RuntimeError("the audit append's parameters do not match AuditEntry's fields")
    at = {name: fields.index(name) for name in ("public_id", "seq", "occurred_at")}
    at |= {name: fields.index(name) for name in ("prev_hash", "entry_hash")}
    head_id, seq, last_hash = head[0], head[3], head[4]
    for row in rows:
        seq += 1
        row[at["public_id"]] = uuid.uuid4()
        row[at["seq"]] = seq
        row[at["occurred_at"]] = datetime.now(UTC)
        row[at["prev_hash"]] = last_hash
        canonical = json.dumps(row, default=str).encode()
        last_hash = hmac.new(b"bench", canonical, hashlib.sha256).hexdigest()
        row[at["entry_hash"]] = last_hash
    if by_column:
        values = [list(column) for column in zip(*rows, strict=True)]
    else:
        values = [value for row in rows for value in row]
    return [*values, seq, last_hash, head_id]


async def run_statement(
    conn: psycopg.AsyncConnection[Any], statement: Statement, replay: Replay, head: list[Any]
) -> None:
    sql, params = statement.sql, statement.params
    if sql.startswith(CHAIN_APPEND):
        params = appended(sql, list(params), tuple(head), replay.audit_fields)
    sql = AUDIT_TABLE.sub(lambda found: SCRATCH[found.group(0)], sql)
    # A statement the app prepares is prepared here too (server-side binding, once per
    # connection); the others are bound on the client, as Django binds them.
    async with psycopg.AsyncCursor(conn) if statement.prepared else conn.cursor() as cursor:
        if statement.many:
            await cursor.executemany(sql, params)
        else:
            await cursor.execute(sql, params)
        if cursor.description is not None:
            rows = await cursor.fetchall()
            if statement.sql.startswith(CHAIN_LOCK):
                head[:] = rows[0]


async def run_replay(conn: psycopg.AsyncConnection[Any], replay: Replay) -> None:
    head: list[Any] = []
    for unit in replay.units:
        if unit[0].in_transaction:
            async with conn.transaction():
                for statement in unit:
                    await run_statement(conn, statement, replay, head)
        else:
            await run_statement(conn, unit[0], replay, head)


async def replay_load(replays: list[Replay], count: int, connections: int) -> dict[str, Any]:
    """`count` replays, round robin over `replays`, over `connections` connections made as
    Django makes its own (client-side binding, Django's adapters, UTC; the statements
    core.db prepares prepared once per connection, as there)."""
    from django.conf import settings
    from django.db import connection as django_connection
    from django.db.backends.postgresql.psycopg_any import get_adapters_template

    context = get_adapters_template(settings.USE_TZ, django_connection.timezone)
    pool = []
    for _ in range(connections):
        conn = await psycopg.AsyncConnection.connect(
            run.database_url(),
            autocommit=True,
            prepare_threshold=0,  # only the server-binding cursors of prepared statements
            context=context,
            cursor_factory=psycopg.AsyncClientCursor,
        )
        await conn.execute("SET TIME ZONE 'UTC'")
        pool.append(conn)
    for conn, replay in zip(pool, replays, strict=False):  # warm-up, untimed
        await run_replay(conn, replay)
    order = iter(range(count))
    timings: list[float] = []

    async def loop(conn: psycopg.AsyncConnection[Any]) -> None:
        for index in order:
            began = time.perf_counter()
            await run_replay(conn, replays[index % len(replays)])
            timings.append((time.perf_counter() - began) * 1000)

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(loop(c) for c in pool)), timeout=PHASE_TIMEOUT)
    seconds = time.perf_counter() - started
    for conn in pool:
        await conn.close()
    return {
        "count": len(timings),
        "seconds": seconds,
        "p50": run.percentile(timings, 0.5),
        "p95": run.percentile(timings, 0.95),
        "p99": run.percentile(timings, 0.99),
        "statements": statistics.mean(
            sum(len(unit) for unit in replay.units) for replay in replays
        ),
    }


def captured_all(requests: list[list[str]], audit_fields: list[str]) -> tuple[list[Replay], Any]:
    """(Child.) Each (token, path) once as a warm-up, once captured; all must answer 200."""
    replays, counts = [], []
    for token, path in requests:
        capture("GET", path, token)
        captured = capture("GET", path, token)
        if captured.status != 200:
            raise RuntimeError(f"{path}: HTTP {captured.status} in the capture")
        replays.append(replay_of(captured, audit_fields))
        counts.append(captured.counted())
    return replays, counts


def count_range(counts: list[dict[str, Any]]) -> dict[str, Any]:
    """The first request's count and kinds, and the range over all of them."""
    plain = [c["plain"] for c in counts]
    return {**counts[0], "fewest": min(plain), "most": max(plain), "requests": len(counts)}


def baseline_in_django(spec_path: str) -> dict[str, Any]:
    """(Child.) Part E for B and C, and the queries per request of every kind."""
    results.django_setup()
    from django.db import connection

    from spreekuur.core.models import AuditEntry

    spec = json.loads(Path(spec_path).read_text())
    fields = [
        f.column for f in AuditEntry._meta.concrete_fields if f is not AuditEntry._meta.auto_field
    ]
    reads, read_counts = captured_all(spec["reads"], fields)
    own, own_counts = captured_all(spec["searches"]["patient"], fields)
    system, system_counts = captured_all(spec["searches"]["system"], fields)
    _light, light_counts = captured_all([spec["light"]], fields)
    _slots, slot_counts = captured_all([spec["slots"]], fields)
    booked = capture("POST", APPOINTMENT, spec["booking"]["token"], spec["booking"]["body"])
    if booked.status != 201:
        raise RuntimeError(f"the captured booking answered HTTP {booked.status}")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(SCRATCH.values())}")
        for real, scratch in SCRATCH.items():
            cursor.execute(f"CREATE TABLE {scratch} (LIKE {real} INCLUDING ALL)")
        chain = SCRATCH["core_auditchain"]
        cursor.execute(f"INSERT INTO {chain} SELECT * FROM core_auditchain")  # noqa: S608
    connections = spec["connections"]
    try:
        bare = {
            "read": asyncio.run(replay_load(reads, spec["read_count"], connections)),
            "search_patient": asyncio.run(replay_load(own, spec["search_count"], connections)),
            "search_system": asyncio.run(replay_load(system, spec["search_count"], connections)),
        }
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {', '.join(SCRATCH.values())}")
    return {
        "bare": bare,
        "queries": {
            "read": count_range(read_counts),
            "search_patient": count_range(own_counts),
            "search_system": count_range(system_counts),
            "search_light": count_range(light_counts),
            "slots": count_range(slot_counts),
            "booking": booked.counted(),
        },
    }


# --- B, C. Load over HTTP (this process) ----------------------------------------------------


@dataclass
class Phase:
    """One measured run of one kind of request against a fresh gunicorn."""

    name: str
    clients: int
    samples: booking.Samples
    seconds: float
    server_ms: list[float] = field(default_factory=list)
    cpu: booking.CpuShare | None = None
    generator: float = 0.0  # the load generator's share of the machine's CPU
    recycled: int = 0  # workers gunicorn replaced during the phase (max_requests)

    @property
    def rate(self) -> float:
        return len(self.samples.ms) / self.seconds


def new_http(base: str, clients: int) -> httpx.AsyncClient:
    """One connection per request: sync workers close after every answer anyway."""
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=clients + 20, max_keepalive_connections=0)
    )
    return httpx.AsyncClient(
        base_url=base,
        transport=transport,
        timeout=REQUEST_TIMEOUT,
        trust_env=False,
        headers={"Accept": FHIR},
    )


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def raw_request(base: str, token: str | None, path: str) -> bytes:
    """The bytes of one GET, as an app sends it (one connection, closed after)."""
    host = urlsplit(base).netloc
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", f"Accept: {FHIR}", "Connection: close"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def whole_answer(raw: bytes) -> int:
    """The status of a complete HTTP/1.1 answer, or 0 when it is cut short (its body not
    as long as its Content-Length, or no status line)."""
    head, _sep, body = raw.partition(b"\r\n\r\n")
    status_line, *headers = head.split(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        return 0
    for header in headers:
        name, _colon, value = header.partition(b":")
        if name.strip().lower() == b"content-length" and int(value) != len(body):
            return 0
    return int(parts[1])


async def closed_loop(
    base: str, requests: list[tuple[str | None, str]], count: int, clients: int
) -> tuple[booking.Samples, float]:
    """`clients` loops GET the next of `count` requests (round robin over `requests`,
    each (token, path)) until all are done: (latencies and outcomes, wall seconds).

    Plain asyncio streams, one connection per request (gunicorn's sync workers close
    after every answer anyway), each answer read to its end and checked whole: the load
    generator shares the 2 cores with the server, and httpx spent about 1 ms of CPU per
    request of its own (46 % of the machine at /healthz), which throttled the server."""
    samples = booking.Samples()
    order = iter(range(count))
    address = urlsplit(base)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    wire = [raw_request(base, token, path) for token, path in requests]

    async def one(payload: bytes) -> int:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(payload)
            return whole_answer(await reader.read(-1))
        finally:
            writer.close()

    async def loop() -> None:
        for index in order:
            payload = wire[index % len(wire)]
            began = time.perf_counter()
            try:
                code = await asyncio.wait_for(one(payload), REQUEST_TIMEOUT)
            except (OSError, TimeoutError) as error:
                samples.add(began, "transport")
                samples.unexpected[type(error).__name__] += 1
                continue
            samples.add(began, "ok" if code == 200 else "5xx" if code >= 500 else "other")
            if code != 200:
                path = requests[index % len(requests)][1]
                what = f"HTTP {code}" if code else "an answer cut short"
                samples.unexpected[f"{what} on {path.split('?')[0][:24]}"] += 1

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(loop() for _ in range(clients))), PHASE_TIMEOUT)
    return samples, time.perf_counter() - started


@contextmanager
def serving(env: dict[str, str], logs: Path, name: str) -> Iterator[tuple[Any, str, Path]]:
    """A fresh gunicorn for one phase (the production config, booking's size): no
    worker reaches max_requests in the middle of a measurement."""
    access_log, error_log = logs / f"{name}.access.log", logs / f"{name}.error.log"
    access_log.touch()
    server, base = booking.start_server(env, access_log, error_log)
    try:
        yield server, base, access_log
    finally:
        booking.stop_server(server)
        booking.report_server_errors(error_log)


async def measured(
    name: str,
    server: Any,
    base: str,
    access_log: Path,
    requests: list[tuple[str | None, str]],
    count: int,
    clients: int,
    path: str,
) -> Phase:
    await closed_loop(base, requests, WARM_UP, clients)
    workers = set(booking.worker_pids(server))
    own = [os.getpid(), server.pid, *workers]
    offset = access_log.stat().st_size
    before = booking.cpu_sample(own)
    samples, seconds = await closed_loop(base, requests, count, clients)
    after = booking.cpu_sample(own)
    await asyncio.sleep(0.5)  # let gunicorn flush its access log
    ticks = max(after.total - before.total, 1)
    phase = Phase(
        name,
        clients,
        samples,
        seconds,
        booking.server_times(access_log, offset, access_log.stat().st_size, "GET", path),
        booking.cpu_share(before, after),
        (after.own.get(os.getpid(), 0) - before.own.get(os.getpid(), 0)) / ticks,
        len(workers - set(booking.worker_pids(server))),
    )
    print(
        f"  {name}: {len(samples.ms)} requests, {phase.rate:.0f}/s, p95 "
        f"{samples.pct(0.95):.0f} ms, {samples.errors} errors",
        flush=True,
    )
    return phase


async def page_totals(base: str, requests: list[tuple[str | None, str]]) -> list[tuple[int, int]]:
    """(Bundle total, entries on the page) of each search, once."""
    found = []
    async with new_http(base, 4) as http:
        for token, path in requests:
            answer = await http.get(path, headers=auth(token))
            bundle = answer.json() if answer.status_code == 200 else {}
            found.append((int(bundle.get("total", -1)), len(bundle.get("entry", []))))
    return found


# --- D. The booking storm through the API ---------------------------------------------------


@dataclass
class StormRound:
    posts: booking.Samples
    slot_searches: booking.Samples
    booked_first: int
    booked_retry: int
    wall: float
    server_ms: list[float] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)
    in_database: int = 0
    cpu: booking.CpuShare | None = None

    @property
    def booked(self) -> int:
        return self.booked_first + self.booked_retry


def appointment_body(prepared: dict[str, Any], type_id: str, patient: str, slot: str) -> Any:
    """A booking as a PGO sends it (docs/fhir.md, tests/fhir/test_booking.py): the slot,
    the type, the reason, and every red-flag question answered "no"."""
    answers = [
        {"linkId": code, "answer": [{"valueBoolean": False}]} for code in prepared["red_flags"]
    ]
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "serviceType": [{"coding": [{"system": prepared["type_system"], "code": type_id}]}],
        "description": "Hoesten dat niet overgaat",
        "slot": [{"reference": f"Slot/{slot}"}],
        "participant": [{"actor": {"reference": f"Patient/{patient}"}, "status": "accepted"}],
        "contained": [
            {
                "resourceType": "QuestionnaireResponse",
                "id": "triage",
                "questionnaire": prepared["red_flags_url"],
                "status": "completed",
                "item": answers,
            }
        ],
        "supportingInformation": [{"reference": "#triage"}],
    }


async def answered(
    samples: booking.Samples, send: Callable[[], Awaitable[httpx.Response]], ok: int
) -> tuple[str, httpx.Response | None]:
    """One timed request: 'ok' (the status wanted), 'taken' (409), '5xx', 'other' or
    'transport'."""
    began = time.perf_counter()
    try:
        response = await send()
    except httpx.HTTPError as error:
        samples.add(began, "transport")
        samples.unexpected[type(error).__name__] += 1
        return "transport", None
    code = response.status_code
    outcome = "ok" if code == ok else "taken" if code == 409 else "5xx" if code >= 500 else "other"
    samples.add(began, outcome)
    if outcome in ("5xx", "other"):
        samples.unexpected[
            f"HTTP {code} {response.request.method} {response.request.url.path}"
        ] += 1
    return outcome, response


async def storm_round(
    http: httpx.AsyncClient, prepared: dict[str, Any], type_id: str, slots: list[str]
) -> StormRound:
    """All storm patients' apps at once; patients 2k and 2k+1 want the same slot."""
    clients = prepared["storm"]
    order = list(range(len(slots)))
    random.Random(len(slots)).shuffle(order)
    wanted = [slots[order[(index // 2) % len(slots)]] for index in range(len(clients))]
    posts, searches = booking.Samples(), booking.Samples()
    won: Counter[str] = Counter()
    start = asyncio.Event()

    async def one(client: dict[str, Any], slot: str, rng: random.Random) -> None:
        headers = {**auth(client["token"]), "Content-Type": FHIR}
        await start.wait()
        for attempt in ("first", "retry"):
            body = json.dumps(appointment_body(prepared, type_id, client["patient"], slot))
            outcome, _ = await answered(
                posts, lambda body=body: http.post(APPOINTMENT, content=body, headers=headers), 201
            )
            if outcome == "ok":
                won[attempt] += 1
            if outcome != "taken" or attempt == "retry":
                return
            outcome, answer = await answered(
                searches,
                lambda: http.get(SLOTS_PATH, params={"service-type": type_id}, headers=headers),
                200,
            )
            free = [e["resource"]["id"] for e in answer.json().get("entry", [])] if answer else []
            if outcome != "ok" or not free:
                return
            slot = rng.choice(free)

    tasks = [
        asyncio.create_task(one(client, slot, random.Random(index)))
        for index, (client, slot) in enumerate(zip(clients, wanted, strict=True))
    ]
    await asyncio.sleep(0.05)  # every task parked on the start line
    started = time.perf_counter()
    start.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=booking.STORM_TIMEOUT)
    return StormRound(posts, searches, won["first"], won["retry"], time.perf_counter() - started)


async def storm_rounds(
    server: Any,
    base: str,
    access_log: Path,
    db: psycopg.Connection[Any],
    setup: booking.Setup,
    prepared: dict[str, Any],
) -> list[StormRound]:
    rounds = []
    async with new_http(base, len(prepared["storm"])) as http:
        own = [os.getpid(), server.pid, *booking.worker_pids(server)]
        for number in range(1, booking.STORM_ROUNDS + 1):
            slots = booking.reset_agenda(db, setup)
            head = booking.audit_head(db, setup.practice)
            offset = access_log.stat().st_size
            before = booking.cpu_sample(own)
            result = await storm_round(http, prepared, setup.type_id, slots)
            result.cpu = booking.cpu_share(before, booking.cpu_sample(own))
            await asyncio.sleep(0.5)  # let gunicorn flush its access log
            result.server_ms = booking.server_times(
                access_log, offset, access_log.stat().st_size, "POST", re.escape(APPOINTMENT)
            )
            result.checks = booking.double_booking_checks(db, setup.practice, head)
            result.in_database = booking.active_bookings(db, setup.practice)
            rounds.append(result)
            print(
                f"  API storm round {number}: {result.booked} booked (201), "
                f"{result.posts.outcomes['taken']} taken (409), {result.posts.errors} errors, "
                f"{result.wall:.2f} s, POST p95 {result.posts.pct(0.95):.0f} ms",
                flush=True,
            )
    return rounds


# --- The run ----------------------------------------------------------------------------------


@dataclass
class Results:
    database: str
    prepared: dict[str, Any]
    healthz: Phase
    reads: Phase
    search_patient: Phase
    search_system: Phase
    totals: list[tuple[int, int]]
    storm: list[StormRound]
    bare: dict[str, Any]
    queries: dict[str, Any]
    sql_rate: float | None  # None: booking.py's SQL baseline failed (`sql_failure`)
    sql_fewest: int
    connections: int
    statistics: str  # the ANALYZE before the measurements
    sql_failure: str = ""
    code: str = ""
    seconds: float = 0.0


def write_spec(folder: Path, name: str, data: Any) -> str:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    path.chmod(0o600)  # tokens
    return str(path)


async def http_phases(
    env: dict[str, str],
    logs: Path,
    db: psycopg.Connection[Any],
    setup: booking.Setup,
    prepared: dict[str, Any],
) -> tuple[list[Phase], list[tuple[int, int]], list[StormRound]]:
    readers: list[tuple[str | None, str]] = [
        (row["token"], f"/fhir/R4/Patient/{row['patient']}") for row in prepared["readers"]
    ]
    own: list[tuple[str | None, str]] = [
        (row["token"], f"/fhir/R4/Observation?_count={PAGE_SIZE}") for row in prepared["heavy"]
    ]
    system: list[tuple[str | None, str]] = [
        (row["system"], f"/fhir/R4/Observation?patient={row['patient']}&_count={PAGE_SIZE}")
        for row in prepared["heavy"]
    ]
    phases = []
    with serving(env, logs, "healthz") as (server, base, access_log):
        phases.append(
            await measured(
                "/healthz",
                server,
                base,
                access_log,
                [(None, "/healthz")],
                READS,
                READ_CLIENTS,
                "/healthz",
            )
        )
    with serving(env, logs, "read") as (server, base, access_log):
        phases.append(
            await measured(
                "Patient read", server, base, access_log, readers, READS, READ_CLIENTS, READ_PATH
            )
        )
    with serving(env, logs, "search") as (server, base, access_log):
        totals = await page_totals(base, own)
        for name, requests in (
            ("Observation search, patient token", own),
            ("Observation search, system token", system),
        ):
            phases.append(
                await measured(
                    name,
                    server,
                    base,
                    access_log,
                    requests,
                    SEARCHES,
                    SEARCH_CLIENTS,
                    SEARCH_PATH,
                )
            )
    with serving(env, logs, "storm") as (server, base, access_log):
        rounds = await storm_rounds(server, base, access_log, db, setup, prepared)
    return phases, totals, rounds


def analyze(db: psycopg.Connection[Any]) -> str:
    """Fresh planner statistics for every table, as autovacuum keeps them in production:
    the bench's PostgreSQL may run without it, and the tokens and accounts were made just
    now (without statistics, a Patient read's row was found through the practice's index,
    filtering every patient of the practice). Not timed; returns what was done."""
    row = db.execute("SHOW autovacuum").fetchone()
    started = time.perf_counter()
    db.execute("ANALYZE")
    seconds = time.perf_counter() - started
    return (
        f"`ANALYZE` of the whole database before the measurements ({seconds:.0f} s, not "
        f"timed; this server runs with `autovacuum={row[0] if row else '?'}`)"
    )


def bench_fhir(env: dict[str, str], *, when: str | None = None) -> str:
    """Every part against the bench database; append the section to BENCHMARKS.md."""
    when = when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    began = time.perf_counter()
    code = booking.code_version()
    database = results.describe_database()
    print("FHIR API: the storm practice and its patients (bench/booking.py) ...", flush=True)
    setup = booking.prepare(env)
    connections = booking.WORKERS * booking.THREADS
    with tempfile.TemporaryDirectory(prefix="spreekuur-fhir-") as folder:
        work = Path(folder)
        print("FHIR API: apps, consent and tokens ...", flush=True)
        spec = write_spec(work, "storm", {"practice": setup.practice, "clients": setup.clients})
        prepared = rx.child(__file__, "--prepare", env, spec, timeout=CHILD_TIMEOUT)
        print(
            f"  {len(prepared['readers'])} readers, {len(prepared['heavy'])} searched, "
            f"{len(prepared['storm'])} storm patients in {prepared['seconds']:.0f} s",
            flush=True,
        )
        with psycopg.connect(run.database_url(), autocommit=True) as db:
            statistics_note = analyze(db)
            phases, totals, rounds = asyncio.run(http_phases(env, work, db, setup, prepared))
            print("FHIR API: the same statements bare through psycopg ...", flush=True)
            slots = booking.reset_agenda(db, setup)
            first = prepared["storm"][0]
            spec = write_spec(
                work,
                "baseline",
                {
                    "connections": connections,
                    "read_count": READS,
                    "search_count": SEARCHES,
                    "reads": [
                        [row["token"], f"/fhir/R4/Patient/{row['patient']}"]
                        for row in prepared["readers"]
                    ],
                    "searches": {
                        "patient": [
                            [row["token"], f"/fhir/R4/Observation?_count={PAGE_SIZE}"]
                            for row in prepared["heavy"]
                        ],
                        "system": [
                            [
                                row["system"],
                                f"/fhir/R4/Observation?patient={row['patient']}&_count={PAGE_SIZE}",
                            ]
                            for row in prepared["heavy"]
                        ],
                    },
                    "light": [
                        prepared["light"]["token"],
                        f"/fhir/R4/Observation?_count={PAGE_SIZE}",
                    ],
                    "slots": [first["token"], f"{SLOTS_PATH}?service-type={setup.type_id}"],
                    "booking": {
                        "token": first["token"],
                        "body": appointment_body(
                            prepared, setup.type_id, first["patient"], slots[0]
                        ),
                    },
                },
            )
            baseline = rx.child(__file__, "--baseline", env, spec, timeout=CHILD_TIMEOUT)
            print(f"  booking: bare SQL transaction ({connections} connections) ...", flush=True)
            sql_rate: float | None = None
            fewest, sql_failure = 0, ""
            try:
                sql_rate, fewest = booking.sql_baseline(db, setup, connections, app_locks=True)
            except psycopg.Error as error:  # the API's own figures are kept, the failure shown
                sql_failure = f"{type(error).__name__}: {str(error).splitlines()[0]}"
                print(f"  booking.py's SQL baseline failed: {sql_failure}", flush=True)
            booking.reset_agenda(db, setup)
            db.execute("DELETE FROM agenda_slot WHERE practice_id = %s", [setup.practice])
    healthz, reads, search_patient, search_system = phases
    found = Results(
        database,
        prepared,
        healthz,
        reads,
        search_patient,
        search_system,
        totals,
        rounds,
        baseline["bare"],
        baseline["queries"],
        sql_rate,
        fewest,
        connections,
        statistics_note,
        sql_failure,
        code,
    )
    found.seconds = time.perf_counter() - began
    text = report(found, when)
    summary.publish(text, lambda: figures(found), bench="fhir", when=when)
    return text


# --- The report -------------------------------------------------------------------------------


def ms(value: float) -> str:
    return booking.ms(value)


def slower_search(r: Results) -> Phase:
    return max((r.search_patient, r.search_system), key=lambda p: p.samples.pct(0.95))


def bare_of(r: Results, phase: Phase) -> dict[str, Any]:
    return r.bare["search_patient" if phase is r.search_patient else "search_system"]


def storm_totals(r: Results) -> tuple[booking.Samples, booking.Samples, list[float], int, int]:
    """All rounds' POSTs and slot searches, the in-worker times, double bookings found,
    rounds where the 201s differ from the database."""
    posts, searches = booking.Samples(), booking.Samples()
    in_worker: list[float] = []
    for result in r.storm:
        posts.merge(result.posts)
        searches.merge(result.slot_searches)
        in_worker += result.server_ms
    double = sum(sum(result.checks.values()) for result in r.storm)
    mismatched = sum(result.booked != result.in_database for result in r.storm)
    return posts, searches, in_worker, double, mismatched


def every_error(r: Results) -> tuple[int, int, str]:
    """Unexpected answers in every phase: (all, of which 5xx, what they were)."""
    samples = [r.healthz.samples, r.reads.samples, r.search_patient.samples]
    samples.append(r.search_system.samples)
    for result in r.storm:
        samples += [result.posts, result.slot_searches]
    found: Counter[str] = Counter()
    for one in samples:
        found.update(one.unexpected)
    what = ", ".join(f"{kind} x{n}" for kind, n in found.most_common()) or "none"
    return sum(s.errors for s in samples), sum(s.outcomes["5xx"] for s in samples), what


def phase_row(phase: Phase, label: str) -> str:
    server = phase.server_ms
    return (
        f"| {label} | {phase.clients} | {len(phase.samples.ms):,} | {phase.rate:,.0f} "
        f"| {ms(phase.samples.pct(0.5))} | {ms(phase.samples.pct(0.95))} "
        f"| {ms(phase.samples.pct(0.99))} "
        f"| {ms(run.percentile(server, 0.5)) if server else '—'} "
        f"| {ms(run.percentile(server, 0.95)) if server else '—'} | {phase.samples.errors} |"
    )


def bare_row(bare: dict[str, Any], connections: int) -> str:
    return (
        f"| the same statements bare ({bare['statements']:.1f} a request) "
        f"| {connections} connections | {bare['count']:,} "
        f"| {bare['count'] / bare['seconds']:,.0f} | {ms(bare['p50'])} | {ms(bare['p95'])} "
        f"| {ms(bare['p99'])} | | | 0 |"
    )


def booking_baseline(r: Results, rate: float) -> str:
    if r.sql_rate is None:
        return f"bare SQL booking transaction: **failed** ({r.sql_failure})"
    return (
        f"bare SQL booking transaction (same locks): {r.sql_rate:,.0f} bookings/s; "
        f"the storm {rate:.1f}/s"
    )


def span(values: list[int]) -> str:
    return str(min(values)) if min(values) == max(values) else f"{min(values)}-{max(values)}"


def kinds_text(counted: dict[str, Any]) -> str:
    kinds = Counter(counted["kinds"])
    return ", ".join(f"{kind} {n}" if n > 1 else kind for kind, n in kinds.items())


def cpu_line(phase: Phase) -> str:
    return (
        f"{phase.name}: {booking.cpu_text([phase.cpu])}; of which the load generator "
        f"{phase.generator:.0%}"
        + (f"; {phase.recycled} workers replaced during the phase" if phase.recycled else "")
    )


def report(r: Results, when: str) -> str:
    reads, healthz = r.reads, r.healthz
    bare_read = r.bare["read"]
    bare_read_rate = bare_read["count"] / bare_read["seconds"]
    search = slower_search(r)
    bare_search = bare_of(r, search)
    search_p95 = search.samples.pct(0.95)
    posts, slot_searches, in_worker, double, mismatched = storm_totals(r)
    errors, five_xx, what = every_error(r)
    rate = statistics.median(result.booked / result.wall for result in r.storm)
    q = r.queries
    heavy = [row["results"] for row in r.prepared["heavy"]]
    totals = [total for total, _entries in r.totals]
    shown = [entries for _total, entries in r.totals]
    read_ok = reads.rate >= TARGET_READS_PER_S and reads.samples.errors == 0
    search_ok = search_p95 <= TARGET_SEARCH_P95_MS and not (
        r.search_patient.samples.errors or r.search_system.samples.errors
    )
    lines = [
        f"\n## FHIR API — {when}\n",
        f"Machine: {run.machine()}. Code: {r.code}.\n",
        f"Database `{run.BENCH_DB}` ({r.database}). Region practices "
        f"{', '.join(f'`{slug}`' for slug in r.prepared['practices'])}, each with a patient app "
        f"(`{APP_NAME}`) and a practice system (`{SYSTEM_NAME}`); every patient below has a "
        "portal account and connected the app through the real flow (the consent screen with "
        "a verified session, the code exchanged with its PKCE verifier; "
        f"{r.prepared['connected']} patients in {r.prepared['seconds']:.0f} s, not timed). "
        f"Server: {booking.worker_setup()} (deploy/gunicorn.conf.py, "
        "a fresh server per phase), `SPREEKUUR_ENV=development`, `DEBUG=false`. Load "
        "generator: plain asyncio streams in the benchmark's process (each answer read whole "
        "and checked against its Content-Length), one connection per request; gunicorn, "
        "PostgreSQL and the load generator share the 2 cores. "
        f"{r.statistics}. Whole benchmark: {r.seconds:.0f} s.\n",
        "| target | measured | baseline (same run) | ratio | |",
        "|---|---|---|---:|---|",
        f"| authenticated Patient read at least {TARGET_READS_PER_S:.0f} requests/s "
        f"| {reads.rate:,.0f} requests/s ({len(r.prepared['readers'])} patients' own tokens, "
        f"{reads.clients} clients, {reads.samples.errors} errors) | the same statements bare "
        f"through psycopg: {bare_read_rate:,.0f} requests/s ({r.connections} connections) "
        f"| {reads.rate / bare_read_rate:.2f}x | {booking.passed(read_ok)} |",
        f"| Observation search (`_count={PAGE_SIZE}`) p95 at most {TARGET_SEARCH_P95_MS:.0f} ms "
        f"| {ms(search_p95)} ms ({search.name.lower()}, the slower of the two; "
        f"{search.clients} clients) | the same statements bare: p95 {ms(bare_search['p95'])} ms "
        f"| {search_p95 / bare_search['p95']:.1f}x | {booking.passed(search_ok)} |",
        f"| booking through the API: 0 double bookings (booking.py's 5 checks), 201s = "
        f"bookings in the database | {double} found; the 201s matched the database in "
        f"{len(r.storm) - mismatched} of {len(r.storm)} rounds | {booking_baseline(r, rate)} "
        f"| {f'{rate / r.sql_rate:.3f}x' if r.sql_rate else '—'} "
        f"| {booking.passed(double == 0 and mismatched == 0)} |",
        f"| 0 server errors (every phase) | {errors} unexpected answers, {five_xx} of them 5xx "
        f"| | | {booking.passed(errors == 0)} |",
        "",
        f"### Patient read: `GET /fhir/R4/Patient/<id>`, {READS:,} requests\n",
        "Round robin over the patients, each request with that patient's own token. /healthz: "
        "the cheapest Django request at the same concurrency, what this load generator and "
        "gunicorn reach on the machine at all. Bare: every statement one request sent (the "
        "token with its app, connection and patient, the patient row, the audit chain's lock "
        "and append), captured per patient and replayed through psycopg over as many "
        "connections as gunicorn has workers, the statements the app prepares (core/db.py: "
        "the token lookup, the chain's lock and append) prepared there too; latency there is "
        "one replay's own time.\n",
        "| request | concurrency | requests | per s | p50 ms | p95 | p99 | in worker p50 "
        "| in worker p95 | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        phase_row(healthz, "`/healthz`"),
        phase_row(reads, "Patient read"),
        bare_row(bare_read, r.connections),
        "",
        f"Patient read / bare: {reads.rate / bare_read_rate:.2f}x; / `/healthz`: "
        f"{reads.rate / healthz.rate:.2f}x. CPU: {cpu_line(healthz)}. {cpu_line(reads)}.\n",
        f"### Observation search: `_count={PAGE_SIZE}`, {SEARCHES:,} requests each\n",
        f"The {len(heavy)} patients with the most lab results online in these practices "
        f"({span(heavy)} each; bundle totals with their measurements {span(totals)}, "
        f"{span(shown)} entries on the first page), "
        "round robin. Patient token: `Observation?_count=50` with the patient's own token; "
        "system token: `Observation?patient=<id>&_count=50` with the practice system's.\n",
        "| request | concurrency | requests | per s | p50 ms | p95 | p99 | in worker p50 "
        "| in worker p95 | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        phase_row(r.search_patient, "patient token"),
        bare_row(r.bare["search_patient"], r.connections),
        phase_row(r.search_system, "system token, `patient=`"),
        bare_row(r.bare["search_system"], r.connections),
        "",
        f"p95 / bare p95: patient token "
        f"{r.search_patient.samples.pct(0.95) / r.bare['search_patient']['p95']:.1f}x, "
        f"system token {r.search_system.samples.pct(0.95) / r.bare['search_system']['p95']:.1f}x. "
        f"CPU: {cpu_line(r.search_patient)}. {cpu_line(r.search_system)}.\n",
        f"### Booking through the API: {len(r.prepared['storm'])} patients on {booking.SLOTS} "
        f"slots, all at once, {len(r.storm)} rounds\n",
        f"The practice `{booking.SLUG}` of bench/booking.py with its booking rules, exactly "
        f"{booking.SLOTS} free online slots per round. Each patient's app, on one start "
        "signal: `POST /fhir/R4/Appointment` (the slot, the type as `serviceType`, the "
        'red-flag answers all "no" as a contained QuestionnaireResponse) for a slot exactly '
        "one other patient also wants; a 409 is retried once with a slot from "
        "`GET /fhir/R4/Slot?service-type=<type>`. Rate: 201s / wall time of the round.\n",
        "| round | booked (1st try + retry) | 409 | 5xx | other | wall s | bookings/s "
        "| POST p50 ms | p95 | p99 | in worker p50 | in worker p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, result in enumerate(r.storm, start=1):
        lines.append(
            f"| {number} | {result.booked} ({result.booked_first} + {result.booked_retry}) "
            f"| {result.posts.outcomes['taken']} | {result.posts.outcomes['5xx']} "
            f"| {result.posts.errors - result.posts.outcomes['5xx']} | {result.wall:.2f} "
            f"| {result.booked / result.wall:.1f} | {ms(result.posts.pct(0.5))} "
            f"| {ms(result.posts.pct(0.95))} | {ms(result.posts.pct(0.99))} "
            f"| {ms(run.percentile(result.server_ms, 0.5))} "
            f"| {ms(run.percentile(result.server_ms, 0.95))} |"
        )
    lines += [
        f"| all | {sum(result.booked for result in r.storm)} | {posts.outcomes['taken']} "
        f"| {posts.outcomes['5xx']} | {posts.errors - posts.outcomes['5xx']} "
        f"| {sum(result.wall for result in r.storm):.2f} | {rate:.1f} (median) "
        f"| {ms(posts.pct(0.5))} | {ms(posts.pct(0.95))} | {ms(posts.pct(0.99))} "
        f"| {ms(run.percentile(in_worker, 0.5))} | {ms(run.percentile(in_worker, 0.95))} |",
        "",
        f"Slot searches of the retries: {len(slot_searches.ms)}, p95 "
        f"{ms(slot_searches.pct(0.95))} ms, {slot_searches.errors} errors. CPU during the "
        f"rounds: {booking.cpu_text([result.cpu for result in r.storm])}. Baseline: "
        f"booking.py's bare booking transaction with the app's locks (patient row, slot, "
        f"audit-chain head), same contenders and slots, {r.connections} connections, median "
        f"of {booking.BASELINE_ROUNDS} rounds: "
        + (
            f"{r.sql_rate:,.0f} bookings/s (every round booked at least {r.sql_fewest} of "
            f"{booking.SLOTS}); the API storm's median {rate:.1f} bookings/s is "
            f"{rate / r.sql_rate:.1%} of it.\n"
            if r.sql_rate
            else f"**failed** ({r.sql_failure}).\n"
        ),
        "| double-booking check (SQL, after each round) | found |",
        "|---|---:|",
    ]
    for name in r.storm[0].checks:
        lines.append(f"| {name} | {sum(result.checks[name] for result in r.storm)} |")
    lines += [
        "",
        "### Queries per request\n",
        "Each request once more through Django's test client after a warm-up, its statements "
        "captured (without / with SAVEPOINT and RELEASE; BEGIN and COMMIT not counted). A "
        "range: the fewest and most over all the patients captured. No N+1 in a search: the "
        "patient with the fewest results sends as many statements as those with a full page.\n",
        "| request | resources | queries | statements (of the first request) |",
        "|---|---:|---:|---|",
    ]
    light = r.prepared["light"]["results"]
    for key, label in (
        ("read", "Patient read (patient token)"),
        (
            "search_patient",
            f"Observation search, {span(heavy)} results (patient token)",
        ),
        ("search_light", f"Observation search, {light} result(s) (patient token)"),
        ("search_system", "Observation search, system token, `patient=`"),
        ("slots", "Slot search (`service-type=`)"),
        ("booking", "Appointment POST (201)"),
    ):
        counted = q[key]
        fewest, most = (
            counted.get("fewest", counted["plain"]),
            counted.get("most", counted["plain"]),
        )
        number = str(fewest) if fewest == most else f"{fewest}-{most}"
        if counted["queries"] > counted["plain"]:
            number += f" (+{counted['queries'] - counted['plain']} SAVEPOINT/RELEASE)"
        shown = f"{counted['entries']} on the page" if counted.get("entries") is not None else ""
        lines.append(f"| {label} | {shown} | {number} | {kinds_text(counted)} |")
    lines += ["", f"Unexpected answers, all phases: {what}.", ""]
    return "\n".join(lines) + "\n"


def figures(r: Results) -> list[summary.Figure]:
    reads = r.reads
    bare_read_rate = r.bare["read"]["count"] / r.bare["read"]["seconds"]
    search = slower_search(r)
    bare_search = bare_of(r, search)
    search_p95 = search.samples.pct(0.95)
    _posts, _searches, _in_worker, double, mismatched = storm_totals(r)
    errors, five_xx, _what = every_error(r)
    search_errors = r.search_patient.samples.errors + r.search_system.samples.errors
    return [
        summary.Figure(
            id="fhir.patient_read_rate",
            target=f"authenticated Patient read at least {TARGET_READS_PER_S:.0f} requests/s "
            "(patients' own tokens; load generator on the same 2 cores)",
            figure=round(reads.rate),
            unit="requests/s",
            threshold=TARGET_READS_PER_S,
            op=">=",
            passed=reads.rate >= TARGET_READS_PER_S and reads.samples.errors == 0,
            baseline=round(bare_read_rate),
            baseline_unit="requests/s",
            baseline_what=f"the same statements bare through psycopg, {r.connections} connections",
            ratio=reads.rate / bare_read_rate,
            note=f"{reads.clients} clients; `/healthz` {r.healthz.rate:,.0f}/s",
        ),
        summary.Figure(
            id="fhir.observation_search_p95",
            target=f"Observation search (`_count={PAGE_SIZE}`) p95 at most "
            f"{TARGET_SEARCH_P95_MS:.0f} ms",
            figure=round(search_p95, 1),
            unit="ms",
            threshold=TARGET_SEARCH_P95_MS,
            op="<=",
            passed=search_p95 <= TARGET_SEARCH_P95_MS and search_errors == 0,
            baseline=round(bare_search["p95"], 1),
            baseline_unit="ms",
            baseline_what="the same statements bare through psycopg, p95",
            ratio=search_p95 / bare_search["p95"],
            note=f"{search.name.lower()}, {search.clients} clients",
        ),
        summary.Figure(
            id="fhir.booking_double_bookings",
            target="booking through the API: 0 double bookings (booking.py's 5 checks; the "
            "201s = the bookings in the database)",
            figure=double,
            unit="found",
            threshold=0,
            op="==",
            passed=double == 0 and mismatched == 0,
            note=f"201s differ from the database in {mismatched} rounds" if mismatched else "",
        ),
        summary.Figure(
            id="fhir.errors",
            target="0 server errors in the FHIR API's reads, searches and booking storm",
            figure=errors,
            unit="unexpected answers",
            threshold=0,
            op="==",
            passed=errors == 0,
            note=f"{five_xx} of them 5xx" if errors else "",
        ),
    ]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--prepare":
        print(json.dumps(prepare_in_django(sys.argv[2])))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--baseline":
        print(json.dumps(baseline_in_django(sys.argv[2])))
        return
    env = run.bench_env()
    results.ensure_database(env)
    bench_fhir(env)


if __name__ == "__main__":
    main()
