"""Crash safety: `kill -9` the web server, the background worker and a lab import in the
middle of their work, restart, and check that nothing is half-written or lost.

What happens, on PostgreSQL, against the real gunicorn:

1. Setup (child process, Django): the booking bench's practice and patient sessions
   (bench/booking.py), a lab link with HL7 v2 messages for its patients (some for the
   HTTP door, some in a file for `spreekuur import_lab`), and approved repeat
   prescriptions waiting in the outbox for a pharmacy that takes files.
2. Load: the patients book released slots (triage, confirm; a lost race tries another
   slot); the lab posts its messages to the HTTP door; `spreekuur worker` drains the
   outbox; `spreekuur import_lab` reads the file. When patients and lab have had answers
   (KILL_AT_BOOKINGS, KILL_AT_ACKS) and the worker is inside its delivery batch (at the latest after
   KILL_AFTER seconds) the server's
   whole process group, the worker and the importer get SIGKILL at once.
3. Restart as an operator would: gunicorn and the worker again; the lab re-sends what it
   got no acknowledgement for; the import is run again with the same file. The worker's
   lease (OUTBOX_LEASE_SECONDS, short here) ends and it finishes what the killed worker had
   claimed.
4. Checks, in SQL: every booking whose 302 reached a patient exists and is active; no
   double bookings (booking.py's five checks); every lab message of this run stored once,
   each with its result, none without; every prescription delivered exactly once (one file
   per item); the practice's audit chain verifies.

Run alone (`python bench/crash.py`) against the database of `make bench`, or a small demo
database it creates; `bench/run.py` calls `bench_crash()` last. Bounded: the load lasts
at most KILL_AFTER seconds, every request and step has a timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import booking
import httpx
import prescriptions as rx
import psycopg
import run
import summary  # the table at the top of BENCHMARKS.md

KILL_AFTER = float(os.environ.get("BENCH_CRASH_AFTER", "15"))  # at the latest
KILL_AT_BOOKINGS = 10  # bookings confirmed to patients before the kill
KILL_AT_ACKS = 3  # lab messages acknowledged before the kill
LAB_HTTP = int(os.environ.get("BENCH_CRASH_LAB_HTTP", "600"))
LAB_FILE = int(os.environ.get("BENCH_CRASH_LAB_FILE", "8000"))
PRESCRIPTIONS = int(os.environ.get("BENCH_CRASH_PRESCRIPTIONS", "600"))
BOOKING_CLIENTS = 60
LAB_SENDERS = 2
LEASE_SECONDS = 8
STUB_DELAY = 0.03  # seconds a pharmacy system takes per prescription
STEP_TIMEOUT = 120.0
MEDICINES = ("Metformine 500 mg", "Simvastatine 40 mg", "Lisinopril 10 mg")
ACK_OK = re.compile(r"MSA\|AA\|([^|\r]+)")


# --- Setup (child process) ----------------------------------------------------------------


def prepare_in_django(tag: str, lab_file: str, endpoint: str) -> dict[str, Any]:
    """The lab link and messages, the pharmacy (the stub) and the approved prescriptions."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spreekuur.settings")
    os.environ.setdefault("PHARMACY_ALLOW_LOOPBACK", "true")  # the stand-in pharmacy
    import django

    django.setup()
    from django.utils import timezone

    from spreekuur.core.models import Practice
    from spreekuur.patients.models import Patient
    from spreekuur.prescriptions.models import Pharmacy, RepeatSettings, Route
    from spreekuur.prescriptions.services import set_route
    from spreekuur.results.models import LabLink
    from spreekuur.results.samples import SampleResult, hl7_oru, sample_patient

    practice = Practice.objects.get(slug=booking.SLUG)
    token = LabLink.new_token()
    LabLink.objects.create(
        practice=practice, name=f"crash-{tag}", token_hash=LabLink.hash_token(token)
    )
    patients = list(Patient.objects.filter(practice=practice).order_by("id"))
    now = timezone.now()

    def message(number: int) -> bytes:
        patient = patients[number % len(patients)]
        value = f"{40 + number % 30}"
        return hl7_oru(
            sample_patient(patient),
            [SampleResult("2816", value, "mmol/mol", "20-42", "H" if int(value) > 42 else "")],
            control_id=f"K{tag}{number:05d}",
            order=f"O{tag}{number:05d}",
            taken=now - timedelta(minutes=number),
        )

    http = [message(n).decode("latin-1") for n in range(LAB_HTTP)]
    Path(lab_file).write_bytes(b"".join(message(n) for n in range(LAB_HTTP, LAB_HTTP + LAB_FILE)))

    manager = rx.staff(practice, "praktijkmanager")
    settings = RepeatSettings.objects.filter(practice=practice).first()
    if settings is None or settings.route != Route.STRAIGHT_TO_GP:
        set_route(practice=practice, route=Route.STRAIGHT_TO_GP, by=manager)
    # Made directly: `add_pharmacy` accepts plain http:// (the local stub) only with DEBUG on.
    pharmacy = Pharmacy.objects.create(
        practice=practice,
        name=f"Apotheek crashbench {tag}",
        transport="http",
        endpoint=endpoint,
        city=practice.city,
    )
    gp, assistant = rx.staff(practice, "huisarts"), rx.staff(practice, "assistent")
    pairs = []
    for number, patient in enumerate(rx.bench_patients(practice, PRESCRIPTIONS // 2, 0)):
        names = [MEDICINES[number % 3], MEDICINES[(number + 1) % 3]]
        pairs.append((patient, rx.repeat_list(patient, names, gp)))
    approved = rx.request_and_approve(pairs, pharmacy, assistant, gp)
    return {"token": token, "http": http, "pharmacy": pharmacy.pk, "approved": approved}


# --- Load and kill ------------------------------------------------------------------------


@dataclass
class Load:
    accepted_bookings: set[str] = field(default_factory=set)
    booking_answers: dict[str, int] = field(default_factory=dict)
    acknowledged: set[str] = field(default_factory=set)  # lab control ids answered AA
    lab_answers: dict[str, int] = field(default_factory=dict)
    killed_at: float = 0.0

    def count(self, bucket: dict[str, int], key: str) -> None:
        bucket[key] = bucket.get(key, 0) + 1


async def book_until_killed(
    client: booking.Client, setup: booking.Setup, slots: list[str], load: Load, stop: asyncio.Event
) -> None:
    rng = random.Random(client.patient)
    while not stop.is_set():
        try:
            triage = await client.http.post(booking.TRIAGE, data=client.triage_form())
            if triage.status_code != 302:
                load.count(load.booking_answers, f"triage {triage.status_code}")
                continue
            form = {
                "csrfmiddlewaretoken": client.token,
                "soort": setup.type_id,
                "tijd": rng.choice(slots),
            }
            answer = await client.http.post(booking.CONFIRM, data=form)
        except httpx.HTTPError as error:
            load.count(load.booking_answers, type(error).__name__)
            if stop.is_set():
                return
            await asyncio.sleep(0.05)
            continue
        booked = booking.BOOKED.match(answer.headers.get("location", ""))
        if answer.status_code == 302 and booked:
            load.accepted_bookings.add(booked.group(1))
            load.count(load.booking_answers, "302 geboekt")
        else:
            load.count(load.booking_answers, str(answer.status_code))


async def send_lab(
    http: httpx.AsyncClient, token: str, messages: list[str], load: Load, stop: asyncio.Event
) -> None:
    for raw in messages:
        if stop.is_set():
            return
        try:
            answer = await http.post(
                "/api/lab/hl7v2/",
                content=raw.encode("latin-1"),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "x-application/hl7-v2+er7",
                },
            )
        except httpx.HTTPError as error:
            load.count(load.lab_answers, type(error).__name__)
            continue
        acknowledged = ACK_OK.search(answer.text)
        if answer.status_code == 200 and acknowledged:
            load.acknowledged.add(acknowledged.group(1))
            load.count(load.lab_answers, "200 AA")
        else:
            load.count(load.lab_answers, str(answer.status_code))


@dataclass
class Victims:
    server: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]
    importer: subprocess.Popen[bytes]
    worker_log: Path


