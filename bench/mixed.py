"""Mixed portal load and the 08:00 rush, against the real server on the bench database.

What is measured, and why:

1. Log in: USERS patients log in as people do, with password and authenticator code
   (the real login pages, TOTP computed here), a few at a time.
2. Mixed load for SECONDS, by portal users of a region practice with its year of care
   (BENCH_MIXED_PRACTICE, default regio-001; the bench practice when the database has no
   region): each patient loops with a think time between steps: overview,
   results, one test's chart page, the booking triage and the free times (booking search),
   book, the appointment page, cancel; every third round an e-consult question and its
   thread. Reads and writes are timed apart: targets p95 < 150 ms (reads) and < 300 ms
   (writes) with 0 errors.
3. The 08:00 rush, in the bench practice (its agenda is cleared for it): USERS of its
   patients at once hunt the earliest same-day slot (RUSH_SLOTS released
   slots, the first free one listed; after a lost race one of the first five times the
   409 page offers, at most RUSH_TRIES tries).
4. Invariants, in SQL and in every page served: double bookings (booking.py's five
   checks) and unreleased results served (each bench patient has a newest HbA1c that the
   GP has not released, with a value no released result has; every read answer is
   searched for that value and for the id of every unreleased result of theirs).
5. The web workers' resident memory afterwards, and PostgreSQL's own `pgbench` (TPC-B) in
   the same session as the baseline: the portal's request rate against the machine's
   transaction rate.

Run alone (`python bench/mixed.py`) against the database of `make bench`, or a small demo
database it creates; `bench/run.py` calls `bench_mixed()`. Bounded: fixed durations and a
timeout on every request and step.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import random
import re
import struct
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import booking
import httpx
import prescriptions as rx  # its child-process helper
import psycopg
import run
import summary  # the table at the top of BENCHMARKS.md

USERS = int(os.environ.get("BENCH_MIXED_USERS", "50"))
# The mixed load runs in a region practice with its year of care (demo/region/care.py), when
# the database has one; the rush in the bench practice, whose agenda it may reset.
PRACTICE = os.environ.get("BENCH_MIXED_PRACTICE", "regio-001")
SECONDS = float(os.environ.get("BENCH_MIXED_SECONDS", "60"))
THINK = (0.5, 1.5)  # seconds between a patient's steps
RUSH_SLOTS = 25
RUSH_TRIES = 5
REQUEST_TIMEOUT = 30.0
TARGET_READ_P95_MS = 150.0
TARGET_WRITE_P95_MS = 300.0
TARGET_WORKER_MB = 150.0
UNRELEASED_VALUE = "61.37"  # HbA1c (mmol/mol) of the newest, unreleased result
CSRF = booking.CSRF
TEST_LINK = re.compile(r'href="(/mijn-uitslagen/[0-9a-f-]{36}/)"')
THREAD = re.compile(r"^/econsult/vraag/([0-9a-f-]{36})/$")
READS = ("overview", "results", "chart", "search", "appointment", "thread")
WRITES = ("login", "triage", "book", "cancel", "ask")


# --- Setup (child process) ----------------------------------------------------------------


def prepare_in_django(users: int) -> dict[str, Any]:
    """The patients of the mixed load (a region practice's portal users, or the bench
    practice's accounts made by booking.prepare) and of the rush (the bench practice's):
    their lab results (released ones and one newest unreleased), e-consult room for a few
    questions each, room for their online bookings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spreekuur.settings")
    import django

    django.setup()
    from django.utils import timezone

    from spreekuur.agenda.models import AppointmentType, BookingRules
    from spreekuur.core.models import Practice
    from spreekuur.core.roles import StaffRole
    from spreekuur.demo.generator import DEMO_PASSWORD, DEMO_TOTP_HEX
    from spreekuur.econsult.models import EConsultSettings, Thread, ThreadStatus
    from spreekuur.patients.models import Patient
    from spreekuur.results.models import LabResult
    from spreekuur.results.samples import SampleResult, hl7_oru, sample_patient
    from spreekuur.results.services import review_result
    from spreekuur.results.services.imports import receive_lab_messages

    bench = Practice.objects.get(slug=booking.SLUG)
    practice = (
        Practice.objects.filter(slug=PRACTICE, pk__in=AppointmentType.objects.values("practice"))
        .order_by("id")
        .first()
    ) or bench

    def accounts(practice: Practice) -> list[Patient]:
        found = list(
            Patient.objects.filter(practice=practice, user__isnull=False)
            .select_related("user")
            .order_by("id")[:users]
        )
        if len(found) < users:
            raise SystemExit(f"{practice.slug} has only {len(found)} patients with an account")
        return found

    patients = accounts(practice)
    rushers = accounts(bench)
    EConsultSettings.objects.update_or_create(
        practice=practice, defaults={"max_open_per_patient": 20}
    )
    # Each patient books and cancels once a round; their own open bookings stay.
    BookingRules.objects.filter(practice=practice).update(max_open_online=10)
    online = next(
        (
            kind
            for kind in AppointmentType.objects.filter(
                practice=practice, online_bookable=True, active=True
            ).order_by("sort_order", "id")
            if kind.offered_by_role(StaffRole.HUISARTS)
        ),
        None,
    )
    if online is None:
        raise SystemExit(f"{practice.slug} has no appointment type to book online")
    # The bench resetting itself: questions of an earlier run are closed.
    Thread.objects.filter(patient__in=patients).update(status=ThreadStatus.CLOSED)

    gp = run_gp(practice)
    now = timezone.now()
    done = set(
        LabResult.objects.filter(patient__in=patients, message__source="bench-mixed").values_list(
            "patient_id", flat=True
        )
    )
    fresh = [p for p in patients if p.pk not in done]
    raws = []
    for patient in fresh:
        for months, value in ((14, "48"), (8, "53"), (0, UNRELEASED_VALUE)):
            raws.append(
                hl7_oru(
                    sample_patient(patient),
                    [SampleResult("2816", value, "mmol/mol", "20-42", "H")],
                    control_id=f"MIX{patient.pk}-{months}",
                    order=f"MIX{patient.pk}-{months}",
                    taken=now - timedelta(days=30 * months + 1),
                )
            )
    receive_lab_messages(practice=practice, door="hl7v2", raws=raws, source="bench-mixed")
    waiting = LabResult.objects.filter(patient__in=fresh, reviewed_at__isnull=True)
    for result in waiting:
        if result.value_text != UNRELEASED_VALUE:
            review_result(result=result, comment="Goed ingesteld.", release=True, by=gp)
    unreleased = LabResult.objects.filter(patient__in=patients, released=False)
    sentinel = LabResult.objects.filter(patient__in=patients, value_text=UNRELEASED_VALUE)
    from spreekuur.agenda.models import Appointment
    from spreekuur.dossier.models import JournalEntry

    facts = {
        "patients": Patient.objects.filter(practice=practice).count(),
        "appointments": Appointment.objects.filter(practice=practice).count(),
        "journal": JournalEntry.objects.filter(patient__in=patients).count(),
        "results": LabResult.objects.filter(patient__in=patients).count(),
        "their_appointments": Appointment.objects.filter(patient__in=patients).count(),
    }
    return {
        "facts": facts,
        "practice": practice.pk,
        "slug": practice.slug,
        "type_id": str(online.public_id),
        "users": [{"email": p.user.email, "patient": p.pk} for p in patients],
        "rushers": [{"email": p.user.email, "patient": p.pk} for p in rushers],
        "password": DEMO_PASSWORD,
        "totp_hex": DEMO_TOTP_HEX,
        # Every result of theirs not released (this bench's and any other's), by id.
        "unreleased": [str(r.public_id) for r in unreleased],
        "released_with_sentinel": sentinel.filter(released=True).count(),
    }


