"""CPU per FHIR API call inside one process, whatever else the machine is doing.

bench/fhir_api.py measures requests/s against gunicorn on a shared 2-core machine: that
figure moves with the load of everything else. This one calls the WSGI application
(`spreekuur.wsgi.application`, the same object gunicorn calls) directly, in a loop, and
counts the process's own CPU time (`time.process_time`), so PostgreSQL's time and other
processes are left out:

1. A database of its own (`spreekuur_fhircpu`, dropped at the end): migrated, one
   practice, one patient with a portal account, the practice's PGO registered, and a
   patient-scoped access token got the way an app gets it (consent screen with PKCE, then
   the code exchanged at /oauth/token/).
2. For `GET /fhir/R4/Patient/<id>` with that token and for `/healthz`: a warm-up, then
   N calls timed: CPU ms per call (and wall ms, which includes waiting for PostgreSQL).
3. The statements one read sends (django.test.utils.CaptureQueriesContext, on separate
   calls: capturing costs CPU itself), and a cProfile of the read (top 25 by own time
   and cumulative).

Run: `.venv/bin/python bench/fhir_cpu.py [N] [--keep]` (N = 2000 by default; --keep leaves
the migrated database for the next run, which then reuses it); BENCH_FHIRCPU_DB
names the database, PostgreSQL at BENCH_FHIRCPU_SERVER (postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import base64
import contextlib
import cProfile
import hashlib
import io
import os
import pstats
import secrets
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_FHIRCPU_DB", "spreekuur_fhircpu")
SERVER = os.environ.get("BENCH_FHIRCPU_SERVER", "postgres://postgres@127.0.0.1:5432")
FHIR = "application/fhir+json"
REDIRECT = "https://pgo.example/callback"
SCOPES = "launch/patient openid fhirUser offline_access patient/*.rs"
WARM_UP = 200
PROFILED = 500


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{SERVER}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
    )


def django_setup() -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spreekuur.settings")
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    import django

    django.setup()


def prepare() -> tuple[str, str]:
    """The practice, patient, app and token; returns (token, patient public id)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from spreekuur.accounts.freshness import SESSION_SECOND_FACTOR_AT
    from spreekuur.fhir.models import AppKind
    from spreekuur.fhir.services import register_app
    from spreekuur.patients.bsn import complete_bsn
    from tests.factories import PatientFactory, PracticeFactory, UserFactory

    call_command("migrate", verbosity=0, interactive=False)
    # Unique per run, so that a kept database (--keep) takes another practice.
    tag = secrets.randbelow(10**6)
    bsn = next(b for n in range(tag * 100, tag * 100 + 100) if (b := complete_bsn(f"{n:08d}")))
    practice = PracticeFactory(slug=f"cpu-{tag}", name="CPU-praktijk", agb_code=f"09{tag:06d}")
    patient = PatientFactory(
        practice=practice,
        bsn=bsn,
        user=UserFactory(full_name="Patiënt CPU", email=f"{tag}@cpu.example"),
    )
    user = patient.user
    app, _secret = register_app(
        practice=practice,
        kind=AppKind.PATIENT_APP,
        name="CPU-PGO",
        vendor="bench",
        allowed_scopes=SCOPES.split(),
        redirect_uris=[REDIRECT],
        by=None,
    )
    # A verified portal session, as a password + TOTP login leaves it (bench/booking.py).
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "spreekuur.accounts.backends.PracticeAwareBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get().persistent_id
    session[SESSION_SECOND_FACTOR_AT] = time.time()
    session.create()
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key or ""

    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    client_id = app.application.client_id
    page = browser.get(
        "/oauth/authorize/",
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": SCOPES,
            "state": "cpu",
            "aud": settings.FHIR_BASE_URL,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    if page.status_code != 200:
        raise SystemExit(f"no consent screen (HTTP {page.status_code})")
    form = HiddenInputs()
    form.feed(page.content.decode())
    answer = browser.post(
        "/oauth/authorize/", {**form.fields, "allow": "on", "patient": str(patient.public_id)}
    )
    if answer.status_code != 302:
        raise SystemExit(f"consent refused (HTTP {answer.status_code})")
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
        raise SystemExit(f"code exchange refused: {token.content[:300]!r}")
    return str(token.json()["access_token"]), str(patient.public_id)


class HiddenInputs(HTMLParser):
    """The consent form's hidden fields (as bench/fhir_api.py reads them)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields[str(found["name"])] = found.get("value") or ""


class Caller:
    """Calls the WSGI application as gunicorn's sync worker does: one environ per request,
    the body read, close() called (Django's request_finished)."""

    def __init__(self, path: str, headers: dict[str, str]) -> None:
        from spreekuur.wsgi import application

        self.application = application
        self.environ: dict[str, Any] = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            **headers,
        }
        self.status = ""

    def start_response(self, status: str, headers: Any, exc_info: Any = None) -> None:
        self.status = status

    def __call__(self) -> bytes:
        environ = dict(self.environ)
        environ["wsgi.input"] = io.BytesIO(b"")
        response = self.application(environ, self.start_response)
        try:
            return b"".join(response)
        finally:
            response.close()


def timed(call: Caller, count: int) -> tuple[float, float]:
    """CPU ms and wall ms per call over `count` calls."""
    for _ in range(WARM_UP):
        call()
    wall = time.perf_counter()
    cpu = time.process_time()
    for _ in range(count):
        call()
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    return cpu * 1000 / count, wall * 1000 / count


def statements(call: Caller) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return [query["sql"] for query in captured.captured_queries]


def profile(call: Caller) -> str:
    profiler = cProfile.Profile(time.process_time)  # CPU, not waiting for PostgreSQL
    profiler.enable()
    for _ in range(PROFILED):
        call()
    profiler.disable()
    if os.environ.get("BENCH_FHIRCPU_PROFILE"):  # a file for pstats, to look further
        profiler.dump_stats(os.environ["BENCH_FHIRCPU_PROFILE"])
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)
    return out.getvalue()