async def wait_for_line(log: Path, text: str, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{log.name}: no {text!r} within {timeout:.0f} s")


async def load_and_kill(
    base: str,
    setup: booking.Setup,
    db: psycopg.Connection[Any],
    prep: dict[str, Any],
    stub: rx.StubPharmacy,
    start: Any,
) -> tuple[Load, Victims]:
    """Open the patients' sessions, start the worker and the importer, let the worker make
    its slots (its first round regenerates them from the templates), then release the
    bench's slots and book; kill everything once the worker is busy delivering."""
    setup = replace(setup, clients=setup.clients[:BOOKING_CLIENTS])
    clients, transport = await booking.open_clients(base, setup)
    victims: Victims = start()
    await wait_for_line(victims.worker_log, "extend_slots", STEP_TIMEOUT)
    slots = booking.reset_agenda(db, setup)
    load, stop = Load(), asyncio.Event()
    lab = httpx.AsyncClient(base_url=base, timeout=30, trust_env=False)
    shares = [prep["http"][n::LAB_SENDERS] for n in range(LAB_SENDERS)]
    tasks = [asyncio.create_task(book_until_killed(c, setup, slots, load, stop)) for c in clients]
    tasks += [
        asyncio.create_task(send_lab(lab, prep["token"], share, load, stop)) for share in shares
    ]
    began = time.perf_counter()
    while time.perf_counter() - began < KILL_AFTER:
        # The moment: patients have been booking and the lab sending for a while, and the
        # worker is inside its delivery batch of 200.
        written = len(stub.stored)
        busy = len(load.accepted_bookings) >= KILL_AT_BOOKINGS
        if busy and len(load.acknowledged) >= KILL_AT_ACKS and 0 < written < 200:
            break
        await asyncio.sleep(0.02)
    for victim in (victims.server, victims.worker, victims.importer):
        os.killpg(victim.pid, signal.SIGKILL)  # all at once, as a power cut would
    load.killed_at = time.perf_counter() - began
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=STEP_TIMEOUT)
    for victim in (victims.server, victims.worker, victims.importer):
        victim.wait(timeout=30)
    for client in clients:
        await client.http.aclose()
    await lab.aclose()
    await transport.aclose()
    return load, victims