def run_gp(practice: Any) -> Any:
    from spreekuur.accounts.models import User

    return (
        User.objects.filter(
            membership__practice=practice, membership__role="huisarts", membership__active=True
        )
        .order_by("id")
        .first()
    )


# --- The patients -------------------------------------------------------------------------


def totp(hex_key: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), as the authenticator app computes it."""
    counter = int((at or time.time()) // 30)
    digest = hmac.new(bytes.fromhex(hex_key), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


@dataclass
class Samples:
    ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def pct(self, share: float) -> float:
        return run.percentile(self.ms, share) if self.ms else float("nan")


@dataclass
class Stats:
    kinds: dict[str, Samples] = field(
        default_factory=lambda: {k: Samples() for k in READS + WRITES}
    )
    unreleased_served: int = 0
    pages_searched: int = 0

    def all(self, kinds: tuple[str, ...]) -> Samples:
        merged = Samples()
        for kind in kinds:
            merged.ms += self.kinds[kind].ms
            merged.errors.update(self.kinds[kind].errors)
        return merged


@dataclass
class Patient:
    http: httpx.AsyncClient
    email: str
    token: str = ""
    flags: list[str] = field(default_factory=list)


class Portal:
    """One patient's requests, timed and checked; an unexpected answer is an error."""

    def __init__(self, stats: Stats, markers: list[str]) -> None:
        self.stats = stats
        self.markers = markers

    async def timed(
        self, kind: str, patient: Patient, method: str, url: str, ok: tuple[int, ...], **kw: Any
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            answer = await patient.http.request(method, url, **kw)
        except httpx.HTTPError as error:
            self.stats.kinds[kind].errors[type(error).__name__] += 1
            return None
        self.stats.kinds[kind].ms.append((time.perf_counter() - started) * 1000)
        if answer.status_code not in ok:
            where = re.sub(r"[0-9a-f-]{36}", "<id>", url)
            self.stats.kinds[kind].errors[f"HTTP {answer.status_code} {where}"] += 1
            return None
        if method == "GET":
            self.search_for_unreleased(answer.text)
        return answer

    def search_for_unreleased(self, page: str) -> None:
        self.stats.pages_searched += 1
        shown = UNRELEASED_VALUE.replace(".", ",")
        if UNRELEASED_VALUE in page or shown in page or any(m in page for m in self.markers):
            self.stats.unreleased_served += 1


async def log_in(portal: Portal, patient: Patient, password: str, totp_hex: str) -> bool:
    page = await portal.timed("login", patient, "GET", "/account/inloggen/", (200,))
    token = CSRF.search(page.text) if page else None
    if token is None:
        return False
    form = {"csrfmiddlewaretoken": token.group(1), "username": patient.email, "password": password}
    answer = await portal.timed("login", patient, "POST", "/account/inloggen/", (302,), data=form)
    if answer is None:
        return False
    page = await portal.timed("login", patient, "GET", answer.headers["location"], (200,))
    token = CSRF.search(page.text) if page else None
    if token is None:
        return False
    form = {"csrfmiddlewaretoken": token.group(1), "token": totp(totp_hex)}
    answer = await portal.timed(
        "login", patient, "POST", "/account/tweede-stap/", (302,), data=form
    )
    if answer is None:
        return False
    page = await portal.timed("overview", patient, "GET", booking.TRIAGE, (200,))
    token = CSRF.search(page.text) if page else None
    if token is None:
        return False
    patient.token = token.group(1)
    patient.flags = sorted(set(booking.FLAG_FIELD.findall(page.text)))
    return True


def triage_form(patient: Patient) -> dict[str, str]:
    form = {"csrfmiddlewaretoken": patient.token, "reason": "Al een week keelpijn"}
    form.update({name: "nee" for name in patient.flags})
    return form


async def one_round(
    portal: Portal, patient: Patient, type_id: str, rng: random.Random, number: int
) -> None:
    async def think() -> None:
        await asyncio.sleep(rng.uniform(*THINK))

    await portal.timed("overview", patient, "GET", "/start/", (200,))
    await think()
    results = await portal.timed("results", patient, "GET", "/mijn-uitslagen/", (200,))
    await think()
    links = TEST_LINK.findall(results.text) if results else []
    if links:
        await portal.timed("chart", patient, "GET", rng.choice(links), (200,))
        await think()
    if await portal.timed(
        "triage", patient, "POST", booking.TRIAGE, (302,), data=triage_form(patient)
    ):
        search = f"{booking.TIMES}?soort={type_id}&zorgverlener=iedereen"
        times = await portal.timed("search", patient, "GET", search, (200,))
        free = booking.TIME_CHOICE.findall(times.text) if times else []
        await think()
        if free:
            form = {"csrfmiddlewaretoken": patient.token, "soort": type_id}
            form["tijd"] = rng.choice(free)
            # 409: someone else took that time a moment earlier (a lost race, not an error).
            made = await portal.timed(
                "book", patient, "POST", booking.CONFIRM, (302, 409), data=form
            )
            booked = booking.BOOKED.match(made.headers.get("location", "")) if made else None
            if booked:
                await portal.timed("appointment", patient, "GET", booked.group(0), (200,))
                await think()
                await portal.timed(
                    "cancel",
                    patient,
                    "POST",
                    f"/afspraken/{booked.group(1)}/annuleren/",
                    (302,),
                    data={"csrfmiddlewaretoken": patient.token},
                )
                await think()
    if number % 3 == 0:
        form = {
            "csrfmiddlewaretoken": patient.token,
            "category": "klacht",
            "body": "Sinds een paar weken last van een droge hoest, vooral 's nachts.",
            "consent": "on",
            **{name: "nee" for name in patient.flags},
        }
        asked = await portal.timed("ask", patient, "POST", "/econsult/nieuw/", (302,), data=form)
        if asked and THREAD.match(asked.headers.get("location", "")):
            await portal.timed("thread", patient, "GET", asked.headers["location"], (200,))
        await think()


async def mixed_phase(portal: Portal, patients: list[Patient], type_id: str) -> tuple[float, int]:
    deadline = time.perf_counter() + SECONDS
    started = time.perf_counter()
    rounds = Counter[str]()

    async def loop(patient: Patient, rng: random.Random) -> None:
        number = 0
        await asyncio.sleep(rng.uniform(0, THINK[1]))  # people do not all start at once
        while time.perf_counter() < deadline:
            await one_round(portal, patient, type_id, rng, number)
            number += 1
            rounds["done"] += 1

    loops = [loop(p, random.Random(n)) for n, p in enumerate(patients)]
    await asyncio.wait_for(asyncio.gather(*loops), timeout=SECONDS + 180)
    return time.perf_counter() - started, rounds["done"]


async def rush_phase(
    portal: Portal, patients: list[Patient], setup: booking.Setup
) -> tuple[Stats, int]:
    """Everyone at once: triage, the free times, the earliest one; on 409 one of the first
    few times the 409 page offers (people do not all pick the same one twice); at most
    RUSH_TRIES tries."""
    stats = Stats()
    rush = Portal(stats, portal.markers)
    won = Counter[str]()
    start = asyncio.Event()

    async def hunt(patient: Patient) -> None:
        await start.wait()
        if not await rush.timed(
            "triage", patient, "POST", booking.TRIAGE, (302,), data=triage_form(patient)
        ):
            return
        search = f"{booking.TIMES}?soort={setup.type_id}&zorgverlener=iedereen"
        times = await rush.timed("search", patient, "GET", search, (200,))
        free = booking.TIME_CHOICE.findall(times.text) if times else []
        rng = random.Random(patient.email)
        choice = free[0] if free else ""
        for _attempt in range(RUSH_TRIES):
            if not free:
                return
            form = {"csrfmiddlewaretoken": patient.token, "soort": setup.type_id, "tijd": choice}
            made = await rush.timed("book", patient, "POST", booking.CONFIRM, (302, 409), data=form)
            if made is None:
                return
            if made.status_code == 302:
                won["booked"] += 1
                return
            free = booking.TIME_CHOICE.findall(made.text)
            choice = rng.choice(free[:5]) if free else ""

    tasks = [asyncio.create_task(hunt(p)) for p in patients]
    await asyncio.sleep(0.05)
    start.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=180)
    return stats, won["booked"]