def main() -> None:
    numbers = [arg for arg in sys.argv[1:] if arg.isdigit()]
    count = int(numbers[0]) if numbers else 2000
    keep = "--keep" in sys.argv  # while working on it: keep the migrated database
    if not keep:
        psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    with contextlib.suppress(subprocess.CalledProcessError):
        psql(f"CREATE DATABASE {DB_NAME}")
    try:
        django_setup()
        token, patient_id = prepare()
        read = Caller(
            f"/fhir/R4/Patient/{patient_id}",
            {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT": FHIR},
        )
        health = Caller("/healthz", {})
        body = read()
        if not read.status.startswith("200") or b'"resourceType":"Patient"' not in body:
            raise SystemExit(f"Patient read failed: {read.status} {body[:300]!r}")
        health()
        if not health.status.startswith("200"):
            raise SystemExit(f"/healthz failed: {health.status}")
        read_cpu, read_wall = timed(read, count)
        health_cpu, health_wall = timed(health, count)
        sql = statements(read)
        print(f"{count} calls each, after {WARM_UP} untimed (CPU: time.process_time)")
        print(f"Patient read: {read_cpu:.3f} ms CPU, {read_wall:.3f} ms wall per call")
        print(f"/healthz:     {health_cpu:.3f} ms CPU, {health_wall:.3f} ms wall per call")
        print(f"Statements per Patient read: {len(sql)}")
        for line in sql:
            print(f"  {line[:160]}")
        print(f"Statements per /healthz: {len(statements(health))}")
        print(f"\ncProfile of {PROFILED} Patient reads:")
        print(profile(read))
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            psql(f"DROP DATABASE IF EXISTS {DB_NAME}")


if __name__ == "__main__":
    main()
