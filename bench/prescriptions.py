"""Repeat prescriptions benchmark (issue 6): the GP's accorderingslijst, and the outbox
that carries approved prescriptions to the pharmacy.

What is measured, and why:

A. The accorderingslijst. In one region practice (PRACTICE, route "huisarts": requests
   go straight to the GP), OPEN_REQUESTS patients get two repeatable medicines each and
   ask for one of them by phone, all through the real services (`record_medication`,
   `set_repeat`, `set_route`, `request_repeat`). A GP of the practice gets a verified
   session (written into the session store, as bench/booking.py does); the page
   /accorderingslijst/ (its first page of 50, with the history, last contact, lab values
   and warnings beside each request) is served by one gunicorn worker, REQUESTS_PER_PAGE
   sequential requests, against /healthz; its queries are counted in-process with
   CaptureQueriesContext.
B. The outbox. OUTBOX more items (two medicines each for OUTBOX / 2 other patients),
   requested and approved by the GP with `approve_items` (50 at a time, as on the page),
   each approval writing its FHIR MedicationRequest into the outbox. A stub pharmacy (a
   threaded http.server in this process, HTTP/1.1 keep-alive) answers 201 and keeps each
   prescription once per Idempotency-Key (409 for a repeat). `deliver_due` (as the
   worker's job calls it, batches of 200 until nothing is due) delivers them from a
   child process: messages per second. Baseline, same run, same child, same stub: one
   `httpx.Client` posting the same payloads one after another (median of BARE_ROUNDS).
   Then, not the app as configured, the same prescriptions asked for and approved again
   and delivered by `deliver_due` with one shared client passed in as its transport (what
   reusing the client would change). The stub's books are checked: every prescription
   received exactly once, under its own key, nothing else. On PROFILE_MESSAGES fresh
   messages, where the time goes: queries per message (Django's query log) and a
   cProfile of the Python side, with and without the shared client.

Run alone (`python bench/prescriptions.py`) against the database of `make bench` (built
with the region if it is not there); `bench/run.py` calls `bench_prescriptions()` after
its own steps. Every step is bounded: fixed counts, a timeout on each child process,
request and server start. BENCH_RX_OPEN, BENCH_RX_OUTBOX and BENCH_RX_PROFILE change the
sizes.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import booking  # server, CPU and report helpers of the agenda benchmark
import httpx
import results  # query kinds, child-process and database helpers of the results benchmark
import run  # the helpers and the database of `make bench`
import summary  # the table at the top of BENCHMARKS.md

PRACTICES = ("regio-002", "regio-001")  # the first that exists (results uses regio-001)
OPEN_REQUESTS = int(os.environ.get("BENCH_RX_OPEN", "200"))
OUTBOX = int(os.environ.get("BENCH_RX_OUTBOX", "1000"))
PROFILE_MESSAGES = int(os.environ.get("BENCH_RX_PROFILE", "100"))
BARE_ROUNDS = 3
APPROVE_BATCH = 50  # the page shows 50 requests; a GP approves at most a page at once
PAGE = "/accorderingslijst/"
CONTEXT = {  # what the GP sees beside a request (prescriptions/_review_item.html)
    "with lab values": r"<dt>Lab</dt>",
    "with warnings": r'class="spreekuur-warnings"',
    "with a last contact": r"laatste contact",
}
PHARMACY = "Apotheek Benchmark (koppeling)"
TARGET_P95_MS = 200.0
TARGET_SHARE_OF_BARE = 0.50
CHILD_TIMEOUT = 1800
# Chronic medicines a GP repeats every quarter (several have lab values and checks beside
# them on the accorderingslijst: eGFR, potassium, cholesterol, TSH).
MEDICINES = [
    "Metformine 500 mg",
    "Simvastatine 40 mg",
    "Lisinopril 10 mg",
    "Amlodipine 5 mg",
    "Levothyroxine 50 microgram",
    "Omeprazol 20 mg",
    "Losartan 50 mg",
    "Atorvastatine 20 mg",
    "Hydrochloorthiazide 12,5 mg",
    "Metoprolol 50 mg",
]
DOSAGE = "1 keer per dag 1 tablet"
QUANTITY = "90 tabletten"


# --- Shared with bench/econsult.py ------------------------------------------------------------


def child(
    script: str, flag: str, env: dict[str, str], *args: str, timeout: int = CHILD_TIMEOUT
) -> dict[str, Any]:
    """Run `script` with `flag` in a child process with the bench DATABASE_URL, mail and
    SMS going nowhere; the last line of its output is JSON."""
    done = subprocess.run(
        [sys.executable, script, flag, *args],
        env=booking.server_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{flag} failed:\n{done.stderr[-3000:]}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def bench_practice(slugs: tuple[str, ...]) -> Any:
    """(Child process.) The first of these region practices that exists."""
    from spreekuur.core.models import Practice

    for slug in slugs:
        practice = Practice.objects.filter(slug=slug).first()
        if practice is not None:
            return practice
    raise SystemExit(f"this benchmark needs one of the region practices {', '.join(slugs)}")


def staff(practice: Any, role: str) -> Any:
    """(Child process.) The practice's first active staff member with this role."""
    from spreekuur.accounts.models import User

    user = (
        User.objects.filter(
            membership__practice=practice, membership__role=role, membership__active=True
        )
        .order_by("id")
        .first()
    )
    if user is None:
        raise SystemExit(f"{practice.slug} has no {role}")
    return user