async def resend_unacknowledged(base: str, token: str, messages: list[str], load: Load) -> int:
    """What a lab does without an ACK: send again (the door keeps each message once)."""
    missing = [m for m in messages if _control_id(m) not in load.acknowledged]
    async with httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as lab:
        await send_lab(lab, token, missing, load, asyncio.Event())
    return len(missing)


def _control_id(raw: str) -> str:
    return raw.split("\r", 1)[0].split("|")[9]


# --- Checks -------------------------------------------------------------------------------


def scalar(db: psycopg.Connection[Any], sql: str, params: Any) -> int:
    return booking.scalar(db, sql, params)


def lab_checks(db: psycopg.Connection[Any], practice: int, tag: str, load: Load) -> dict[str, int]:
    like = f"K{tag}%"
    stored = {
        row[0]
        for row in db.execute(
            "SELECT message_id FROM results_labmessage WHERE practice_id = %s"
            " AND message_id LIKE %s",
            [practice, like],
        ).fetchall()
    }
    return {
        "lab messages of this run stored": len(stored),
        "lab messages stored twice": scalar(
            db,
            "SELECT count(*) FROM (SELECT message_id FROM results_labmessage WHERE practice_id = %s"
            " AND message_id LIKE %s GROUP BY message_id HAVING count(*) > 1) twice",
            [practice, like],
        ),
        "lab messages without their result (half-written)": scalar(
            db,
            "SELECT count(*) FROM results_labmessage m WHERE m.practice_id = %s AND m.message_id"
            " LIKE %s AND (SELECT count(*) FROM results_labresult r WHERE r.message_id = m.id)"
            " <> m.result_count",
            [practice, like],
        ),
        "lab messages not processed": scalar(
            db,
            "SELECT count(*) FROM results_labmessage WHERE practice_id = %s AND message_id LIKE %s"
            " AND status <> 'verwerkt'",
            [practice, like],
        ),
        "acknowledged (AA) lab messages missing": len(load.acknowledged - stored),
    }


def outbox_checks(
    db: psycopg.Connection[Any], prep: dict[str, Any], stub: rx.StubPharmacy
) -> dict[str, int]:
    books = rx.stub_books(stub, prep["approved"])
    return {
        "prescriptions in the outbox": books["expected"],
        "prescriptions not delivered": scalar(
            db,
            "SELECT count(*) FROM prescriptions_outboxmessage WHERE pharmacy_id = %s"
            " AND status <> 'afgeleverd'",
            [prep["pharmacy"]],
        ),
        "prescriptions delivered but not marked sent": scalar(
            db,
            "SELECT count(*) FROM prescriptions_outboxmessage o JOIN"
            " prescriptions_repeatrequestitem i ON i.id = o.item_id WHERE o.pharmacy_id = %s"
            " AND o.status = 'afgeleverd' AND i.status <> 'naar-apotheek' AND i.status <> 'klaar'",
            [prep["pharmacy"]],
        ),
        "prescriptions the pharmacy holds": books["stored"],
        "prescriptions the pharmacy never got": books["missing"],
        "prescriptions the pharmacy got under a wrong or unknown key": books["unexpected"]
        + books["mismatched"]
        + books["bad"],
    }


# --- The run ------------------------------------------------------------------------------


