"""`make bench`: measure what the Foundation issue promises and append it to BENCHMARKS.md.

1. Region generation: 200 practices x 2,500 patients (+ De Linde), their lab results and
   a year of care (demo/region_care.py), into a fresh PostgreSQL database, against
   PostgreSQL's own bulk loader (`pgbench -i`, same number of rows) as the baseline
   measured in the same run.
2. Base-UI pages: a real gunicorn worker serving the demo practice (inside that region
   database), sequential requests per page; p50/p95/p99 against /healthz (the cheapest
   Django request) as the baseline; the worker's resident memory afterwards.
3. The agenda's booking storm and sustained booking load (bench/booking.py), same database.
4. Lab results (bench/results.py): HL7 ingest against bare parsing and a bare bulk insert,
   and the patient's results pages (one worker, and 50 patients at once), same database.
5. Repeat prescriptions (bench/prescriptions.py): the GP's accorderingslijst with 200 open
   requests (one worker), and the outbox delivered to a stub pharmacy against a bare httpx
   client, same database.
6. E-consult (bench/econsult.py): the practice's inbox (one worker), and a 10 MB phone
   photo, a HEIC photo and a pixel bomb through the photo check against bare Pillow.
7. Mixed portal load (bench/mixed.py): 50 patients log in and use the portal against
   gunicorn, then the 08:00 rush; invariants counted; pgbench as the baseline.
8. Crash safety (bench/crash.py): kill -9 of gunicorn, the worker and a lab import under
   load; after a restart, no half-written data, no lost accepted request, the audit chain
   intact, pending deliveries finished.

Every run is bounded: a fixed number of requests and a timeout on each step.
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
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SPREEKUUR = str(BIN / "spreekuur")
PRACTICES = int(os.environ.get("BENCH_PRACTICES", "200"))
PATIENTS_PER_PRACTICE = int(os.environ.get("BENCH_PATIENTS_PER_PRACTICE", "2500"))
REQUESTS_PER_PAGE = int(os.environ.get("BENCH_REQUESTS", "200"))
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/test")
BENCH_DB = os.environ.get("BENCH_DB", "spreekuur_bench")
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
    }
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


def bench_generation(env: dict[str, str]) -> dict[str, float]:
    psql(f"DROP DATABASE IF EXISTS {BENCH_DB}")
    psql(f"CREATE DATABASE {BENCH_DB}")
    run([SPREEKUUR, "migrate", "-v", "0"], env, 600)
    started = time.perf_counter()
    loaded = subprocess.run(
        [
            SPREEKUUR,
            "load_demo",
            "--quiet",
            "--practices",
            str(PRACTICES),
            "--patients-per-practice",
            str(PATIENTS_PER_PRACTICE),
        ],
        env=env,
        check=True,
        timeout=1800,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    # The region's lab results (demo/region_results.py), part of the time above.
    found = re.search(r"uitslagen van de regio: (\d+) in ([\d.]+) s", loaded.stdout)
    results, results_seconds = (int(found.group(1)), float(found.group(2))) if found else (0, 0.0)
    phases = re.search(
        r"uitslagen: rijen in ([\d.]+) s, indexen en sleutels in ([\d.]+) s", loaded.stdout
    )
    # The region's year of care (demo/region_care.py), part of the time above too.
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
    patients = PRACTICES * PATIENTS_PER_PRACTICE + 3000
    # Baseline: PostgreSQL's own loader writing the same number of rows (scale 1 = 100,000).
    scale = max(1, round(patients / 100_000))
    psql("DROP DATABASE IF EXISTS spreekuur_pgbench")
    psql("CREATE DATABASE spreekuur_pgbench")
    admin = urlparse(ADMIN_URL)
    started = time.perf_counter()
    subprocess.run(
        [
            "pgbench",
            "-i",
            "-q",
            "-s",
            str(scale),
            "-h",
            admin.hostname or "127.0.0.1",
            "-p",
            str(admin.port or 5432),
            "-U",
            admin.username or "postgres",
            "spreekuur_pgbench",
        ],
        check=True,
        timeout=600,
        capture_output=True,
    )
    baseline = time.perf_counter() - started
    psql("DROP DATABASE IF EXISTS spreekuur_pgbench")
    return {
        "patients": patients,
        "seconds": seconds,
        "baseline_rows": scale * 100_000,
        "baseline_seconds": baseline,
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


def main() -> None:
    if shutil.which("pgbench") is None or shutil.which("psql") is None:
        sys.exit("make bench needs psql and pgbench (Debian: postgresql-client)")
    env = bench_env()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print("generating the region ...", flush=True)
    generation = bench_generation(env)
    print(f"  {generation['patients']} patients in {generation['seconds']:.1f} s", flush=True)
    print("measuring pages ...", flush=True)
    rows, memory = bench_pages(env)
    baseline_p95 = rows[0][3]
    patients, seconds = generation["patients"], generation["seconds"]
    base_rows, base_seconds = generation["baseline_rows"], generation["baseline_seconds"]
    ratio = (seconds / patients) / (base_seconds / base_rows)
    lines = [
        f"\n## Foundation — {when}\n",
        f"Machine: {machine()}.\n",
        "### Region generation (`spreekuur load_demo --practices "
        f"{PRACTICES} --patients-per-practice {PATIENTS_PER_PRACTICE}`)\n",
        "| what | rows | seconds | rows/s |",
        "|---|---:|---:|---:|",
        "| Spreekuur generator (practices, staff, TOTP devices, patients, lab results, "
        "a year of care) | "
        f"{patients:,} patients | {seconds:.1f} | {patients / seconds:,.0f} |",
        f"| of which the region's lab results (COPY) | {generation['results']:,} results "
        f"| {generation['results_seconds']:.1f} "
        f"| {generation['results'] / max(generation['results_seconds'], 0.001):,.0f} |",
        f"| of which the region's year of care (COPY): appointments | "
        f"{generation['appointments']:,} appointments | {generation['care_seconds']:.1f} "
        f"| {generation['appointments'] / max(generation['care_seconds'], 0.001):,.0f} |",
        f"| (same run) journal lines, repeat requests, e-consults | "
        f"{generation['journal_entries']:,} / {generation['repeat_requests']:,} / "
        f"{generation['econsults']:,} | | |",
        "| baseline: `pgbench -i` (PostgreSQL's own loader) | "
        f"{base_rows:,} accounts | {base_seconds:.1f} | {base_rows / base_seconds:,.0f} |",
        "",
        f"Ratio generator / pgbench per patient row (lab results and the year of care "
        f"included in the time): {ratio:.1f}x. The year of care: "
        f"{generation['care_rows_seconds']:.0f} s making and copying the rows, "
        f"{generation['care_index_seconds']:.0f} s indexes, constraints, foreign keys and "
        "ANALYZE. Target: 500,000 patients under 10 minutes.\n",
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
        f"Slowest p95: {worst:.1f} ms (target: under 100 ms). "
        f"Worker resident memory after the run: {memory:.0f} MB (target: under 150 MB).",
    ]
    text = "\n".join(lines) + "\n"
    out = ROOT / "BENCHMARKS.md"
    if not out.exists():
        out.write_text("# Benchmarks\n\nWritten by `make bench` (bench/run.py); newest run last.\n")
    with out.open("a") as handle:
        handle.write(text)
    print(text)
    import booking  # here, not at the top: booking imports this module

    booking.bench_booking(env, when=when)
    import results  # likewise

    region = (
        f"The region's lab results were generated with it: {generation['results']:,} in "
        f"{generation['results_seconds']:.0f} s ({generation['results_rows_seconds']:.0f} s "
        f"making and copying the rows, {generation['results_index_seconds']:.0f} s indexes, "
        "constraints, foreign keys and ANALYZE)."
    )
    results.bench_results(env, when=when, region=region, vacuumed=True)
    import prescriptions  # likewise (it imports booking and results)

    prescriptions.bench_prescriptions(env, when=when)
    import econsult

    econsult.bench_econsult(env, when=when)
    import mixed  # the portal as 50 patients use it, and the 08:00 rush

    mixed.bench_mixed(env, when=when)
    import crash  # kill -9 in the middle of bookings, lab imports and deliveries

    crash.bench_crash(env, when=when)
    psql(f"DROP DATABASE IF EXISTS {BENCH_DB}")


if __name__ == "__main__":
    main()