def staff_session(user: Any) -> str:
    """(Child process.) A verified session for a staff member (bench/booking.py's)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise SystemExit(f"{user.email} has no confirmed TOTP device")
    return booking.verified_session(user, device)


def page_queries(
    session_key: str, path: str, marker: str, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    """(Child process.) One GET in-process (Django's test client, the session, after a
    warm-up GET): status, queries with and without SAVEPOINT/RELEASE, their kinds, and
    how often `marker` and each of `extra` (regular expressions) occur on the page."""
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
    return {
        "path": path,
        "status": response.status_code,
        "queries": len(sql),
        "plain_queries": len(plain),
        "kinds": dict(Counter(results.query_kind(s) for s in plain).most_common()),
        "shown": len(re.findall(marker, response.content.decode())),
        "counts": {
            name: len(re.findall(pattern, response.content.decode()))
            for name, pattern in (extra or {}).items()
        },
        "bytes": len(response.content),
    }


@dataclass
class Served:
    """Sequential timings of some pages on one gunicorn worker, and the CPU meanwhile."""

    times: list[results.PageTimes] = field(default_factory=list)
    cpu: booking.CpuShare | None = None
    memory_mb: float = 0.0


def one_worker(env: dict[str, str], pages: list[tuple[str | None, str]]) -> Served:
    """/healthz first, then each (session, path): 5 warm-up GETs and REQUESTS_PER_PAGE
    sequential ones on a single gunicorn sync worker (as bench/run.py measures pages)."""
    server, base = booking.start_one_worker(booking.server_env(env))
    served = Served()
    try:
        own = [os.getpid(), server.pid, *booking.worker_pids(server)]
        before = booking.cpu_sample(own)
        served.times.append(results.sequential(base, None, "/healthz"))
        for session, path in pages:
            served.times.append(results.sequential(base, session, path))
        served.cpu = booking.cpu_share(before, booking.cpu_sample(own))
        served.memory_mb = booking.worker_memory(server)
        return served
    finally:
        booking.stop_server(server)


def code_and_machine() -> str:
    return f"Machine: {run.machine()}. Code: {booking.code_version()}."


# --- In Django (child processes) --------------------------------------------------------------


def repeat_list(patient: Any, names: list[str], gp: Any) -> list[Any]:
    """The patient's repeatable medicines of these names, made through the dossier's
    services where missing (a bench that runs again reuses them)."""
    from django.utils import timezone

    from spreekuur.dossier import services as dossier
    from spreekuur.dossier.models import Medication

    found = {
        m.name: m
        for m in Medication.objects.filter(
            patient=patient, name__in=names, repeatable=True, ended_on__isnull=True
        )
    }
    today = timezone.localdate()
    for number, name in enumerate(names):
        if name in found:
            continue
        medication = dossier.record_medication(
            patient=patient,
            name=name,
            dosage=DOSAGE,
            started_on=today - timedelta(days=400 + 37 * (patient.pk % 20)),
            chronic=True,
            by=gp,
        )
        # Most controls are ahead; about one in seven is overdue (a warning on the list).
        due = today + timedelta(days=30 + (patient.pk * 7 + number * 13) % 300)
        found[name] = dossier.set_repeat(
            medication=medication, repeatable=True, quantity=QUANTITY, control_due_on=due, by=gp
        )
        if (patient.pk + number) % 7 == 0:
            Medication.objects.filter(pk=medication.pk).update(
                control_due_on=today - timedelta(days=20)
            )
    return [found[name] for name in names]


def bench_patients(practice: Any, count: int, offset: int) -> list[Any]:
    """Adults of the practice in a fixed order: the list's patients first, then the outbox's."""
    from django.utils import timezone

    from spreekuur.patients.models import Patient

    adults = Patient.objects.filter(
        practice=practice, date_of_birth__lte=timezone.localdate() - timedelta(days=18 * 366)
    ).order_by("id")
    chosen = list(adults[offset : offset + count])
    if len(chosen) < count:
        raise SystemExit(f"{practice.slug} has too few adult patients for this benchmark")
    return chosen


def open_items(medications: list[Any]) -> set[int]:
    from spreekuur.prescriptions.models import OPEN_STATUSES, RepeatRequestItem

    return set(
        RepeatRequestItem.objects.filter(
            medication__in=medications, status__in=OPEN_STATUSES
        ).values_list("medication_id", flat=True)
    )


def request_and_approve(
    pairs: list[tuple[Any, list[Any]]], pharmacy: Any, assistant: Any, gp: Any
) -> list[str]:
    """Ask for each patient's medicines (by phone, the assistant) and approve them as the
    GP does on the page, APPROVE_BATCH at a time. Returns the items' public ids."""
    from spreekuur.prescriptions.models import ItemStatus, RepeatRequestItem
    from spreekuur.prescriptions.services import approve_items, request_repeat

    busy = open_items([m for _p, medications in pairs for m in medications])
    requested = []
    for patient, medications in pairs:
        wanted = [m for m in medications if m.pk not in busy]
        if wanted:
            request = request_repeat(
                patient=patient,
                medication_ids=[m.public_id for m in wanted],
                pharmacy=pharmacy,
                channel="telefoon",
                by=assistant,
            )
            requested += list(request.items.filter(status=ItemStatus.REQUESTED))
    for start in range(0, len(requested), APPROVE_BATCH):
        approve_items(items=requested[start : start + APPROVE_BATCH], by=gp)
    ids = [item.pk for item in requested]
    return [
        str(i)
        for i in RepeatRequestItem.objects.filter(pk__in=ids).values_list("public_id", flat=True)
    ]