@dataclass
class Results:
    load: Load
    approved: int
    at_kill: dict[str, int]
    restart_seconds: float
    resent: int
    import_again: str
    worker_rounds: int
    checks: dict[str, int]
    expected: dict[str, int]
    audit: str
    posted_again: int
    cut_off: int = 0  # requests the kill cut off mid-body (the pharmacy kept nothing of them)


def at_the_kill(
    db: psycopg.Connection[Any], setup: booking.Setup, tag: str, prep: dict[str, Any]
) -> dict[str, int]:
    """How far each process had come when it was killed (for the report, not a check)."""
    return {
        f"lab messages stored (of {LAB_HTTP + LAB_FILE:,})": scalar(
            db,
            "SELECT count(*) FROM results_labmessage WHERE practice_id = %s AND message_id LIKE %s",
            [setup.practice, f"K{tag}%"],
        ),
        f"prescriptions delivered (of {len(prep['approved']):,})": scalar(
            db,
            "SELECT count(*) FROM prescriptions_outboxmessage WHERE pharmacy_id = %s"
            " AND status = 'afgeleverd'",
            [prep["pharmacy"]],
        ),
        "prescriptions claimed (leased) but not delivered": scalar(
            db,
            "SELECT count(*) FROM prescriptions_outboxmessage WHERE pharmacy_id = %s"
            " AND status = 'wachtend' AND attempts > 0",
            [prep["pharmacy"]],
        ),
    }


