"""Practice operations (issue 20): the dashboard's summaries, its pages, the telephony
webhook and the callback screen, on the regional database.

A. Refreshing every summary of the region (all practices, 400 days: what the nightly job
   does), in-process; baseline, same run: the bare SQL aggregates of the same figures
   (each grouped SELECT counted by the database, nothing written).
B. The practice's dashboard (De Linde's manager, last quarter) and the care group's view
   of all practices (an analyst, last quarter) on one gunicorn worker,
   run.REQUESTS_PER_PAGE sequential requests each, against /healthz.
C. The telephony webhook under sustained load: signed requests of 100 events (a third of
   them sent twice: retries that must change nothing) from 8 concurrent clients against
   gunicorn (WORKERS workers); events per second, and every event stored exactly once.
   Baseline, same run: the same rows inserted bare with psycopg (INSERT ... ON CONFLICT DO
   NOTHING, 100 rows a statement) into a copy of the table.
D. The callback screen: an assistant's screen polls as the page does (every 2 s); a
   callback request is posted to the webhook; the time until the screen shows the new
   caller, 10 times.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import booking  # server helpers of the agenda benchmark
import httpx
import psycopg
import results  # django_setup, ensure_database, sequential page times
import run
import summary

EVENTS_PER_REQUEST = 100
WEBHOOK_REQUESTS = 300  # 30,000 events, a third of them sent twice
CLIENTS = 8
POLL_SECONDS = 2.0
CALLBACK_TRIALS = 10
ANALYST = "regio-bench@zorggroep.example"


# ---- A. refresh against the bare aggregate ------------------------------------------------


def refresh_in_django() -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from spreekuur.dashboard.services import refresh_figures
    from spreekuur.dashboard.sources import Span, counted_sources, snapshot_rows

    today = timezone.localdate()
    first = today - timedelta(days=399)
    span = Span(first, today)
    # Baseline first (a cold cache then favours the refresh): every grouped SELECT, counted
    # by the database, and the snapshots made in Python as the refresh makes them.
    started = time.perf_counter()
    groups = 0
    with connection.cursor() as cursor:
        for queryset in counted_sources(None, span):
            sql, params = queryset.query.sql_with_params()
            cursor.execute(f"SELECT count(*) FROM ({sql}) grouped", params)  # noqa: S608
            groups += cursor.fetchone()[0]
    snapshots = len(snapshot_rows(None, span, today=today))
    bare = time.perf_counter() - started
    done = refresh_figures(practice_ids=None, first=first, last=today)
    return {
        "seconds": done.seconds,
        "rows": done.rows,
        "practices": done.practices,
        "bare_seconds": bare,
        "bare_groups": groups + snapshots,
    }


def set_up_in_django() -> dict[str, Any]:
    """The care group of every practice with an analyst, the manager's practice, a link for
    the webhook (its secret computed here, never stored) and an assistant."""
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from spreekuur.accounts.models import User
    from spreekuur.core.models import Practice
    from spreekuur.dashboard.services import add_region_analyst, set_up_region
    from spreekuur.demo.logins import DEMO_PASSWORD, DEMO_TOTP_HEX
    from spreekuur.telephony.models import TelephonyLink
    from spreekuur.telephony.services import link_secret

    slugs = list(Practice.objects.order_by("id").values_list("slug", flat=True))
    region = set_up_region(slug="zorggroep-bench", name="Zorggroep (bench)", practice_slugs=slugs)
    analyst, created = User.objects.get_or_create(
        email=ANALYST, defaults={"full_name": "Analist", "password": make_password(DEMO_PASSWORD)}
    )
    if created:
        TOTPDevice.objects.create(user=analyst, name="Demo", key=DEMO_TOTP_HEX, confirmed=True)
    add_region_analyst(region=region, user=analyst)
    practice = Practice.objects.get(slug="de-linde")
    link = TelephonyLink.objects.filter(practice=practice, active=True).first()
    if link is None:
        link = TelephonyLink.objects.create(practice=practice, name="Bench-centrale")
    return {
        "practices": len(slugs),
        "link": str(link.public_id),
        "secret": link_secret(link),
        "practice_id": practice.pk,
    }


# ---- B. pages -------------------------------------------------------------------------------


def pages(env: dict[str, str]) -> dict[str, results.PageTimes]:
    server, base = booking.start_one_worker(booking.server_env(env))
    try:
        found = {}
        for who, path in (
            (None, "/healthz"),
            ("manager@de-linde.example", "/dashboard/?periode=vorig-kwartaal"),
            (ANALYST, "/regio/?periode=vorig-kwartaal"),
        ):
            session = None
            if who:
                with httpx.Client(base_url=base, timeout=30) as client:
                    run.login(client, who, env)
                    session = client.cookies.get("sessionid")
            found[path] = results.sequential(base, session, path)
        return found
    finally:
        booking.stop_server(server)


# ---- C. the webhook ------------------------------------------------------------------------


def signed(secret: str, body: bytes) -> dict[str, str]:
    from standardwebhooks import Webhook

    message_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
    }


def event_batches(count: int) -> list[bytes]:
    now = datetime.now(UTC) - timedelta(minutes=1)
    batches = []
    for _batch in range(count):
        events = []
        for m in range(EVENTS_PER_REQUEST // 4):
            call = f"bench-{uuid.uuid4().hex[:12]}"
            for offset, kind in enumerate(("incoming", "queued", "answered", "ended")):
                events.append(
                    {
                        "id": f"{call}-{kind}",
                        "type": kind,
                        "call_id": call,
                        "at": (now + timedelta(seconds=offset * 30 + m)).isoformat(),
                        **({"menu_choice": 4} if kind == "queued" else {}),
                    }
                )
        batches.append(json.dumps({"events": events}).encode())
    return batches


@dataclass
class Storm:
    seconds: float
    requests: int
    events_sent: int
    accepted: int
    duplicates: int
    errors: int
    ms: list[float]


async def storm(base: str, link: str, secret: str, bodies: list[bytes]) -> Storm:
    url = f"{base}/api/telefonie/{link}/gebeurtenissen/"
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    totals = Storm(0.0, 0, 0, 0, 0, 0, [])

    async def client() -> None:
        async with httpx.AsyncClient(timeout=60, trust_env=False) as http:
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                answer = await http.post(url, content=body, headers=signed(secret, body))
                totals.ms.append(1000 * (time.perf_counter() - started))
                totals.requests += 1
                totals.events_sent += EVENTS_PER_REQUEST
                if answer.status_code != 200:
                    totals.errors += 1
                    continue
                data = answer.json()
                totals.accepted += data["accepted"]
                totals.duplicates += data["duplicates"]

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    totals.seconds = time.perf_counter() - started
    return totals


def bare_insert(env: dict[str, str], bodies: list[bytes], practice_id: int) -> float:
    """The same rows with psycopg into a scratch copy of the table: seconds."""
    rows_per_body = []
    now = datetime.now(UTC)
    for body in bodies:
        rows_per_body.append(
            [
                (
                    practice_id,
                    e["id"],
                    e["call_id"],
                    e["type"],
                    e["at"],
                    e.get("menu_choice"),
                    False,
                    now,
                )
                for e in json.loads(body)["events"]
            ]
        )
    with psycopg.connect(run.database_url(), autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS bench_callevent")
        connection.execute("CREATE TABLE bench_callevent (LIKE telephony_callevent INCLUDING ALL)")
        columns = "practice_id, event_id, call_id, kind, at, menu_choice, folded, received_at"
        started = time.perf_counter()
        for rows in rows_per_body:
            with connection.transaction(), connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO bench_callevent ({columns}) VALUES "  # noqa: S608
                    "(%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    rows,
                )
        seconds = time.perf_counter() - started
        connection.execute("DROP TABLE bench_callevent")
    return seconds


def stored_events(prefix: str = "bench-") -> int:
    with psycopg.connect(run.database_url()) as connection:
        return connection.execute(
            "SELECT count(*) FROM telephony_callevent WHERE event_id LIKE %s", [prefix + "%"]
        ).fetchone()[0]


# ---- D. the callback screen -----------------------------------------------------------


def callback_latency(base: str, env: dict[str, str], link: str, secret: str) -> list[float]:
    with httpx.Client(base_url=base, timeout=30, trust_env=False) as screen:
        run.login(screen, "assistent@de-linde.example", env)
        seen: list[float] = []
        for trial in range(CALLBACK_TRIALS):
            number = f"+3161111{trial:04d}"
            shown = number[-8:]  # the screen writes it the Dutch way: 06 1111xxxx
            body = json.dumps(
                {
                    "events": [
                        {
                            "id": f"bench-cb-{uuid.uuid4().hex}",
                            "type": "callback_requested",
                            "call_id": f"bench-cb-{uuid.uuid4().hex}",
                            "at": datetime.now(UTC).isoformat(),
                            "number": number,
                        }
                    ]
                }
            ).encode()
            # The screen polls on its own rhythm; the caller comes at a random moment in it.
            time.sleep(POLL_SECONDS * (trial % 4) / 4)
            posted = time.perf_counter()
            answer = httpx.post(
                f"{base}/api/telefonie/{link}/gebeurtenissen/",
                content=body,
                headers=signed(secret, body),
            )
            answer.raise_for_status()
            next_poll = posted + POLL_SECONDS * ((trial * 7) % 4) / 4
            while True:
                time.sleep(max(0.0, next_poll - time.perf_counter()))
                page = screen.get("/terugbellen/", headers={"HX-Request": "true"})
                if shown in page.text:
                    seen.append(time.perf_counter() - posted)
                    break
                next_poll += POLL_SECONDS
                if time.perf_counter() - posted > 30:
                    seen.append(float("inf"))
                    break
        return seen


# ---- the run ---------------------------------------------------------------------------------


def child(step: str, env: dict[str, str]) -> dict[str, Any]:
    """A step that needs Django, in a process of its own (the bench's own stays clean)."""
    import subprocess

    out = subprocess.run(
        [str(run.BIN / "python"), __file__, step],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
        cwd=str(Path(__file__).parent),
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def row_refresh(refresh: dict[str, Any]) -> str:
    ratio = refresh["seconds"] / refresh["bare_seconds"]
    return (
        f"| refresh all summaries of the region (400 days) ≤ 60 s | {refresh['seconds']:.1f} s "
        f"({refresh['rows']:,} rows) | bare SQL aggregates {refresh['bare_seconds']:.1f} s "
        f"({refresh['bare_groups']:,} groups) | {ratio:.2f}x "
        f"| {'yes' if refresh['seconds'] <= 60 else 'no'} |"
    )


def row_page(target: str, page: results.PageTimes, healthz: results.PageTimes) -> str:
    p95 = page.pct(0.95)
    return (
        f"| {target} | p50 {page.pct(0.5):.0f} ms, p95 {p95:.0f} ms ({page.errors} errors) "
        f"| /healthz p95 {healthz.pct(0.95):.1f} ms | {p95 / healthz.pct(0.95):.0f}x "
        f"| {'yes' if p95 <= 1000 and not page.errors else 'no'} |"
    )


def bench_operations(env: dict[str, str], *, when: str) -> None:
    results.ensure_database(env)
    print("operations: setting up ...", flush=True)
    setup = child("setup", env)
    print("operations: refreshing the region's summaries ...", flush=True)
    refresh = child("refresh", env)
    print("operations: dashboard pages ...", flush=True)
    page_times = pages(env)
    print("operations: the webhook ...", flush=True)
    bodies = event_batches(WEBHOOK_REQUESTS)
    sent = bodies + bodies[: WEBHOOK_REQUESTS // 3]  # retries: the same events again
    before = stored_events()
    access_log = Path("/tmp/operations-access.log")  # noqa: S108 - a bench's scratch file
    server, base = booking.start_server(env, access_log, Path("/tmp/operations-error.log"))  # noqa: S108
    try:
        webhook = asyncio.run(storm(base, setup["link"], setup["secret"], sent))
        stored = stored_events() - before  # before the callback trials add their own
        latency = callback_latency(base, env, setup["link"], setup["secret"])
    finally:
        booking.stop_server(server)
    bare = bare_insert(env, bodies, setup["practice_id"])
    unique_events = WEBHOOK_REQUESTS * EVENTS_PER_REQUEST
    rate = webhook.events_sent / webhook.seconds
    bare_rate = unique_events / bare
    healthz = page_times["/healthz"]
    board = page_times["/dashboard/?periode=vorig-kwartaal"]
    region = page_times["/regio/?periode=vorig-kwartaal"]
    worst = max(latency)
    webhook_passed = rate >= 1000 and stored == unique_events and not webhook.errors
    text = "\n".join(
        [
            f"\n## Practice operations — {when}\n",
            f"Machine: {run.machine()}. Code: `{summary.code_version()}`. Region: "
            f"{setup['practices']} practices.\n",
            "| target | figure | baseline (same run) | ratio | pass |",
            "|---|---|---|---|---|",
            row_refresh(refresh),
            row_page("practice dashboard p95 ≤ 1 s", board, healthz),
            row_page("regional view p95 ≤ 1 s", region, healthz),
            f"| webhook ≥ 1,000 events/s sustained, idempotent | {rate:,.0f} events/s "
            f"({webhook.requests} requests of {EVENTS_PER_REQUEST}, {webhook.errors} errors; "
            f"{stored:,} stored of {unique_events:,} unique) "
            f"| bare insert {bare_rate:,.0f} rows/s "
            f"| {rate / bare_rate:.2f}x | "
            f"{'yes' if webhook_passed else 'no'} |",
            f"| callback screen shows a new caller ≤ 3 s | worst {worst:.2f} s of {len(latency)} "
            f"(median {sorted(latency)[len(latency) // 2]:.2f} s; the screen polls every "
            f"{POLL_SECONDS:.0f} s) | one poll interval {POLL_SECONDS:.0f} s | — | "
            f"{'yes' if worst <= 3 else 'no'} |",
            "",
            f"The webhook's requests: p50 {run.percentile(webhook.ms, 0.5):.0f} ms, p95 "
            f"{run.percentile(webhook.ms, 0.95):.0f} ms at {CLIENTS} clients "
            f"({booking.worker_setup()}); {webhook.accepted:,} accepted, {webhook.duplicates:,} "
            "recognised as sent before.",
            "",
        ]
    )

    def figures() -> list[summary.Figure]:
        return [
            summary.Figure(
                "operations.refresh_seconds",
                "refresh all summaries of the region ≤ 60 s",
                round(refresh["seconds"], 1),
                "s",
                60,
                "<=",
                refresh["seconds"] <= 60,
                baseline=round(refresh["bare_seconds"], 1),
                baseline_unit="s",
                baseline_what="bare SQL aggregates",
                ratio=round(refresh["seconds"] / refresh["bare_seconds"], 2),
            ),
            summary.Figure(
                "operations.dashboard_p95",
                "practice dashboard p95 ≤ 1 s",
                round(board.pct(0.95)),
                "ms",
                1000,
                "<=",
                board.pct(0.95) <= 1000 and not board.errors,
                baseline=round(healthz.pct(0.95), 1),
                baseline_unit="ms",
                baseline_what="/healthz p95",
                ratio=round(board.pct(0.95) / healthz.pct(0.95), 1),
            ),
            summary.Figure(
                "operations.region_p95",
                "regional view p95 ≤ 1 s",
                round(region.pct(0.95)),
                "ms",
                1000,
                "<=",
                region.pct(0.95) <= 1000 and not region.errors,
                baseline=round(healthz.pct(0.95), 1),
                baseline_unit="ms",
                baseline_what="/healthz p95",
                ratio=round(region.pct(0.95) / healthz.pct(0.95), 1),
            ),
            summary.Figure(
                "operations.webhook_events_per_second",
                "telephony webhook ≥ 1,000 events/s sustained, idempotent",
                round(rate),
                "events/s",
                1000,
                ">=",
                webhook_passed,
                baseline=round(bare_rate),
                baseline_unit="rows/s",
                baseline_what="bare INSERT ... ON CONFLICT of the same rows",
                ratio=round(rate / bare_rate, 2),
            ),
            summary.Figure(
                "operations.callback_screen_seconds",
                "callback screen shows a new caller ≤ 3 s",
                round(worst, 2),
                "s",
                3,
                "<=",
                worst <= 3,
            ),
        ]

    summary.publish(text, figures, bench="operations", when=when)


if __name__ == "__main__":
    import sys

    results.django_setup()
    step = sys.argv[1]
    found = set_up_in_django() if step == "setup" else refresh_in_django()
    print(json.dumps(found, default=str))