def rush_slots(db: psycopg.Connection[Any], setup: booking.Setup) -> str:
    """RUSH_SLOTS slots later today (past the 2-hour minimum notice), or tomorrow morning
    when today is too late; the rest of the practice's slots removed."""
    now = datetime.now(booking.TZ)
    first = (now + timedelta(minutes=150)).replace(second=0, microsecond=0)
    first += timedelta(minutes=(10 - first.minute % 10) % 10)
    if first.date() != now.date() or first.hour >= 21:
        first = datetime.combine(now.date() + timedelta(days=1), clock(8), tzinfo=booking.TZ)
    rows = []
    for index in range(RUSH_SLOTS):
        gp = setup.gps[index % len(setup.gps)]
        begins = first + timedelta(minutes=10 * (index // len(setup.gps)))
        rows.append((setup.practice, gp, begins, begins + timedelta(minutes=10)))
    booking.replace_slots(db, setup.practice, rows)
    return "today" if first.date() == now.date() else "tomorrow morning (too late for today)"


# --- The run ------------------------------------------------------------------------------


@dataclass
class Results:
    logged_in: int
    rushers: int
    login_seconds: float
    stats: Stats
    seconds: float
    rounds: int
    rush: Stats
    rush_booked: int
    rush_day: str
    checks: dict[str, int]
    rush_checks: dict[str, int]
    worker_mb: float
    pgbench_tps: float
    prep: dict[str, Any]
    database: str


async def portal_phases(
    base: str, setup: booking.Setup, prep: dict[str, Any], db: psycopg.Connection[Any]
) -> tuple[Any, ...]:
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=USERS + 20, max_keepalive_connections=0)
    )

    def browser(row: dict[str, Any]) -> Patient:
        return Patient(
            httpx.AsyncClient(
                base_url=base, transport=transport, timeout=REQUEST_TIMEOUT, trust_env=False
            ),
            row["email"],
        )

    patients = [browser(row) for row in prep["users"]]
    separate = prep["practice"] != setup.practice
    rushers = [browser(row) for row in prep["rushers"]] if separate else patients
    stats = Stats()
    portal = Portal(stats, prep["unreleased"])
    gate = asyncio.Semaphore(5)

    async def gated(patient: Patient) -> bool:
        async with gate:
            return await log_in(portal, patient, prep["password"], prep["totp_hex"])

    started = time.perf_counter()
    done = await asyncio.gather(*(gated(p) for p in patients))
    login_seconds = time.perf_counter() - started
    inside = [p for p, ok in zip(patients, done, strict=True) if ok]
    if separate:  # the rush's patients of the bench practice (their logins not counted)
        aside = Portal(Stats(), prep["unreleased"])

        async def gated_aside(patient: Patient) -> bool:
            async with gate:
                return await log_in(aside, patient, prep["password"], prep["totp_hex"])

        logged = await asyncio.gather(*(gated_aside(p) for p in rushers))
        rushing = [p for p, ok in zip(rushers, logged, strict=True) if ok]
    else:
        rushing = inside
        booking.reset_agenda(db, setup)
    seq = booking.audit_head(db, prep["practice"])
    seconds, rounds = await mixed_phase(portal, inside, prep["type_id"])
    checks = booking.double_booking_checks(db, prep["practice"], seq)
    day = rush_slots(db, setup)
    seq = booking.audit_head(db, setup.practice)
    rush, booked = await rush_phase(portal, rushing, setup)
    rush_checks = booking.double_booking_checks(db, setup.practice, seq)
    for patient in {id(p): p for p in patients + rushers}.values():
        await patient.http.aclose()
    await transport.aclose()
    return (
        len(inside),
        len(rushing),
        login_seconds,
        stats,
        seconds,
        rounds,
        rush,
        booked,
        day,
        checks,
        rush_checks,
    )


