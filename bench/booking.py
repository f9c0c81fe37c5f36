"""Agenda booking benchmark: a booking storm and a sustained load against the real server.

What is measured, and why:

1. Storm: CLIENTS distinct patients (each with their own portal session) race for SLOTS
   released slots at once through a real gunicorn and PostgreSQL, with the patient's flow:
   POST the triage step, then POST confirm for a slot that one other client also wants
   (a loser retries once with a time from the 409 page). Latency is that of each confirm
   POST as the client sees it (queueing for a worker included), next to the time spent in
   the worker (gunicorn's access log). The point: one booking per slot, never a 5xx.
2. Double bookings, counted in SQL afterwards, five ways: overlapping active appointments
   of one practitioner, slots covered by more than one active appointment, active
   appointments no slot points at, slots pointing at a cancelled one, and a replay of
   the practice's audit chain of changes (lane 0) in `seq` order (the chain row is locked
   until commit, so `seq` order is commit order) that flags any booking made while an
   overlapping one was still active. The 302s the clients saw must equal the bookings in
   the database.
3. Sustained load: fewer clients loop triage, slot search (the times page), booking, the
   appointment page the booking redirects to, and cancelling, for a fixed time:
   throughput and latency of each request.
4. Baselines in the same run, gunicorn stopped: the bare booking transaction in SQL
   through psycopg (lock the slot, insert the appointment, link the slot, insert a row
   standing for the audit entry), same contenders and slots as the storm, over as many
   connections as the app server has; and PostgreSQL's own `pgbench` (TPC-B).

Run alone (`python bench/booking.py`) against the database of `make bench`, or a small
demo database it creates; `bench/run.py` calls `bench_booking()` after its own steps.
Every step is bounded: fixed rounds and durations, a timeout on each request and step.
BENCH_STORM_*, BENCH_SUSTAINED_*, BENCH_BASELINE_ROUNDS, BENCH_GUNICORN_WORKERS/THREADS and
BENCH_PGBENCH_SECONDS change the sizes (see the constants below).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import httpx
import psycopg
import run  # the helpers and the database of `make bench`
import summary  # the table at the top of BENCHMARKS.md
from psycopg.types.json import Jsonb

SLUG = "bench-agenda"
PRACTICE_NUMBER = 249  # the generator's BSN block for this practice (region: 1..200)
PATIENTS = 400  # patients of the bench practice; the first CLIENTS get portal sessions
CLIENTS = int(os.environ.get("BENCH_STORM_CLIENTS", "200"))
SLOTS = int(os.environ.get("BENCH_STORM_SLOTS", "100"))
STORM_ROUNDS = int(os.environ.get("BENCH_STORM_ROUNDS", "3"))
SUSTAINED_CLIENTS = int(os.environ.get("BENCH_SUSTAINED_CLIENTS", "20"))
SUSTAINED_SECONDS = float(os.environ.get("BENCH_SUSTAINED_SECONDS", "30"))
BASELINE_ROUNDS = int(os.environ.get("BENCH_BASELINE_ROUNDS", "5"))
# 2 cores: sync workers, twice the cores (each worker waits on PostgreSQL part of the time).
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "1"))
PGBENCH_CLIENTS = 8
PGBENCH_SECONDS = int(os.environ.get("BENCH_PGBENCH_SECONDS", "15"))
PGBENCH_SCALE = 10  # at least the number of clients, so TPC-B's branch rows do not serialise
REQUEST_TIMEOUT = 30.0
STORM_TIMEOUT = 180.0
TZ = ZoneInfo("Europe/Amsterdam")
SLOT_MINUTES = 10
DAYS_AHEAD = 2  # past the 24-hour cancel cut-off, inside the 14-day horizon
TARGET_P95_MS = 500.0  # as the clients see it (queueing for a worker included)
TARGET_WORKER_P95_MS = 15.0  # inside the worker (gunicorn's access log)
# Against the bare booking transaction in SQL with the same locks (patient row, slots,
# the audit chain head): the same work without Django, HTTP or templates.
TARGET_SHARE_OF_BARE = 0.20
CONFIRM = "/afspraken/maken/bevestigen/"
TRIAGE = "/afspraken/maken/"
TIMES = "/afspraken/maken/tijd/"
BOOKED = re.compile(r"^/afspraken/([0-9a-f-]{36})/$")
TIME_CHOICE = re.compile(r'name="tijd" value="([0-9a-f-]{36})"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FLAG_FIELD = re.compile(r'name="(flag_[a-z0-9-]+)"')


# --- Setup --------------------------------------------------------------------------------


def server_env(env: dict[str, str]) -> dict[str, str]:
    """The bench env, with notifications going nowhere: measure the app, not a mail server."""
    return {
        **env,
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "SMS_BACKEND": "spreekuur.core.sms.NullBackend",
    }


def ensure_database(env: dict[str, str]) -> None:
    """Use the bench database if it is there (migrated to the current code); otherwise
    build a small one (De Linde only, no region)."""
    found = subprocess.run(
        ["psql", run.ADMIN_URL, "-tAc", "SELECT datname FROM pg_database"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    if run.BENCH_DB in found:
        run.run([run.SPREEKUUR, "migrate", "-v", "0"], env, 600)
        return
    print(f"no {run.BENCH_DB} database: building a small one (load_demo) ...", flush=True)
    run.psql(f"CREATE DATABASE {run.BENCH_DB}")
    run.run([run.SPREEKUUR, "migrate", "-v", "0"], env, 600)
    run.run([run.SPREEKUUR, "load_demo", "--quiet"], env, 600)


def prepare_in_django(clients: int) -> dict[str, Any]:
    """(Child process, Django set up.) The bench practice, its GPs, the online type, loose
    booking rules, and a portal user with a verified session for each bench patient.

    Sessions are written straight into the session store, with the keys a password + TOTP
    login leaves (as tests/conftest.py::verified_client does): a TOTP code works once per
    30 seconds per user, so 200 real logins would take minutes."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spreekuur.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from spreekuur.accounts.models import Membership
    from spreekuur.agenda.models import AppointmentMode, AppointmentType, BookingRules
    from spreekuur.core.models import Practice
    from spreekuur.core.roles import StaffRole
    from spreekuur.demo import generator
    from spreekuur.patients.models import Patient

    if clients > PATIENTS:
        raise SystemExit(f"at most {PATIENTS} storm clients")
    if Practice.objects.filter(slug=f"regio-{PRACTICE_NUMBER:03d}").exists():
        raise SystemExit(
            f"the region has practice {PRACTICE_NUMBER}: BENCH_PRACTICES must be lower"
        )
    password_hash = make_password(generator.DEMO_PASSWORD)
    spec = generator.PracticeSpec(
        PRACTICE_NUMBER, SLUG, "Huisartsenpraktijk Boekingsstorm (bench)", "Benchstad", PATIENTS
    )
    practice, _created = generator.build_practice(
        spec, password_hash=password_hash, today=timezone.localdate()
    )
    with transaction.atomic():
        BookingRules.objects.update_or_create(
            practice=practice,
            defaults={
                "online_booking_enabled": True,
                "horizon_days": 14,
                "min_notice_minutes": 120,
                "max_open_online": 10,  # each client books once per round: not the limit
                "max_online_minutes": 15,
                "change_cutoff_hours": 24,
            },
        )
        consult, _ = AppointmentType.objects.update_or_create(
            practice=practice,
            name="Consult",
            defaults={
                "duration_minutes": SLOT_MINUTES,
                "mode": AppointmentMode.IN_PERSON,
                "offered_by": [StaffRole.HUISARTS],
                "online_bookable": True,
                "active": True,
            },
        )
        patients = list(Patient.objects.filter(practice=practice).order_by("id")[:clients])
        give_portal_accounts(patients, prefix="patient", password_hash=password_hash)
    sessions = [
        {"session": key, "patient": patient.pk, "user": patient.user_id}
        for patient, key in zip(patients, patient_sessions(patients), strict=True)
    ]
    gps = Membership.objects.filter(
        practice=practice, role=StaffRole.HUISARTS, active=True
    ).order_by("id")
    return {
        "practice": practice.pk,
        "type": str(consult.public_id),
        "type_pk": consult.pk,
        "gps": [m.pk for m in gps],
        "clients": sessions,
    }


