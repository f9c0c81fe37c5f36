"""Self-triage benchmark: the widget's steps under load, and the widget's first load.

What is measured, and why:

A. Queries per step, in-process (a child process with Django set up, the test client,
   CaptureQueriesContext; a warm-up request first): the complaint list, the first
   question (GET), an answer that leads to the next question (POST, 200), a last answer
   (POST: the session is stored, 302) and the outcome page. No target: a note.
B. One gunicorn worker, run.REQUESTS_PER_PAGE sequential requests each: /healthz (the
   baseline), then the same widget requests as in A.
C. First load of the widget, as a browser on the practice's own site fetches it: the
   embed script (/widget/<slug>/zelftriage.js), the iframe document
   (/widget/<slug>/zelftriage/) and every stylesheet, script and image it references
   (and whatever those stylesheets import or point at), each body gzip-compressed at
   level 6 as a reverse proxy sends it (a body the server already sends gzipped counts
   as received). Baseline: the practice page's own self-triage (/p/<slug>/zelftriage/)
   with the portal's CSS and JS. Target: the widget's first load at most 50 kB
   (50,000 bytes) over the wire, HTTP headers not counted.
D. USERS anonymous visitors of the widget of the region practice `regio-001` at once,
   against gunicorn with WORKERS sync workers: no cookies, no CSRF token (an iframe on
   another site gets neither). Each opens the complaint list, picks a complaint at
   random, GETs its first question, then answers at random (the radio values on the
   page) one question at a time (POST: the answers so far travel in the form), until
   the last answer redirects (302) to the outcome page, which it opens; then again. A
   step is the first question, every answer and the outcome page; any answer other than
   the expected 200 or 302 (or a transport error) is an error. Once with a think time
   (THINK_SECONDS after every page, people reading), once without (saturation), each
   SECONDS. Baseline in the same run: /healthz by the same number of users with the
   same think time (and without), and /healthz on one worker (B). The sessions the
   practice has are counted in SQL before and after each phase, against the last
   answers (302) the visitors got. Target: a step's p95 at most 100 ms with think time.
E. The FAQ assistant, in-process (a child process with Django set up, run after A): the
   Dutch question sets of tests/triage/test_assistant.py (PRACTICAL in its three rounds,
   the third written blind; MEDICAL with its emergencies; OFF_TOPIC), each question asked
   of `Assistant(DEFAULT_FAQ, FACTS)` as the tests build it and judged as they do: a
   practical question is correct when the reply comes from the expected entry, a medical
   one when it goes to self-triage or 112 (MEDICAL or EMERGENCY), an off-topic one (a
   note, no target) when the reply is "I don't know" (UNKNOWN). Reply time: every
   question once (the warm-up, shown as the first reply), then FAQ_REPEAT passes over all
   of them (time.perf_counter); the time to build the assistant (its index) FAQ_BUILDS
   times. Baseline: the same questions through `Assistant.best_match` alone (the BM25
   retrieval with its token matching, without the emergency and medical checks and the
   reply's text; the bm25s index itself is private to the assistant). The same again
   through Django as the chat view asks it: `faq.assistant_for(practice).reply(question)`
   for the region practice (its own answers and facts, one query to know it is still
   current), the practice already loaded. Targets: at least 90 % of the practical
   questions answered from the right entry, every medical question to self-triage or
   112, a reply's p95 at most 200 ms.

Run alone (`python bench/triage.py`) against the database of `make bench` (built with the
region if it is not there: BENCH_PRACTICES x BENCH_PATIENTS_PER_PRACTICE); `bench/run.py`
calls `bench_triage()` after its own steps. Every step is bounded: fixed counts and
durations, a timeout on each child process and request. BENCH_TRIAGE_USERS and
BENCH_TRIAGE_SECONDS change the sizes; BENCH_TRIAGE_FAQ_REPEAT the passes of E.
"""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import booking  # server, CPU and report helpers of the agenda benchmark
import httpx
import psycopg
import results  # django_setup, query_kind, PageTimes, ensure_database
import run  # the helpers and the database of `make bench`
import summary  # the table at the top of BENCHMARKS.md

PRACTICE = "regio-001"
USERS = int(os.environ.get("BENCH_TRIAGE_USERS", "50"))
SECONDS = float(os.environ.get("BENCH_TRIAGE_SECONDS", "30"))
THINK_SECONDS = (0.5, 2.0)  # after every page, per visitor
WORKERS = booking.WORKERS
REQUEST_TIMEOUT = 30.0
CHILD_TIMEOUT = 600
GZIP_LEVEL = 6  # what a reverse proxy uses by default (nginx gzip_comp_level, Caddy)
TARGET_STEP_P95_MS = 100.0
TARGET_FIRST_LOAD_KB = 50.0  # kB of 1,000 bytes
FAQ_REPEAT = int(os.environ.get("BENCH_TRIAGE_FAQ_REPEAT", "20"))  # timed passes
FAQ_BUILDS = 5
FAQ_SETS = Path(__file__).resolve().parents[1] / "tests" / "triage" / "test_assistant.py"
TARGET_FAQ_PRACTICAL = 90.0  # % of the practical questions answered from the right entry
TARGET_FAQ_MEDICAL = 100.0  # % of the medical questions sent to self-triage or 112
TARGET_FAQ_REPLY_P95_MS = 200.0
INDEX = f"/widget/{PRACTICE}/zelftriage/"
SCRIPT = f"/widget/{PRACTICE}/zelftriage.js"
PUBLIC_INDEX = f"/p/{PRACTICE}/zelftriage/"
STEP_PATH = re.compile(r"/widget/[^/]+/zelftriage/klacht/[0-9a-f-]{36}/")
OUTCOME_PATH = re.compile(r"/widget/[^/]+/zelftriage/uitkomst/[0-9a-f-]{36}/")
STEP_LINK = re.compile(r'href="(/widget/[^/"]+/zelftriage/klacht/[0-9a-f-]{36}/)"')
ANSWER = re.compile(r'name="antwoord" value="(\d+)"')
WALK = re.compile(r'name="a" value="([0-9.]*)"')
ACTION = re.compile(r'<form method="post" action="([^"]+)"')
# The kinds of request, in the report's order; the first four are the steps.
STEP_KINDS = ("first", "answer", "final", "outcome")
KINDS = {
    "index": "complaint list (GET)",
    "first": "first question (GET)",
    "answer": "an answer, next question (POST, 200)",
    "final": "last answer, session stored (POST, 302)",
    "outcome": "outcome page (GET)",
    "healthz": "`/healthz` (baseline)",
}


# --- In Django (child process) -------------------------------------------------------------