def bench_mixed(env: dict[str, str], *, when: str | None = None) -> str:
    when = when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    env = booking.server_env(env)
    print("mixed portal load: setup ...", flush=True)
    setup = booking.prepare(env)
    prep = rx.child(__file__, "--prepare", env, str(USERS), timeout=900)
    db = psycopg.connect(run.database_url(), autocommit=True)
    database = booking.describe_database(db)
    work = Path(tempfile.mkdtemp(prefix="spreekuur-mixed-"))
    server, base = booking.start_server(env, work / "access.log", work / "errors.log")
    try:
        print(f"mixed portal load: {USERS} patients for {SECONDS:.0f} s, then the rush ...")
        phases = asyncio.run(portal_phases(base, setup, prep, db))
        worker_mb = booking.worker_memory(server)
    finally:
        booking.stop_server(server)
    db.close()
    print("mixed portal load: pgbench baseline ...", flush=True)
    tps = booking.pgbench_tps()
    results = Results(*phases, worker_mb=worker_mb, pgbench_tps=tps, prep=prep, database=database)
    text = report(results, when)
    summary.publish(text, lambda: figures(results), bench="mixed", when=when)
    return text


def row(name: str, samples: Samples) -> str:
    errors = sum(samples.errors.values())
    return (
        f"| {name} | {len(samples.ms):,} | {samples.pct(0.5):.1f} | {samples.pct(0.95):.1f} "
        f"| {samples.pct(0.99):.1f} | {errors} |"
    )