def give_portal_accounts(patients: list[Any], *, prefix: str, password_hash: str) -> None:
    """(Child process.) A portal account with the demo password and authenticator key for
    each of these patients that has none (`<prefix><patient id>@<practice>.example`)."""
    from django.db import transaction
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from spreekuur.accounts.models import User
    from spreekuur.core.models import Practice
    from spreekuur.demo import generator
    from spreekuur.patients.models import Patient

    with transaction.atomic():
        missing = [p for p in patients if p.user_id is None]
        slugs = dict(
            Practice.objects.filter(pk__in={p.practice_id for p in missing}).values_list(
                "pk", "slug"
            )
        )
        users = User.objects.bulk_create(
            [
                User(
                    email=f"{prefix}{p.pk}@{slugs[p.practice_id]}.example",
                    full_name=p.display_name,
                    password=password_hash,
                    email_confirmed_at=timezone.now(),
                )
                for p in missing
            ]
        )
        TOTPDevice.objects.bulk_create(
            [
                TOTPDevice(user=u, name="Demo", key=generator.DEMO_TOTP_HEX, confirmed=True)
                for u in users
            ]
        )
        for patient, user in zip(missing, users, strict=True):
            patient.user = user
        Patient.objects.bulk_update(missing, ["user"])


def patient_sessions(patients: list[Any]) -> list[str]:
    """(Child process.) A verified session for each patient's portal account."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from spreekuur.accounts.models import User

    user_ids = [p.user_id for p in patients]
    by_id = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    devices = {
        d.user_id: d for d in TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True)
    }
    return [verified_session(by_id[p.user_id], devices[p.user_id]) for p in patients]


def verified_session(user: Any, device: Any) -> str:
    """(Child process.) A session written straight into the session store, with the keys a
    password + TOTP login leaves (as tests/conftest.py::verified_client does): a TOTP code
    works once per 30 seconds per user, so hundreds of real logins would take minutes."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY

    from spreekuur.accounts.freshness import SESSION_SECOND_FACTOR_AT

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "spreekuur.accounts.backends.PracticeAwareBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SESSION_SECOND_FACTOR_AT] = time.time()
    session.create()
    return session.session_key or ""


@dataclass(frozen=True)
class Setup:
    practice: int
    type_id: str  # the public id the portal uses
    type_pk: int
    gps: list[int]
    clients: list[dict[str, Any]]  # session key, patient id, user id
    day: date


