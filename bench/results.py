"""Lab results benchmark: HL7 ingest into PostgreSQL, and the patient's results pages.

What is measured, and why:

A. Ingest. MESSAGES HL7 v2 ORU^R01 messages of RESULTS_PER_MESSAGE results each, for
   existing patients of one region practice (their real BSNs and dates of birth), go
   through `receive_lab_message` with one shared `TestTable`, the path `spreekuur
   import_lab` takes: results stored per second. Baselines in the same process, on the
   same messages: (1) parsing only (`parse_hl7v2`); (2) parsing plus a plain
   `bulk_create` of the same message and result rows, without the per-message checks
   and the audit entry (its rows are removed again, untimed). Then, on fresh messages,
   where the real path's time goes: queries per message and time in SQL (Django's
   query log), and a cProfile of the Python side.
B. Portal. In the region practice `regio-001`: a patient with about 10 released results
   (from the region's generated history) and one given about 1,000 (monthly panels of
   14 tests for six years, through the real HL7 door, then released). Their
   /mijn-uitslagen/ and /mijn-uitslagen/<test>/ (the test with the most values) served by
   one gunicorn worker, sequential requests, against /healthz; queries per page counted
   in-process with CaptureQueriesContext (with and without SAVEPOINT/RELEASE lines).
   Then CONCURRENT_USERS distinct patients with results of that practice, each with a
   portal session, browse their list and test pages at once against gunicorn with
   WORKERS sync workers: once with a think time between pages (people reading), once
   without (saturation), each CONCURRENT_SECONDS.

Run alone (`python bench/results.py`) against the database of `make bench` (built with
the region if it is not there: BENCH_PRACTICES x BENCH_PATIENTS_PER_PRACTICE);
`bench/run.py` calls `bench_results()` after its own steps. Every step is bounded: fixed
counts and durations, a timeout on each child process and request.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import booking  # server, CPU and log helpers of the agenda benchmark
import httpx
import psycopg
import run  # the helpers and the database of `make bench`
import summary  # the table at the top of BENCHMARKS.md

MESSAGES = int(os.environ.get("BENCH_LAB_MESSAGES", "2000"))
RESULTS_PER_MESSAGE = 5
BASELINE_ROUNDS = 3
PROFILE_MESSAGES = int(os.environ.get("BENCH_LAB_PROFILE_MESSAGES", "200"))
PORTAL_PRACTICE = "regio-001"
HEAVY_MONTHS = 72  # a monthly panel for six years ...
HEAVY_TESTS = 14  # ... of 14 tests: 1,008 results
LIGHT_RESULTS = 10
CONCURRENT_USERS = int(os.environ.get("BENCH_RESULTS_USERS", "50"))
CONCURRENT_SECONDS = float(os.environ.get("BENCH_RESULTS_SECONDS", "30"))
THINK_SECONDS = (0.5, 1.5)  # between two pages, per user
WORKERS = booking.WORKERS
REQUEST_TIMEOUT = 30.0
CHILD_TIMEOUT = 1800
TARGET_RESULTS_PER_S = 2000.0
TARGET_SHARE_OF_BARE = 0.60  # issue 18: at least 60 % of bare parse-and-insert
TARGET_P95_MS = 150.0
TARGET_QUERIES = 10
SAME_SPEED = 1.25  # "as fast": the heavy patient's p95 at most 25 % above the light one's
LIST, DETAIL = "/mijn-uitslagen/", "/mijn-uitslagen/{test}/"
# The ingest panel: kidney function, potassium, glucose, haemoglobin (NHG codes).
PANEL = [
    ("523", "umol/l", 85, 16, 0),
    ("3907", "ml/min/1,73m2", 74, 15, 0),
    ("513", "mmol/l", 4.3, 0.35, 1),
    ("372", "mmol/l", 6.0, 1.0, 1),
    ("412", "mmol/l", 8.6, 0.8, 1),
]


# --- In Django (child processes) -----------------------------------------------------------


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spreekuur.settings")
    os.environ.setdefault("PHARMACY_ALLOW_LOOPBACK", "true")  # the stand-in pharmacy
    import django

    django.setup()


def ingest_practice() -> Any:
    """The region practice the lab messages are for: the last one (the portal pages use
    the first), or the only one."""
    from spreekuur.core.models import Practice

    practice = Practice.objects.filter(slug__startswith="regio-").order_by("-slug").first()
    if practice is None:
        raise SystemExit("the results benchmark needs a region (BENCH_PRACTICES >= 1)")
    return practice


def lab_messages(practice: Any, count: int, tag: str) -> list[bytes]:
    """`count` ORU^R01 messages for existing patients of the practice (one patient each,
    as many distinct patients as there are), RESULTS_PER_MESSAGE results each."""
    from datetime import timedelta

    from django.utils import timezone

    from spreekuur.patients.models import Patient
    from spreekuur.results.samples import SampleResult, hl7_oru, sample_patient

    rng = random.Random(tag)
    patients = list(Patient.objects.filter(practice=practice).order_by("id")[:count])
    taken = timezone.now().replace(second=0, microsecond=0) - timedelta(days=1)
    messages = []
    for number in range(count):
        patient = patients[number % len(patients)]
        results = [
            SampleResult(code, f"{max(0.1, rng.gauss(mean, spread)):.{decimals}f}", unit)
            for code, unit, mean, spread, decimals in PANEL
        ]
        messages.append(
            hl7_oru(
                sample_patient(patient),
                results,
                control_id=f"B{tag}-{number:05d}",
                order=f"BO{tag}-{number:05d}",
                taken=taken - timedelta(minutes=number),
                lab="Benchlab",
            )
        )
    return messages


def bare_insert(practice: Any, messages: list[bytes], table: Any) -> tuple[int, list[int]]:
    """Baseline 2: parse, then the same message and result rows in two bulk_creates; no
    duplicate check, no patient query per message, no audit entry. Returns (results
    stored, message ids)."""
    import hashlib

    from django.db import transaction

    from spreekuur.patients.models import Patient
    from spreekuur.results.models import LabMessage, LabResult, MessageStatus, age_on
    from spreekuur.results.parsers import parse_hl7v2
    from spreekuur.results.services.imports import compare

    patients = {(p.bsn, p.date_of_birth): p for p in Patient.objects.filter(practice=practice)}
    message_rows: list[Any] = []
    result_rows: list[tuple[int, Any]] = []
    for raw in messages:
        parsed = parse_hl7v2(raw)
        for part, report in enumerate(parsed.reports):
            patient = patients[(report.patient.bsn, report.patient.birth_date)]
            message_rows.append(
                LabMessage(
                    practice=practice,
                    door="hl7v2",
                    digest=LabMessage.digest_of(raw),
                    part=part,
                    source="bench-bare",
                    sender=parsed.sender,
                    message_id=parsed.message_id,
                    raw=raw.decode(),
                    status=MessageStatus.IMPORTED,
                    patient=patient,
                    identity=report.patient.as_identity(),
                    result_count=len(report.results),
                )
            )
            for result in report.results:
                test = table.find(result.system, result.code)
                moment = result.observed_at.isoformat()
                low, high = result.reference_low, result.reference_high
                if low is None and high is None:
                    reference = test.range_for(
                        sex=patient.sex,
                        age=age_on(patient.date_of_birth, result.observed_at.date()),
                    )
                    if reference is not None:
                        low, high = reference.low, reference.high
                base_key = f"{patient.pk}|{result.order_key}|{moment}"
                content = "|".join(  # the door's content key (services/imports.py)
                    str(part)
                    for part in (
                        test.nhg_code,
                        result.value_text,
                        result.unit,
                        result.reference_low,
                        result.reference_high,
                        result.flag,
                        result.preliminary,
                        moment,
                    )
                )
                digest = hashlib.sha256(content.encode()).hexdigest()[:16]
                result_rows.append(
                    (
                        len(message_rows) - 1,
                        LabResult(
                            practice=practice,
                            patient=patient,
                            test=test,
                            base_key=base_key,
                            source_key=f"{base_key}|{digest}",
                            observed_at=result.observed_at,
                            value=result.value,
                            comparator=result.comparator,
                            value_text=result.value_text,
                            unit=result.unit or test.unit,
                            reference_low=low,
                            reference_high=high,
                            flag=result.flag
                            if result.flag is not None
                            else compare(result, low, high),
                            preliminary=result.preliminary,
                            reviewer_id=patient.gp_id,
                        ),
                    )
                )
    with transaction.atomic():
        stored = LabMessage.objects.bulk_create(message_rows, batch_size=1000)
        for index, row in result_rows:
            row.message = stored[index]
        LabResult.objects.bulk_create([row for _index, row in result_rows], batch_size=1000)
    return len(result_rows), [message.pk for message in stored]


def remove_bare(message_ids: list[int]) -> None:
    from spreekuur.results.models import LabMessage, LabResult

    LabResult.objects.filter(message_id__in=message_ids).delete()
    LabMessage.objects.filter(pk__in=message_ids).delete()


def query_kind(sql: str) -> str:
    """A short name for a query: verb and table ('SELECT patients_patient')."""
    words = sql.split()
    verb = words[0].upper() if words else "?"
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return verb
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?([a-z_]+)"?', sql)
    return f"{verb} {table.group(1) if table else ''}".strip()


def ingest_in_django() -> dict[str, Any]:
    """(Child process.) Part A; returns the numbers as a dict."""
    django_setup()
    import cProfile
    import pstats

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from spreekuur.results.models import LabResult
    from spreekuur.results.parsers import parse_hl7v2
    from spreekuur.results.services import receive_lab_message
    from spreekuur.results.table import TestTable

    practice = ingest_practice()
    tag = datetime.now(UTC).strftime("%y%m%d%H%M%S")
    messages = lab_messages(practice, MESSAGES, tag)
    expected = MESSAGES * RESULTS_PER_MESSAGE
    out: dict[str, Any] = {"practice": practice.slug, "messages": MESSAGES, "results": expected}

    parse_seconds = []
    for _round in range(BASELINE_ROUNDS):
        started = time.perf_counter()
        parsed = sum(len(r.results) for raw in messages for r in parse_hl7v2(raw).reports)
        parse_seconds.append(time.perf_counter() - started)
    assert parsed == expected, parsed
    out["parse_seconds"] = statistics.median(parse_seconds)

    bare_seconds = []
    for _round in range(BASELINE_ROUNDS):
        table = TestTable.load()
        started = time.perf_counter()
        stored, ids = bare_insert(practice, messages, table)
        bare_seconds.append(time.perf_counter() - started)
        assert stored == expected, stored
        remove_bare(ids)
    out["bare_seconds"] = statistics.median(bare_seconds)

    table = TestTable.load()  # shared, as import_lab does
    statuses: Counter[str] = Counter()
    stored = duplicates = 0
    started = time.perf_counter()
    for raw in messages:
        outcome = receive_lab_message(
            practice=practice, door="hl7v2", raw=raw, source="bench", table=table
        )
        stored += outcome.stored
        duplicates += outcome.duplicate
        statuses.update(m.status for m in outcome.messages)
    out["real_seconds"] = time.perf_counter() - started
    out["real_stored"] = stored
    out["real_statuses"] = dict(statuses)
    out["real_duplicates"] = duplicates
    out["in_database"] = LabResult.objects.filter(
        practice=practice, message__source="bench", message__message_id__startswith=f"B{tag}-"
    ).count()

    # The file path (`spreekuur import_lab`): the same kind of messages, fresh, in batches.
    from spreekuur.results.services.imports import receive_lab_messages

    fresh = lab_messages(practice, MESSAGES, f"{tag}f")
    started = time.perf_counter()
    outcomes = receive_lab_messages(
        practice=practice, door="hl7v2", raws=fresh, source="bench-file", table=table
    )
    out["batched_seconds"] = time.perf_counter() - started
    out["batched_stored"] = sum(outcome.stored for outcome in outcomes)

    # Where the time goes, on fresh messages (the same kind): queries and SQL time ...
    sample = lab_messages(practice, PROFILE_MESSAGES, f"{tag}q")
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        for raw in sample:
            receive_lab_message(
                practice=practice, door="hl7v2", raw=raw, source="bench", table=table
            )
        wall = time.perf_counter() - started
    kinds = Counter(query_kind(q["sql"]) for q in captured.captured_queries)
    sql_seconds = sum(float(q["time"]) for q in captured.captured_queries)
    out["profile_messages"] = len(sample)
    out["queries_per_message"] = len(captured.captured_queries) / len(sample)
    out["query_kinds"] = {k: v / len(sample) for k, v in kinds.most_common()}
    out["sql_ms_per_message"] = sql_seconds / len(sample) * 1000
    out["wall_ms_per_message"] = wall / len(sample) * 1000
    # ... and the Python side (cProfile's own overhead makes it slower; shares only).
    sample = lab_messages(practice, PROFILE_MESSAGES, f"{tag}p")
    profile = cProfile.Profile()
    profile.enable()
    for raw in sample:
        receive_lab_message(practice=practice, door="hl7v2", raw=raw, source="bench", table=table)
    profile.disable()
    stats = pstats.Stats(profile)
    total = stats.total_tt
    rows = []
    for (path, line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
        rows.append((cumulative, f"{shorten(path)}:{line}({name})"))
    rows.sort(reverse=True)
    out["profile_total_s"] = total
    out["profile"] = [(where, seconds / total) for seconds, where in rows[:60]]
    return out


def shorten(path: str) -> str:
    for marker in ("/site-packages/", "/src/", "/lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def portal_sessions(patients: list[Any]) -> list[str]:
    """A portal user with a verified session for each patient (bench/booking.py's)."""
    from django.contrib.auth.hashers import make_password

    from spreekuur.demo import generator

    password_hash = make_password(generator.DEMO_PASSWORD)
    booking.give_portal_accounts(patients, prefix="uitslagen", password_hash=password_hash)
    return booking.patient_sessions(patients)


def heavy_patient(practice: Any) -> Any:
    """An adult patient without results, given a monthly panel of HEAVY_TESTS tests for
    six years through the real HL7 door, then commented on and released as a GP would."""
    from datetime import timedelta

    from django.utils import timezone

    from spreekuur.accounts.models import User
    from spreekuur.patients.models import Patient
    from spreekuur.results.models import LabMessage, LabResult
    from spreekuur.results.samples import SampleResult, hl7_oru, sample_patient
    from spreekuur.results.services import receive_lab_message
    from spreekuur.results.table import TestTable

    marker = "bench-zwaar"
    done = LabMessage.objects.filter(practice=practice, source=marker).first()
    if done is not None:
        return done.patient
    today = timezone.localdate()
    patient = (
        Patient.objects.filter(
            practice=practice, date_of_birth__lte=today - timedelta(days=50 * 365)
        )
        .exclude(pk__in=LabMessage.objects.filter(practice=practice).values("patient_id"))
        .order_by("id")
        .first()
    )
    if patient is None:
        raise SystemExit(f"no adult patient without results in {practice.slug}")
    table = TestTable.load()
    rng = random.Random(7)
    tests = sorted(table.by_nhg.values(), key=lambda test: test.pk)[:HEAVY_TESTS]
    now = timezone.now().replace(hour=8, minute=30, second=0, microsecond=0)
    for month in range(HEAVY_MONTHS, 0, -1):
        results = [
            SampleResult(t.nhg_code, f"{rng.uniform(1, 9):.{t.decimals}f}", t.unit) for t in tests
        ]
        raw = hl7_oru(
            sample_patient(patient),
            results,
            control_id=f"ZW{patient.pk}-{month:03d}",
            order=f"ZWO{patient.pk}-{month:03d}",
            taken=now - timedelta(days=30 * month - 10),
            lab="Benchlab",
        )
        receive_lab_message(practice=practice, door="hl7v2", raw=raw, source=marker, table=table)
    gp = User.objects.get(pk=patient.gp_id)
    LabResult.objects.filter(practice=practice, patient=patient).update(
        comment="Normaal, geen actie nodig.", reviewed_by=gp, reviewed_at=now, released=True
    )
    return patient


def light_patient(practice: Any) -> Any:
    """A patient of the region's history with LIGHT_RESULTS released results, over as
    few tests as possible (so their test page has more than one value)."""
    from django.db.models import Count

    from spreekuur.patients.models import Patient
    from spreekuur.results.models import LabResult

    rows = (
        LabResult.objects.filter(practice=practice, released=True, replaced_by__isnull=True)
        .values("patient_id")
        .annotate(n=Count("id"), tests=Count("test_id", distinct=True))
        .filter(n__gte=LIGHT_RESULTS - 2, n__lte=LIGHT_RESULTS + 2)
        .order_by("tests", "patient_id")
    )
    exact = [row for row in rows if row["n"] == LIGHT_RESULTS]
    chosen = (exact or list(rows))[0]
    return Patient.objects.select_related("practice").get(pk=chosen["patient_id"])


def online_tests(patient: Any) -> list[tuple[str, int]]:
    """(test public id, results online) for the patient, most results first."""
    from spreekuur.results.selectors import results_online

    summaries = results_online(patient)
    return sorted(((str(s.test.public_id), s.count) for s in summaries), key=lambda item: -item[1])


def count_queries(session_key: str, path: str) -> tuple[int, int, int, list[str]]:
    """(status, queries, queries without SAVEPOINT/RELEASE, kinds) for one GET, in-process
    with Django's test client and the patient's session; a warm-up request first."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.cookies["sessionid"] = session_key
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    sql = [q["sql"] for q in captured.captured_queries]
    plain = [s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE"))]
    return response.status_code, len(sql), len(plain), [query_kind(s) for s in plain]


def prepare_portal_in_django() -> dict[str, Any]:
    """(Child process.) The two patients, their sessions and pages with the query counts,
    and CONCURRENT_USERS more patients with results and sessions for the concurrent load."""
    django_setup()
    from django.db.models import Count

    from spreekuur.core.models import Practice
    from spreekuur.patients.models import Patient
    from spreekuur.results.models import LabResult

    practice = Practice.objects.filter(slug=PORTAL_PRACTICE).first()
    if practice is None:
        raise SystemExit(f"the results benchmark needs the region practice {PORTAL_PRACTICE}")
    started = time.perf_counter()
    heavy = heavy_patient(practice)
    heavy_seconds = time.perf_counter() - started
    light = light_patient(practice)
    chosen = [light, heavy]
    crowd_ids = list(
        LabResult.objects.filter(practice=practice, released=True)
        .exclude(patient_id__in=[light.pk, heavy.pk])
        .values("patient_id")
        .annotate(n=Count("id"))
        .filter(n__gte=20)
        .order_by("patient_id")
        .values_list("patient_id", flat=True)[:CONCURRENT_USERS]
    )
    crowd = list(Patient.objects.filter(pk__in=crowd_ids).select_related("practice"))
    keys = portal_sessions([*chosen, *crowd])
    pages = []
    for name, patient, key in (("~10 results", light, keys[0]), ("~1,000 results", heavy, keys[1])):
        tests = online_tests(patient)
        total = sum(count for _test, count in tests)
        for kind, path, shown in (
            ("list", LIST, len(tests)),
            ("test", DETAIL.format(test=tests[0][0]), tests[0][1]),
        ):
            status, queries, plain, kinds = count_queries(key, path)
            pages.append(
                {
                    "patient": name,
                    "results": total,
                    "tests": len(tests),
                    "kind": kind,
                    "path": path,
                    "shown": shown,
                    "session": key,
                    "status": status,
                    "queries": queries,
                    "plain_queries": plain,
                    "kinds": kinds,
                }
            )
    users = [
        {"session": key, "tests": [test for test, _count in online_tests(patient)]}
        for patient, key in zip(crowd, keys[2:], strict=True)
    ]
    return {"pages": pages, "users": users, "heavy_seconds": heavy_seconds}


def child(flag: str, env: dict[str, str]) -> dict[str, Any]:
    """Run this file with `flag` in a child process with the bench DATABASE_URL."""
    return run_child(__file__, flag, env, timeout=CHILD_TIMEOUT)


def run_child(script: str, flag: str, env: dict[str, str], *, timeout: float) -> dict[str, Any]:
    """Run a bench `script` with `flag` in a child process; its last line is JSON."""
    done = subprocess.run(
        [sys.executable, script, flag],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{flag} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- Over HTTP (this process) ---------------------------------------------------------------


@dataclass
class PageTimes:
    ms: list[float] = field(default_factory=list)
    errors: int = 0

    def pct(self, share: float) -> float:
        return run.percentile(self.ms, share) if self.ms else float("nan")


def sequential(base: str, session: str | None, path: str) -> PageTimes:
    """Warm-up, then run.REQUESTS_PER_PAGE GETs one after another."""
    times = PageTimes()
    cookies = {"sessionid": session} if session else {}
    with httpx.Client(base_url=base, cookies=cookies, timeout=REQUEST_TIMEOUT) as client:
        for _ in range(5):
            client.get(path)
        for _ in range(run.REQUESTS_PER_PAGE):
            started = time.perf_counter()
            response = client.get(path)
            times.ms.append((time.perf_counter() - started) * 1000)
            times.errors += response.status_code != 200
    return times


def one_worker_pages(env: dict[str, str], pages: list[dict[str, Any]]) -> list[PageTimes]:
    """The pages on one gunicorn worker, as bench/run.py measures the base pages; the
    first row is /healthz."""
    server, base = booking.start_one_worker(booking.server_env(env))
    try:
        rows = [sequential(base, None, "/healthz")]
        rows += [sequential(base, page["session"], page["path"]) for page in pages]
        return rows
    finally:
        booking.stop_server(server)


@dataclass
class Load:
    """One concurrent phase: latencies per page kind, and what the worker saw."""

    think: bool
    seconds: float = 0.0
    samples: dict[str, booking.Samples] = field(default_factory=dict)
    server_ms: dict[str, list[float]] = field(default_factory=dict)
    cpu: booking.CpuShare | None = None


async def browse(
    http: httpx.AsyncClient, tests: list[str], load: Load, deadline: float, rng: random.Random
) -> None:
    """One patient: their list, then one of their tests, again and again. Users start
    spread over the first think time, not all in the same millisecond."""
    await asyncio.sleep(rng.uniform(0, THINK_SECONDS[1]))
    while time.perf_counter() < deadline:
        for kind, path in (("list", LIST), ("test", DETAIL.format(test=rng.choice(tests)))):
            samples = load.samples[kind]
            started = time.perf_counter()
            try:
                response = await http.get(path)
            except httpx.HTTPError as error:
                samples.add(started, "transport")
                samples.unexpected[type(error).__name__] += 1
            else:
                ok = response.status_code == 200
                samples.add(
                    started, "ok" if ok else "5xx" if response.status_code >= 500 else "other"
                )
                if not ok:
                    samples.unexpected[f"HTTP {response.status_code}"] += 1
            if load.think:
                await asyncio.sleep(rng.uniform(*THINK_SECONDS))
            if time.perf_counter() >= deadline:
                return


async def concurrent_phases(
    env: dict[str, str], users: list[dict[str, Any]], logs: Path
) -> list[Load]:
    access_log, error_log = logs / "access.log", logs / "error.log"
    access_log.touch()
    server, base = booking.start_server(env, access_log, error_log)
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=len(users) + 10, max_keepalive_connections=0)
    )
    clients = [
        httpx.AsyncClient(
            base_url=base,
            transport=transport,
            cookies={"sessionid": user["session"]},
            timeout=REQUEST_TIMEOUT,
            trust_env=False,
        )
        for user in users
    ]
    try:
        own = [os.getpid(), server.pid, *booking.worker_pids(server)]
        for client in clients[:8]:  # warm the workers up
            await client.get(LIST)
        loads = []
        for think in (True, False):
            load = Load(think, samples={"list": booking.Samples(), "test": booking.Samples()})
            offset = access_log.stat().st_size
            before = booking.cpu_sample(own)
            started = time.perf_counter()
            deadline = started + CONCURRENT_SECONDS
            await asyncio.gather(
                *(
                    browse(client, user["tests"], load, deadline, random.Random(index))
                    for index, (client, user) in enumerate(zip(clients, users, strict=True))
                )
            )
            load.seconds = time.perf_counter() - started
            load.cpu = booking.cpu_share(before, booking.cpu_sample(own))
            await asyncio.sleep(0.5)  # let gunicorn flush its access log
            end = access_log.stat().st_size
            load.server_ms = {
                "list": booking.server_times(access_log, offset, end, "GET", re.escape(LIST)),
                "test": booking.server_times(
                    access_log, offset, end, "GET", r"/mijn-uitslagen/[0-9a-f-]{36}/"
                ),
            }
            loads.append(load)
            print(
                f"  {len(users)} users, {'with' if think else 'without'} think time: "
                f"{sum(len(s.ms) for s in load.samples.values())} requests, list p95 "
                f"{load.samples['list'].pct(0.95):.0f} ms, test p95 "
                f"{load.samples['test'].pct(0.95):.0f} ms",
                flush=True,
            )
        return loads
    finally:
        for client in clients:
            await client.aclose()
        await transport.aclose()
        booking.stop_server(server)
        booking.report_server_errors(error_log)


# --- The whole benchmark and its report -----------------------------------------------------


def ensure_database(env: dict[str, str]) -> str:
    """The bench database if it is there (migrated to the current code), else a region of
    BENCH_PRACTICES x BENCH_PATIENTS_PER_PRACTICE (with its results). Returns what the
    generator said about the region's results, if it made them now."""
    found = subprocess.run(
        ["psql", run.ADMIN_URL, "-tAc", "SELECT datname FROM pg_database"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    if run.BENCH_DB not in found:
        print(f"no {run.BENCH_DB} database: building the region ...", flush=True)
        run.psql(f"CREATE DATABASE {run.BENCH_DB}")
    run.run([run.SPREEKUUR, "migrate", "-v", "0"], env, 600)
    loaded = subprocess.run(
        [
            run.SPREEKUUR,
            "load_demo",
            "--quiet",
            "--practices",
            str(max(1, run.PRACTICES)),
            "--patients-per-practice",
            str(run.PATIENTS_PER_PRACTICE),
        ],
        env=env,
        check=True,
        timeout=1800,
        capture_output=True,
        text=True,
    ).stdout
    made = re.search(r"uitslagen van de regio: (\d+) in ([\d.]+) s", loaded)
    phases = re.search(r"rijen in ([\d.]+) s, indexen en sleutels in ([\d.]+) s", loaded)
    if made is None or int(made.group(1)) == 0:
        return ""
    return (
        f"The region's lab results were generated for this run: {int(made.group(1)):,} in "
        f"{float(made.group(2)):.0f} s"
        + (
            f" ({float(phases.group(1)):.0f} s making and copying the rows, "
            f"{float(phases.group(2)):.0f} s indexes, constraints, foreign keys and ANALYZE)."
            if phases
            else "."
        )
    )


def describe_database() -> str:
    with psycopg.connect(run.database_url()) as db:
        row = db.execute(
            "SELECT (SELECT count(*) FROM core_practice), (SELECT count(*) FROM patients_patient),"
            " (SELECT count(*) FROM results_labresult), (SELECT count(*) FROM results_labmessage),"
            " (SELECT count(*) FROM results_labresult WHERE released),"
            " pg_size_pretty(pg_total_relation_size('results_labresult')),"
            " pg_size_pretty(pg_total_relation_size('results_labmessage'))"
        ).fetchone()
    assert row is not None
    return (
        f"{row[0]:,} practices, {row[1]:,} patients, {row[2]:,} lab results ({row[4]:,} "
        f"released; table and indexes {row[5]}), {row[3]:,} lab messages ({row[6]})"
    )


def vacuum() -> float:
    """VACUUM ANALYZE the results tables, so that autovacuum after the bulk load does not
    run during the measurements; returns seconds."""
    started = time.perf_counter()
    subprocess.run(
        [
            "psql",
            run.database_url(),
            "-qc",
            "VACUUM (ANALYZE) results_labresult, results_labmessage",
        ],
        check=True,
        timeout=900,
    )
    return time.perf_counter() - started


@dataclass
class Results:
    ingest: dict[str, Any]
    portal: dict[str, Any]
    sequential: list[PageTimes]
    loads: list[Load]
    database: str
    code: str
    region: str
    vacuum_seconds: float
    seconds: float = 0.0


def bench_results(
    env: dict[str, str], *, when: str | None = None, region: str = "", vacuumed: bool = False
) -> str:
    """Run both parts against the bench database; append the section to BENCHMARKS.md.
    `region`: how long the region's results took to generate, as bench/run.py saw it;
    `vacuumed`: bench/run.py vacuumed the results tables after generating them."""
    when = when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    began = time.perf_counter()
    code = booking.code_version()
    if not vacuumed:
        print("results benchmark: VACUUM ANALYZE of the results tables ...", flush=True)
    vacuum_seconds = 0.0 if vacuumed else vacuum()
    database = describe_database()
    print(f"  lab ingest: {MESSAGES} messages x {RESULTS_PER_MESSAGE} results ...", flush=True)
    ingest = child("--ingest", env)
    print(
        f"  parse {ingest['results'] / ingest['parse_seconds']:,.0f}/s, bare insert "
        f"{ingest['results'] / ingest['bare_seconds']:,.0f}/s, receive_lab_message "
        f"{ingest['real_stored'] / ingest['real_seconds']:,.0f}/s",
        flush=True,
    )
    print("  portal: preparing the patients and their sessions ...", flush=True)
    portal = child("--prepare-portal", env)
    print("  portal: one worker, sequential requests ...", flush=True)
    times = one_worker_pages(env, portal["pages"])
    print(f"  portal: {len(portal['users'])} concurrent users, {WORKERS} workers ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="spreekuur-bench-") as logs:
        loads = asyncio.run(concurrent_phases(env, portal["users"], Path(logs)))
    results = Results(ingest, portal, times, loads, database, code, region, vacuum_seconds)
    results.seconds = time.perf_counter() - began
    text = report(results, when)
    summary.publish(text, lambda: figures(results), bench="results", when=when)
    return text


def ms(value: float) -> str:
    return booking.ms(value)


def passed(ok: bool) -> str:
    return booking.passed(ok)


def report(results: Results, when: str) -> str:
    ingest, portal = results.ingest, results.portal
    expected = ingest["results"]
    batched_stored = ingest.get("batched_stored", 0)
    batched_seconds = ingest.get("batched_seconds", 0.0)
    parse_rate = expected / ingest["parse_seconds"]
    bare_rate = expected / ingest["bare_seconds"]
    real_rate = ingest["real_stored"] / ingest["real_seconds"]
    share = real_rate / bare_rate
    pages = portal["pages"]
    baseline, page_times = results.sequential[0], results.sequential[1:]
    most_queries = max(page["plain_queries"] for page in pages)
    most_with = max(page["queries"] for page in pages)
    think, busy = results.loads
    think_p95 = max(samples.pct(0.95) for samples in think.samples.values())
    busy_p95 = max(samples.pct(0.95) for samples in busy.samples.values())
    # Heavy against light, page by page (rows 0/1 light list/test, 2/3 heavy list/test).
    ratios = [page_times[i + 2].pct(0.95) / page_times[i].pct(0.95) for i in (0, 1)]
    medians = [page_times[i + 2].pct(0.5) / page_times[i].pct(0.5) for i in (0, 1)]
    load_errors = sum(s.errors for load in results.loads for s in load.samples.values())
    lines = [
        f"\n## Results — lab ingest and portal pages — {when}\n",
        f"Machine: {run.machine()}. Code: {results.code}.\n",
        f"Database `{run.BENCH_DB}`: {results.database}."
        + (f" {results.region}" if results.region else "")
        + " The results tables were vacuumed and analysed after loading, before any "
        f"measurement. Whole benchmark: {results.seconds:.0f} s.\n",
        "| target | measured | |",
        "|---|---|---|",
        f"| ingest at least {TARGET_RESULTS_PER_S:,.0f} results/s | {real_rate:,.0f} results/s "
        f"| {passed(real_rate >= TARGET_RESULTS_PER_S)} |",
        f"| ingest at least {TARGET_SHARE_OF_BARE:.0%} of bare parse-and-insert "
        f"| {share:.1%} of {bare_rate:,.0f} results/s | {passed(share >= TARGET_SHARE_OF_BARE)} |",
        f"| results pages p95 under {TARGET_P95_MS:.0f} ms at {len(portal['users'])} concurrent "
        f"users | {ms(think_p95)} ms with think time ({ms(busy_p95)} "
        f"ms without) | {passed(think_p95 < TARGET_P95_MS and load_errors == 0)} |",
        f"| at most {TARGET_QUERIES} queries per page | {most_queries} (with SAVEPOINT/RELEASE: "
        f"{most_with}) | {passed(most_queries <= TARGET_QUERIES)} |",
        f"| a 1,000-result patient as fast as a 10-result one (p95 at most "
        f"{SAME_SPEED - 1:.0%} higher) | list {ratios[0]:.2f}x, test page {ratios[1]:.2f}x "
        # The p50s beside them: one noisy p95 of the light patient can pass a page.
        f"(at p50: {medians[0]:.2f}x, {medians[1]:.2f}x) | {passed(max(ratios) <= SAME_SPEED)} |",
        "",
        f"### Lab ingest: {ingest['messages']:,} ORU^R01 messages x {RESULTS_PER_MESSAGE} "
        f"results, existing patients of `{ingest['practice']}`\n",
        "One message per patient (their BSN and date of birth), kidney function, potassium, "
        "glucose and Hb; one process, one connection, the test table loaded once and shared "
        "(as `spreekuur import_lab` does). Baselines: median of "
        f"{BASELINE_ROUNDS} rounds on the same messages.\n",
        "| what | results | seconds | results/s | ours / this |",
        "|---|---:|---:|---:|---:|",
        f"| bare parse: `parse_hl7v2` only | {expected:,} | {ingest['parse_seconds']:.2f} "
        f"| {parse_rate:,.0f} | {real_rate / parse_rate:.3f} |",
        "| bare parse-and-insert: `parse_hl7v2`, patients read once, one `bulk_create` of the "
        "message rows and one of the result rows (same rows, keys, ranges and flags), one "
        f"transaction; no duplicate check, no per-message queries, no audit | {expected:,} "
        f"| {ingest['bare_seconds']:.2f} | {bare_rate:,.0f} | {share:.3f} |",
        "| **Spreekuur `receive_lab_message`** (one call per message, shared `TestTable`) "
        f"| {ingest['real_stored']:,} | {ingest['real_seconds']:.2f} | **{real_rate:,.0f}** "
        "| 1.000 |",
        "| **Spreekuur `receive_lab_messages`** (a file at once, as `import_lab` does: plain "
        "messages 200 per batch) "
        f"| {batched_stored:,} | {batched_seconds:.2f} "
        f"| **{batched_stored / max(batched_seconds, 1e-9):,.0f}** | — |",
        "",
        f"Stored: {ingest['real_stored']:,} of {expected:,} results "
        f"({ingest['in_database']:,} found in the database afterwards); messages by status: "
        + ", ".join(f"{k} {v}" for k, v in ingest["real_statuses"].items())
        + f"; duplicates {ingest['real_duplicates']}.\n",
        f"Where the time goes ({ingest['profile_messages']} more messages of the same kind): "
        f"{ingest['wall_ms_per_message']:.1f} ms per message, of which "
        f"{ingest['sql_ms_per_message']:.1f} ms waiting for "
        f"{ingest['queries_per_message']:.1f} queries (Django's query log, round trips "
        "included): "
        + ", ".join(f"{kind} {count:g}" for kind, count in ingest["query_kinds"].items())
        + ".\n",
        "cProfile of the Python side (cumulative share of the profiled time; profiling "
        "slows it down, so shares only):\n",
        "| function | share |",
        "|---|---:|",
    ]
    interesting = [
        (where, part)
        for where, part in ingest["profile"]
        if "spreekuur/" in where or "hl7/" in where or "django/db/models/query.py" in where
    ][:14]
    lines += [f"| `{where}` | {part:.0%} |" for where, part in interesting]
    lines += [
        "",
        f"### Results pages, one gunicorn worker, {run.REQUESTS_PER_PAGE} sequential requests "
        f"per page (`{PORTAL_PRACTICE}`)\n",
        f"The ~10-result patient comes from the region's generated history; the ~1,000-result "
        f"one got a monthly panel of {HEAVY_TESTS} tests for {HEAVY_MONTHS // 12} years "
        f"through the HL7 door ({portal['heavy_seconds']:.1f} s), released afterwards. "
        "Test page: the test with the most values. Queries: one GET in-process (Django test "
        "client, the same session, after a warm-up GET), without / with SAVEPOINT and "
        "RELEASE.\n",
        "| patient | page | on the page | p50 ms | p95 ms | p99 ms | p95 / baseline "
        "| queries | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| — | `/healthz` (baseline) | — | {ms(baseline.pct(0.5))} | {ms(baseline.pct(0.95))} "
        f"| {ms(baseline.pct(0.99))} | 1.0x | — | {baseline.errors} |",
    ]
    for page, times in zip(pages, page_times, strict=True):
        shown = (
            f"{page['shown']} tests ({page['results']:,} results)"
            if page["kind"] == "list"
            else f"{page['shown']} values"
        )
        path = re.sub(r"[0-9a-f-]{36}", "<test>", page["path"])
        lines.append(
            f"| {page['patient']} | `{path}` | {shown} | {ms(times.pct(0.5))} "
            f"| {ms(times.pct(0.95))} | {ms(times.pct(0.99))} "
            f"| {times.pct(0.95) / baseline.pct(0.95):.1f}x "
            f"| {page['plain_queries']} / {page['queries']} | {times.errors} |"
        )
    kinds = Counter(kind for page in pages for kind in page["kinds"])
    lines += [
        "",
        "Queries on these pages, all four together: "
        + ", ".join(f"{kind} {count}" for kind, count in kinds.most_common())
        + ".\n",
        f"### {len(portal['users'])} patients at once, gunicorn {WORKERS} sync workers, "
        f"{CONCURRENT_SECONDS:.0f} s per phase\n",
        f"Distinct patients of `{PORTAL_PRACTICE}` with at least 20 results each (from the "
        "region's history), each with their own session: their list, then one of their test "
        "pages at random, again and again; with a think time of "
        f"{THINK_SECONDS[0]}-{THINK_SECONDS[1]} s after each page (people reading), then "
        "without (saturation). Load generator, gunicorn and PostgreSQL share the machine.\n",
        "| phase | page | requests | per s | p50 ms | p95 | p99 | in worker p95 | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for load in results.loads:
        phase = "think time" if load.think else "no think time"
        for kind, samples in load.samples.items():
            server = load.server_ms.get(kind, [])
            lines.append(
                f"| {phase} | {kind} | {len(samples.ms)} | {len(samples.ms) / load.seconds:.1f} "
                f"| {ms(samples.pct(0.5))} | {ms(samples.pct(0.95))} | {ms(samples.pct(0.99))} "
                f"| {ms(run.percentile(server, 0.95)) if server else '—'} | {samples.errors} |"
            )
    lines += [
        "",
        "CPU: with think time "
        + booking.cpu_text([think.cpu])
        + "; without "
        + booking.cpu_text([busy.cpu])
        + ".",
    ]
    return "\n".join(lines) + "\n"


def figures(results: Results) -> list[summary.Figure]:
    """The targets of the report's first table, as records for the summary."""
    ingest, portal = results.ingest, results.portal
    bare_rate = ingest["results"] / ingest["bare_seconds"]
    real_rate = ingest["real_stored"] / ingest["real_seconds"]
    share = real_rate / bare_rate
    pages = portal["pages"]
    page_times = results.sequential[1:]
    most_queries = max(page["plain_queries"] for page in pages)
    most_with = max(page["queries"] for page in pages)
    think, busy = results.loads
    think_p95 = max(samples.pct(0.95) for samples in think.samples.values())
    busy_p95 = max(samples.pct(0.95) for samples in busy.samples.values())
    load_errors = sum(s.errors for load in results.loads for s in load.samples.values())
    # Heavy against light, page by page (rows 0/1 light list/test, 2/3 heavy list/test).
    light, heavy = max(
        ((page_times[i], page_times[i + 2]) for i in (0, 1)),
        key=lambda pair: pair[1].pct(0.95) / pair[0].pct(0.95),
    )
    slower = heavy.pct(0.95) / light.pct(0.95)
    at_p50 = ", ".join(
        f"{name} {page_times[i + 2].pct(0.5) / page_times[i].pct(0.5):.2f}x"
        for name, i in (("list", 0), ("test page", 1))
    )
    bare = "bare parse-and-insert"
    return [
        summary.Figure(
            id="results.ingest_rate",
            target=f"lab ingest at least {TARGET_RESULTS_PER_S:,.0f} results/s "
            "(`receive_lab_message`, one call per message)",
            figure=round(real_rate),
            unit="results/s",
            threshold=TARGET_RESULTS_PER_S,
            op=">=",
            passed=real_rate >= TARGET_RESULTS_PER_S,
            baseline=round(bare_rate),
            baseline_unit="results/s",
            baseline_what=bare,
            ratio=share,
        ),
        summary.Figure(
            id="results.ingest_share",
            target=f"lab ingest at least {TARGET_SHARE_OF_BARE:.0%} of bare parse-and-insert",
            figure=round(real_rate),
            unit="results/s",
            threshold=TARGET_SHARE_OF_BARE,
            op=">=",
            on="ratio",
            passed=share >= TARGET_SHARE_OF_BARE,
            baseline=round(bare_rate),
            baseline_unit="results/s",
            baseline_what=bare,
            ratio=share,
        ),
        summary.Figure(
            id="results.pages_concurrent_p95",
            target=f"results pages p95 under {TARGET_P95_MS:.0f} ms at "
            f"{len(portal['users'])} concurrent users (with think time), no errors",
            figure=round(think_p95, 1),
            unit="ms",
            threshold=TARGET_P95_MS,
            op="<",
            passed=think_p95 < TARGET_P95_MS and load_errors == 0,
            note=f"{ms(busy_p95)} ms without think time"
            + (f"; {load_errors} errors" if load_errors else ""),
        ),
        summary.Figure(
            id="results.queries",
            target=f"at most {TARGET_QUERIES} queries per results page",
            figure=most_queries,
            unit="queries",
            threshold=TARGET_QUERIES,
            op="<=",
            passed=most_queries <= TARGET_QUERIES,
            note=f"with SAVEPOINT/RELEASE: {most_with}",
        ),
        summary.Figure(
            id="results.heavy_patient",
            target=f"a 1,000-result patient as fast as a 10-result one (p95 at most "
            f"{SAME_SPEED - 1:.0%} higher)",
            figure=round(heavy.pct(0.95), 1),
            unit="ms",
            threshold=SAME_SPEED,
            op="<=",
            on="ratio",
            passed=slower <= SAME_SPEED,
            baseline=round(light.pct(0.95), 1),
            baseline_unit="ms",
            baseline_what="the 10-result patient, same page",
            ratio=slower,
            note=f"at p50: {at_p50}",
        ),
    ]


def main() -> None:
    if len(sys.argv) == 2 and sys.argv[1] == "--ingest":
        print(json.dumps(ingest_in_django()))
        return
    if len(sys.argv) == 2 and sys.argv[1] == "--prepare-portal":
        print(json.dumps(prepare_portal_in_django()))
        return
    env = run.bench_env()
    region = ensure_database(env)
    bench_results(env, region=region)


if __name__ == "__main__":
    main()