def sample_walks(flow: Any) -> tuple[int | None, str, int, str]:
    """For the one-worker and query rows: an answer to the first question that leads on
    (None if every one ends the walk), and a whole walk (answers before the last, the
    last answer, its outcome's urgency), preferring self-care and the longest."""
    start = flow.questions[flow.document.start]
    going = next((i for i, answer in enumerate(start.answers) if answer.next), None)
    endings: list[tuple[list[int], int, str]] = []
    stack: list[tuple[list[int], Any]] = [([], start)]
    while stack and len(endings) < 10_000:
        walk, question = stack.pop()
        for number, answer in enumerate(question.answers):
            if answer.outcome is not None:
                endings.append((walk, number, flow.outcomes[answer.outcome].urgency.value))
            else:
                stack.append(([*walk, number], flow.questions[answer.next]))
    walk, last, urgency = max(endings, key=lambda end: (end[2], len(end[0])))
    return going, ".".join(str(n) for n in walk), last, urgency


def queries_in_django() -> dict[str, Any]:
    """(Child process.) Part A: queries per request, and the requests B measures."""
    results.django_setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from spreekuur.core.models import Practice
    from spreekuur.triage import selectors

    practice = Practice.objects.filter(slug=PRACTICE).first()
    if practice is None:
        raise SystemExit(f"the triage benchmark needs the region practice {PRACTICE}")
    offered = selectors.offered_flows(practice)
    if not offered:
        raise SystemExit(f"{PRACTICE} offers no complaint for self-triage")
    item = offered[0]
    step = f"/widget/{PRACTICE}/zelftriage/klacht/{item.row.public_id}/"
    going, walk, last, urgency = sample_walks(item.flow)
    requests: list[dict[str, Any]] = [
        {"kind": "index", "method": "GET", "path": INDEX, "data": None, "status": 200},
        {"kind": "first", "method": "GET", "path": step, "data": None, "status": 200},
    ]
    if going is not None:
        answer = {"a": "", "antwoord": str(going)}
        requests.append(
            {"kind": "answer", "method": "POST", "path": step, "data": answer, "status": 200}
        )
    final = {"a": walk, "antwoord": str(last)}
    requests.append({"kind": "final", "method": "POST", "path": step, "data": final, "status": 302})
    client = Client()  # these pages set no cookie; none is sent
    rows = []
    outcome = ""
    for request in requests:

        def send(request: dict[str, Any] = request) -> Any:
            if request["method"] == "GET":
                return client.get(request["path"])
            return client.post(request["path"], request["data"])

        send()  # warm-up (the final one stores a session too)
        with CaptureQueriesContext(connection) as captured:
            response = send()
        if request["kind"] == "final":
            outcome = response.get("Location", "")
        rows.append(counted(request, response.status_code, captured.captured_queries))
    outcome_request = {
        "kind": "outcome",
        "method": "GET",
        "path": outcome,
        "data": None,
        "status": 200,
    }
    client.get(outcome)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(outcome)
    rows.append(counted(outcome_request, response.status_code, captured.captured_queries))
    return {
        "flows": [str(o.row.public_id) for o in offered],
        "title": item.flow.document.title,
        "urgency": urgency,
        "requests": rows,
        "stored": 2,  # the final answer and its warm-up
    }