def report(r: Results, when: str) -> str:
    reads, writes = r.stats.all(READS), r.stats.all(WRITES)
    requests = len(reads.ms) + len(writes.ms)
    rate = requests / r.seconds
    errors = sum(reads.errors.values()) + sum(writes.errors.values())
    rush_all = r.rush.all(READS + WRITES)
    violations = sum(r.checks.values()) + sum(r.rush_checks.values()) + r.stats.unreleased_served
    violations += r.rush.unreleased_served
    lines = [
        f"\n## Mixed portal load and the 08:00 rush ({when})\n",
        f"Code {booking.code_version()}. Machine: {run.machine()}. Server: "
        f"{booking.worker_setup()}; database: {r.database}.\n",
        mixed_practice(r),
        f"{r.logged_in} of {USERS} patients logged in with password and authenticator code in "
        f"{r.login_seconds:.1f} s (5 at a time), then used the portal for {r.seconds:.0f} s "
        f"with {THINK[0]}-{THINK[1]} s think time between steps ({r.rounds} rounds: overview, "
        "results, a chart, booking triage and search, book, the appointment, cancel; every "
        "third round an e-consult question and its thread).\n",
        "| request | count | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
        *[row(kind, r.stats.kinds[kind]) for kind in READS + WRITES],
        row("**all reads**", reads),
        row("**all writes**", writes),
        "",
        f"Throughput: {rate:.1f} requests/s over {r.seconds:.0f} s. Errors: {errors}"
        + (f" ({dict(reads.errors + writes.errors)})" if errors else "")
        + ". Booking 409s (a time taken a moment earlier) are answers, not errors.\n",
        f"The 08:00 rush ({r.rush_day}, in the bench practice `{booking.SLUG}` whose agenda "
        f"it may clear): {r.rushers} patients at once for {RUSH_SLOTS} slots, "
        f"each taking the earliest free time (after a lost race one of the first five offered, "
        f"at most {RUSH_TRIES} tries): {r.rush_booked} booked.\n",
        "| rush request | count | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
        *[row(kind, r.rush.kinds[kind]) for kind in ("triage", "search", "book")],
        row("**all**", rush_all),
        "",
        "| invariant | mixed load | rush |",
        "|---|---:|---:|",
        *[f"| {name} | {value} | {r.rush_checks[name]} |" for name, value in r.checks.items()],
        f"| unreleased results served (of {r.stats.pages_searched:,} / "
        f"{r.rush.pages_searched:,} pages searched) | {r.stats.unreleased_served} "
        f"| {r.rush.unreleased_served} |",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| reads p95 < {TARGET_READ_P95_MS:.0f} ms | {reads.pct(0.95):.1f} ms "
        f"| {passed(reads.pct(0.95) < TARGET_READ_P95_MS)} |",
        f"| writes p95 < {TARGET_WRITE_P95_MS:.0f} ms | {writes.pct(0.95):.1f} ms "
        f"| {passed(writes.pct(0.95) < TARGET_WRITE_P95_MS)} |",
        f"| 0 errors | {errors} (rush: {sum(rush_all.errors.values())}) "
        f"| {passed(errors + sum(rush_all.errors.values()) == 0)} |",
        f"| 0 invariant violations | {violations} | {passed(violations == 0)} |",
        f"| web worker < {TARGET_WORKER_MB:.0f} MB | {r.worker_mb:.0f} MB (largest of "
        f"{booking.WORKERS}) | {passed(r.worker_mb < TARGET_WORKER_MB)} |",
        "",
        f"Baseline: PostgreSQL's `pgbench` (TPC-B, {booking.PGBENCH_CLIENTS} clients, "
        f"{booking.PGBENCH_SECONDS} s, server stopped) ran {r.pgbench_tps:,.0f} transactions/s; "
        f"the portal served {rate:.1f} requests/s = {rate / r.pgbench_tps:.1%} of that (each "
        "request is a whole page with its session, permission checks, queries and audit "
        "entry; the load is paced by think time, so this is the rate 50 people ask for, not "
        "the server's limit).\n",
    ]
    return "\n".join(lines) + "\n"