def setup_practice() -> tuple[Any, Any, Any, Any]:
    """(Child process.) The practice, its route straight to the GP (through `set_route`,
    by the practice manager), the bench pharmacy, the GP and an assistant."""
    from spreekuur.prescriptions.models import Pharmacy, RepeatSettings, Route
    from spreekuur.prescriptions.services import set_route

    practice = bench_practice(PRACTICES)
    settings = RepeatSettings.objects.filter(practice=practice).first()
    if settings is None or settings.route != Route.STRAIGHT_TO_GP:
        set_route(
            practice=practice, route=Route.STRAIGHT_TO_GP, by=staff(practice, "praktijkmanager")
        )
    # Made directly: `add_pharmacy` accepts plain http:// (the local stub) only with DEBUG on.
    pharmacy, _created = Pharmacy.objects.get_or_create(
        practice=practice,
        name=PHARMACY,
        defaults={
            "transport": "http",
            "endpoint": "http://127.0.0.1:9/MedicationRequest",
            "city": practice.city,
        },
    )
    return practice, pharmacy, staff(practice, "huisarts"), staff(practice, "assistent")


def prepare_in_django() -> dict[str, Any]:
    """(Child process.) Part A's open requests and part B's approved messages; the GP's
    session and the page's query count."""
    results.django_setup()
    from spreekuur.prescriptions.models import DeliveryStatus, OutboxMessage
    from spreekuur.prescriptions.selectors import accorderingslijst
    from spreekuur.prescriptions.services import request_repeat

    started = time.perf_counter()
    practice, pharmacy, gp, assistant = setup_practice()
    # A: each patient has two medicines on the repeat list and asks for one of them.
    made = 0
    for number, patient in enumerate(bench_patients(practice, OPEN_REQUESTS, 0)):
        names = [MEDICINES[number % len(MEDICINES)], MEDICINES[(number + 3) % len(MEDICINES)]]
        first, _second = repeat_list(patient, names, gp)
        if not open_items([first]):
            request_repeat(
                patient=patient,
                medication_ids=[first.public_id],
                pharmacy=pharmacy,
                channel="telefoon",
                by=assistant,
            )
            made += 1
    list_seconds = time.perf_counter() - started
    # B: two medicines each for OUTBOX / 2 more patients, asked for and approved.
    started = time.perf_counter()
    pairs = []
    for number, patient in enumerate(bench_patients(practice, OUTBOX // 2, OPEN_REQUESTS)):
        names = [MEDICINES[(number + 1) % len(MEDICINES)], MEDICINES[(number + 5) % len(MEDICINES)]]
        pairs.append((patient, repeat_list(patient, names, gp)))
    approved = request_and_approve(pairs, pharmacy, assistant, gp)
    outbox_seconds = time.perf_counter() - started
    session = staff_session(gp)
    waiting = accorderingslijst(by=gp).count()
    queries = page_queries(session, PAGE, r'name="aanvraag"', CONTEXT)
    pending = OutboxMessage.objects.filter(status=DeliveryStatus.PENDING)
    return {
        "practice": practice.slug,
        "gp": gp.email,
        "session": session,
        "made_requests": made,
        "waiting": waiting,
        "list_seconds": list_seconds,
        "approved": len(approved),
        "outbox_seconds": outbox_seconds,
        "pending_ours": pending.filter(pharmacy=pharmacy).count(),
        "pending_all": pending.count(),
        "page": queries,
    }


def drain(transports: dict[str, Any] | None = None) -> tuple[int, int, float]:
    """(Child process.) `deliver_due` as the worker's job calls it (batches of 200), again
    and again until a call delivers nothing: (delivered, calls, seconds)."""
    from spreekuur.prescriptions.services import deliver_due

    calls = delivered = 0
    started = time.perf_counter()
    while True:
        calls += 1
        done = deliver_due(transports=transports)
        delivered += done
        if done == 0:
            return delivered, calls, time.perf_counter() - started


def profiled(transports: dict[str, Any] | None) -> list[tuple[str, float, float]]:
    """(Child process.) cProfile of one `deliver_due`: (function, cumulative share, own
    share), the 80 largest; cProfile's own overhead makes it slower, so shares only."""
    import cProfile
    import pstats

    from spreekuur.prescriptions.services import deliver_due

    profile = cProfile.Profile()
    profile.enable()
    deliver_due(transports=transports)
    profile.disable()
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (path, line, name), (_cc, _nc, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((cumulative, own, f"{results.shorten(path)}:{line}({name})"))
    rows.sort(reverse=True)
    return [(where, cumulative / total, own / total) for cumulative, own, where in rows[:80]]


def deliver_in_django(url: str) -> dict[str, Any]:
    """(Child process.) Part B: the bare client's rounds, then `deliver_due` on every
    pending message of the bench pharmacy; the same again with one shared client passed
    as its transport; then queries and profiles on fresh messages."""
    results.django_setup()
    from functools import partial

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from spreekuur.prescriptions.models import (
        DeliveryStatus,
        ItemStatus,
        OutboxMessage,
        Pharmacy,
        RepeatRequestItem,
    )
    from spreekuur.prescriptions.services import deliver_due
    from spreekuur.prescriptions.transports import TIMEOUT_SECONDS, TRANSPORTS, deliver_http

    _practice, pharmacy, gp, assistant = setup_practice()
    Pharmacy.objects.filter(pk=pharmacy.pk).update(endpoint=url)
    pending = OutboxMessage.objects.filter(status=DeliveryStatus.PENDING)
    others = pending.exclude(pharmacy=pharmacy).count()
    messages = list(
        pending.filter(pharmacy=pharmacy).select_related("item__medication__patient").order_by("id")
    )
    payloads = [(str(m.item.public_id), json.dumps(m.payload).encode()) for m in messages]
    out: dict[str, Any] = {
        "messages": len(messages),
        "others_pending": others,
        "payload_bytes": statistics.median(len(body) for _key, body in payloads),
        "ids": [key for key, _body in payloads],
    }

    bare_seconds = []
    bare_errors = 0
    for number in range(BARE_ROUNDS):
        with httpx.Client(timeout=TIMEOUT_SECONDS) as client:
            started = time.perf_counter()
            for key, body in payloads:
                response = client.post(
                    url,
                    content=body,
                    headers={
                        "Content-Type": "application/fhir+json",
                        "Idempotency-Key": f"bare{number}-{key}",
                    },
                )
                bare_errors += response.status_code != 201
            bare_seconds.append(time.perf_counter() - started)
    out["bare_seconds"] = statistics.median(bare_seconds)
    out["bare_all_seconds"] = bare_seconds
    out["bare_errors"] = bare_errors

    out["real_delivered"], out["real_calls"], out["real_seconds"] = drain()
    ids = [m.pk for m in messages]
    ours = OutboxMessage.objects.filter(pk__in=ids)
    out["statuses"] = dict(Counter(ours.values_list("status", flat=True)))
    out["attempts"] = dict(Counter(ours.values_list("attempts", flat=True)))
    out["items_sent"] = RepeatRequestItem.objects.filter(
        outbox__in=ids, status=ItemStatus.SENT
    ).count()

    # The medicines delivered above can be asked for again: fresh messages of the same kind.
    medications = [m.item.medication for m in messages]

    def fresh(count: int) -> list[str]:
        by_patient: dict[int, tuple[Any, list[Any]]] = {}
        for medication in medications[:count]:
            by_patient.setdefault(medication.patient_id, (medication.patient, []))[1].append(
                medication
            )
        return request_and_approve(list(by_patient.values()), pharmacy, assistant, gp)

    # Not the app's configuration: what one shared client (deliver_http's own `client`
    # parameter, passed through deliver_due's `transports`) would change.
    with httpx.Client(timeout=TIMEOUT_SECONDS) as shared:
        reuse = {**TRANSPORTS, "http": partial(deliver_http, client=shared)}
        out["shared_ids"] = fresh(len(medications))
        out["shared_delivered"], out["shared_calls"], out["shared_seconds"] = drain(reuse)

        # Where the time goes: queries and SQL time of the real path ...
        profiled_ids = fresh(PROFILE_MESSAGES)
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            sent = deliver_due()
            wall = time.perf_counter() - started
        sql = list(captured.captured_queries)
        out["profile_messages"] = sent
        out["queries_per_message"] = len(sql) / max(sent, 1)
        out["query_kinds"] = {
            k: v / max(sent, 1)
            for k, v in Counter(results.query_kind(q["sql"]) for q in sql).most_common()
        }
        out["sql_ms_per_message"] = sum(float(q["time"]) for q in sql) / max(sent, 1) * 1000
        out["wall_ms_per_message"] = wall / max(sent, 1) * 1000
        # ... and the Python side, of the real path and with the shared client.
        profiled_ids += fresh(PROFILE_MESSAGES)
        out["profile"] = profiled(None)
        profiled_ids += fresh(PROFILE_MESSAGES)
        out["profile_shared"] = profiled(reuse)
    out["profiled_ids"] = profiled_ids
    left = OutboxMessage.objects.filter(pharmacy=pharmacy).exclude(status=DeliveryStatus.DELIVERED)
    out["left_undelivered"] = left.count()
    return out


# --- The stub pharmacy (this process) ---------------------------------------------------------


class StubPharmacy:
    """A pharmacy's FHIR endpoint: keeps each prescription once per Idempotency-Key
    (201 the first time, 409 after), as a pharmacy system should; HTTP/1.1 keep-alive."""

    def __init__(self, delay: float = 0.0) -> None:
        self.lock = threading.Lock()
        self.posts: Counter[str] = Counter()  # POSTs per key
        self.stored: dict[str, bytes] = {}  # the first body per key
        self.mismatched = 0  # a body whose identifier is not its key (real messages only)
        self.bad = 0  # not JSON, or no key
        self.cut = 0  # a body that ended before its Content-Length: the sender died
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                declared = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(declared)
                key = self.headers.get("Idempotency-Key", "")
                if len(body) < declared:  # killed mid-request: nothing to answer or keep
                    with stub.lock:
                        stub.cut += 1
                    self.close_connection = True
                    return
                try:
                    resource = json.loads(body)
                except ValueError:
                    resource = None
                with stub.lock:
                    stub.posts[key] += 1
                    if not key or not isinstance(resource, dict):
                        stub.bad += 1
                        status = 400
                    elif key in stub.stored:
                        status = 409
                    else:
                        stub.stored[key] = body
                        status = 201
                        identifier = (resource.get("identifier") or [{}])[0].get("value")
                        if not key.startswith("bare") and identifier != f"urn:uuid:{key}":
                            stub.mismatched += 1
                if delay:
                    time.sleep(delay)  # a pharmacy system's own time per prescription
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/fhir/MedicationRequest"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def stub_books(stub: StubPharmacy, *sent: list[str]) -> dict[str, Any]:
    """What the stub received, against what was sent (lists of item ids): each
    prescription exactly once, under its own key, and nothing else."""
    real = {key: count for key, count in stub.posts.items() if not key.startswith("bare")}
    expected = {key for keys in sent for key in keys}
    return {
        "expected": len(expected),
        "stored": len([k for k in stub.stored if k in expected]),
        "missing": len(expected - set(stub.stored)),
        "posted_twice": len([k for k in expected if real.get(k, 0) > 1]),
        "unexpected": len(set(real) - expected),
        "mismatched": stub.mismatched,
        "bad": stub.bad,
        "cut": stub.cut,
        "bare_posts": sum(c for k, c in stub.posts.items() if k.startswith("bare")),
        "bare_stored": len([k for k in stub.stored if k.startswith("bare")]),
    }


# --- The whole benchmark and its report ---------------------------------------------------------


@dataclass
class Results:
    prepared: dict[str, Any]
    served: Served
    delivery: dict[str, Any]
    books: dict[str, Any]
    database: str
    seconds: float = 0.0


def bench_prescriptions(env: dict[str, str], *, when: str | None = None) -> str:
    """Run both parts against the bench database; append the section to BENCHMARKS.md."""
    when = when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    began = time.perf_counter()
    database = results.describe_database()
    print(
        f"repeat prescriptions: preparing {OPEN_REQUESTS} open requests and {OUTBOX} approved "
        "messages ...",
        flush=True,
    )
    prepared = child(__file__, "--prepare", env)
    print(
        f"  {prepared['waiting']} on the accorderingslijst of {prepared['practice']}, "
        f"{prepared['pending_ours']} messages pending; {prepared['page']['plain_queries']} "
        "queries on the page",
        flush=True,
    )
    print("  accorderingslijst: one worker, sequential requests ...", flush=True)
    served = one_worker(env, [(prepared["session"], PAGE)])
    print(f"  p95 {served.times[1].pct(0.95):.0f} ms", flush=True)
    print(f"  outbox: {prepared['pending_ours']} messages to a stub pharmacy ...", flush=True)
    stub = StubPharmacy()
    try:
        delivery = child(__file__, "--deliver", env, stub.url)
    finally:
        stub.stop()
    books = stub_books(stub, delivery["ids"], delivery["shared_ids"], delivery["profiled_ids"])
    print(
        f"  bare client {delivery['messages'] / delivery['bare_seconds']:,.0f}/s, deliver_due "
        f"{delivery['real_delivered'] / delivery['real_seconds']:,.0f}/s (with one shared "
        f"client {delivery['shared_delivered'] / delivery['shared_seconds']:,.0f}/s)",
        flush=True,
    )
    result = Results(prepared, served, delivery, books, database)
    result.seconds = time.perf_counter() - began
    text = report(result, when)
    # To BENCHMARKS.md and bench/figures.jsonl (BENCH_OUT: elsewhere, for trying it out).
    summary.publish(text, lambda: figures(result), bench="prescriptions", when=when)
    return text


def ms(value: float) -> str:
    return booking.ms(value)


def passed(ok: bool) -> str:
    return booking.passed(ok)


PROFILE_KEEP = ("spreekuur/", "httpx/_client.py", "ssl.py", "load_verify_locations")


def profile_rows(profile: list[Any], other: list[Any], count: int = 16) -> list[str]:
    """The largest rows of Spreekuur's own code, httpx's client and SSL set-up."""
    shares = {where: cumulative for where, cumulative, _own in other}
    chosen = [row for row in profile if any(part in row[0] for part in PROFILE_KEEP)][:count]
    return [
        f"| `{where}` | {cumulative:.0%} | "
        + (f"{shares[where]:.0%}" if where in shares else "—")
        + " |"
        for where, cumulative, _own in chosen
    ]


def report(r: Results, when: str) -> str:
    prepared, delivery, books = r.prepared, r.delivery, r.books
    page = prepared["page"]
    baseline, times = r.served.times[0], r.served.times[1]
    sent = delivery["messages"]
    bare_rate = sent / delivery["bare_seconds"]
    real_rate = delivery["real_delivered"] / delivery["real_seconds"]
    shared_rate = delivery["shared_delivered"] / delivery["shared_seconds"]
    share = real_rate / bare_rate
    exactly_once = (
        books["missing"] == 0
        and books["posted_twice"] == 0
        and books["unexpected"] == 0
        and books["mismatched"] == 0
        and books["bad"] == 0
        and books["stored"] == books["expected"]
    )
    all_sent = (
        delivery["real_delivered"] == sent
        and delivery["items_sent"] == sent
        and delivery["left_undelivered"] == 0
    )
    lines = [
        f"\n## Repeat prescriptions — accorderingslijst and outbox — {when}\n",
        code_and_machine() + "\n",
        f"Database `{run.BENCH_DB}`: {r.database}. Practice `{prepared['practice']}`, route "
        '"huisarts" (requests go straight onto the GP\'s list). Whole benchmark: '
        f"{r.seconds:.0f} s, of which making the requests and approvals "
        f"{prepared['list_seconds'] + prepared['outbox_seconds']:.0f} s (not measured).\n",
        "| target | measured | |",
        "|---|---|---|",
        f"| accorderingslijst p95 under {TARGET_P95_MS:.0f} ms with {prepared['waiting']} open "
        f"requests | {ms(times.pct(0.95))} ms "
        f"| {passed(times.pct(0.95) < TARGET_P95_MS and times.errors == 0)} |",
        f"| outbox delivery at least {TARGET_SHARE_OF_BARE:.0%} of the bare client's rate "
        f"| {real_rate:,.0f} messages/s = {share:.1%} of {bare_rate:,.0f}/s "
        f"| {passed(share >= TARGET_SHARE_OF_BARE)} |",
        f"| each prescription received exactly once | {books['stored']:,} of "
        f"{books['expected']:,} stored once, {books['posted_twice']} posted twice, "
        f"{books['missing']} missing, {books['unexpected']} unexpected, "
        f"{books['mismatched']} under another key | {passed(exactly_once and all_sent)} |",
        "",
        f"### Accorderingslijst: one gunicorn worker, {run.REQUESTS_PER_PAGE} sequential "
        "requests\n",
        f"{prepared['waiting']} requests wait for the GP ({OPEN_REQUESTS} patients with two "
        "repeatable chronic medicines each, one asked for by phone through `request_repeat`; "
        "control dates ahead, about one in seven overdue; lab values from the region's "
        "generated history). The page shows the first "
        f"{page['shown']}, each with its history, last contact, lab values and warnings ("
        + ", ".join(f"{count} {name}" for name, count in page["counts"].items())
        + f"; {page['bytes'] / 1024:.0f} KiB of HTML). The GP's session is a verified one "
        "written into the session store. Queries: one GET in-process (Django test client, "
        "the same session, after a warm-up GET), without / with SAVEPOINT and RELEASE.\n",
        "| page | p50 ms | p95 ms | p99 ms | p95 / baseline | queries | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| `/healthz` (baseline) | {ms(baseline.pct(0.5))} | {ms(baseline.pct(0.95))} "
        f"| {ms(baseline.pct(0.99))} | 1.0x | — | {baseline.errors} |",
        f"| `{PAGE}` | {ms(times.pct(0.5))} | {ms(times.pct(0.95))} | {ms(times.pct(0.99))} "
        f"| {times.pct(0.95) / baseline.pct(0.95):.1f}x "
        f"| {page['plain_queries']} / {page['queries']} | {times.errors} |",
        "",
        "Queries on the page: "
        + ", ".join(f"{kind} {count}" for kind, count in page["kinds"].items())
        + f". CPU while serving: {booking.cpu_text([r.served.cpu])}. Worker resident memory "
        f"afterwards: {r.served.memory_mb:.0f} MB.\n",
        f"### Outbox: {sent:,} approved prescriptions to a stub pharmacy\n",
        f"Approved by the GP with `approve_items` ({APPROVE_BATCH} at a time, "
        f"{OUTBOX // 2} patients with two medicines each), each a FHIR R4 MedicationRequest "
        f"of about {delivery['payload_bytes'] / 1024:.1f} KiB in the outbox. The stub pharmacy "
        "is a `ThreadingHTTPServer` in the benchmark's own process (HTTP/1.1 keep-alive, "
        "201 the first time per Idempotency-Key, 409 after); the senders run in a child "
        "process, one after another. Other pending messages in the database at the start: "
        f"{delivery['others_pending']}.\n",
        "| what | messages | seconds | messages/s | ms per message | ours / this |",
        "|---|---:|---:|---:|---:|---:|",
        f"| bare `httpx.Client`: one client, the same payloads posted one after another, "
        f"median of {BARE_ROUNDS} rounds "
        f"({', '.join(f'{s:.2f}' for s in delivery['bare_all_seconds'])} s) | {sent:,} "
        f"| {delivery['bare_seconds']:.2f} | {bare_rate:,.0f} "
        f"| {delivery['bare_seconds'] / sent * 1000:.2f} | {share:.3f} |",
        f"| **Spreekuur `deliver_due`** (batches of 200 as the worker's job calls it, "
        f"{delivery['real_calls']} calls until nothing was due) | {delivery['real_delivered']:,} "
        f"| {delivery['real_seconds']:.2f} | **{real_rate:,.0f}** "
        f"| {delivery['real_seconds'] / delivery['real_delivered'] * 1000:.2f} | 1.000 |",
        f"| not the app as configured: `deliver_due` with one shared `httpx.Client` passed "
        f"in (`transports={{'http': partial(deliver_http, client=...)}}`), the same "
        f"prescriptions asked for and approved again | {delivery['shared_delivered']:,} "
        f"| {delivery['shared_seconds']:.2f} | {shared_rate:,.0f} "
        f"| {delivery['shared_seconds'] / delivery['shared_delivered'] * 1000:.2f} "
        f"| {real_rate / shared_rate:.3f} |",
        "",
        "After delivery: messages by status "
        + ", ".join(f"{k} {v}" for k, v in delivery["statuses"].items())
        + "; attempts "
        + ", ".join(f"{k}: {v}" for k, v in sorted(delivery["attempts"].items()))
        + f"; items now 'naar de apotheek': {delivery['items_sent']:,}; messages of the bench "
        f"pharmacy not delivered at the end: {delivery['left_undelivered']}. The stub "
        f"received {books['bare_posts']:,} bare posts ({books['bare_stored']:,} kept) besides. "
        "The worker runs this job once a minute with a batch of 200 "
        "(core/management/commands/worker.py), so in production a backlog drains at most "
        "200 messages a minute whatever the rate above.\n",
        f"Where the time goes ({delivery['profile_messages']} more messages of the same kind, "
        f"the app's path): {delivery['wall_ms_per_message']:.1f} ms per message, of which "
        f"{delivery['sql_ms_per_message']:.1f} ms waiting for "
        f"{delivery['queries_per_message']:.1f} queries (Django's query log, round trips "
        "included): "
        + ", ".join(f"{kind} {count:g}" for kind, count in delivery["query_kinds"].items())
        + ".\n",
        "cProfile of one `deliver_due` call on fresh messages, the app's path and with the "
        "shared client (share of the profiled time, cumulative; profiling slows it down, so "
        "shares only):\n",
        "| function | app's path | shared client |",
        "|---|---:|---:|",
        *profile_rows(delivery["profile"], delivery["profile_shared"]),
    ]
    return "\n".join(lines) + "\n"


def figures(r: Results) -> list[summary.Figure]:
    """The targets of the report's first table, as records for the summary."""
    prepared, delivery, books = r.prepared, r.delivery, r.books
    baseline, times = r.served.times[0], r.served.times[1]
    sent = delivery["messages"]
    bare_rate = sent / delivery["bare_seconds"]
    real_rate = delivery["real_delivered"] / delivery["real_seconds"]
    share = real_rate / bare_rate
    exactly_once = (
        books["missing"] == 0
        and books["posted_twice"] == 0
        and books["unexpected"] == 0
        and books["mismatched"] == 0
        and books["bad"] == 0
        and books["stored"] == books["expected"]
    )
    all_sent = (
        delivery["real_delivered"] == sent
        and delivery["items_sent"] == sent
        and delivery["left_undelivered"] == 0
    )
    problems = {
        "posted twice": books["posted_twice"],
        "missing": books["missing"],
        "unexpected": books["unexpected"],
        "under another key": books["mismatched"],
        "not delivered at the end": delivery["left_undelivered"],
    }
    return [
        summary.Figure(
            id="prescriptions.list_p95",
            target=f"accorderingslijst p95 under {TARGET_P95_MS:.0f} ms with "
            f"{prepared['waiting']} open requests (one worker), no errors",
            figure=round(times.pct(0.95), 1),
            unit="ms",
            threshold=TARGET_P95_MS,
            op="<",
            passed=times.pct(0.95) < TARGET_P95_MS and times.errors == 0,
            baseline=round(baseline.pct(0.95), 1),
            baseline_unit="ms",
            baseline_what="`/healthz` p95",
            ratio=times.pct(0.95) / baseline.pct(0.95),
        ),
        summary.Figure(
            id="prescriptions.outbox_share",
            target=f"outbox delivery at least {TARGET_SHARE_OF_BARE:.0%} of the bare client's rate",
            figure=round(real_rate),
            unit="messages/s",
            threshold=TARGET_SHARE_OF_BARE,
            op=">=",
            on="ratio",
            passed=share >= TARGET_SHARE_OF_BARE,
            baseline=round(bare_rate),
            baseline_unit="messages/s",
            baseline_what="bare `httpx.Client`",
            ratio=share,
        ),
        summary.Figure(
            id="prescriptions.exactly_once",
            target="each prescription received by the pharmacy exactly once",
            figure=books["stored"],
            unit=f"of {books['expected']:,} stored once",
            threshold=books["expected"],
            op="==",
            passed=exactly_once and all_sent,
            note=", ".join(f"{count} {what}" for what, count in problems.items() if count),
        ),
    ]


def main() -> None:
    if len(sys.argv) == 2 and sys.argv[1] == "--prepare":
        print(json.dumps(prepare_in_django()))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--deliver":
        print(json.dumps(deliver_in_django(sys.argv[2])))
        return
    env = run.bench_env()
    results.ensure_database(env)
    bench_prescriptions(env)


if __name__ == "__main__":
    main()
