"""Where the time of the hot requests goes: statements, transactions, SQL and Python time,
and what the practice's audit chain costs when many write to it at once.

What is measured, and why (issue 18, "profile before changing"):

1. Per hot request, in one process with Django's test client against the bench database
   (no HTTP, no gunicorn: what remains is Django, our code and PostgreSQL), one request at
   a time after a warm-up: the wall time, the SQL statements sent (each a round trip; the
   implicit BEGIN travels with a transaction's first statement), the transactions
   committed (a COMMIT is one more round trip and a WAL flush), the time spent in SQL
   (statements timed one by one, commits included), and the rest, Python: middleware,
   view, templates. The requests: `/healthz` (the cheapest request; the baseline), the
   patient's start page and results list, the two booking steps (triage, confirm), and
   the lab door's unit of work (`receive_lab_message`, one HL7 message of 5 results).
2. The audit chain under contention: THREADS threads, each with its own connection,
   append APPENDS entries each to one practice's chain at once, one transaction per
   entry, as portal page views do; the time each append waits for the chain head's row
   lock is measured around that one statement. Baseline, same run: the same threads
   insert the same rows into a scratch copy of the audit table without the chain (one
   transaction each). The ratio is what linking into one chain costs.

Run alone: `python bench/hot_paths.py` (against the database of `make bench`, or a small
demo database it creates); `bench/run.py` calls `bench_hot_paths()` after the booking
benchmark. BENCH_HOT_SAMPLES, BENCH_CHAIN_THREADS and BENCH_CHAIN_APPENDS change sizes.
BENCH_HOT_PROFILE=<folder> profiles each request kind instead (cProfile, one `.prof` file
per kind in that folder, read with `python -m pstats`); nothing is published then, as
profiling slows every call down.
"""

from __future__ import annotations

import cProfile
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import booking  # the bench practice, its patients and their portal sessions
import run  # the helpers and the database of `make bench`
import summary  # the table at the top of BENCHMARKS.md

SAMPLES = int(os.environ.get("BENCH_HOT_SAMPLES", "60"))
WARMUP = 5
THREADS = int(os.environ.get("BENCH_CHAIN_THREADS", "8"))
APPENDS = int(os.environ.get("BENCH_CHAIN_APPENDS", "200"))
TIMEOUT = 900
PROFILE_DIR = os.environ.get("BENCH_HOT_PROFILE", "")
PROFILES: dict[str, cProfile.Profile] = {}


# --- Child process (Django set up) --------------------------------------------------------


class Meter:
    """Counts and times the statements of this thread's connection (execute_wrapper) and
    the commits (Django's query log, which records COMMIT; its time only to the ms, so
    commits are timed by the wall clock around the atomic block's end instead)."""

    def __init__(self) -> None:
        self.statements = 0
        self.sql = 0.0
        self.lock_wait = 0.0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.statements += 1
            self.sql += spent
            if "core_auditchain" in sql and "FOR UPDATE" in sql:
                self.lock_wait += spent