def figures(r: Results) -> list[summary.Figure]:
    """The targets of the report's target table, as records for the summary."""
    reads, writes = r.stats.all(READS), r.stats.all(WRITES)
    errors = sum(reads.errors.values()) + sum(writes.errors.values())
    rush_errors = sum(r.rush.all(READS + WRITES).errors.values())
    violations = sum(r.checks.values()) + sum(r.rush_checks.values()) + r.stats.unreleased_served
    violations += r.rush.unreleased_served
    where = f"{r.logged_in} patients, think time"
    return [
        summary.Figure(
            id="mixed.reads_p95",
            target=f"mixed portal load: reads p95 under {TARGET_READ_P95_MS:.0f} ms",
            figure=round(reads.pct(0.95), 1),
            unit="ms",
            threshold=TARGET_READ_P95_MS,
            op="<",
            passed=reads.pct(0.95) < TARGET_READ_P95_MS,
            note=where,
        ),
        summary.Figure(
            id="mixed.writes_p95",
            target=f"mixed portal load: writes p95 under {TARGET_WRITE_P95_MS:.0f} ms",
            figure=round(writes.pct(0.95), 1),
            unit="ms",
            threshold=TARGET_WRITE_P95_MS,
            op="<",
            passed=writes.pct(0.95) < TARGET_WRITE_P95_MS,
            note=where,
        ),
        summary.Figure(
            id="mixed.errors",
            target="mixed portal load and the 08:00 rush: 0 errors",
            figure=errors + rush_errors,
            unit="errors",
            threshold=0,
            op="==",
            passed=errors + rush_errors == 0,
            note=f"rush: {rush_errors}" if rush_errors else "",
        ),
        summary.Figure(
            id="mixed.invariants",
            target="mixed portal load and the 08:00 rush: 0 invariant violations (double "
            "bookings, unreleased results served)",
            figure=violations,
            unit="violations",
            threshold=0,
            op="==",
            passed=violations == 0,
        ),
        summary.Figure(
            id="mixed.worker_memory",
            target=f"mixed portal load: web worker under {TARGET_WORKER_MB:.0f} MB",
            figure=round(r.worker_mb),
            unit="MB",
            threshold=TARGET_WORKER_MB,
            op="<",
            passed=r.worker_mb < TARGET_WORKER_MB,
            note=f"largest of {booking.WORKERS}",
        ),
    ]


def mixed_practice(r: Results) -> str:
    facts, slug = r.prep["facts"], r.prep["slug"]
    if slug == booking.SLUG:
        return f"The mixed load ran in the bench practice `{slug}`.\n"
    return (
        f"The mixed load ran in the region practice `{slug}` with its year of care: "
        f"{facts['patients']:,} patients, {facts['appointments']:,} appointments in its "
        f"agenda; the {USERS} patients (its first portal users) have "
        f"{facts['their_appointments']:,} appointments, {facts['journal']:,} journal lines "
        f"and {facts['results']:,} lab results between them.\n"
    )


def passed(ok: bool) -> str:
    return "met" if ok else "**not met**"


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--prepare":
        print(json.dumps(prepare_in_django(int(sys.argv[2]))))
        return
    env = run.bench_env()
    booking.ensure_database(env)
    bench_mixed(env)


if __name__ == "__main__":
    main()