def prepare(env: dict[str, str]) -> Setup:
    """Run prepare_in_django in a child process with the bench DATABASE_URL."""
    done = subprocess.run(
        [sys.executable, __file__, "--prepare", str(CLIENTS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench setup failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    today = datetime.now(TZ).date()
    return Setup(
        data["practice"],
        data["type"],
        data["type_pk"],
        data["gps"],
        data["clients"],
        today + timedelta(days=DAYS_AHEAD),
    )


def reset_agenda(db: psycopg.Connection[Any], setup: Setup) -> list[str]:
    """Cancel the practice's active appointments (in SQL, no audit: this is the bench
    resetting itself), remove its slots, and release exactly SLOTS fresh 10-minute slots
    on one day, spread over the GPs. Returns their public ids in start order."""
    start = datetime.combine(setup.day, clock(8), tzinfo=TZ)
    rows = []
    for index in range(SLOTS):
        gp = setup.gps[index % len(setup.gps)]
        begins = start + timedelta(minutes=SLOT_MINUTES * (index // len(setup.gps)))
        rows.append((setup.practice, gp, begins, begins + timedelta(minutes=SLOT_MINUTES)))
    replace_slots(db, setup.practice, rows)
    found = db.execute(
        "SELECT public_id FROM agenda_slot WHERE practice_id = %s ORDER BY starts_at, id",
        [setup.practice],
    ).fetchall()
    return [str(row[0]) for row in found]


def replace_slots(
    db: psycopg.Connection[Any], practice: int, rows: list[tuple[int, int, datetime, datetime]]
) -> None:
    """In one transaction: cancel the practice's active appointments (in SQL, no audit:
    this is the bench resetting itself), remove its slots, release these (practice,
    practitioner, start, end) as free online slots."""
    with db.transaction():
        db.execute(
            "UPDATE agenda_appointment SET status = 'geannuleerd', cancelled_at = now(),"
            " cancelled_by_id = booked_by_id WHERE practice_id = %s AND status <> 'geannuleerd'",
            [practice],
        )
        db.execute("DELETE FROM agenda_slot WHERE practice_id = %s", [practice])
        with db.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO agenda_slot (public_id, practice_id, practitioner_id, starts_at,"
                " ends_at, online) VALUES (gen_random_uuid(), %s, %s, %s, %s, true)",
                rows,
            )


def scalar(db: psycopg.Connection[Any], sql: str, params: Any) -> int:
    row = db.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def audit_head(db: psycopg.Connection[Any], practice: int) -> int:
    return scalar(
        db,
        "SELECT coalesce(max(seq), 0) FROM core_auditentry WHERE practice_id = %s AND lane = 0",
        [practice],
    )


# --- Double bookings ----------------------------------------------------------------------

CHECKS = {
    "overlapping active appointments (pairs, one practitioner)": """
        SELECT count(*) FROM agenda_appointment a JOIN agenda_appointment b
          ON a.practitioner_id = b.practitioner_id AND a.id < b.id
         AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(b.starts_at, b.ends_at, '[)')
        WHERE a.practice_id = %(p)s AND b.practice_id = %(p)s
          AND a.status <> 'geannuleerd' AND b.status <> 'geannuleerd'""",
    "slots covered by more than one active appointment": """
        SELECT count(*) FROM agenda_slot s WHERE s.practice_id = %(p)s AND (
          SELECT count(*) FROM agenda_appointment a
          WHERE a.practitioner_id = s.practitioner_id AND a.status <> 'geannuleerd'
            AND tstzrange(a.starts_at, a.ends_at, '[)') && tstzrange(s.starts_at, s.ends_at, '[)')
        ) > 1""",
    "active appointments no slot points at": """
        SELECT count(*) FROM agenda_appointment a
        WHERE a.practice_id = %(p)s AND a.status <> 'geannuleerd'
          AND NOT EXISTS (SELECT 1 FROM agenda_slot s WHERE s.appointment_id = a.id)""",
    "slots pointing at a cancelled appointment": """
        SELECT count(*) FROM agenda_slot s JOIN agenda_appointment a ON a.id = s.appointment_id
        WHERE s.practice_id = %(p)s AND a.status = 'geannuleerd'""",
}


def active_bookings(db: psycopg.Connection[Any], practice: int) -> int:
    return scalar(
        db,
        "SELECT count(*) FROM agenda_appointment WHERE practice_id = %s"
        " AND status <> 'geannuleerd'",
        [practice],
    )


def replay_conflicts(db: psycopg.Connection[Any], practice: int, after_seq: int) -> tuple[int, int]:
    """Replay bookings and cancellations from the audit chain in commit order; count the
    bookings that started while an overlapping appointment of the same practitioner was
    active. Returns (conflicts, events replayed)."""
    entries = db.execute(
        "SELECT action, detail, object_ids FROM core_auditentry WHERE practice_id = %s"
        " AND lane = 0 AND seq > %s AND object_kind = 'appointment'"
        " AND action IN ('create', 'change') ORDER BY seq",
        [practice, after_seq],
    ).fetchall()
    ids = {object_id for _a, _d, objects in entries for object_id in objects}
    spans = {
        str(public_id): (practitioner, starts, ends)
        for public_id, practitioner, starts, ends in db.execute(
            "SELECT public_id, practitioner_id, starts_at, ends_at FROM agenda_appointment"
            " WHERE public_id = ANY(%s::uuid[])",
            [list(ids)],
        ).fetchall()
    }
    active: dict[str, tuple[int, datetime, datetime]] = {}
    conflicts = 0
    for action, detail, objects in entries:
        if action == "create":
            new = spans[objects[0]]
            conflicts += any(
                other[0] == new[0] and other[1] < new[2] and new[1] < other[2]
                for other in active.values()
            )
            active[objects[0]] = new
        elif detail == "geannuleerd":
            active.pop(objects[0], None)
    return conflicts, len(entries)


def double_booking_checks(
    db: psycopg.Connection[Any], practice: int, after_seq: int
) -> dict[str, int]:
    found = {name: scalar(db, sql, {"p": practice}) for name, sql in CHECKS.items()}
    conflicts, _events = replay_conflicts(db, practice, after_seq)
    found["bookings over an active one, audit chain replayed in commit order"] = conflicts
    return found


# --- The server ---------------------------------------------------------------------------


# The production configuration (deploy/gunicorn.conf.py: log format, timeouts, worker
# recycling); the bench sets only the size and where to listen and log.
GUNICORN = [str(run.BIN / "gunicorn"), "-c", str(run.ROOT / "deploy" / "gunicorn.conf.py")]


def worker_setup() -> str:
    if THREADS > 1:
        return f"gunicorn gthread, {WORKERS} workers x {THREADS} threads"
    return f"gunicorn sync, {WORKERS} workers"


def start_server(
    env: dict[str, str], access_log: Path, error_log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = run.free_port()
    with error_log.open("ab") as errors:
        server = subprocess.Popen(
            [
                *GUNICORN,
                "--workers",
                str(WORKERS),
                "--threads",
                str(THREADS),
                "--bind",
                f"127.0.0.1:{port}",
                "--access-logfile",
                str(access_log),
            ],
            env=server_env(env),
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
        )
    return server, answering(server, f"http://127.0.0.1:{port}")


def start_one_worker(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """One gunicorn sync worker, no access log: the page benchmarks' server, one request
    at a time. `env` is used as given."""
    port = run.free_port()
    server = subprocess.Popen(
        [
            *GUNICORN,
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return server, answering(server, f"http://127.0.0.1:{port}")


def answering(server: subprocess.Popen[bytes], base: str) -> str:
    """`base` once the server answers /healthz; stopped and an error after 30 s."""
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return base
        except httpx.HTTPError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError("gunicorn did not come up within 30 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def report_server_errors(error_log: Path) -> None:
    """The last lines of the gunicorn log when a request crashed during a run."""
    errors = error_log.read_text(errors="replace")
    if "Traceback" in errors:
        print("server errors (last lines of the gunicorn log):", flush=True)
        print("\n".join(errors.splitlines()[-40:]), flush=True)


def worker_pids(server: subprocess.Popen[bytes]) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, timeout=10
    ).stdout.split()
    return [int(pid) for pid in found]


def worker_memory(server: subprocess.Popen[bytes]) -> float:
    return max((run.rss_mb(pid) for pid in worker_pids(server)), default=0.0)


@dataclass
class CpuShare:
    """Where the machine's CPU went during a phase (shares of all cores, 0..1)."""

    bench: float  # gunicorn and the load generator
    postgres: float  # every PostgreSQL process (all databases)
    other: float  # everything else on the machine
    idle: float


def _ticks(pid: str) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0
    return int(fields[11]) + int(fields[12])


@dataclass(frozen=True)
class CpuSample:
    busy: int  # ticks the machine was busy (all cores)
    total: int  # all ticks
    own: dict[int, int]  # ticks per process of ours (load generator, gunicorn)
    postgres: dict[int, int]  # ticks per PostgreSQL process


def cpu_sample(own: Sequence[int]) -> CpuSample:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(values[:8])
    postgres = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().startswith("postgres"):
                    postgres[int(entry.name)] = _ticks(entry.name)
            except OSError:
                continue
    return CpuSample(
        total - values[3] - values[4],  # minus idle and iowait
        total,
        {pid: _ticks(str(pid)) for pid in own},
        postgres,
    )


def cpu_share(before: CpuSample, after: CpuSample) -> CpuShare:
    """Per process, so one that ended in between (its ticks gone) counts as 'other'."""

    def used(first: dict[int, int], last: dict[int, int]) -> int:
        return sum(max(0, ticks - first.get(pid, 0)) for pid, ticks in last.items())

    total = max(after.total - before.total, 1)
    busy = after.busy - before.busy
    own = used(before.own, after.own)
    postgres = used(before.postgres, after.postgres)
    return CpuShare(
        own / total, postgres / total, max(0, busy - own - postgres) / total, 1 - busy / total
    )


def server_times(access_log: Path, start: int, end: int, method: str, path: str) -> list[float]:
    """Milliseconds spent in the worker for one kind of request (path: a regular
    expression), from a slice of gunicorn's access log."""
    with access_log.open("rb") as handle:
        handle.seek(start)
        text = handle.read(end - start).decode(errors="replace")
    times = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == method and re.fullmatch(path, parts[1]):
            times.append(int(parts[3]) / 1000)
    return times


# --- The clients --------------------------------------------------------------------------


@dataclass
class Client:
    """One patient's browser: their own cookies (session, CSRF) over a shared pool."""

    http: httpx.AsyncClient
    patient: int
    token: str = ""
    flags: list[str] = field(default_factory=list)

    def triage_form(self) -> dict[str, str]:
        form = {"csrfmiddlewaretoken": self.token, "reason": "Hoesten dat niet overgaat"}
        form.update({name: "nee" for name in self.flags})
        return form


@dataclass
class Samples:
    """Latencies (ms) and outcomes of one kind of request."""

    ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)  # what the errors were

    def add(self, started: float, outcome: str) -> None:
        self.ms.append((time.perf_counter() - started) * 1000)
        self.outcomes[outcome] += 1

    def merge(self, other: Samples) -> None:
        self.ms += other.ms
        self.outcomes.update(other.outcomes)
        self.unexpected.update(other.unexpected)

    @property
    def errors(self) -> int:
        return self.outcomes["5xx"] + self.outcomes["other"] + self.outcomes["transport"]

    def pct(self, share: float) -> float:
        return run.percentile(self.ms, share) if self.ms else float("nan")


def outcome_of(response: httpx.Response, expect: str) -> str:
    """'ok' for the answer this step gives on success, 'taken' for a lost race."""
    if response.status_code >= 500:
        return "5xx"
    if response.status_code == 409:
        return "taken"
    location = response.headers.get("location", "")
    if response.status_code == 302 and re.match(expect, location):
        return "ok"
    return "other"


Send = Callable[[], Awaitable[httpx.Response]]


async def request(samples: Samples, send: Send, expect: str) -> tuple[str, httpx.Response | None]:
    """One timed request; the outcome ('ok', 'taken', '5xx', 'other', 'transport')."""
    started = time.perf_counter()
    try:
        response = await send()
    except httpx.HTTPError as error:
        samples.add(started, "transport")
        samples.unexpected[type(error).__name__] += 1
        return "transport", None
    outcome = outcome_of(response, expect)
    samples.add(started, outcome)
    if outcome in ("5xx", "other"):
        where = re.sub(r"[0-9a-f-]{36}", "<uuid>", response.headers.get("location", ""))
        samples.unexpected[f"HTTP {response.status_code} {where}".strip()] += 1
    return outcome, response


async def open_clients(base: str, setup: Setup) -> tuple[list[Client], httpx.AsyncHTTPTransport]:
    """A client per bench patient, each with the CSRF token of their own triage page."""
    # No keep-alive: a connection the server closed while idle would fail a POST (a
    # load-generator artefact); sync workers close after every answer anyway.
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=CLIENTS + 20, max_keepalive_connections=0)
    )
    clients = [
        Client(
            httpx.AsyncClient(
                base_url=base,
                transport=transport,
                cookies={"sessionid": row["session"]},
                timeout=REQUEST_TIMEOUT,
                trust_env=False,
            ),
            row["patient"],
        )
        for row in setup.clients
    ]
    gate = asyncio.Semaphore(8)

    async def fetch_form(client: Client) -> None:
        async with gate:
            page = await client.http.get(TRIAGE)
        token = CSRF.search(page.text)
        if page.status_code != 200 or token is None:
            raise RuntimeError(f"no triage form for a bench patient (HTTP {page.status_code})")
        client.token = token.group(1)
        client.flags = sorted(set(FLAG_FIELD.findall(page.text)))

    await asyncio.gather(*(fetch_form(client) for client in clients))
    return clients, transport


@dataclass
class StormRound:
    triage: Samples
    confirm: Samples
    booked_first: int
    booked_retry: int
    wall: float
    server_confirm_ms: list[float] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)
    in_database: int = 0
    cpu: CpuShare | None = None

    @property
    def booked(self) -> int:
        return self.booked_first + self.booked_retry


async def storm_round(clients: list[Client], setup: Setup, slots: list[str]) -> StormRound:
    """All clients start at once; clients 2k and 2k+1 want the same slot."""
    order = list(range(len(slots)))
    random.Random(len(slots)).shuffle(order)
    wanted = [slots[order[(index // 2) % len(slots)]] for index in range(len(clients))]
    triage, confirm = Samples(), Samples()
    won = Counter[str]()
    start = asyncio.Event()

    async def one(client: Client, slot: str) -> None:
        rng = random.Random(client.patient)
        await start.wait()
        outcome, _ = await request(
            triage,
            lambda: client.http.post(TRIAGE, data=client.triage_form()),
            r"^/afspraken/maken/tijd/$",
        )
        if outcome != "ok":
            return
        for attempt in ("first", "retry"):
            form = {"csrfmiddlewaretoken": client.token, "soort": setup.type_id, "tijd": slot}
            outcome, response = await request(
                confirm, lambda form=form: client.http.post(CONFIRM, data=form), BOOKED.pattern
            )
            if outcome == "ok":
                won[attempt] += 1
                return
            if outcome != "taken" or response is None:
                return
            free = TIME_CHOICE.findall(response.text)
            if not free:
                return
            slot = rng.choice(free)

    tasks = [asyncio.create_task(one(c, s)) for c, s in zip(clients, wanted, strict=True)]
    await asyncio.sleep(0.05)  # every task is parked on the start line
    started = time.perf_counter()
    start.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=STORM_TIMEOUT)
    wall = time.perf_counter() - started
    return StormRound(triage, confirm, won["first"], won["retry"], wall)


@dataclass
class Sustained:
    samples: dict[str, Samples]
    seconds: float
    checks: dict[str, int] = field(default_factory=dict)
    server_ms: dict[str, list[float]] = field(default_factory=dict)
    cpu: CpuShare | None = None


async def sustained_load(clients: list[Client], setup: Setup) -> Sustained:
    """Each client loops: triage, search the free times, book one of them, open the
    appointment page the booking redirects to (as a browser does), cancel it."""
    kinds = ("triage", "search", "book", "view", "cancel")
    samples = {kind: Samples() for kind in kinds}
    search_url = f"{TIMES}?soort={setup.type_id}&zorgverlener=iedereen"
    started = time.perf_counter()
    deadline = started + SUSTAINED_SECONDS

    async def search(client: Client) -> list[str]:
        begun = time.perf_counter()
        try:
            page = await client.http.get(search_url)
        except httpx.HTTPError as error:
            samples["search"].add(begun, "transport")
            samples["search"].unexpected[type(error).__name__] += 1
            return []
        found = TIME_CHOICE.findall(page.text) if page.status_code == 200 else []
        code = page.status_code
        samples["search"].add(begun, "ok" if found else "5xx" if code >= 500 else "other")
        if not found:
            samples["search"].unexpected[f"HTTP {code}, no free time listed"] += 1
        return found

    async def view(client: Client, page: str) -> None:
        begun = time.perf_counter()
        try:
            answer = await client.http.get(page)
        except httpx.HTTPError as error:
            samples["view"].add(begun, "transport")
            samples["view"].unexpected[type(error).__name__] += 1
            return
        code = answer.status_code
        samples["view"].add(begun, "ok" if code == 200 else "5xx" if code >= 500 else "other")
        if code != 200:
            samples["view"].unexpected[f"HTTP {code} on the appointment page"] += 1

    async def loop(client: Client, rng: random.Random) -> None:
        while time.perf_counter() < deadline:
            outcome, _ = await request(
                samples["triage"],
                lambda: client.http.post(TRIAGE, data=client.triage_form()),
                r"^/afspraken/maken/tijd/$",
            )
            if outcome != "ok":
                continue
            free = await search(client)
            if not free:
                continue
            form = {
                "csrfmiddlewaretoken": client.token,
                "soort": setup.type_id,
                "tijd": rng.choice(free),
            }
            outcome, response = await request(
                samples["book"],
                lambda form=form: client.http.post(CONFIRM, data=form),
                BOOKED.pattern,
            )
            if outcome != "ok" or response is None:
                continue
            booked = BOOKED.match(response.headers["location"])
            assert booked is not None
            await view(client, booked.group(0))
            cancel = f"/afspraken/{booked.group(1)}/annuleren/"
            await request(
                samples["cancel"],
                lambda cancel=cancel: client.http.post(
                    cancel, data={"csrfmiddlewaretoken": client.token}
                ),
                r"^/afspraken/$",
            )

    loops = [loop(client, random.Random(n)) for n, client in enumerate(clients)]
    await asyncio.wait_for(asyncio.gather(*loops), timeout=SUSTAINED_SECONDS + 120)
    return Sustained(samples, time.perf_counter() - started)


# --- Baselines ----------------------------------------------------------------------------

BASELINE_REASON = "bench: SQL baseline"
LOCK_SLOT = (
    "SELECT id, practitioner_id, starts_at, ends_at, appointment_id FROM agenda_slot"
    " WHERE id = %s FOR UPDATE"
)
INSERT_APPOINTMENT = (
    "INSERT INTO agenda_appointment (public_id, practice_id, patient_id, practitioner_id,"
    " appointment_type_id, starts_at, ends_at, status, channel, reason, desk_note,"
    " triage_answers, booked_by_id, booked_at, checkin_code) VALUES (gen_random_uuid(), %s,"
    " %s, %s, %s, %s, %s, 'geboekt', 'online', %s, '', %s, %s, now(), %s)"
    " RETURNING id, public_id"
)
INSERT_AUDIT = (
    "INSERT INTO bench_audit_entry (public_id, practice_id, seq, occurred_at, action, outcome,"
    " actor_id, actor_name, actor_role, patient_id, object_kind, object_ids, ip_address,"
    " channel, detail, lane, prev_hash, entry_hash) VALUES (gen_random_uuid(), %s, {seq},"
    " now(), 'create', 'allowed', %s, 'Bench', 'patient', %s, 'appointment', %s,"
    " '127.0.0.1', 'portal', '', 0, %s, %s)"
)
FREE_SLOTS = (
    "SELECT id FROM agenda_slot WHERE practice_id = %s AND appointment_id IS NULL AND online"
    " AND starts_at >= now() + interval '2 hours' ORDER BY starts_at, practitioner_id LIMIT 12"
)


async def sql_round(
    dsn: str,
    setup: Setup,
    slot_ids: list[int],
    connections: int,
    answers: Jsonb,
    *,
    app_locks: bool,
) -> tuple[int, float]:
    """The booking transaction without Django: same contenders, slots and retry rule as the
    storm, over `connections` connections. With app_locks also the patient row and a
    chain-head row, as book_appointment and record_access lock them. (bookings, seconds)"""
    pool: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await psycopg.AsyncConnection.connect(dsn, autocommit=True))
    order = list(range(len(slot_ids)))
    random.Random(len(slot_ids)).shuffle(order)
    key = b"bench"
    start = asyncio.Event()

    async def attempt(conn: psycopg.AsyncConnection[Any], row: dict[str, Any], slot: int) -> bool:
        async with conn.transaction():
            if app_locks:
                await conn.execute(
                    "SELECT id FROM patients_patient WHERE id = %s FOR UPDATE", [row["patient"]]
                )
            locked = await (await conn.execute(LOCK_SLOT, [slot])).fetchone()
            if locked is None or locked[4] is not None:
                return False
            made = await (
                await conn.execute(
                    INSERT_APPOINTMENT,
                    [
                        setup.practice,
                        row["patient"],
                        locked[1],
                        setup.type_pk,
                        locked[2],
                        locked[3],
                        BASELINE_REASON,
                        answers,
                        row["user"],
                        "".join(
                            secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(10)
                        ),
                    ],
                )
            ).fetchone()
            assert made is not None
            await conn.execute(
                "UPDATE agenda_slot SET appointment_id = %s WHERE id = %s", [made[0], slot]
            )
            ids = Jsonb([str(made[1])])
            if app_locks:
                head = await (
                    await conn.execute(
                        "SELECT last_seq, last_hash FROM bench_audit_chain WHERE scope = 'bench'"
                        " FOR UPDATE"
                    )
                ).fetchone()
                assert head is not None
                digest = hmac.new(key, f"{head[1]}{made[1]}".encode(), hashlib.sha256).hexdigest()
                await conn.execute(
                    INSERT_AUDIT.format(seq="%s"),
                    [
                        setup.practice,
                        head[0] + 1,
                        row["user"],
                        row["patient"],
                        ids,
                        head[1],
                        digest,
                    ],
                )
                await conn.execute(
                    "UPDATE bench_audit_chain SET last_seq = %s, last_hash = %s"
                    " WHERE scope = 'bench'",
                    [head[0] + 1, digest],
                )
            else:
                digest = hashlib.sha256(str(made[1]).encode()).hexdigest()
                await conn.execute(
                    INSERT_AUDIT.format(seq="nextval('bench_audit_seq')"),
                    [setup.practice, row["user"], row["patient"], ids, "0" * 64, digest],
                )
        return True

    async def contender(row: dict[str, Any], slot: int, rng: random.Random) -> int:
        await start.wait()
        conn = await pool.get()
        try:
            if await attempt(conn, row, slot):
                return 1
            free = await (await conn.execute(FREE_SLOTS, [setup.practice])).fetchall()
            if not free:
                return 0
            return int(await attempt(conn, row, rng.choice(free)[0]))
        finally:
            pool.put_nowait(conn)

    tasks = [
        asyncio.create_task(
            contender(row, slot_ids[order[(index // 2) % len(slot_ids)]], random.Random(index))
        )
        for index, row in enumerate(setup.clients)
    ]
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    start.set()
    booked = sum(await asyncio.wait_for(asyncio.gather(*tasks), timeout=STORM_TIMEOUT))
    seconds = time.perf_counter() - started
    while not pool.empty():
        await pool.get_nowait().close()
    return booked, seconds


def sql_baseline(
    db: psycopg.Connection[Any], setup: Setup, connections: int, *, app_locks: bool
) -> tuple[float, int]:
    """Median bookings/s of BASELINE_ROUNDS rounds of the bare transaction, and the fewest
    slots a round booked (all of them, or the baseline is wrong)."""
    asked = db.execute(
        "SELECT code, question FROM triage_redflag WHERE practice_id IS NULL ORDER BY sort_order"
    ).fetchall()
    answers = Jsonb({"asked": [{"code": c, "question": q, "answer": False} for c, q in asked]})
    db.execute("DROP TABLE IF EXISTS bench_audit_entry, bench_audit_chain")
    db.execute("DROP SEQUENCE IF EXISTS bench_audit_seq")
    db.execute("CREATE TABLE bench_audit_entry (LIKE core_auditentry INCLUDING ALL)")
    db.execute("CREATE TABLE bench_audit_chain (LIKE core_auditchain INCLUDING ALL)")
    db.execute("CREATE SEQUENCE bench_audit_seq")
    db.execute(
        "INSERT INTO bench_audit_chain (scope, practice_id, lane, last_seq, last_hash)"
        " VALUES ('bench', %s, 0, 0, %s)",
        [setup.practice, "0" * 64],
    )
    rates: list[float] = []
    fewest = SLOTS
    try:
        for _ in range(BASELINE_ROUNDS):
            reset_agenda(db, setup)
            slot_ids = [
                int(row[0])
                for row in db.execute(
                    "SELECT id FROM agenda_slot WHERE practice_id = %s ORDER BY starts_at, id",
                    [setup.practice],
                ).fetchall()
            ]
            booked, seconds = asyncio.run(
                sql_round(
                    run.database_url(), setup, slot_ids, connections, answers, app_locks=app_locks
                )
            )
            rates.append(booked / seconds)
            fewest = min(fewest, booked)
            with db.transaction():
                db.execute(
                    "UPDATE agenda_slot SET appointment_id = NULL WHERE practice_id = %s",
                    [setup.practice],
                )
                db.execute(
                    "DELETE FROM agenda_appointment WHERE practice_id = %s AND reason = %s",
                    [setup.practice, BASELINE_REASON],
                )
    finally:
        db.execute("DROP TABLE IF EXISTS bench_audit_entry, bench_audit_chain")
        db.execute("DROP SEQUENCE IF EXISTS bench_audit_seq")
    return statistics.median(rates), fewest


def pgbench_tps() -> float:
    """PostgreSQL's own TPC-B on a scratch database: the machine's transaction rate."""
    admin = urlparse(run.ADMIN_URL)
    where = [
        "-h",
        admin.hostname or "127.0.0.1",
        "-p",
        str(admin.port or 5432),
        "-U",
        admin.username or "postgres",
    ]
    scratch = "spreekuur_tpcb"
    run.psql(f"DROP DATABASE IF EXISTS {scratch}")
    run.psql(f"CREATE DATABASE {scratch}")
    try:
        subprocess.run(
            ["pgbench", "-i", "-q", "-s", str(PGBENCH_SCALE), *where, scratch],
            check=True,
            timeout=300,
            capture_output=True,
        )
        done = subprocess.run(
            [
                "pgbench",
                "-c",
                str(PGBENCH_CLIENTS),
                "-j",
                "2",
                "-T",
                str(PGBENCH_SECONDS),
                *where,
                scratch,
            ],
            check=True,
            timeout=PGBENCH_SECONDS + 120,
            capture_output=True,
            text=True,
        )
    finally:
        run.psql(f"DROP DATABASE IF EXISTS {scratch}")
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    if found is None:
        raise RuntimeError(f"no tps in pgbench output:\n{done.stdout}")
    return float(found.group(1))


def audit_verify(env: dict[str, str]) -> str:
    done = subprocess.run(
        [run.SPREEKUUR, "audit_verify", "--practice", SLUG],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return (done.stdout + done.stderr).strip().splitlines()[-1]


# --- The run ------------------------------------------------------------------------------


@dataclass
class Results:
    database: str
    storm: list[StormRound]
    sustained: Sustained
    memory_mb: float
    sql_rate: float
    sql_rate_locks: float
    sql_connections: int
    sql_fewest_booked: int  # every baseline round must book every slot
    pgbench: float
    audit: str
    code: str = ""
    seconds: float = 0.0


async def app_phases(
    env: dict[str, str], db: psycopg.Connection[Any], setup: Setup, logs: Path
) -> tuple[list[StormRound], Sustained, float]:
    access_log, error_log = logs / "access.log", logs / "error.log"
    access_log.touch()
    server, base = start_server(env, access_log, error_log)
    try:
        clients, transport = await open_clients(base, setup)
        own = [os.getpid(), server.pid, *worker_pids(server)]
        rounds = []
        for number in range(1, STORM_ROUNDS + 1):
            slots = reset_agenda(db, setup)
            head = audit_head(db, setup.practice)
            offset = access_log.stat().st_size
            before = cpu_sample(own)
            result = await storm_round(clients, setup, slots)
            result.cpu = cpu_share(before, cpu_sample(own))
            await asyncio.sleep(0.5)  # let gunicorn flush its access log
            result.server_confirm_ms = server_times(
                access_log, offset, access_log.stat().st_size, "POST", re.escape(CONFIRM)
            )
            result.checks = double_booking_checks(db, setup.practice, head)
            result.in_database = active_bookings(db, setup.practice)
            rounds.append(result)
            print(
                f"  storm round {number}: {result.booked} booked, "
                f"{result.confirm.outcomes['taken']} taken (409), {result.confirm.errors} errors, "
                f"{result.wall:.2f} s, confirm p95 {result.confirm.pct(0.95):.0f} ms",
                flush=True,
            )
        reset_agenda(db, setup)
        head = audit_head(db, setup.practice)
        offset = access_log.stat().st_size
        print(f"  sustained load: {SUSTAINED_CLIENTS} clients, {SUSTAINED_SECONDS:.0f} s ...")
        before = cpu_sample(own)
        sustained = await sustained_load(clients[:SUSTAINED_CLIENTS], setup)
        sustained.cpu = cpu_share(before, cpu_sample(own))
        await asyncio.sleep(0.5)
        end = access_log.stat().st_size
        sustained.server_ms = {
            kind: server_times(access_log, offset, end, method, path)
            for kind, method, path in (
                ("triage", "POST", re.escape(TRIAGE)),
                ("search", "GET", re.escape(TIMES)),
                ("book", "POST", re.escape(CONFIRM)),
                ("view", "GET", r"/afspraken/[0-9a-f-]{36}/"),
                ("cancel", "POST", r"/afspraken/[0-9a-f-]{36}/annuleren/"),
            )
        }
        sustained.checks = double_booking_checks(db, setup.practice, head)
        memory = worker_memory(server)
        for client in clients:
            await client.http.aclose()
        await transport.aclose()
        return rounds, sustained, memory
    finally:
        stop_server(server)
        report_server_errors(error_log)


def code_version() -> str:
    """The commit measured, and whether src/ had changes not yet committed."""
    git = ["git", "-C", str(run.ROOT)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    return f"`{head or 'unknown'}`" + (" with uncommitted changes in src/" if dirty else "")


def describe_database(db: psycopg.Connection[Any]) -> str:
    row = db.execute(
        "SELECT (SELECT count(*) FROM core_practice), (SELECT count(*) FROM patients_patient)"
    ).fetchone()
    assert row is not None
    return f"{row[0]:,} practices, {row[1]:,} patients"


def bench_booking(env: dict[str, str], *, when: str | None = None) -> str:
    """Run every phase against the bench database; append the section to BENCHMARKS.md."""
    if shutil.which("pgbench") is None or shutil.which("psql") is None:
        sys.exit("the booking benchmark needs psql and pgbench (Debian: postgresql-client)")
    when = when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    began = time.perf_counter()
    code = code_version()
    print("booking benchmark: preparing the bench practice ...", flush=True)
    setup = prepare(env)
    with psycopg.connect(run.database_url(), autocommit=True) as db:
        database = describe_database(db)
        with tempfile.TemporaryDirectory(prefix="spreekuur-bench-") as logs:
            print(f"  {worker_setup()}; storm: {CLIENTS} clients on {SLOTS} slots", flush=True)
            rounds, sustained, memory = asyncio.run(app_phases(env, db, setup, Path(logs)))
        connections = WORKERS * THREADS
        print(f"  SQL baseline ({connections} connections) ...", flush=True)
        sql_rate, fewest = sql_baseline(db, setup, connections, app_locks=False)
        sql_rate_locks, fewest_locks = sql_baseline(db, setup, connections, app_locks=True)
        reset_agenda(db, setup)
        db.execute("DELETE FROM agenda_slot WHERE practice_id = %s", [setup.practice])
    print(f"  pgbench TPC-B ({PGBENCH_CLIENTS} clients, {PGBENCH_SECONDS} s) ...", flush=True)
    tps = pgbench_tps()
    audit = audit_verify(env)
    results = Results(
        database,
        rounds,
        sustained,
        memory,
        sql_rate,
        sql_rate_locks,
        connections,
        min(fewest, fewest_locks),
        tps,
        audit,
    )
    results.code = code
    results.seconds = time.perf_counter() - began
    text = report(results, when)
    summary.publish(text, lambda: figures(results), bench="booking", when=when)
    return text


# --- The report ---------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def passed(ok: bool) -> str:
    return "pass" if ok else "**fail**"


def unexpected_text(results: Results) -> str:
    """What the errors were (status and where it pointed, or the transport error), or none."""
    found: Counter[str] = Counter()
    for result in results.storm:
        found.update(result.triage.unexpected)
        found.update(result.confirm.unexpected)
    for samples in results.sustained.samples.values():
        found.update(samples.unexpected)
    return ", ".join(f"{what} x{count}" for what, count in found.most_common()) or "none"


def cpu_text(shares: Sequence[CpuShare | None]) -> str:
    """The average split of the machine's CPU over some phases, as a sentence."""
    known = [share for share in shares if share is not None]
    if not known:
        return "not measured"

    def mean(values: list[float]) -> str:
        return f"{statistics.fmean(values):.0%}"

    return (
        f"benchmark (gunicorn + load generator) {mean([c.bench for c in known])}, "
        f"PostgreSQL {mean([c.postgres for c in known])}, other processes on the machine "
        f"{mean([c.other for c in known])}, idle {mean([c.idle for c in known])}"
    )


def report(results: Results, when: str) -> str:
    """The BENCHMARKS.md section: setup, targets, then the tables behind them."""
    rounds, sustained = results.storm, results.sustained
    confirm, triage = Samples(), Samples()
    in_worker: list[float] = []
    for result in rounds:
        confirm.merge(result.confirm)
        triage.merge(result.triage)
        in_worker += result.server_confirm_ms
    rate = statistics.median(r.booked / r.wall for r in rounds)
    everything = [confirm, triage, *sustained.samples.values()]
    five_xx = sum(samples.outcomes["5xx"] for samples in everything)
    errors = sum(samples.errors for samples in everything)
    double = sum(sum(r.checks.values()) for r in rounds) + sum(sustained.checks.values())
    mismatched = sum(r.booked != r.in_database for r in rounds)
    share = rate / results.sql_rate_locks
    worker_p95 = run.percentile(in_worker, 0.95)
    booked = sustained.samples["book"].outcomes["ok"]
    lines = [
        f"\n## Agenda — booking storm — {when}\n",
        f"Machine: {run.machine()}. Code: {results.code}.\n",
        f"Database `{run.BENCH_DB}` ({results.database}). The bench practice `{SLUG}` has "
        f"exactly {SLOTS} free online 10-minute slots, spread over its GPs on one day "
        f"{DAYS_AHEAD} days ahead; every client is a distinct patient with their own portal "
        f"session (booking rules: at most 10 open online appointments, so the race is for "
        f"slots, not for limits). Server: {worker_setup()}, `SPREEKUUR_ENV=development`, "
        "`DEBUG=false`, mail and SMS backends that send nothing. Load generator (asyncio + "
        "httpx, one connection per request), gunicorn and PostgreSQL share the 2 cores. "
        f"Whole benchmark: {results.seconds:.0f} s.\n",
        "| target | measured | |",
        "|---|---|---|",
        f"| 0 double bookings | {double} found by 5 checks; 302s seen = bookings in the "
        f"database in {len(rounds) - mismatched} of {len(rounds)} rounds "
        f"| {passed(double == 0 and mismatched == 0)} |",
        f"| 0 server errors | {five_xx} 5xx, {errors - five_xx} other unexpected answers "
        f"| {passed(errors == 0)} |",
        f"| storm: confirm p95 at most {TARGET_P95_MS:.0f} ms as the clients see it "
        f"| {ms(confirm.pct(0.95))} ms | {passed(confirm.pct(0.95) <= TARGET_P95_MS)} |",
        f"| storm: confirm p95 at most {TARGET_WORKER_P95_MS:.0f} ms inside the worker "
        f"| {ms(worker_p95)} ms | {passed(worker_p95 <= TARGET_WORKER_P95_MS)} |",
        f"| storm booking rate at least {TARGET_SHARE_OF_BARE:.0%} of the bare SQL booking "
        f"transaction (same locks) | {rate:.1f} bookings/s = {share:.1%} of "
        f"{results.sql_rate_locks:,.0f} bookings/s | {passed(share >= TARGET_SHARE_OF_BARE)} |",
        "",
        "The clients' latency in the storm is mostly waiting: all of them send at once, and "
        f"{WORKERS * THREADS} requests are served at a time; 'inside the worker' is what "
        "one request costs while the machine is saturated.\n",
        f"### Storm: {CLIENTS} patients on {SLOTS} slots, all at once, {len(rounds)} rounds\n",
        "Each client, on one start signal: POST the triage step, then POST confirm for a slot "
        "that exactly one other client also wants; a 409 (taken) is retried once with a time "
        "from the 409 page's list. Latency: the confirm POST as the client sees it (waiting "
        "for a free worker included); 'in worker': the same requests timed by gunicorn. "
        "Rate: bookings / wall time of the round, start signal to last answer.\n",
        "| round | booked (1st try + retry) | 409 | 5xx | other | wall s | bookings/s "
        "| confirm p50 ms | p95 | p99 | in worker p50 | in worker p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, r in enumerate(rounds, start=1):
        lines.append(
            f"| {number} | {r.booked} ({r.booked_first} + {r.booked_retry}) "
            f"| {r.confirm.outcomes['taken']} | {r.confirm.outcomes['5xx']} "
            f"| {r.confirm.errors - r.confirm.outcomes['5xx']} "
            f"| {r.wall:.2f} | {r.booked / r.wall:.1f} | {ms(r.confirm.pct(0.5))} "
            f"| {ms(r.confirm.pct(0.95))} | {ms(r.confirm.pct(0.99))} "
            f"| {ms(run.percentile(r.server_confirm_ms, 0.5))} "
            f"| {ms(run.percentile(r.server_confirm_ms, 0.95))} |"
        )
    lines += [
        f"| all | {sum(r.booked for r in rounds)} | {confirm.outcomes['taken']} "
        f"| {confirm.outcomes['5xx']} | {confirm.errors - confirm.outcomes['5xx']} "
        f"| {sum(r.wall for r in rounds):.2f} | {rate:.1f} (median) "
        f"| {ms(confirm.pct(0.5))} | {ms(confirm.pct(0.95))} | {ms(confirm.pct(0.99))} "
        f"| {ms(run.percentile(in_worker, 0.5))} | {ms(run.percentile(in_worker, 0.95))} |",
        "",
        f"Triage POST in the storm: p50 {ms(triage.pct(0.5))} ms, p95 {ms(triage.pct(0.95))} "
        f"ms, {triage.errors} errors. CPU during the rounds: "
        f"{cpu_text([r.cpu for r in rounds])}. Worker resident memory after the run: "
        f"{results.memory_mb:.0f} MB.\n",
        "### Double bookings (SQL, after each storm round and after the sustained load)\n",
        "| check | storm rounds | sustained |",
        "|---|---:|---:|",
    ]
    for name in rounds[0].checks:
        lines.append(
            f"| {name} | {sum(r.checks[name] for r in rounds)} | {sustained.checks[name]} |"
        )
    lines += [
        "",
        f"Audit log of the bench practice afterwards (`spreekuur audit_verify`): {results.audit}\n",
        f"### Sustained load: {SUSTAINED_CLIENTS} patients, {sustained.seconds:.0f} s\n",
        "Each client loops: triage POST, the times page (the free-slot search), confirm one "
        "of the times shown (at random), open the appointment page the booking redirects to "
        "(as a browser does; it writes an audit entry), cancel it again so the slots never "
        "run out.\n",
        "| request | count | per s | p50 ms | p95 | p99 | in worker p95 | 409 | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, samples in sustained.samples.items():
        server = sustained.server_ms.get(kind, [])
        lines.append(
            f"| {kind} | {len(samples.ms)} | {len(samples.ms) / sustained.seconds:.1f} "
            f"| {ms(samples.pct(0.5))} | {ms(samples.pct(0.95))} | {ms(samples.pct(0.99))} "
            f"| {ms(run.percentile(server, 0.95)) if server else '—'} "
            f"| {samples.outcomes['taken']} | {samples.errors} |"
        )
    lines += [
        "",
        f"Bookings made (and cancelled again): {booked}, {booked / sustained.seconds:.1f}/s. "
        f"CPU: {cpu_text([sustained.cpu])}.\n",
        "### Baselines, same run (gunicorn stopped)\n",
        "| what | rate | app storm rate / this |",
        "|---|---:|---:|",
        f"| bare booking transaction in SQL through psycopg: {CLIENTS} contenders on {SLOTS} "
        f"slots with the storm's pairing and retry, {results.sql_connections} connections "
        "(as many as the app server has); lock the slot, insert the appointment, link the "
        f"slot, insert a row standing for the audit entry; median of {BASELINE_ROUNDS} rounds "
        f"| {results.sql_rate:,.0f} bookings/s | {rate / results.sql_rate:.3f} |",
        "| the same, also locking the patient row and an audit-chain head as the app does "
        f"(the target's baseline) | {results.sql_rate_locks:,.0f} bookings/s "
        f"| {rate / results.sql_rate_locks:.3f} |",
        f"| `pgbench` TPC-B (scale {PGBENCH_SCALE}, {PGBENCH_CLIENTS} clients, 2 threads, "
        f"{PGBENCH_SECONDS} s) | {results.pgbench:,.0f} tps | {rate / results.pgbench:.3f} |",
        "",
        f"Every SQL baseline round booked at least {results.sql_fewest_booked} of the "
        f"{SLOTS} slots (as the storm does, it must book them all). Baseline rows: the real "
        "slot and appointment tables (same indexes, exclusion constraint and foreign keys) "
        "of the bench practice; the audit row goes to a scratch copy of the audit table, "
        "as the real chain is HMAC-keyed and append-only; all removed afterwards.\n",
        f"Unexpected answers, all phases: {unexpected_text(results)}.",
    ]
    return "\n".join(lines) + "\n"


def figures(results: Results) -> list[summary.Figure]:
    """The targets of the report's first table, as records for the summary."""
    rounds, sustained = results.storm, results.sustained
    confirm, triage = Samples(), Samples()
    in_worker: list[float] = []
    for result in rounds:
        confirm.merge(result.confirm)
        triage.merge(result.triage)
        in_worker += result.server_confirm_ms
    rate = statistics.median(r.booked / r.wall for r in rounds)
    everything = [confirm, triage, *sustained.samples.values()]
    five_xx = sum(samples.outcomes["5xx"] for samples in everything)
    errors = sum(samples.errors for samples in everything)
    double = sum(sum(r.checks.values()) for r in rounds) + sum(sustained.checks.values())
    mismatched = sum(r.booked != r.in_database for r in rounds)
    share = rate / results.sql_rate_locks
    p95 = confirm.pct(0.95)
    worker_p95 = run.percentile(in_worker, 0.95)
    return [
        summary.Figure(
            id="booking.double_bookings",
            target="0 double bookings (5 checks in SQL; the 302s seen = the bookings in the "
            "database)",
            figure=double,
            unit="found",
            threshold=0,
            op="==",
            passed=double == 0 and mismatched == 0,
            note=f"302s differ from the database in {mismatched} rounds" if mismatched else "",
        ),
        summary.Figure(
            id="booking.errors",
            target="0 server errors in the booking storm and the sustained load",
            figure=errors,
            unit="unexpected answers",
            threshold=0,
            op="==",
            passed=errors == 0,
            note=f"{five_xx} of them 5xx" if errors else "",
        ),
        summary.Figure(
            id="booking.storm_confirm_p95",
            target=f"storm ({CLIENTS} patients on {SLOTS} slots): confirm p95 at most "
            f"{TARGET_P95_MS:.0f} ms as the clients see it",
            figure=round(p95, 1),
            unit="ms",
            threshold=TARGET_P95_MS,
            op="<=",
            passed=p95 <= TARGET_P95_MS,
            note=f"{ms(worker_p95)} ms inside the worker",
        ),
        summary.Figure(
            id="booking.storm_worker_p95",
            target=f"storm: confirm p95 at most {TARGET_WORKER_P95_MS:.0f} ms inside the worker",
            figure=round(worker_p95, 1),
            unit="ms",
            threshold=TARGET_WORKER_P95_MS,
            op="<=",
            passed=worker_p95 <= TARGET_WORKER_P95_MS,
        ),
        summary.Figure(
            id="booking.storm_rate",
            target=f"storm booking rate at least {TARGET_SHARE_OF_BARE:.0%} of the bare SQL "
            "booking transaction (same locks)",
            figure=round(rate, 1),
            unit="bookings/s",
            threshold=TARGET_SHARE_OF_BARE,
            op=">=",
            on="ratio",
            passed=share >= TARGET_SHARE_OF_BARE,
            baseline=round(results.sql_rate_locks),
            baseline_unit="bookings/s",
            baseline_what="bare SQL booking transaction with the same locks, "
            f"{results.sql_connections} connections",
            ratio=share,
        ),
    ]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--prepare":
        print(json.dumps(prepare_in_django(int(sys.argv[2]))))
        return
    env = run.bench_env()
    ensure_database(env)
    bench_booking(env)


if __name__ == "__main__":
    main()