def counted(request: dict[str, Any], status: int, captured: list[dict[str, Any]]) -> dict[str, Any]:
    sql = [q["sql"] for q in captured]
    plain = [s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE"))]
    return {
        **request,
        "got": status,
        "queries": len(sql),
        "plain_queries": len(plain),
        "kinds": [results.query_kind(s) for s in plain],
    }


def question_sets() -> Any:
    """tests/triage/test_assistant.py loaded from its path (its docstring lets a benchmark
    use the question sets): PRACTICAL_ROUND_1..3, MEDICAL, EMERGENCY, OFF_TOPIC, FACTS."""
    spec = importlib.util.spec_from_file_location("faq_question_sets", FAQ_SETS)
    if spec is None or spec.loader is None:
        raise SystemExit(f"no question sets at {FAQ_SETS}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def judged(assistant: Any, sets: Any) -> list[dict[str, Any]]:
    """Every set asked once, judged as the tests judge it: (key, label, what counts,
    questions, correct, the ones that were not)."""
    from spreekuur.triage.assistant import ReplyKind

    triaged = (ReplyKind.MEDICAL, ReplyKind.EMERGENCY)
    rows: list[dict[str, Any]] = []

    def add(
        key: str,
        label: str,
        judge: str,
        asked: list[tuple[str, str | None]],
        right: Callable[[Any, str | None], bool],
    ) -> None:
        misses = []
        for question, expected in asked:
            reply = assistant.reply(question)
            if not right(reply, expected):
                misses.append([question, expected, reply.kind.name, reply.entry_key])
        rows.append(
            {
                "key": key,
                "set": label,
                "judge": judge,
                "questions": len(asked),
                "correct": len(asked) - len(misses),
                "misses": misses,
            }
        )

    def entry(reply: Any, expected: str | None) -> bool:
        return bool(reply.entry_key == expected)

    rounds = [
        ("round1", "practical, round 1 (tuning)", sets.PRACTICAL_ROUND_1),
        ("round2", "practical, round 2", sets.PRACTICAL_ROUND_2),
        ("round3", "practical, round 3 (written blind)", sets.PRACTICAL_ROUND_3),
    ]
    for key, label, questions in rounds:
        add(key, label, "from the expected entry", list(questions), entry)
    add("practical", "practical, all rounds", "from the expected entry", sets.PRACTICAL, entry)
    add(
        "medical",
        "medical (with the emergencies)",
        "to self-triage or 112",
        [(q, None) for q in sets.MEDICAL],
        lambda reply, _e: reply.kind in triaged,
    )
    add(
        "emergency",
        "of which emergencies",
        "to 112 (or 113)",
        [(q, None) for q in sets.EMERGENCY],
        lambda reply, _e: reply.kind == ReplyKind.EMERGENCY,
    )
    add(
        "off_topic",
        "off-topic (no target)",
        '"I don\'t know"',
        [(q, None) for q in sets.OFF_TOPIC],
        lambda reply, _e: reply.kind == ReplyKind.UNKNOWN,
    )
    return rows


def timings(values: list[float]) -> dict[str, float]:
    """Count, p50, p95, p99 and max of times in ms."""
    return {
        "n": len(values),
        "p50": run.percentile(values, 0.5),
        "p95": run.percentile(values, 0.95),
        "p99": run.percentile(values, 0.99),
        "max": max(values),
    }


def reply_times(
    ask: Callable[[str], Any], asked: list[tuple[str, str]]
) -> dict[str, dict[str, float]]:
    """`ask` timed on every (set, question): one pass (the first reply of each question,
    the warm-up), then FAQ_REPEAT passes; the times per set and of all ('all'), and the
    first pass's ('first')."""
    first: list[float] = []
    for _set, question in asked:
        started = time.perf_counter()
        ask(question)
        first.append((time.perf_counter() - started) * 1000)
    by_set: dict[str, list[float]] = {"all": []}
    for _ in range(FAQ_REPEAT):
        for name, question in asked:
            started = time.perf_counter()
            ask(question)
            elapsed = (time.perf_counter() - started) * 1000
            by_set.setdefault(name, []).append(elapsed)
            by_set["all"].append(elapsed)
    return {"first": timings(first)} | {name: timings(ms) for name, ms in by_set.items()}


def assistant_in_django() -> dict[str, Any]:
    """(Child process.) Part E: the FAQ assistant's accuracy and reply time, in-process,
    then the region practice's own assistant through Django."""
    results.django_setup()  # the replies' texts are translated
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from spreekuur.core.models import Practice
    from spreekuur.triage.assistant import DEFAULT_FAQ, Assistant
    from spreekuur.triage.faq import assistant_for

    sets = question_sets()
    builds = []
    for _ in range(FAQ_BUILDS):
        started = time.perf_counter()
        assistant = Assistant(DEFAULT_FAQ, sets.FACTS)
        builds.append((time.perf_counter() - started) * 1000)
    asked = (
        [("practical", q) for q, _key in sets.PRACTICAL]
        + [("medical", q) for q in sets.MEDICAL]
        + [("off_topic", q) for q in sets.OFF_TOPIC]
    )
    found = judged(assistant, sets)
    replies = reply_times(assistant.reply, asked)
    retrieval = reply_times(assistant.best_match, asked)

    practice = Practice.objects.filter(slug=PRACTICE).first()
    if practice is None:
        raise SystemExit(f"the triage benchmark needs the region practice {PRACTICE}")
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as cold:
        own = assistant_for(practice)  # built now: its answers, facts and index
    cold_ms = (time.perf_counter() - started) * 1000
    with CaptureQueriesContext(connection) as warm:
        assistant_for(practice)
    django_replies = reply_times(lambda question: assistant_for(practice).reply(question), asked)
    return {
        "entries": len(DEFAULT_FAQ),
        "repeat": FAQ_REPEAT,
        "build_ms": builds,
        "sets": found,
        "reply": replies,
        "retrieval": retrieval,
        "django": {
            "practice": PRACTICE,
            "entries": len(own.entries),
            "build_ms": cold_ms,
            "build_queries": len(cold.captured_queries),
            "queries": len(warm.captured_queries),
            "sets": judged(own, sets),
            "reply": django_replies,
        },
    }


def child(flag: str, env: dict[str, str]) -> dict[str, Any]:
    """Run this file with `flag` in a child process (results.child's way, this file)."""
    return results.run_child(__file__, flag, env, timeout=CHILD_TIMEOUT)


# --- One worker: sequential requests and the first load ------------------------------------


def sequential(client: httpx.Client, request: dict[str, Any]) -> results.PageTimes:
    """5 warm-ups, then run.REQUESTS_PER_PAGE requests one after another; an answer other
    than the expected status is an error."""
    times = results.PageTimes()

    def send() -> httpx.Response:
        if request["method"] == "GET":
            return client.get(request["path"])
        return client.post(request["path"], data=request["data"])

    for _ in range(5):
        send()
    for _ in range(run.REQUESTS_PER_PAGE):
        started = time.perf_counter()
        try:
            response = send()
        except httpx.HTTPError:
            times.ms.append((time.perf_counter() - started) * 1000)
            times.errors += 1
            continue
        times.ms.append((time.perf_counter() - started) * 1000)
        times.errors += response.status_code != request["status"]
    return times


@dataclass
class Resource:
    """One response of a page's first load: its body as it came and as it travels."""

    page: str  # "widget" or "public"
    path: str
    kind: str  # embed script, document, stylesheet, script, image, ...
    status: int
    raw: int  # bytes of the body, uncompressed
    wire: int  # bytes of the body gzip-compressed (or as received, if the server did)
    sent_gzip: bool  # the server sent it gzip-compressed itself


class References(HTMLParser):
    """The stylesheets, scripts, icons and images a document makes the browser fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and values.get("href"):
            rel = values.get("rel", "").lower().split()
            fetched = {"stylesheet", "icon", "preload", "modulepreload", "apple-touch-icon"}
            if fetched & set(rel):
                kind = "stylesheet" if "stylesheet" in rel else "link " + " ".join(rel)
                self.found.append((kind, values["href"]))
        elif tag == "script" and values.get("src"):
            self.found.append(("script", values["src"]))
        elif tag in ("img", "source", "input") and values.get("src"):
            self.found.append(("image", values["src"]))


CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


def fetch(client: httpx.Client, path: str) -> tuple[int, bytes, int, bool]:
    """(status, body, bytes over the wire, sent gzipped) of one GET that accepts gzip."""
    with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
        body = b"".join(response.iter_raw())
    if response.headers.get("content-encoding", "").lower() == "gzip":
        return response.status_code, gzip.decompress(body), len(body), True
    compressed = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    return response.status_code, body, len(compressed), False


def first_load(
    client: httpx.Client, page: str, document: str, script: str | None
) -> tuple[list[Resource], list[str]]:
    """The responses of a page's first load (the embed script first, if any), and what it
    points at elsewhere (not fetched: another site)."""
    base = str(client.base_url)
    queue: list[tuple[str, str]] = ([("embed script", script)] if script else []) + [
        ("document", document)
    ]
    seen: set[str] = set()
    found: list[Resource] = []
    elsewhere: list[str] = []
    while queue and len(found) < 100:
        kind, path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        status, body, wire, sent_gzip = fetch(client, path)
        found.append(Resource(page, path, kind, status, len(body), wire, sent_gzip))
        if kind == "document":
            parser = References()
            parser.feed(body.decode(errors="replace"))
            refs = parser.found
        elif kind == "stylesheet":
            refs = [
                ("stylesheet" if match.group(4) else "image", match.group(2) or match.group(4))
                for match in CSS_URL.finditer(body.decode(errors="replace"))
            ]
        else:
            refs = []
        for ref_kind, ref in refs:
            if ref.startswith(("data:", "#", "about:", "tel:", "mailto:")):
                continue  # inline: already in the bytes that hold it
            url = urlsplit(urljoin(base + path, ref))
            if url.netloc != urlsplit(base).netloc:
                elsewhere.append(ref)
                continue
            queue.append((ref_kind, url.path + (f"?{url.query}" if url.query else "")))
    return found, elsewhere


@dataclass
class OneWorker:
    rows: list[tuple[str, results.PageTimes]]  # (kind, times); /healthz first
    resources: list[Resource]
    elsewhere: list[str]


def one_worker(env: dict[str, str], requests: list[dict[str, Any]]) -> OneWorker:
    """Parts B and C on one gunicorn worker (no access log)."""
    server, base = booking.start_one_worker(booking.server_env(env))
    try:
        with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT, trust_env=False) as client:
            healthz = {"kind": "healthz", "method": "GET", "path": "/healthz", "data": None}
            rows = [("healthz", sequential(client, {**healthz, "status": 200}))]
            for request in requests:
                if request["kind"] == "outcome":
                    # An outcome of this server's own: the last answer, once more.
                    final = next(r for r in requests if r["kind"] == "final")
                    answer = client.post(final["path"], data=final["data"])
                    request = {**request, "path": answer.headers.get("location", "")}
                rows.append((request["kind"], sequential(client, request)))
            widget, elsewhere = first_load(client, "widget", INDEX, SCRIPT)
            public, more = first_load(client, "public", PUBLIC_INDEX, None)
        return OneWorker(rows, widget + public, elsewhere + more)
    finally:
        booking.stop_server(server)


# --- Many visitors at once (this process, asyncio) -----------------------------------------


@dataclass
class Phase:
    """One concurrent phase: latencies per kind of request, and what the workers saw."""

    what: str  # "triage" or "healthz"
    think: bool
    seconds: float = 0.0
    samples: dict[str, booking.Samples] = field(default_factory=dict)
    server_ms: dict[str, list[float]] = field(default_factory=dict)
    cpu: booking.CpuShare | None = None
    walks: int = 0  # walks that reached their outcome page
    cookies: int = 0  # responses that set a cookie (the widget should set none)
    stored_before: int = 0
    stored_after: int = 0

    def kind(self, name: str) -> booking.Samples:
        return self.samples.setdefault(name, booking.Samples())

    def steps(self) -> booking.Samples:
        merged = booking.Samples()
        for name in STEP_KINDS:
            if name in self.samples:
                merged.merge(self.samples[name])
        return merged

    @property
    def finals(self) -> int:
        return self.samples["final"].outcomes["ok"] if "final" in self.samples else 0

    @property
    def stored(self) -> int:
        return self.stored_after - self.stored_before


def check(kind: str, response: httpx.Response) -> str:
    """'' for the expected answer to this kind of request, else what was wrong."""
    status = response.status_code
    if kind == "final":
        location = response.headers.get("location", "")
        return "" if OUTCOME_PATH.fullmatch(location) else f"HTTP 302 to {location[:40]}"
    if status != 200:
        return f"HTTP {status} ({kind})"
    if kind == "index" and not STEP_LINK.search(response.text):
        return "no complaint on the list"
    if kind in ("first", "answer") and not (
        ANSWER.search(response.text) and WALK.search(response.text)
    ):
        return f"no question on the page ({kind})"
    return ""


async def timed(phase: Phase, kind: str, send: Awaitable[httpx.Response]) -> httpx.Response | None:
    """One timed request; the response if it was the expected one. A POST answered with
    a redirect is the last answer ('final')."""
    started = time.perf_counter()
    try:
        response = await send
    except httpx.HTTPError as error:
        samples = phase.kind(kind)
        samples.add(started, "transport")
        samples.unexpected[type(error).__name__] += 1
        return None
    if kind == "answer" and response.status_code == 302:
        kind = "final"
    samples = phase.kind(kind)
    wrong = check(kind, response)
    samples.add(started, "ok" if not wrong else "5xx" if response.status_code >= 500 else "other")
    phase.cookies += "set-cookie" in response.headers
    if wrong:
        samples.unexpected[wrong] += 1
        return None
    return response


async def visitor(
    http: httpx.AsyncClient, phase: Phase, deadline: float, rng: random.Random
) -> None:
    """One anonymous visitor of the widget: complaint list, a complaint at random, its
    questions answered at random, the outcome page; again until the deadline. Visitors
    start spread over the first think time, not all in the same millisecond."""

    async def read() -> bool:
        """The think time (if any); False once the phase is over."""
        if phase.think:
            await asyncio.sleep(rng.uniform(*THINK_SECONDS))
        return time.perf_counter() < deadline

    await asyncio.sleep(rng.uniform(0, THINK_SECONDS[1]))
    while time.perf_counter() < deadline:
        listing = await timed(phase, "index", http.get(INDEX))
        if not await read() or listing is None:
            continue
        page = await timed(phase, "first", http.get(rng.choice(STEP_LINK.findall(listing.text))))
        while page is not None and page.status_code == 200:
            if not await read():
                return
            walk = WALK.search(page.text)
            action = ACTION.search(page.text)
            form = {
                "a": walk.group(1) if walk else "",
                "antwoord": rng.choice(ANSWER.findall(page.text)),
            }
            target = action.group(1) if action else str(page.url.path)
            page = await timed(phase, "answer", http.post(target, data=form))
        if page is None:
            await read()
            continue
        # The redirect, followed at once as a browser does.
        outcome = await timed(phase, "outcome", http.get(page.headers["location"]))
        phase.walks += outcome is not None
        await read()


async def prober(
    http: httpx.AsyncClient, phase: Phase, deadline: float, rng: random.Random
) -> None:
    """The baseline's visitor: /healthz, with the same think time, until the deadline."""
    await asyncio.sleep(rng.uniform(0, THINK_SECONDS[1]))
    while time.perf_counter() < deadline:
        await timed(phase, "healthz", http.get("/healthz"))
        if phase.think:
            await asyncio.sleep(rng.uniform(*THINK_SECONDS))


def server_kind(method: str, path: str, status: str) -> str:
    if path == "/healthz":
        return "healthz"
    if path == INDEX:
        return "index"
    if STEP_PATH.fullmatch(path):
        return "first" if method == "GET" else "final" if status == "302" else "answer"
    if OUTCOME_PATH.fullmatch(path):
        return "outcome"
    return ""


def server_ms(access_log: Path, start: int, end: int) -> dict[str, list[float]]:
    """Milliseconds in the worker per kind of request, from a slice of gunicorn's access
    log (deploy/gunicorn.conf.py: method, path, status, microseconds)."""
    with access_log.open("rb") as handle:
        handle.seek(start)
        text = handle.read(end - start).decode(errors="replace")
    found: dict[str, list[float]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3].isdigit():
            kind = server_kind(*parts[:3])
            if kind:
                found.setdefault(kind, []).append(int(parts[3]) / 1000)
    if found:
        found["step"] = [ms for kind in STEP_KINDS for ms in found.get(kind, [])]
    return found


def stored_sessions(db: psycopg.Connection[Any]) -> int:
    row = db.execute(
        "SELECT count(*) FROM triage_triagesession WHERE practice_id = "
        "(SELECT id FROM core_practice WHERE slug = %s)",
        [PRACTICE],
    ).fetchone()
    return int(row[0]) if row else 0


async def concurrent_phases(env: dict[str, str], logs: Path) -> list[Phase]:
    """Part D: the triage with and without think time, each followed by /healthz with
    the same number of users and the same think time."""
    access_log, error_log = logs / "access.log", logs / "error.log"
    access_log.touch()
    server, base = booking.start_server(env, access_log, error_log)
    # No keep-alive: sync workers close after every answer anyway (as results.py).
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=USERS + 10, max_keepalive_connections=0)
    )
    clients = [
        httpx.AsyncClient(
            base_url=base, transport=transport, timeout=REQUEST_TIMEOUT, trust_env=False
        )
        for _ in range(USERS)
    ]
    try:
        own = [os.getpid(), server.pid, *booking.worker_pids(server)]
        warm = Phase("warm-up", think=False)
        for client in clients[:8]:  # every worker has served the pages once
            listing = await timed(warm, "index", client.get(INDEX))
            if listing is None:
                raise RuntimeError(f"the widget's list does not answer: {warm.samples}")
            await client.get(STEP_LINK.findall(listing.text)[0])
        phases = []
        with psycopg.connect(run.database_url(), autocommit=True) as db:
            for think in (True, False):
                for what in ("triage", "healthz"):
                    phase = Phase(what, think)
                    user = visitor if what == "triage" else prober
                    phase.stored_before = stored_sessions(db)
                    offset = access_log.stat().st_size
                    before = booking.cpu_sample(own)
                    started = time.perf_counter()
                    deadline = started + SECONDS
                    await asyncio.wait_for(
                        asyncio.gather(
                            *(
                                user(client, phase, deadline, random.Random(f"{what}{index}"))
                                for index, client in enumerate(clients)
                            )
                        ),
                        timeout=SECONDS + 4 * REQUEST_TIMEOUT,
                    )
                    phase.seconds = time.perf_counter() - started
                    phase.cpu = booking.cpu_share(before, booking.cpu_sample(own))
                    phase.stored_after = stored_sessions(db)
                    await asyncio.sleep(0.5)  # let gunicorn flush its access log
                    phase.server_ms = server_ms(access_log, offset, access_log.stat().st_size)
                    phases.append(phase)
                    shown = phase.steps() if what == "triage" else phase.kind("healthz")
                    print(
                        f"  {USERS} users, {what}, {'with' if think else 'without'} think "
                        f"time: {sum(len(s.ms) for s in phase.samples.values())} requests, "
                        f"{'step' if what == 'triage' else '/healthz'} p95 "
                        f"{shown.pct(0.95):.0f} ms, errors "
                        f"{sum(s.errors for s in phase.samples.values())}",
                        flush=True,
                    )
        return phases
    finally:
        for client in clients:
            await client.aclose()
        await transport.aclose()
        booking.stop_server(server)
        booking.report_server_errors(error_log)


