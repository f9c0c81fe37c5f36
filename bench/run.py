"""`make bench`: measure what the Foundation issue promises and append it to BENCHMARKS.md.

1. Region generation: 200 practices x 2,500 patients (+ De Linde), their lab results and
   a year of care (demo/region/care.py), into a fresh PostgreSQL database. Baseline, same
   run: PostgreSQL writing exactly the rows the generator wrote, with the same indexes:
   every table the generator filled is read out with COPY TO (binary, into temporary
   files; not timed) and COPYed back into an empty copy of itself (`CREATE TABLE ...
   (LIKE ... INCLUDING ALL)` in a scratch schema), then ANALYZEd, in one transaction.
   Target: 500,000 patients with a year of care in at most 600 s.
2. Base-UI pages: a real gunicorn worker serving the demo practice (inside that region
   database), sequential requests per page; p50/p95/p99 against /healthz (the cheapest
   Django request) as the baseline; the worker's resident memory afterwards.
3. The agenda's booking storm and sustained booking load (bench/booking.py), same database.
   Hot paths (bench/hot_paths.py): per hot request the statements, commits, SQL and
   Python time, and the audit chain under contention against bare inserts.
4. Lab results (bench/results.py): HL7 ingest against bare parsing and a bare bulk insert,
   and the patient's results pages (one worker, and 50 patients at once), same database.
5. Repeat prescriptions (bench/prescriptions.py): the GP's accorderingslijst with 200 open
   requests (one worker), and the outbox delivered to a stub pharmacy against a bare httpx
   client, same database.
6. E-consult (bench/econsult.py): the practice's inbox (one worker), and a 10 MB phone
   photo, a HEIC photo and a pixel bomb through the photo check against bare Pillow.
   Photo cost (bench/photo_cost.py): CPU seconds and peak memory of each kind of photo
   upload, accepted or refused, in a process of its own per sample, against a 1 MP JPEG.
7. Mixed portal load (bench/mixed.py): 50 patients log in and use the portal against
   gunicorn, then the 08:00 rush; invariants counted; pgbench as the baseline.
8. Crash safety (bench/crash.py): kill -9 of gunicorn, the worker and a lab import under
   load; after a restart, no half-written data, no lost accepted request, the audit chain
   intact, pending deliveries finished.
9. Self-triage (bench/triage.py): 50 anonymous visitors walk the widget's questions against
   gunicorn, /healthz at the same concurrency as the baseline; the widget's first load in
   bytes against the practice page's own self-triage; queries per step.
10. Practice operations (bench/operations.py): refreshing all the region's dashboard
   summaries against the bare SQL aggregates; the dashboard and the regional view; the
   telephony webhook's events per second against a bare insert; the callback screen.
11. FHIR API (bench/fhir_api.py): patients connect a PGO through the real consent screen
   and code exchange; Patient reads with each patient's own token (requests/s, against
   /healthz at the same concurrency), Observation searches (`_count=50`) of the patients
   with the most results, with their own and a practice system's token (p95), and the
   booking storm through `POST /fhir/R4/Appointment` with booking.py's double-booking
   checks; baselines: each request's captured statements replayed bare through psycopg,
   and booking.py's bare booking transaction; queries per request.
12. Chronic care (bench/chroniccare.py): the region's patients enrolled from their open
   episodes with two years of controls; every programme's indicators for the whole region
   against a bare SQL of the same figures (the same numbers, or the step fails); the
   control consult of a patient with ten years of quarterly controls and the due list of
   a 10,000-patient practice (one worker), against /healthz.

Each step appends its report to BENCHMARKS.md and one record per target to
bench/figures.jsonl, from which the summary table at the top of BENCHMARKS.md is rebuilt
(bench/summary.py). Every run is bounded: a fixed number of requests and a timeout on each
step. The region's size: BENCH_PRACTICES, BENCH_PATIENTS_PER_PRACTICE and
BENCH_DEMO_PATIENTS (De Linde); BENCH_SKIP leaves steps out (the summary keeps their
newest figures, with their date). `python bench/run.py --generation-only` measures the
region generation and its baseline alone (try it on a small region, with BENCH_DB naming a
scratch database, which it drops and creates).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import copy_baseline  # the region generation's baseline
import httpx
import psycopg
import summary  # the table at the top of BENCHMARKS.md

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SPREEKUUR = str(BIN / "spreekuur")
PRACTICES = int(os.environ.get("BENCH_PRACTICES", "200"))
PATIENTS_PER_PRACTICE = int(os.environ.get("BENCH_PATIENTS_PER_PRACTICE", "2500"))
DEMO_PATIENTS = int(os.environ.get("BENCH_DEMO_PATIENTS", "3000"))  # De Linde
REQUESTS_PER_PAGE = int(os.environ.get("BENCH_REQUESTS", "200"))
# Steps after the region and pages to leave out of this run, comma-separated: booking,
# hot_paths, results, prescriptions, econsult, photo_cost, mixed, crash, triage, operations,
# fhir, chroniccare. Their newest figures stay in the summary with their own date.
SKIP = {step.strip() for step in os.environ.get("BENCH_SKIP", "").split(",") if step.strip()}
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/test")
BENCH_DB = os.environ.get("BENCH_DB", "spreekuur_bench")
TARGET_GENERATION_SECONDS = 600.0  # for ...
TARGET_GENERATION_PATIENTS = 500_000  # ... with a year of care
TARGET_PAGE_P95_MS = 100.0
TARGET_WORKER_MB = 150.0
# The bulk-loaded tables, vacuumed before any measurement (autovacuum would do it during).
VACUUMED = (
    "results_labresult",
    "results_labmessage",
    "agenda_appointment",
    "agenda_slot",
    "dossier_journalentry",
    "dossier_episode",
    "dossier_medication",
    "prescriptions_repeatrequest",
    "prescriptions_repeatrequestitem",
    "prescriptions_outboxmessage",
    "econsult_thread",
    "econsult_message",
)


def psql(sql: str) -> None:
    subprocess.run(["psql", ADMIN_URL, "-qc", sql], check=True, timeout=120)


def database_url() -> str:
    admin = urlparse(ADMIN_URL)
    return admin._replace(path=f"/{BENCH_DB}").geturl()


def bench_env() -> dict[str, str]:
    """The environment of every Spreekuur process the benchmark starts."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SPREEKUUR_ENV": "development",
        "DEBUG": "false",
        # The prescription and crash benchmarks deliver to a stand-in pharmacy on 127.0.0.1.
        "PHARMACY_ALLOW_LOOPBACK": "true",
        # 50 simulated visitors share one address: every triage they finish is stored.
        "TRIAGE_ANONYMOUS_PER_HOUR": "0",
    }
    # As in production (deploy/spreekuur.env.example): throttles and sessions in Redis.
    # BENCH_REDIS_URL= (empty) measures without it.
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    if redis:
        env["REDIS_URL"] = redis
    else:
        env.pop("REDIS_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def run(cmd: list[str], env: dict[str, str], timeout: int) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, timeout=timeout, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    pg = subprocess.run(
        ["psql", ADMIN_URL, "-tAc", "SHOW server_version"],
        capture_output=True,
        text=True,
        check=True,
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB, "
        f"Python {platform.python_version()}, PostgreSQL {pg.stdout.strip()}"
    )