def measure(call: Callable[[], Any], kind: str = "") -> dict[str, float]:
    """One call: wall, statements, commits and SQL time (commits included). With
    BENCH_HOT_PROFILE, the call runs under the profiler of its kind."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    meter = Meter()
    with CaptureQueriesContext(connection) as log, connection.execute_wrapper(meter):
        started = time.perf_counter()
        if PROFILE_DIR and kind:
            PROFILES.setdefault(kind, cProfile.Profile()).runcall(call)
        else:
            call()
        wall = time.perf_counter() - started
    commits = [q for q in log.captured_queries if q["sql"] in ("COMMIT", "ROLLBACK")]
    commit_seconds = sum(float(q["time"]) for q in commits)
    return {
        "wall": wall * 1000,
        "statements": meter.statements,
        "commits": len(commits),
        "sql": (meter.sql + commit_seconds) * 1000,
    }


def summarise(rows: list[dict[str, float]]) -> dict[str, float]:
    return {
        "wall_p50": statistics.median(r["wall"] for r in rows),
        "wall_p95": sorted(r["wall"] for r in rows)[max(0, int(len(rows) * 0.95) - 1)],
        "statements": statistics.median(r["statements"] for r in rows),
        "commits": statistics.median(r["commits"] for r in rows),
        "sql_p50": statistics.median(r["sql"] for r in rows),
        "python_p50": statistics.median(r["wall"] - r["sql"] for r in rows),
    }


def requests_in_django(setup: dict[str, Any]) -> dict[str, dict[str, float]]:
    import re

    import results as lab  # bench/results.py: the lab messages of the ingest benchmark
    from django.test import Client

    from spreekuur.agenda.models import Slot
    from spreekuur.core.models import Practice
    from spreekuur.results.services import receive_lab_message
    from spreekuur.results.table import TestTable

    clients = setup["clients"]
    practice = Practice.objects.get(pk=setup["practice"])
    out: dict[str, dict[str, float]] = {}

    def client_for(row: dict[str, Any]) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.cookies["sessionid"] = row["session"]
        return client

    first = client_for(clients[0])
    for name, path in (("`GET /healthz`", "/healthz"), ("patient `GET /start/`", "/start/")):
        rows = []
        for number in range(WARMUP + SAMPLES):
            sample = measure(lambda path=path: first.get(path), name if number >= WARMUP else "")
            if number >= WARMUP:
                rows.append(sample)
        out[name] = summarise(rows)
    rows = []
    results_list = "patient `GET /mijn-uitslagen/` (no results)"
    for number in range(WARMUP + SAMPLES):
        sample = measure(
            lambda: first.get("/mijn-uitslagen/"), results_list if number >= WARMUP else ""
        )
        if number >= WARMUP:
            rows.append(sample)
    out[results_list] = summarise(rows)

    # The booking flow: each sample a fresh patient and a fresh slot, as in the storm.
    day = date.fromisoformat(setup["day"])
    spec = booking.Setup(
        practice=setup["practice"],
        type_id=setup["type"],
        type_pk=setup["type_pk"],
        gps=setup["gps"],
        clients=clients,
        day=day,
    )
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        booking.reset_agenda(db, spec)
    slots = list(
        Slot.objects.filter(practice_id=setup["practice"], appointment__isnull=True)
        .order_by("starts_at")
        .values_list("public_id", flat=True)
    )
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    flag = re.compile(r'name="(flag_[a-z0-9-]+)"')
    triage_rows, confirm_rows = [], []
    triage_kind = "patient `POST` booking step 1 (triage)"
    confirm_kind = "patient `POST` booking step 2 (confirm: the booking)"
    for number, (row, slot) in enumerate(zip(clients, slots, strict=False)):
        client = client_for(row)
        page = client.get(booking.TRIAGE).content.decode()
        found = csrf.search(page)
        if found is None:
            raise RuntimeError("no triage form for a bench patient")
        form = {"csrfmiddlewaretoken": found.group(1), "reason": "Hoesten dat niet overgaat"}
        form.update({name: "nee" for name in sorted(set(flag.findall(page)))})
        profiled = number >= WARMUP
        triage = measure(
            lambda client=client, form=form: client.post(booking.TRIAGE, form),
            triage_kind if profiled else "",
        )
        confirm_form = {"csrfmiddlewaretoken": found.group(1), "soort": setup["type"]}
        confirm_form["tijd"] = str(slot)
        confirm = measure(
            lambda client=client, form=confirm_form: client.post(booking.CONFIRM, form),
            confirm_kind if profiled else "",
        )
        if profiled:
            triage_rows.append(triage)
            confirm_rows.append(confirm)
    out[triage_kind] = summarise(triage_rows)
    out[confirm_kind] = summarise(confirm_rows)
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        booking.reset_agenda(db, spec)

    table = TestTable.load()
    tag = datetime.now(UTC).strftime("h%y%m%d%H%M%S")
    messages = lab.lab_messages(practice, WARMUP + SAMPLES, tag)
    rows = []
    lab_door = f"lab door: one HL7 message of {lab.RESULTS_PER_MESSAGE} results"
    for number, raw in enumerate(messages):
        sample = measure(
            lambda raw=raw: receive_lab_message(
                practice=practice, door="hl7v2", raw=raw, source="bench", table=table
            ),
            lab_door if number >= WARMUP else "",
        )
        if number >= WARMUP:
            rows.append(sample)
    out[lab_door] = summarise(rows)
    return out


def chain_in_django(setup: dict[str, Any]) -> dict[str, float]:
    """THREADS writers on one practice's chain, against the same inserts without it."""
    from django.db import connection, connections, transaction

    from spreekuur.core.audit import record_access
    from spreekuur.core.models import AuditAction, Practice
    from spreekuur.patients.models import Patient

    practice = Practice.objects.get(pk=setup["practice"])
    patients = list(Patient.objects.filter(practice=practice).order_by("id")[:THREADS])
    start = threading.Barrier(THREADS)
    waits: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def chained(patient: Patient) -> None:
        meter = Meter()
        try:
            start.wait()
            with connection.execute_wrapper(meter):
                for _ in range(APPENDS):
                    record_access(
                        actor=None,
                        system_name="bench",
                        action=AuditAction.READ,
                        object_kind="patient",
                        practice=practice,
                        patient=patient,
                        object_ids=[patient.public_id],
                    )
            with lock:
                waits.append(meter.lock_wait)
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    def bare(patient: Patient, offset: int) -> None:
        try:
            start.wait()
            with connection.cursor() as cursor:
                for number in range(APPENDS):
                    with transaction.atomic():
                        cursor.execute(
                            "INSERT INTO bench_hot_audit (public_id, practice_id, seq,"
                            " occurred_at, action, outcome, actor_name, actor_role, patient_id,"
                            " object_kind, object_ids, channel, detail, lane, prev_hash,"
                            " entry_hash) VALUES (gen_random_uuid(), %s, %s, now(), 'read',"
                            " 'allowed', 'bench', 'systeem', %s, 'patient', %s, 'task', '', 0,"
                            " %s, %s)",
                            [
                                practice.pk,
                                offset + number,
                                patient.pk,
                                json.dumps([str(patient.public_id)]),
                                "0" * 64,
                                "0" * 64,
                            ],
                        )
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    def timed(threads: list[threading.Thread]) -> float:
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
        if failures:  # a writer that failed would make its side look fast
            raise failures[0]
        return time.perf_counter() - started

    chain_seconds = timed([threading.Thread(target=chained, args=(p,)) for p in patients])
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_hot_audit")
        cursor.execute("CREATE TABLE bench_hot_audit (LIKE core_auditentry INCLUDING ALL)")
    try:
        bare_seconds = timed(
            [
                threading.Thread(target=bare, args=(p, index * APPENDS + 1))
                for index, p in enumerate(patients)
            ]
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_hot_audit")
    appends = len(patients) * APPENDS
    return {
        "threads": len(patients),
        "appends": appends,
        "chain_rate": appends / chain_seconds,
        "bare_rate": appends / bare_seconds,
        "wait_share": sum(waits) / (chain_seconds * len(patients)),
        "wait_ms_per_append": sum(waits) / appends * 1000,
    }


def child() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spreekuur.settings")
    import django

    django.setup()
    setup = json.loads(sys.stdin.read())
    from django.conf import settings

    if PROFILE_DIR:
        requests_in_django(setup)
        folder = Path(PROFILE_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        for number, profiler in enumerate(PROFILES.values()):
            profiler.dump_stats(folder / f"{number}.prof")
        print(json.dumps({str(n): kind for n, kind in enumerate(PROFILES)}))
        return
    measured = {"requests": requests_in_django(setup), "chain": chain_in_django(setup)}
    print(json.dumps({**measured, "redis": bool(settings.REDIS_URL)}))


# --- Parent -------------------------------------------------------------------------------


def bench_hot_paths(env: dict[str, str], *, when: str | None = None) -> str:
    when = when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    setup = booking.prepare(env)
    prepared = {
        "practice": setup.practice,
        "type": setup.type_id,
        "type_pk": setup.type_pk,
        "gps": setup.gps,
        "clients": setup.clients,
        "day": setup.day.isoformat(),
    }
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--child"],
        input=json.dumps(prepared),
        env=booking.server_env(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"hot paths child failed:\n{done.stderr[-4000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    if PROFILE_DIR:
        for number, kind in measured.items():
            print(f"  {kind}: {PROFILE_DIR}/{number}.prof", flush=True)
        return ""
    text = report(measured, when)
    summary.publish(text, lambda: [], bench="hot paths", when=when)
    return text


def report(measured: dict[str, Any], when: str) -> str:
    requests, chain = measured["requests"], measured["chain"]
    sessions = "Redis (`cached_db` sessions)" if measured.get("redis") else "database, no Redis"
    lines = [
        f"\n## Hot paths: where the time goes — {when}\n",
        f"Machine: {run.machine()}. Code: `{summary.code_version()}`. Database "
        f"`{run.BENCH_DB}`. Sessions and cache: {sessions}.\n",
        f"One process, Django's test client (no HTTP server), one request at a time, "
        f"{SAMPLES} samples after {WARMUP} warm-up requests; p50 unless marked. Statements: "
        "SQL statements sent, each a round trip (a transaction's BEGIN travels with its "
        "first). Commits: transactions ended with COMMIT, each one more round trip and a WAL "
        "flush (a statement outside a transaction commits by itself and counts as a "
        "statement only). "
        "SQL: the statements and commits, timed one by one. Python: the rest (middleware, "
        "view, templates, our services).\n",
        "| request | wall p50 ms | wall p95 ms | statements | commits | SQL ms | Python ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in requests.items():
        lines.append(
            f"| {name} | {row['wall_p50']:.1f} | {row['wall_p95']:.1f} "
            f"| {row['statements']:.0f} | {row['commits']:.0f} | {row['sql_p50']:.1f} "
            f"| {row['python_p50']:.1f} |"
        )
    lines += [
        "",
        f"### The audit chain under contention: {chain['threads']} writers on one practice\n",
        f"Each writer its own connection, {APPENDS} entries each, one transaction per entry "
        "(a portal page view's read entry). Baseline, same run: the same threads insert "
        "the same rows into a scratch copy of the audit table, no chain.\n",
        "| what | entries/s | ratio to bare |",
        "|---|---:|---:|",
        f"| `record_access`, linked into the practice's chain | {chain['chain_rate']:,.0f} "
        f"| {chain['chain_rate'] / chain['bare_rate']:.2f}x |",
        f"| bare insert, no chain | {chain['bare_rate']:,.0f} | 1.00x |",
        "",
        f"Waiting for the chain head's row lock: {chain['wait_ms_per_append']:.2f} ms per "
        f"entry on average, {chain['wait_share']:.0%} of the writers' time.\n",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    if sys.argv[1:] == ["--child"]:
        child()
        return
    env = run.bench_env()
    booking.ensure_database(env)
    bench_hot_paths(env)


if __name__ == "__main__":
    main()