def bench_crash(env: dict[str, str], *, when: str | None = None) -> str:
    when = when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    tag = datetime.now(UTC).strftime("%H%M%S")
    work = Path(tempfile.mkdtemp(prefix="spreekuur-crash-"))
    env = {
        **booking.server_env(env),
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    print("crash safety: setup ...", flush=True)
    setup = booking.prepare(env)
    lab_file = work / "lab.hl7"
    stub = rx.StubPharmacy(delay=STUB_DELAY)
    prep = rx.child(__file__, "--prepare", env, tag, str(lab_file), stub.url, timeout=900)
    db = psycopg.connect(run.database_url(), autocommit=True)
    seq_before = booking.audit_head(db, setup.practice)
    logs = (work / "access.log", work / "errors.log")
    server, base = booking.start_server(env, *logs)

    def start() -> Victims:
        worker = spawn([run.SPREEKUUR, "worker"], env, work / "worker.log")
        importer = spawn(
            [run.SPREEKUUR, "import_lab", "--practice", booking.SLUG, str(lab_file)],
            env,
            work / "import.log",
        )
        return Victims(server, worker, importer, work / "worker.log")

    print("crash safety: load, then kill -9 ...", flush=True)
    load, _victims = asyncio.run(load_and_kill(base, setup, db, prep, stub, start))
    at_kill = at_the_kill(db, setup, tag, prep)

    started = time.perf_counter()
    server, base = booking.start_server(env, *logs)
    restart_seconds = time.perf_counter() - started
    worker = spawn([run.SPREEKUUR, "worker"], env, work / "worker2.log")
    resent = asyncio.run(resend_unacknowledged(base, prep["token"], prep["http"], load))
    again = (
        subprocess.run(
            [run.SPREEKUUR, "import_lab", "--practice", booking.SLUG, str(lab_file)],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    # What the killed worker held stays leased until OUTBOX_LEASE_SECONDS have passed;
    # then the worker (here its cron form, --once) sends it again under the same key.
    rounds = 0
    deadline = time.time() + STEP_TIMEOUT
    while time.time() < deadline:
        pending = scalar(
            db,
            "SELECT count(*) FROM prescriptions_outboxmessage WHERE pharmacy_id = %s"
            " AND status = 'wachtend'",
            [prep["pharmacy"]],
        )
        if pending == 0:
            break
        time.sleep(LEASE_SECONDS / 2)
        subprocess.run(
            [run.SPREEKUUR, "worker", "--once"],
            env=env,
            capture_output=True,
            timeout=300,
            check=True,
        )
        rounds += 1
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)
    booking.stop_server(server)

    checks = {
        "accepted bookings (302 seen by the patient) missing or cancelled": missing_bookings(
            db, load
        ),
        **booking.double_booking_checks(db, setup.practice, seq_before),
        **lab_checks(db, setup.practice, tag, load),
        **outbox_checks(db, prep, stub),
    }
    expected = {
        "lab messages of this run stored": LAB_HTTP + LAB_FILE,
        "prescriptions in the outbox": len(prep["approved"]),
        "prescriptions the pharmacy holds": len(prep["approved"]),
    }
    audit = booking.audit_verify(env)
    db.close()
    books = rx.stub_books(stub, prep["approved"])
    posted_again, cut_off = books["posted_twice"], books["cut"]
    stub.stop()
    results = Results(
        load,
        len(prep["approved"]),
        at_kill,
        restart_seconds,
        resent,
        again,
        rounds,
        checks,
        expected,
        audit,
        posted_again,
        cut_off,
    )
    text = report(results, when)
    summary.publish(text, lambda: figures(results), bench="crash", when=when)
    return text


def missing_bookings(db: psycopg.Connection[Any], load: Load) -> int:
    if not load.accepted_bookings:
        return 0
    active = scalar(
        db,
        "SELECT count(*) FROM agenda_appointment WHERE public_id = ANY(%s::uuid[])"
        " AND status <> 'geannuleerd'",
        [sorted(load.accepted_bookings)],
    )
    return len(load.accepted_bookings) - active


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            command, env=env, stdout=output, stderr=output, start_new_session=True
        )


def answers(counted: dict[str, int]) -> str:
    return ", ".join(f"{kind}: {count}" for kind, count in sorted(counted.items()))


def failed_checks(r: Results) -> list[str]:
    """The checks after the restart that do not hold (the report's verdict)."""
    failed = [name for name, value in r.checks.items() if value != r.expected.get(name, 0)]
    if not r.audit.startswith("Audit log intact"):
        failed.append("audit chain of the practice")
    return failed


def figures(r: Results) -> list[summary.Figure]:
    """The report's verdict as a record for the summary."""
    failed = failed_checks(r)
    return [
        summary.Figure(
            id="crash.checks",
            target="kill -9 of the web server, the worker and a lab import under load: after "
            "the restart nothing accepted is lost, nothing half-written, every prescription "
            "delivered once, the audit chain intact",
            figure=len(failed),
            unit=f"of {len(r.checks) + 1} checks failed",
            threshold=0,
            op="==",
            passed=not failed,
            note=", ".join(failed),
        )
    ]


def report(r: Results, when: str) -> str:
    ok = (
        all(value == 0 for name, value in r.checks.items() if name not in r.expected)
        and all(r.checks[name] == value for name, value in r.expected.items())
        and r.audit.startswith("Audit log intact")
    )
    lines = [
        f"\n## Crash safety: kill -9 in the middle of bookings, imports and deliveries ({when})\n",
        f"Code {booking.code_version()}.",
        f"Machine: {run.machine()}. gunicorn ({booking.worker_setup()}), `spreekuur worker` and "
        f"`spreekuur import_lab` ran under load for {r.load.killed_at:.1f} s ({BOOKING_CLIENTS} "
        f"patients booking, {LAB_SENDERS} lab senders over the HTTP door with {LAB_HTTP} HL7 "
        f"messages, a file of {LAB_FILE} messages, {r.approved} approved prescriptions for a "
        f"stub pharmacy over HTTP that takes {STUB_DELAY * 1000:.0f} ms each and keeps each "
        "Idempotency-Key once), then all three got SIGKILL at the same moment.\n",
        "| at the kill | count |",
        "|---|---|",
        *[f"| {name} | {value:,} |" for name, value in r.at_kill.items()],
        f"| booking answers seen | {answers(r.load.booking_answers)} |",
        f"| lab answers seen | {answers(r.load.lab_answers)} |",
        "",
        f"Restart: gunicorn answered `/healthz` after {r.restart_seconds:.1f} s. The lab re-sent "
        f"the {r.resent} messages it had no AA for; `import_lab` ran again on the same file "
        f"({r.import_again}); the outbox was finished by {r.worker_rounds} `worker --once` "
        f"round(s) after the {LEASE_SECONDS} s lease; {r.posted_again} prescription(s) reached "
        "the pharmacy twice under the same key (sent, then killed before the answer was "
        f"recorded) and were kept once; {r.cut_off} request(s) were cut off by the kill in "
        "the middle of their body (the pharmacy kept nothing of them).\n",
        "| check after restart | found | must be |",
        "|---|---|---|",
    ]
    for name, value in r.checks.items():
        must = r.expected.get(name, 0)
        lines.append(f"| {name} | {value:,} | {must:,} |")
    lines += [
        f"| audit chain of the practice | {r.audit} | intact |",
        "",
        f"**{'All checks hold' if ok else 'A CHECK FAILED'}.**\n",
    ]
    return "\n".join(line for line in lines if line is not None) + "\n"


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--prepare":
        print(json.dumps(prepare_in_django(sys.argv[2], sys.argv[3], sys.argv[4])))
        return
    env = run.bench_env()
    booking.ensure_database(env)
    bench_crash(env)


if __name__ == "__main__":
    main()