def generation_command() -> list[str]:
    return [
        SPREEKUUR,
        "load_demo",
        "--quiet",
        "--practices",
        str(PRACTICES),
        "--patients-per-practice",
        str(PATIENTS_PER_PRACTICE),
        "--demo-patients",
        str(DEMO_PATIENTS),
    ]


def bench_generation(env: dict[str, str]) -> dict[str, Any]:
    psql(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    psql(f"CREATE DATABASE {BENCH_DB}")
    run([SPREEKUUR, "migrate", "-v", "0"], env, 600)
    with psycopg.connect(database_url(), autocommit=True) as db:
        before = copy_baseline.marks(db)
    started = time.perf_counter()
    loaded = subprocess.run(
        generation_command(),
        env=env,
        check=True,
        timeout=1800,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    # The region's lab results (demo/region/results.py), part of the time above.
    found = re.search(r"uitslagen van de regio: (\d+) in ([\d.]+) s", loaded.stdout)
    results, results_seconds = (int(found.group(1)), float(found.group(2))) if found else (0, 0.0)
    phases = re.search(
        r"uitslagen: rijen in ([\d.]+) s, indexen en sleutels in ([\d.]+) s", loaded.stdout
    )
    # The region's year of care (demo/region/care.py), part of the time above too.
    care = re.search(
        r"zorg van de regio: (\d+) afspraken, (\d+) journaalregels, (\d+) herhaalaanvragen, "
        r"(\d+) e-consults in ([\d.]+) s",
        loaded.stdout,
    )
    care_phases = re.search(
        r"zorg: rijen in ([\d.]+) s, indexen en sleutels in ([\d.]+) s", loaded.stdout
    )
    # Not timed: vacuum what was just bulk-loaded, so that autovacuum does not do it
    # during the measurements that follow.
    subprocess.run(
        ["psql", database_url(), "-qc", f"VACUUM (ANALYZE) {', '.join(VACUUMED)}"],
        check=True,
        timeout=1800,
    )
    # And statistics for every other table (patients, accounts, ...): the bench's
    # PostgreSQL may run without autovacuum, and a table never analysed is planned as if
    # empty (a patient looked up by name order instead of by its id, bench/fhir_api.py).
    subprocess.run(["psql", database_url(), "-qc", "ANALYZE"], check=True, timeout=1800)
    # Baseline: PostgreSQL writing the very rows the generator wrote (bench/copy_baseline.py).
    baseline = copy_baseline.measure(database_url(), before)
    return {
        "patients": PRACTICES * PATIENTS_PER_PRACTICE + DEMO_PATIENTS,
        "seconds": seconds,
        "baseline": baseline,
        "results": results,
        "results_seconds": results_seconds,
        "results_rows_seconds": float(phases.group(1)) if phases else 0.0,
        "results_index_seconds": float(phases.group(2)) if phases else 0.0,
        "appointments": int(care.group(1)) if care else 0,
        "journal_entries": int(care.group(2)) if care else 0,
        "repeat_requests": int(care.group(3)) if care else 0,
        "econsults": int(care.group(4)) if care else 0,
        "care_seconds": float(care.group(5)) if care else 0.0,
        "care_rows_seconds": float(care_phases.group(1)) if care_phases else 0.0,
        "care_index_seconds": float(care_phases.group(2)) if care_phases else 0.0,
    }


def generation_threshold(patients: int) -> float:
    """The target's seconds for this many patients (600 s per 500,000)."""
    return TARGET_GENERATION_SECONDS * patients / TARGET_GENERATION_PATIENTS


def generation_report(generation: dict[str, Any]) -> list[str]:
    patients, seconds = generation["patients"], generation["seconds"]
    base: copy_baseline.Baseline = generation["baseline"]
    threshold = generation_threshold(patients)
    return [
        "### Region generation (`spreekuur load_demo --practices "
        f"{PRACTICES} --patients-per-practice {PATIENTS_PER_PRACTICE}"
        + (f" --demo-patients {DEMO_PATIENTS}" if DEMO_PATIENTS != 3000 else "")
        + "`)\n",
        "| what | rows | seconds | rows/s |",
        "|---|---:|---:|---:|",
        "| Spreekuur generator (practices, staff, TOTP devices, patients, lab results, "
        "a year of care) | "
        f"{patients:,} patients ({base.rows:,} rows in {len(base.tables)} tables) "
        f"| {seconds:.1f} | {base.rows / seconds:,.0f} |",
        f"| of which the region's lab results (COPY) | {generation['results']:,} results "
        f"| {generation['results_seconds']:.1f} "
        f"| {generation['results'] / max(generation['results_seconds'], 0.001):,.0f} |",
        f"| of which the region's year of care (COPY): appointments | "
        f"{generation['appointments']:,} appointments | {generation['care_seconds']:.1f} "
        f"| {generation['appointments'] / max(generation['care_seconds'], 0.001):,.0f} |",
        f"| (same run) journal lines, repeat requests, e-consults | "
        f"{generation['journal_entries']:,} / {generation['repeat_requests']:,} / "
        f"{generation['econsults']:,} | | |",
        "| baseline: the same rows COPYed into empty copies of their tables (same indexes "
        "and constraints, foreign keys included), as pg_restore loads | "
        f"{base.rows:,} rows | {base.seconds:.1f} | {base.rows / base.seconds:,.0f} |",
        "",
        f"Generator / baseline: {seconds / base.seconds:.1f}x. The year of care: "
        f"{generation['care_rows_seconds']:.0f} s making and copying the rows, "
        f"{generation['care_index_seconds']:.0f} s indexes, constraints, foreign keys and "
        f"ANALYZE. Target: 500,000 patients with a year of care in at most "
        f"{TARGET_GENERATION_SECONDS:.0f} s, here {threshold:.0f} s for {patients:,}: "
        f"{'pass' if seconds <= threshold else '**fail**'}.\n",
        copy_baseline.describe(base) + "\n",
    ]


def generation_figure(generation: dict[str, Any]) -> summary.Figure:
    patients, seconds = generation["patients"], generation["seconds"]
    base: copy_baseline.Baseline = generation["baseline"]
    threshold = generation_threshold(patients)
    return summary.Figure(
        id="foundation.generation",
        target=f"region generation: 500,000 patients with a year of care in at most "
        f"{TARGET_GENERATION_SECONDS:.0f} s (scaled: {threshold:.0f} s for {patients:,})",
        figure=round(seconds, 1),
        unit="s",
        threshold=round(threshold, 1),
        op="<=",
        passed=seconds <= threshold,
        baseline=round(base.seconds, 1),
        baseline_unit="s",
        baseline_what=f"COPY of the same {base.rows:,} rows",
        ratio=seconds / base.seconds,
        note=f"{patients:,} patients",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def login(client: httpx.Client, email: str, env: dict[str, str]) -> None:
    page = client.get("/account/inloggen/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post(
        "/account/inloggen/",
        data={"csrfmiddlewaretoken": token, "username": email, "password": "Spreekuur-demo-2026"},
    )
    code = subprocess.run(
        [SPREEKUUR, "demo_totp"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    page = client.get("/account/tweede-stap/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/account/tweede-stap/", data={"csrfmiddlewaretoken": token, "token": code}
    )
    if response.status_code != 302:
        raise RuntimeError(f"login of {email} failed")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def bench_pages(
    env: dict[str, str],
) -> tuple[list[tuple[str, str, float, float, float, int]], float]:
    import booking  # here, not at the top: booking imports this module

    server, base = booking.start_one_worker(env)
    try:
        staff = httpx.Client(base_url=base, timeout=10)
        manager = httpx.Client(base_url=base, timeout=10)
        patient = httpx.Client(base_url=base, timeout=10)
        anonymous = httpx.Client(base_url=base, timeout=10)
        login(staff, "assistent@de-linde.example", env)
        time.sleep(0.05)
        login(manager, "manager@de-linde.example", env)
        login(patient, "patient@de-linde.example", env)
        patient_page = re.search(
            r'href="(/patienten/[0-9a-f-]{36}/)"', staff.get("/patienten/").text
        ).group(1)  # type: ignore[union-attr]
        pages = [
            ("baseline", "/healthz", anonymous),
            ("public", "/p/de-linde/", anonymous),
            ("public", "/account/inloggen/", anonymous),
            ("staff", "/start/", staff),
            ("staff", "/patienten/", staff),
            ("staff", "/patienten/?pagina=20", staff),
            ("staff", patient_page, staff),
            ("manager", "/beheer/logboek/", manager),
            ("patient", "/start/", patient),
            ("patient", "/mijn-gegevens/", patient),
            ("patient", "/mijn-dossier/wie-keek-er/", patient),
        ]
        rows = []
        for who, path, client in pages:
            for _ in range(5):  # warm-up
                client.get(path)
            timings = []
            errors = 0
            for _ in range(REQUESTS_PER_PAGE):
                started = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
                errors += response.status_code != 200
            rows.append(
                (
                    who,
                    path,
                    percentile(timings, 0.5),
                    percentile(timings, 0.95),
                    percentile(timings, 0.99),
                    errors,
                )
            )
        worker_pids = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
        ).stdout.split()
        memory = max(rss_mb(int(pid)) for pid in worker_pids)
        return rows, memory
    finally:
        booking.stop_server(server)


def pages_report(rows: list[tuple[str, str, float, float, float, int]], memory: float) -> list[str]:
    baseline_p95 = rows[0][3]
    lines = [
        f"### Base-UI pages (one gunicorn worker, {REQUESTS_PER_PAGE} sequential requests "
        "per page, demo practice inside the region database)\n",
        "| who | page | p50 ms | p95 ms | p99 ms | p95 / baseline | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for who, path, p50, p95, p99, errors in rows:
        shown = re.sub(r"[0-9a-f-]{36}", "<uuid>", path)
        lines.append(
            f"| {who} | `{shown}` | {p50:.1f} | {p95:.1f} | {p99:.1f} "
            f"| {p95 / baseline_p95:.1f}x | {errors} |"
        )
    worst = max(row[3] for row in rows)
    lines += [
        "",
        f"Slowest p95: {worst:.1f} ms (target: under {TARGET_PAGE_P95_MS:.0f} ms). "
        f"Worker resident memory after the run: {memory:.0f} MB (target: under "
        f"{TARGET_WORKER_MB:.0f} MB).",
    ]
    return lines


def pages_figures(
    rows: list[tuple[str, str, float, float, float, int]], memory: float
) -> list[summary.Figure]:
    baseline_p95 = rows[0][3]
    worst = max(rows[1:], key=lambda row: row[3])
    errors = sum(row[5] for row in rows)
    page = re.sub(r"[0-9a-f-]{36}", "<uuid>", worst[1])
    return [
        summary.Figure(
            id="foundation.pages_p95",
            target=f"base-UI pages: slowest p95 under {TARGET_PAGE_P95_MS:.0f} ms "
            "(one worker), no errors",
            figure=round(worst[3], 1),
            unit="ms",
            threshold=TARGET_PAGE_P95_MS,
            op="<",
            passed=worst[3] < TARGET_PAGE_P95_MS and errors == 0,
            baseline=round(baseline_p95, 1),
            baseline_unit="ms",
            baseline_what="`/healthz` p95",
            ratio=worst[3] / baseline_p95,
            note=f"{worst[0]} `{page}`" + (f"; {errors} errors" if errors else ""),
        ),
        summary.Figure(
            id="foundation.worker_memory",
            target=f"web worker resident memory under {TARGET_WORKER_MB:.0f} MB after the pages",
            figure=round(memory),
            unit="MB",
            threshold=TARGET_WORKER_MB,
            op="<",
            passed=memory < TARGET_WORKER_MB,
        ),
    ]


def main() -> None:
    generation_only = sys.argv[1:] == ["--generation-only"]
    if shutil.which("psql") is None or (not generation_only and shutil.which("pgbench") is None):
        sys.exit("make bench needs psql and pgbench (Debian: postgresql-client)")
    env = bench_env()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print("generating the region ...", flush=True)
    generation = bench_generation(env)
    print(
        f"  {generation['patients']} patients in {generation['seconds']:.1f} s; baseline "
        f"(COPY of the same {generation['baseline'].rows:,} rows) "
        f"{generation['baseline'].seconds:.1f} s",
        flush=True,
    )
    lines = [
        f"\n## Foundation — {when}\n",
        f"Machine: {machine()}. Code: `{summary.code_version()}`.\n",
        *generation_report(generation),
    ]
    pages: tuple[list[tuple[str, str, float, float, float, int]], float] | None = None
    if not generation_only:
        print("measuring pages ...", flush=True)
        pages = bench_pages(env)
        lines += pages_report(*pages)

    def figures() -> list[summary.Figure]:
        return [generation_figure(generation), *(pages_figures(*pages) if pages else [])]

    summary.publish("\n".join(lines) + "\n", figures, bench="foundation", when=when)
    if generation_only:
        psql(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        return
    import booking  # here, not at the top: booking imports this module

    if "booking" not in SKIP:
        booking.bench_booking(env, when=when)
    import hot_paths  # likewise: where the time of each hot request goes

    if "hot_paths" not in SKIP:
        hot_paths.bench_hot_paths(env, when=when)
    import results  # likewise

    region = (
        f"The region's lab results were generated with it: {generation['results']:,} in "
        f"{generation['results_seconds']:.0f} s ({generation['results_rows_seconds']:.0f} s "
        f"making and copying the rows, {generation['results_index_seconds']:.0f} s indexes, "
        "constraints, foreign keys and ANALYZE)."
    )
    if "results" not in SKIP:
        results.bench_results(env, when=when, region=region, vacuumed=True)
    import prescriptions  # likewise (it imports booking and results)

    if "prescriptions" not in SKIP:
        prescriptions.bench_prescriptions(env, when=when)
    import econsult

    if "econsult" not in SKIP:
        econsult.bench_econsult(env, when=when)
    import photo_cost  # what one photo upload costs in CPU and memory; needs no database

    if "photo_cost" not in SKIP:
        photo_cost.bench_photo_cost(when=when)
    import mixed  # the portal as 50 patients use it, and the 08:00 rush

    if "mixed" not in SKIP:
        mixed.bench_mixed(env, when=when)
    import crash  # kill -9 in the middle of bookings, lab imports and deliveries

    if "crash" not in SKIP:
        crash.bench_crash(env, when=when)
    import triage  # self-triage: the widget's steps at 50 visitors, its first load

    if "triage" not in SKIP:
        triage.bench_triage(env, when=when)
    import operations  # the dashboard's summaries and pages, the webhook, the callback screen

    if "operations" not in SKIP:
        operations.bench_operations(env, when=when)
    import fhir_api  # the FHIR API: Patient reads, Observation searches, booking through it

    if "fhir" not in SKIP:
        fhir_api.bench_fhir(env, when=when)
    import chroniccare  # ketenzorg: the region's indicators, the control consult, the due list

    if "chroniccare" not in SKIP:
        chroniccare.bench_chroniccare(env, when=when)
    psql(f"DROP DATABASE IF EXISTS {BENCH_DB}")


if __name__ == "__main__":
    main()