# --- The whole benchmark and its report -----------------------------------------------------


def describe_database() -> str:
    with psycopg.connect(run.database_url()) as db:
        row = db.execute(
            "SELECT (SELECT count(*) FROM core_practice), (SELECT count(*) FROM patients_patient),"
            " (SELECT count(*) FROM triage_complaintflow),"
            " (SELECT count(*) FROM triage_triagesession)"
        ).fetchone()
    assert row is not None
    return (
        f"{row[0]:,} practices, {row[1]:,} patients, {row[2]:,} complaint flow versions, "
        f"{row[3]:,} stored triages before this run"
    )


@dataclass
class Results:
    queries: dict[str, Any]
    worker: OneWorker
    phases: list[Phase]
    database: str
    code: str
    assistant: dict[str, Any]  # part E, as assistant_in_django returned it
    seconds: float = 0.0

    def phase(self, what: str, think: bool) -> Phase:
        return next(p for p in self.phases if p.what == what and p.think == think)

    def load(self, page: str) -> tuple[int, int]:
        """(raw, over the wire) bytes of a page's first load."""
        shown = [r for r in self.worker.resources if r.page == page]
        return sum(r.raw for r in shown), sum(r.wire for r in shown)

    @property
    def load_errors(self) -> int:
        return sum(r.status != 200 for r in self.worker.resources)

    @property
    def step_errors(self) -> int:
        return sum(s.errors for p in self.phases if p.what == "triage" for s in p.samples.values())

    def query_counts(self) -> dict[str, int]:
        return {row["kind"]: row["plain_queries"] for row in self.queries["requests"]}

    def faq(self, key: str, *, own: bool = False) -> dict[str, Any]:
        """One question set as the assistant did (`own`: the practice's own assistant)."""
        found = self.assistant["django"]["sets"] if own else self.assistant["sets"]
        return next(row for row in found if row["key"] == key)

    @property
    def faq_reply_p95(self) -> float:
        return float(self.assistant["reply"]["all"]["p95"])

    @property
    def faq_django_p95(self) -> float:
        return float(self.assistant["django"]["reply"]["all"]["p95"])

    @property
    def faq_retrieval_p95(self) -> float:
        return float(self.assistant["retrieval"]["all"]["p95"])

    @property
    def faq_reply_ok(self) -> bool:
        return max(self.faq_reply_p95, self.faq_django_p95) <= TARGET_FAQ_REPLY_P95_MS


def bench_triage(env: dict[str, str], *, when: str | None = None) -> str:
    """Run every part against the bench database; append the section to BENCHMARKS.md."""
    when = when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    began = time.perf_counter()
    code = booking.code_version()
    database = describe_database()
    print("triage benchmark: queries per step (in-process) ...", flush=True)
    queries = child("--queries", env)
    print(
        "  queries: "
        + ", ".join(f"{row['kind']} {row['plain_queries']}" for row in queries["requests"]),
        flush=True,
    )
    print("  the FAQ assistant: the test questions (in-process) ...", flush=True)
    assistant = child("--assistant", env)
    print(
        "  FAQ assistant: "
        + ", ".join(
            f"{row['set']} {row['correct']}/{row['questions']}" for row in assistant["sets"]
        )
        + f"; reply p95 {fine_ms(assistant['reply']['all']['p95'])} ms, through Django "
        + f"{fine_ms(assistant['django']['reply']['all']['p95'])} ms",
        flush=True,
    )
    print("  one worker: sequential requests, the widget's first load ...", flush=True)
    worker = one_worker(env, queries["requests"])
    print(f"  {USERS} visitors at once, {WORKERS} workers, {SECONDS:.0f} s a phase ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="spreekuur-bench-") as logs:
        phases = asyncio.run(concurrent_phases(env, Path(logs)))
    outcome = Results(queries, worker, phases, database, code, assistant)
    outcome.seconds = time.perf_counter() - began
    text = report(outcome, when)
    summary.publish(text, lambda: figures(outcome), bench="triage", when=when)
    return text


def ms(value: float) -> str:
    return booking.ms(value)


def kb(value: float) -> str:
    return f"{value / 1000:.1f}"


def fine_ms(value: float) -> str:
    """ms with two decimals below 10 ms: a reply of the assistant takes a fraction of one."""
    return f"{value:.2f}" if value < 10 else booking.ms(value)


def share(row: dict[str, Any]) -> float:
    """The share (%) of a question set the assistant got right."""
    return 100.0 * row["correct"] / row["questions"] if row["questions"] else float("nan")


def counted_right(row: dict[str, Any]) -> str:
    return f"{row['correct']}/{row['questions']} = {share(row):.1f} %"


def faq_section(r: Results) -> list[str]:
    """Part E: the assistant's question sets and reply times."""
    e = r.assistant
    own = e["django"]
    lines = [
        "### The FAQ assistant: the test questions of `tests/triage/test_assistant.py`\n",
        f"`Assistant(DEFAULT_FAQ, FACTS)` ({e['entries']} entries) as the tests build it, in "
        "a child process with Django set up (the replies are translated), and the practice's "
        f"own assistant (`faq.assistant_for`, `{own['practice']}`: {own['entries']} entries, "
        "its answers and facts from the database). Judged as the tests judge: a practical "
        "question is right when the reply comes from the expected entry, a medical one when "
        "it goes to self-triage or 112, an off-topic one when the assistant says it does not "
        "know.\n",
        f"| set | right when | questions | correct | share | `{own['practice']}`'s own |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in e["sets"]:
        theirs = r.faq(row["key"], own=True)
        lines.append(
            f"| {row['set']} | {row['judge']} | {row['questions']} | {row['correct']} "
            f"| {share(row):.1f} % | {theirs['correct']}/{theirs['questions']} |"
        )
    lines += [
        "",
        f"Reply times: every question once (the first reply, the warm-up), then {e['repeat']} "
        "passes over all of them, timed one by one (time.perf_counter). Baseline: the "
        "retrieval alone (`Assistant.best_match`: the question's words matched to the FAQ's "
        "and scored by bm25s, without the emergency and medical checks and the reply's "
        "text). Through Django: `assistant_for(practice).reply(question)` as the chat view "
        "asks it, the practice already loaded.\n",
        "| asked of | questions | replies | p50 ms | p95 ms | p99 ms | max ms "
        "| first reply p95 / max ms |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    timed = [
        ("`Assistant.reply`", e["reply"], ("all", "practical", "medical", "off_topic")),
        ("`Assistant.best_match` (baseline)", e["retrieval"], ("all",)),
        ("`assistant_for(practice).reply`", own["reply"], ("all",)),
    ]
    names = {"all": "all", "practical": "practical", "medical": "medical", "off_topic": "off-topic"}
    for label, by_set, shown in timed:
        first = by_set["first"]
        for name in shown:
            t = by_set[name]
            lines.append(
                f"| {label} | {names[name]} | {t['n']:,} | {fine_ms(t['p50'])} "
                f"| {fine_ms(t['p95'])} | {fine_ms(t['p99'])} | {fine_ms(t['max'])} "
                + (
                    f"| {fine_ms(first['p95'])} / {fine_ms(first['max'])} |"
                    if name == "all"
                    else "| |"
                )
            )
    builds = sorted(e["build_ms"])
    lines += [
        "",
        f"Building the assistant (its index): median {fine_ms(builds[len(builds) // 2])} ms, "
        f"max {fine_ms(builds[-1])} ms of {len(builds)} builds. The practice's own, the first "
        f"time it is asked for: {fine_ms(own['build_ms'])} ms ({own['build_queries']} "
        f"queries); after that {own['queries']} query a question to know it is still "
        "current.\n",
    ]
    wrong = [
        f"{question!r} ({row['set']}: expected {expected or row['judge']}, got "
        f"{kind.lower()}{f' {entry}' if entry else ''})"
        for row in e["sets"]
        if row["key"] not in ("practical",)
        for question, expected, kind, entry in row["misses"]
    ]
    lines.append(
        "Not as expected: " + ("; ".join(wrong) if wrong else "none") + ".",
    )
    return lines


def report(r: Results, when: str) -> str:
    think, busy = r.phase("triage", True), r.phase("triage", False)
    probe_think, probe_busy = r.phase("healthz", True), r.phase("healthz", False)
    step_p95 = think.steps().pct(0.95)
    healthz_p95 = probe_think.kind("healthz").pct(0.95)
    widget_raw, widget_wire = r.load("widget")
    public_raw, public_wire = r.load("public")
    counts = r.query_counts()
    sequential_healthz = r.worker.rows[0][1]
    load_ok = widget_wire <= TARGET_FIRST_LOAD_KB * 1000 and r.load_errors == 0
    practical, medical = r.faq("practical"), r.faq("medical")
    lines = [
        f"\n## Self-triage — the widget's steps and first load, the FAQ assistant — {when}\n",
        f"Machine: {run.machine()}. Code: {r.code}.\n",
        f"Database `{run.BENCH_DB}`: {r.database}. Practice `{PRACTICE}`, complaint "
        f"{r.queries['title']!r} ({len(r.queries['flows'])} offered). Whole benchmark: "
        f"{r.seconds:.0f} s.\n",
        "| target | measured | |",
        "|---|---|---|",
        f"| a triage step's p95 at most {TARGET_STEP_P95_MS:.0f} ms at {USERS} concurrent "
        f"anonymous users | {ms(step_p95)} ms with think time ({ms(busy.steps().pct(0.95))} ms "
        f"without); `/healthz` at the same concurrency {ms(healthz_p95)} ms "
        f"({step_p95 / healthz_p95:.1f}x), alone on one worker "
        f"{ms(sequential_healthz.pct(0.95))} ms; errors {r.step_errors} "
        f"| {booking.passed(step_p95 <= TARGET_STEP_P95_MS and r.step_errors == 0)} |",
        f"| the widget's first load at most {TARGET_FIRST_LOAD_KB:.0f} kB over the wire "
        f"| {kb(widget_wire)} kB (gzip {GZIP_LEVEL}; {kb(widget_raw)} kB uncompressed); the "
        f"practice page's self-triage {kb(public_wire)} kB ({widget_wire / public_wire:.2f}x) "
        f"| {booking.passed(load_ok)} |",
        "| queries per step (no target) | "
        + ", ".join(f"{KINDS[kind]} {count}" for kind, count in counts.items())
        + " | — |",
        f"| at least {TARGET_FAQ_PRACTICAL:.0f} % of the Dutch practical test questions "
        f"answered by the FAQ assistant from the right entry | {counted_right(practical)} "
        f"(round 3, written blind: {counted_right(r.faq('round3'))}); `{PRACTICE}`'s own "
        f"assistant {counted_right(r.faq('practical', own=True))} "
        f"| {booking.passed(share(practical) >= TARGET_FAQ_PRACTICAL)} |",
        f"| {TARGET_FAQ_MEDICAL:.0f} % of the medical test questions sent to self-triage or 112 "
        f"| {counted_right(medical)} (emergencies to 112: {r.faq('emergency')['correct']}/"
        f"{r.faq('emergency')['questions']}); off-topic not known (no target): "
        f"{r.faq('off_topic')['correct']}/{r.faq('off_topic')['questions']} "
        f"| {booking.passed(share(medical) >= TARGET_FAQ_MEDICAL)} |",
        f"| the FAQ assistant's reply p95 at most {TARGET_FAQ_REPLY_P95_MS:.0f} ms "
        f"| {fine_ms(r.faq_reply_p95)} ms in-process ({r.faq_reply_p95 / r.faq_retrieval_p95:.1f}x "
        f"the retrieval alone, {fine_ms(r.faq_retrieval_p95)} ms); through Django "
        f"(`assistant_for` and the reply) {fine_ms(r.faq_django_p95)} ms "
        f"| {booking.passed(r.faq_reply_ok)} |",
        "",
        f"### One gunicorn worker, {run.REQUESTS_PER_PAGE} sequential requests each\n",
        f"The widget of `{PRACTICE}`, no cookies. The answer: the first question answered so "
        "that another question follows; the last answer: a whole walk ending in "
        f"{r.queries['urgency']} (each one stores a session). Queries: the same request "
        "in-process (Django's test client, after a warm-up request), without / with "
        "SAVEPOINT and RELEASE.\n",
        "| request | p50 ms | p95 ms | p99 ms | p95 / baseline | queries | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    by_kind = {row["kind"]: row for row in r.queries["requests"]}
    base_p95 = sequential_healthz.pct(0.95)
    for kind, times in r.worker.rows:
        row = by_kind.get(kind)
        queries = f"{row['plain_queries']} / {row['queries']}" if row else "—"
        lines.append(
            f"| {KINDS[kind]} | {ms(times.pct(0.5))} | {ms(times.pct(0.95))} "
            f"| {ms(times.pct(0.99))} | {times.pct(0.95) / base_p95:.1f}x "
            f"| {queries} | {times.errors} |"
        )
    kinds = Counter(kind for row in r.queries["requests"] for kind in row["kinds"])
    lines += [
        "",
        "Queries of these requests, all together: "
        + ", ".join(f"{kind} {count}" for kind, count in kinds.most_common())
        + ".\n",
        f"### {USERS} anonymous visitors at once, gunicorn {WORKERS} sync workers, "
        f"{SECONDS:.0f} s per phase\n",
        "Each visitor (no cookies, no CSRF token) opens the complaint list, picks a complaint "
        "at random, answers its questions at random one by one (POST, the answers so far in "
        "the form) until the last answer redirects to the outcome page, opens that, and "
        f"starts again; with a think time of {THINK_SECONDS[0]}-{THINK_SECONDS[1]} s after "
        "every page, then without (saturation). Baseline: as many users asking `/healthz`, "
        "with the same think time, right after. A step: the first question, an answer, the "
        "last answer or the outcome page. Load generator, gunicorn and PostgreSQL share the "
        "machine.\n",
        "| phase | request | requests | per s | p50 ms | p95 | p99 | max | in worker p95 "
        "| errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in r.phases:
        name = "think time" if phase.think else "no think time"
        rows: list[tuple[str, booking.Samples, str]] = []
        if phase.what == "triage":
            rows.append(("**every step**", phase.steps(), "step"))
            rows += [
                (KINDS[k], phase.samples[k], k)
                for k in ("index", *STEP_KINDS)
                if k in phase.samples
            ]
        else:
            rows.append((KINDS["healthz"], phase.kind("healthz"), "healthz"))
        for label, samples, key in rows:
            server = phase.server_ms.get(key, [])
            lines.append(
                f"| {name} | {label} | {len(samples.ms)} | {len(samples.ms) / phase.seconds:.1f} "
                f"| {ms(samples.pct(0.5))} | {ms(samples.pct(0.95))} | {ms(samples.pct(0.99))} "
                f"| {ms(max(samples.ms)) if samples.ms else '—'} "
                f"| {ms(run.percentile(server, 0.95)) if server else '—'} | {samples.errors} |"
            )
    unexpected: Counter[str] = Counter()
    for phase in r.phases:
        for samples in phase.samples.values():
            unexpected.update(samples.unexpected)
    lines += [
        "",
        "Sessions stored for the practice (SQL, before and after each phase) against the last "
        "answers the visitors saw redirected: "
        + "; ".join(
            f"{'with' if p.think else 'without'} think time {p.stored:,} of {p.finals:,} "
            f"({p.walks:,} walks reached their outcome page)"
            for p in (think, busy)
        )
        + ". Responses that set a cookie: "
        + f"{sum(p.cookies for p in r.phases)}. Errors: "
        + (", ".join(f"{what} x{n}" for what, n in unexpected.most_common()) or "none")
        + ".\n",
        "CPU: triage with think time "
        + booking.cpu_text([think.cpu])
        + "; without "
        + booking.cpu_text([busy.cpu])
        + "; `/healthz` without think time "
        + booking.cpu_text([probe_busy.cpu])
        + f" (`/healthz` p95 with think time {ms(healthz_p95)} ms, without "
        + f"{ms(probe_busy.kind('healthz').pct(0.95))} ms).\n",
        "### First load: the widget against the practice page's self-triage\n",
        "Every response a browser fetches for the first view (the embed script, the document, "
        "its stylesheets, scripts and images, and what the stylesheets point at), fetched from "
        "the bench server; the body's bytes as sent uncompressed, and gzip-compressed at level "
        f"{GZIP_LEVEL} as a reverse proxy sends them (a body the server sent gzipped itself: "
        "as received, marked *). HTTP headers not counted. kB: 1,000 bytes.\n",
        "| page | resource | what | status | bytes | gzip bytes |",
        "|---|---|---|---:|---:|---:|",
    ]
    for resource in r.worker.resources:
        page = "widget" if resource.page == "widget" else "practice page"
        lines.append(
            f"| {page} | `{resource.path}` | {resource.kind} | {resource.status} "
            f"| {resource.raw:,} | {resource.wire:,}{' *' if resource.sent_gzip else ''} |"
        )
    lines += [
        f"| **widget** | | | | **{widget_raw:,}** | **{widget_wire:,}** |",
        f"| **practice page** | | | | **{public_raw:,}** | **{public_wire:,}** |",
        "",
        f"Widget / practice page over the wire: {widget_wire / public_wire:.2f}x "
        f"({kb(public_wire - widget_wire)} kB less)."
        + (
            f" Pointed at elsewhere, not fetched: {', '.join(sorted(set(r.worker.elsewhere)))}."
            if r.worker.elsewhere
            else ""
        ),
        "",
        *faq_section(r),
    ]
    return "\n".join(lines) + "\n"


def figures(r: Results) -> list[summary.Figure]:
    """The targets of the report's first table, as records for the summary."""
    think, busy = r.phase("triage", True), r.phase("triage", False)
    probe_think = r.phase("healthz", True)
    step_p95 = think.steps().pct(0.95)
    healthz_p95 = probe_think.kind("healthz").pct(0.95)
    counts = r.query_counts()
    lost = sum(p.finals - p.stored for p in (think, busy))
    widget_raw, widget_wire = r.load("widget")
    _public_raw, public_wire = r.load("public")
    widget_count = sum(res.page == "widget" for res in r.worker.resources)
    practical, medical = r.faq("practical"), r.faq("medical")
    emergency, off_topic = r.faq("emergency"), r.faq("off_topic")
    own_practical = r.faq("practical", own=True)
    reply = r.assistant["reply"]["all"]
    build = sorted(r.assistant["build_ms"])[len(r.assistant["build_ms"]) // 2]
    return [
        summary.Figure(
            id="triage.step_p95",
            target=f"self-triage step p95 at most {TARGET_STEP_P95_MS:.0f} ms at {USERS} "
            "concurrent anonymous widget users (with think time), no errors",
            figure=round(step_p95, 1),
            unit="ms",
            threshold=TARGET_STEP_P95_MS,
            op="<=",
            passed=step_p95 <= TARGET_STEP_P95_MS and r.step_errors == 0,
            baseline=round(healthz_p95, 1),
            baseline_unit="ms",
            baseline_what=f"`/healthz` p95, {USERS} users, same think time",
            ratio=step_p95 / healthz_p95,
            note=f"{ms(busy.steps().pct(0.95))} ms without think time; `/healthz` alone on "
            f"one worker {ms(r.worker.rows[0][1].pct(0.95))} ms; queries: first question "
            f"{counts.get('first', 0)}, answer {counts.get('answer', 0)}, last answer "
            f"{counts.get('final', 0)}, outcome {counts.get('outcome', 0)}"
            + (f"; {r.step_errors} errors" if r.step_errors else "")
            + (f"; {lost} last answers without a stored session" if lost else ""),
        ),
        summary.Figure(
            id="triage.widget_first_load",
            target=f"self-triage widget's first load at most {TARGET_FIRST_LOAD_KB:.0f} kB over "
            f"the wire (embed script, document, CSS, JS; gzip {GZIP_LEVEL})",
            figure=round(widget_wire / 1000, 1),
            unit="kB",
            threshold=TARGET_FIRST_LOAD_KB,
            op="<=",
            passed=widget_wire <= TARGET_FIRST_LOAD_KB * 1000 and r.load_errors == 0,
            baseline=round(public_wire / 1000, 1),
            baseline_unit="kB",
            baseline_what="the practice page's self-triage with the portal's CSS and JS",
            ratio=widget_wire / public_wire,
            note=f"{widget_count} responses, {kb(widget_raw)} kB uncompressed"
            + (f"; {r.load_errors} not 200" if r.load_errors else ""),
        ),
        summary.Figure(
            id="triage.faq_practical",
            target=f"FAQ assistant: at least {TARGET_FAQ_PRACTICAL:.0f} % of the Dutch practical "
            "test questions answered from the right entry",
            figure=round(share(practical), 1),
            unit="%",
            threshold=TARGET_FAQ_PRACTICAL,
            op=">=",
            passed=share(practical) >= TARGET_FAQ_PRACTICAL,
            note=f"{practical['correct']}/{practical['questions']}; "
            + ", ".join(
                f"round {n} {r.faq(f'round{n}')['correct']}/{r.faq(f'round{n}')['questions']}"
                for n in (1, 2)
            )
            + f", round 3 (written blind) {r.faq('round3')['correct']}/"
            f"{r.faq('round3')['questions']}; `{PRACTICE}`'s own assistant "
            f"{own_practical['correct']}/{own_practical['questions']}",
        ),
        summary.Figure(
            id="triage.faq_medical",
            target="FAQ assistant: every medical test question sent to self-triage or 112",
            figure=round(share(medical), 1),
            unit="%",
            threshold=TARGET_FAQ_MEDICAL,
            op=">=",
            passed=share(medical) >= TARGET_FAQ_MEDICAL,
            note=f"{medical['correct']}/{medical['questions']}; emergencies to 112 "
            f"{emergency['correct']}/{emergency['questions']}; off-topic not known (no target) "
            f"{off_topic['correct']}/{off_topic['questions']}",
        ),
        summary.Figure(
            id="triage.faq_reply_p95",
            target=f"FAQ assistant: a reply's p95 at most {TARGET_FAQ_REPLY_P95_MS:.0f} ms",
            figure=round(r.faq_reply_p95, 3),
            unit="ms",
            threshold=TARGET_FAQ_REPLY_P95_MS,
            op="<=",
            passed=r.faq_reply_ok,
            baseline=round(r.faq_retrieval_p95, 3),
            baseline_unit="ms",
            baseline_what="the retrieval alone (`Assistant.best_match`) p95, same questions",
            ratio=r.faq_reply_p95 / r.faq_retrieval_p95,
            note=f"in-process, {reply['n']:,} replies; p50 {fine_ms(reply['p50'])} ms, max "
            f"{fine_ms(reply['max'])} ms; through Django (`assistant_for` and the reply) p95 "
            f"{fine_ms(r.faq_django_p95)} ms; building the index {fine_ms(build)} ms (median)",
        ),
    ]


def main() -> None:
    if len(sys.argv) == 2 and sys.argv[1] == "--queries":
        print(json.dumps(queries_in_django()))
        return
    if len(sys.argv) == 2 and sys.argv[1] == "--assistant":
        print(json.dumps(assistant_in_django()))
        return
    env = run.bench_env()
    results.ensure_database(env)
    bench_triage(env)


if __name__ == "__main__":
    main()
