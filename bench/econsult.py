"""E-consult benchmark (issue 7): the practice's inbox, and the photos a patient sends.

What is measured, and why:

A. The inbox. In one region practice (PRACTICE), THREADS patients each ask one question
   through `ask_question` (the red-flag gate answered "no"); staff then work them as a
   practice does, through the services: a third stay open (recent; some assigned to a
   GP, some with an internal note, some over their deadline), half are answered and the
   rest answered and closed, spread over the past weeks (as the demo data does). An
   assistant of the practice gets a verified session (written into the session store, as
   bench/booking.py does); /econsult/inbox/ (open questions, by deadline) and the
   answered tab are served by one gunicorn worker, REQUESTS_PER_PAGE sequential
   requests, against /healthz; queries counted in-process with CaptureQueriesContext.
B. Photos, in a child process with the media storage in a temporary folder. A phone
   photo of 4032x3024 (smooth colour gradients plus Gaussian noise, tuned so that JPEG
   quality 95 comes to just under the practice's 10 MB limit, with the EXIF a phone
   writes, GPS included, and a colour profile) goes through `clean_photo` +
   `store_photo` (check, re-encode, store) PHOTO_RUNS times; baseline in the same runs,
   interleaved: Pillow's bare `Image.open` + `load` + `save` (JPEG, quality 88) of the
   same bytes. Then where the time goes (cProfile). Pixel bombs (tiny PNGs claiming
   30,000 x 30,000, and 8,000 x 8,000: under Pillow's own guard, over Spreekuur's) must
   be refused: BOMB_RUNS runs each. And a HEIC photo of the same scene
   with less noise (HEVC keeps noise only at great cost), written by pillow-heif (x265)
   at the 2-3 MB a phone's HEIC weighs (under the HEIC limit of 3 MB): the same measurement.

Run alone (`python bench/econsult.py`) against the database of `make bench` (built with
the region if it is not there); `bench/run.py` calls `bench_econsult()` after its own
steps. Every step is bounded: fixed counts, a timeout on each child process, request and
server start. BENCH_EC_THREADS, BENCH_EC_PHOTO_RUNS and BENCH_EC_BOMB_RUNS change the sizes.
"""

from __future__ import annotations

import io
import json
import os
import random
import sys
import tempfile
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import booking  # server, CPU and report helpers of the agenda benchmark
import prescriptions  # child processes, staff sessions, one-worker timing
import results  # django_setup, describe_database, ensure_database
import run  # the helpers and the database of `make bench`
import summary  # the table at the top of BENCHMARKS.md

PRACTICES = ("regio-003", "regio-001")  # the first that exists
THREADS = int(os.environ.get("BENCH_EC_THREADS", "300"))
PHOTO_RUNS = int(os.environ.get("BENCH_EC_PHOTO_RUNS", "20"))
BOMB_RUNS = int(os.environ.get("BENCH_EC_BOMB_RUNS", "50"))
STEP_RUNS = 5  # the step-by-step breakdown of clean_photo: median of this many
PHOTO_SIZE = (4032, 3024)  # a 12-megapixel phone camera
PHOTO_BYTES = (9_700_000, 10_400_000)  # "about 10 MB", below the limit of 10 MiB
# The bomb of the issue (Pillow's own guard stops it at Image.open, beyond twice its
# MAX_IMAGE_PIXELS), and one under Pillow's guard but over Spreekuur's MAX_PIXELS.
BOMBS = [(30_000, 30_000), (8_000, 8_000)]
# HEVC keeps Gaussian noise only at great cost (the JPEG's noise comes to 15 MB as HEIC):
# less noise and quality 55 give about 2.4 MB, what a 12-megapixel phone's HEIC photo
# weighs (clean_photo refuses a HEIC over 3 MiB: decoding HEVC costs CPU per byte).
HEIC_SIGMA, HEIC_QUALITY = 4.0, 55
INBOX = "/econsult/inbox/"
ANSWERED = "/econsult/inbox/?status=beantwoord"
THREAD_LINK = r'href="/econsult/inbox/[0-9a-f-]{36}/"'
OVERDUE = {"over their deadline": r'class="spreekuur-overdue"'}
TARGET_INBOX_P95_MS = 150.0
TARGET_PHOTO_P95_MS = 1500.0
TARGET_BOMB_P95_MS = 100.0


# --- In Django (child processes) --------------------------------------------------------------


def prepare_in_django() -> dict[str, Any]:
    """(Child process.) The practice's questions in every state, through the services; the
    assistant's session and the inbox's query counts."""
    results.django_setup()
    from django.utils import timezone

    from spreekuur.accounts.models import User
    from spreekuur.core.working_days import working_day_deadline
    from spreekuur.demo.econsult import QUESTIONS
    from spreekuur.econsult import services
    from spreekuur.econsult.forms import ANSWER_TEMPLATES
    from spreekuur.econsult.models import ConsultCode, Thread, ThreadStatus
    from spreekuur.econsult.selectors import day_summary
    from spreekuur.triage.selectors import red_flags_for

    started = time.perf_counter()
    practice = prescriptions.bench_practice(PRACTICES)
    assistant = prescriptions.staff(practice, "assistent")
    gps = list(
        User.objects.filter(
            membership__practice=practice, membership__role="huisarts", membership__active=True
        ).order_by("id")
    )
    poh = prescriptions.staff(practice, "poh")
    today = timezone.localdate()
    if not ConsultCode.objects.filter(practice=practice, year=today.year).exists():
        services.set_consult_code(
            practice=practice,
            year=today.year,
            code="12007",
            description="E-consult (benchmark)",
            tariff=Decimal("9.51"),
            by=prescriptions.staff(practice, "praktijkmanager"),
        )
    calm = {flag.code: False for flag in red_flags_for(practice)}
    rng = random.Random(7)
    patients = prescriptions.bench_patients(practice, THREADS, 0)
    asked_before = set(
        Thread.objects.filter(practice=practice, patient__in=patients).values_list(
            "patient_id", flat=True
        )
    )
    made = 0
    for number, patient in enumerate(patients):
        if patient.pk in asked_before:
            continue
        if patient.user_id is None:
            patient.user = User.objects.create_user(
                email=f"econsult-bench-{practice.slug}-{patient.pk}@voorbeeld.example",
                full_name=patient.display_name,
                email_confirmed_at=timezone.now(),
            )
            patient.save(update_fields=["user"])
        category, text = QUESTIONS[number % len(QUESTIONS)]
        thread = services.ask_question(
            patient=patient,
            category=category,
            body=text,
            triage_answers=calm,
            consent=True,
            by=patient.user,
        )
        made += 1
        # A third stays open, half is answered, the rest answered and closed.
        state = number % 6
        if state in (0, 1):
            days_ago = 6 if number % 10 == 0 else rng.randint(0, 3)  # a few over time
            if number % 3 == 0:
                services.assign_thread(thread=thread, assignee=rng.choice(gps), by=assistant)
            if number % 4 == 0:
                services.add_internal_note(
                    thread=thread, body="Graag even naar kijken voor het spreekuur.", by=poh
                )
        else:
            days_ago = rng.randint(3, 25)
            services.answer_thread(
                thread=thread,
                body=str(rng.choice(ANSWER_TEMPLATES)),
                by=rng.choice([*gps, poh]),
                close=state == 5,
            )
        created = timezone.now() - timedelta(days=days_ago, hours=rng.randint(0, 8))
        Thread.objects.filter(pk=thread.pk).update(created_at=created)
        Thread.objects.filter(pk=thread.pk, status=ThreadStatus.OPEN).update(
            due_at=working_day_deadline(created, services.settings_for(practice).sla_working_days)
        )
    seconds = time.perf_counter() - started
    session = prescriptions.staff_session(assistant)
    statuses = Counter(Thread.objects.filter(practice=practice).values_list("status", flat=True))
    summary = day_summary(practice)
    return {
        "practice": practice.slug,
        "made": made,
        "seconds": seconds,
        "statuses": dict(statuses),
        "overdue": summary.overdue,
        "unassigned": summary.unassigned,
        "session": session,
        "pages": [
            prescriptions.page_queries(session, INBOX, THREAD_LINK, OVERDUE),
            prescriptions.page_queries(session, ANSWERED, THREAD_LINK, OVERDUE),
        ],
    }


def png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG that claims width x height pixels (its single row compresses to nothing);
    as tests/econsult/conftest.py makes it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    raw = zlib.compress(b"\x00" + b"\x00" * width, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def scene(sigma: float) -> Any:
    """A 4032x3024 RGB picture: smooth colour gradients (skin-like tones) plus Gaussian
    noise of `sigma` per channel, standing in for a phone camera's detail and sensor noise."""
    from PIL import Image, ImageChops

    width, height = PHOTO_SIZE
    gradient = Image.linear_gradient("L").resize((width, height))
    radial = Image.radial_gradient("L").resize((width, height))
    bases = [
        gradient.point(lambda v: 150 + v * 90 // 255),
        radial.point(lambda v: 200 - v * 90 // 255),
        gradient.transpose(Image.Transpose.ROTATE_180).point(lambda v: 80 + v * 60 // 255),
    ]
    channels = [
        ImageChops.add(base, Image.effect_noise((width, height), sigma), 1.0, -128)
        for base in bases
    ]
    return Image.merge("RGB", channels)


def phone_exif() -> bytes:
    """What a phone writes: make, model, time, orientation (upright) and where it was."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Telefoonfabrikant"
    exif[0x0110] = "Telefoon 12"
    exif[0x0112] = 1
    exif[0x0132] = "2026:11:30 09:15:00"
    exif[0x8825] = {1: "N", 2: (52.0, 5.0, 30.0), 3: "E", 4: (4.0, 53.0, 10.0)}
    return exif.tobytes()


def srgb_profile() -> bytes:
    """The colour profile a phone embeds (an iPhone's is Display P3; Pillow can make sRGB,
    which sends the photo through the same conversion in `clean_photo`)."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def phone_jpeg() -> tuple[bytes, float]:
    """JPEG quality 95 of the scene, its noise tuned (bisection) into PHOTO_BYTES."""
    low, high = 2.0, 40.0
    sigma = 28.0  # about right for these sizes; bisection from there
    data = b""
    for _step in range(10):
        out = io.BytesIO()
        scene(sigma).save(out, "JPEG", quality=95, exif=phone_exif(), icc_profile=srgb_profile())
        data = out.getvalue()
        if PHOTO_BYTES[0] <= len(data) <= PHOTO_BYTES[1]:
            break
        if len(data) < PHOTO_BYTES[0]:
            low = sigma
        else:
            high = sigma
        sigma = (low + high) / 2
    return data, sigma


def timed_clean(data: bytes, limit: int) -> tuple[float, Any, str]:
    """(ms, the CleanPhoto, stored name) of one `clean_photo` + `store_photo`."""
    from spreekuur.econsult.photos import clean_photo, store_photo

    started = time.perf_counter()
    photo = clean_photo(io.BytesIO(data), size=len(data), max_bytes=limit)
    name = store_photo(photo)
    return (time.perf_counter() - started) * 1000, photo, name


def timed_bare(data: bytes) -> float:
    """Pillow's bare decode + encode: Image.open + load + save JPEG quality 88 (ms)."""
    from PIL import Image

    started = time.perf_counter()
    image = Image.open(io.BytesIO(data))
    image.load()
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return (time.perf_counter() - started) * 1000


def measure_photo(data: bytes, limit: int, media: Path) -> dict[str, Any]:
    """PHOTO_RUNS of the real path and of the bare baseline, interleaved (so that a busy
    neighbour on the machine slows both alike); one warm-up of each first."""
    from django.core.files.storage import default_storage

    timed_bare(data)
    _ms, photo, name = timed_clean(data, limit)
    default_storage.delete(name)
    real, bare, names = [], [], []
    for _run in range(PHOTO_RUNS):
        bare.append(timed_bare(data))
        took, photo, name = timed_clean(data, limit)
        real.append(took)
        names.append(name)
    stored = [p for p in media.rglob("*.jpg")]
    found = {
        "real_ms": real,
        "bare_ms": bare,
        "out_bytes": len(photo.content),
        "out_size": [photo.width, photo.height],
        "stored_files": len(stored),
        "stored_under_media": all(media in p.parents for p in stored),
    }
    for stored_name in names:
        default_storage.delete(stored_name)
    return found


PROFILE_KEEP = ("econsult/photos.py", "PIL/", "pillow_heif/", "django/core/files/storage")


def steps(data: bytes, limit: int) -> list[tuple[str, float, float]]:
    """Where the time goes in `clean_photo` + `store_photo`: a cProfile of STEP_RUNS runs,
    the largest rows of the photo code, Pillow, pillow-heif and the storage, as (function,
    cumulative ms per run, own ms per run). The work is in C, so the overhead is small."""
    import cProfile
    import pstats

    from django.core.files.storage import default_storage

    from spreekuur.econsult.photos import clean_photo, store_photo

    profile = cProfile.Profile()
    names = []
    for _run in range(STEP_RUNS):
        upload = io.BytesIO(data)
        profile.enable()
        names.append(store_photo(clean_photo(upload, size=len(data), max_bytes=limit)))
        profile.disable()
    for name in names:
        default_storage.delete(name)
    stats = pstats.Stats(profile)
    rows = []
    for (path, line, name), (_cc, _nc, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{results.shorten(path)}:{line}({name})"
        if any(part in where for part in PROFILE_KEEP):
            rows.append((cumulative, own, where))
    rows.sort(reverse=True)
    return [
        (where, cumulative * 1000 / STEP_RUNS, own * 1000 / STEP_RUNS)
        for cumulative, own, where in rows[:16]
    ]


def photos_in_django() -> dict[str, Any]:
    """(Child process.) Part B, with the media storage in a temporary folder."""
    results.django_setup()
    from django.test import override_settings
    from PIL import Image

    from spreekuur.core.exceptions import BusinessRuleError
    from spreekuur.econsult.photos import MAX_PIXELS, MAX_PIXELS_PNG, clean_photo
    from spreekuur.econsult.services import settings_for

    practice = prescriptions.bench_practice(PRACTICES)
    megabytes = settings_for(practice).max_photo_megabytes
    limit = megabytes * 1024 * 1024
    out: dict[str, Any] = {
        "limit_mb": megabytes,
        "max_pixels": MAX_PIXELS,
        "max_pixels_png": MAX_PIXELS_PNG,
    }
    made = time.perf_counter()
    jpeg, sigma = phone_jpeg()
    out["jpeg_bytes"], out["sigma"] = len(jpeg), sigma
    out["make_seconds"] = time.perf_counter() - made
    with tempfile.TemporaryDirectory(prefix="spreekuur-bench-media-") as folder:
        media = Path(folder)
        with override_settings(MEDIA_ROOT=str(media)):
            out["jpeg"] = measure_photo(jpeg, limit, media)
            out["jpeg_steps"] = steps(jpeg, limit)

            out["bombs"] = []
            for width, height in BOMBS:
                bomb = png_bomb(width, height)
                bomb_ms, outcomes = [], Counter()
                for _run in range(BOMB_RUNS + 1):
                    started = time.perf_counter()
                    try:
                        clean_photo(io.BytesIO(bomb), size=len(bomb), max_bytes=limit)
                    except BusinessRuleError as refused:
                        outcomes[str(refused)] += 1
                    else:
                        outcomes["accepted"] += 1
                    bomb_ms.append((time.perf_counter() - started) * 1000)
                out["bombs"].append(
                    {
                        "size": [width, height],
                        "bytes": len(bomb),
                        "ms": bomb_ms[1:],  # the first is the warm-up
                        "outcomes": dict(outcomes),
                    }
                )
            out["left_behind"] = len(list(media.rglob("*.*")))

            try:
                made = time.perf_counter()
                heic = io.BytesIO()
                scene(HEIC_SIGMA).save(
                    heic,
                    "HEIF",
                    quality=HEIC_QUALITY,
                    exif=phone_exif(),
                    icc_profile=srgb_profile(),
                )
                out["heic_make_seconds"] = time.perf_counter() - made
                heic_bytes = heic.getvalue()
                out["heic_bytes"] = len(heic_bytes)
                out["heic_brand"] = heic_bytes[8:12].decode(errors="replace")
                out["heic"] = measure_photo(heic_bytes, limit, media)
                out["heic_steps"] = steps(heic_bytes, limit)
            except Exception as error:  # no HEIF encoder: say so in the report
                out["heic_error"] = f"{type(error).__name__}: {error}"[:300]
            out["left_behind"] += len(list(media.rglob("*.*")))
    out["pillow_max_image_pixels"] = Image.MAX_IMAGE_PIXELS
    return out


# --- The whole benchmark and its report ---------------------------------------------------------


@dataclass
class Results:
    prepared: dict[str, Any]
    served: prescriptions.Served
    photos: dict[str, Any]
    database: str
    seconds: float = 0.0


def bench_econsult(env: dict[str, str], *, when: str | None = None) -> str:
    """Run both parts against the bench database; append the section to BENCHMARKS.md."""
    when = when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    began = time.perf_counter()
    database = results.describe_database()
    print(f"e-consult: preparing {THREADS} questions ...", flush=True)
    prepared = prescriptions.child(__file__, "--prepare", env)
    print(
        f"  {prepared['practice']}: "
        + ", ".join(f"{k} {v}" for k, v in prepared["statuses"].items())
        + f"; {prepared['pages'][0]['plain_queries']} queries on the inbox",
        flush=True,
    )
    print("  inbox: one worker, sequential requests ...", flush=True)
    served = prescriptions.one_worker(
        env, [(prepared["session"], INBOX), (prepared["session"], ANSWERED)]
    )
    print(f"  inbox p95 {served.times[1].pct(0.95):.0f} ms", flush=True)
    print(f"  photos: {PHOTO_RUNS} runs of a ~10 MB phone photo, {BOMB_RUNS} bombs ...", flush=True)
    photos = prescriptions.child(__file__, "--photos", env)
    print(
        f"  photo p95 {run.percentile(photos['jpeg']['real_ms'], 0.95):.0f} ms, bomb p95 "
        + ", ".join(f"{run.percentile(b['ms'], 0.95):.2f}" for b in photos["bombs"])
        + " ms",
        flush=True,
    )
    result = Results(prepared, served, photos, database)
    result.seconds = time.perf_counter() - began
    text = report(result, when)
    summary.publish(text, lambda: figures(result), bench="econsult", when=when)
    return text


def ms(value: float) -> str:
    return booking.ms(value)


def passed(ok: bool) -> str:
    return booking.passed(ok)


def pct(values: list[float], share: float) -> float:
    return run.percentile(values, share)


def photo_rows(name: str, size: int, found: dict[str, Any]) -> list[str]:
    real, bare = found["real_ms"], found["bare_ms"]
    return [
        f"| bare Pillow: `Image.open` + `load` + `save` JPEG q88 ({name}, full size) "
        f"| {size / 1e6:.2f} MB | {ms(pct(bare, 0.5))} | {ms(pct(bare, 0.95))} "
        f"| {ms(max(bare))} | 1.00x |",
        f"| **Spreekuur `clean_photo` + `store_photo`** ({name}) | {size / 1e6:.2f} MB "
        f"| {ms(pct(real, 0.5))} | **{ms(pct(real, 0.95))}** | {ms(max(real))} "
        f"| {pct(real, 0.5) / pct(bare, 0.5):.2f}x |",
    ]


def report(r: Results, when: str) -> str:
    prepared, photos = r.prepared, r.photos
    inbox, answered = prepared["pages"]
    baseline, inbox_times, answered_times = r.served.times
    jpeg = photos["jpeg"]
    photo_p95 = pct(jpeg["real_ms"], 0.95)
    bombs = photos["bombs"]
    bomb_p95 = max(pct(bomb["ms"], 0.95) for bomb in bombs)
    refused = sum(bomb["outcomes"].get("accepted", 0) for bomb in bombs) == 0
    statuses = prepared["statuses"]
    heic = photos.get("heic")
    lines = [
        f"\n## E-consult — inbox and photos — {when}\n",
        prescriptions.code_and_machine() + "\n",
        f"Database `{run.BENCH_DB}`: {r.database}. Practice `{prepared['practice']}`. "
        f"Whole benchmark: {r.seconds:.0f} s, of which asking and working the questions "
        f"{prepared['seconds']:.0f} s (not measured; {prepared['made']} asked in this run).\n",
        "| target | measured | |",
        "|---|---|---|",
        f"| inbox p95 under {TARGET_INBOX_P95_MS:.0f} ms ({statuses.get('open', 0)} open, "
        f"{statuses.get('beantwoord', 0)} answered, {statuses.get('gesloten', 0)} closed) "
        f"| {ms(inbox_times.pct(0.95))} ms (answered tab: {ms(answered_times.pct(0.95))} ms) "
        f"| {passed(inbox_times.pct(0.95) < TARGET_INBOX_P95_MS and inbox_times.errors == 0)} |",
        f"| a {photos['jpeg_bytes'] / 1e6:.1f} MB phone photo checked, re-encoded and stored "
        f"in under {TARGET_PHOTO_P95_MS / 1000:.1f} s at p95 | {ms(photo_p95)} ms "
        f"| {passed(photo_p95 < TARGET_PHOTO_P95_MS)} |",
        f"| a pixel bomb refused in under {TARGET_BOMB_P95_MS:.0f} ms at p95 "
        f"| {bomb_p95:.2f} ms (the slower of {len(bombs)} bombs); "
        f"{'every one refused' if refused else '**one accepted**'} "
        f"| {passed(bomb_p95 < TARGET_BOMB_P95_MS and refused)} |",
        "",
        f"### Inbox: one gunicorn worker, {run.REQUESTS_PER_PAGE} sequential requests per page\n",
        f"{THREADS} patients of the practice each asked one question through `ask_question` "
        "(red flags answered 'no'); staff then worked them through the services: a third open "
        "(asked 0-3 days ago, half of them assigned to a GP, a quarter with an internal "
        f"note; {prepared['overdue']} over their deadline, {prepared['unassigned']} without "
        "a handler), half answered and a sixth answered and closed (3-25 days ago), each "
        "answer declared. An assistant's verified session, written into the session store. "
        "Each page shows 50 threads at most. Queries: one GET in-process (Django test "
        "client, the same session, after a warm-up GET), without / with SAVEPOINT and "
        "RELEASE.\n",
        "| page | threads shown | p50 ms | p95 ms | p99 ms | p95 / baseline | queries | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| `/healthz` (baseline) | — | {ms(baseline.pct(0.5))} | {ms(baseline.pct(0.95))} "
        f"| {ms(baseline.pct(0.99))} | 1.0x | — | {baseline.errors} |",
    ]
    for page, times in ((inbox, inbox_times), (answered, answered_times)):
        lines.append(
            f"| `{page['path']}` | {page['shown']} ({page['counts']['over their deadline']}) "
            f"| {ms(times.pct(0.5))} "
            f"| {ms(times.pct(0.95))} | {ms(times.pct(0.99))} "
            f"| {times.pct(0.95) / baseline.pct(0.95):.1f}x "
            f"| {page['plain_queries']} / {page['queries']} | {times.errors} |"
        )
    lines += [
        "",
        "Queries on the inbox: "
        + ", ".join(f"{kind} {count}" for kind, count in inbox["kinds"].items())
        + f". CPU while serving: {booking.cpu_text([r.served.cpu])}. Worker resident memory "
        f"afterwards: {r.served.memory_mb:.0f} MB.\n",
        f"### Photos: {PHOTO_RUNS} runs each, baseline interleaved, one process\n",
        f"The phone photo: {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]}, colour gradients plus Gaussian "
        f"noise (sigma {photos['sigma']:.1f} per channel), JPEG quality 95 with a phone's "
        "EXIF (GPS included) and an sRGB colour profile (converted by `clean_photo`, as an "
        f"iPhone's Display P3 would be): {photos['jpeg_bytes']:,} bytes "
        f"({photos['jpeg_bytes'] / 1e6:.2f} MB; the practice's limit is {photos['limit_mb']} MiB = "
        f"{photos['limit_mb'] * 1024 * 1024:,} bytes). Stored in a temporary media folder "
        f"(the real `FileSystemStorage`). Result: {jpeg['out_size'][0]}x{jpeg['out_size'][1]} "
        f"JPEG of {jpeg['out_bytes'] / 1e6:.2f} MB, {jpeg['stored_files']} files written "
        f"and removed again.\n",
        "| what | input | p50 ms | p95 ms | max ms | p50 / bare |",
        "|---|---:|---:|---:|---:|---:|",
        *photo_rows("JPEG", photos["jpeg_bytes"], jpeg),
    ]
    if heic:
        lines += photo_rows("HEIC", photos["heic_bytes"], heic)
    for bomb in bombs:
        width, height = bomb["size"]
        lines.append(
            f"| pixel bomb: PNG of {bomb['bytes']:,} bytes claiming {width:,}x{height:,} "
            f"({width * height / 1e6:,.0f} MP), {BOMB_RUNS} runs | {bomb['bytes']:,} B "
            f"| {pct(bomb['ms'], 0.5):.2f} | {pct(bomb['ms'], 0.95):.2f} | {max(bomb['ms']):.2f} "
            "| — |"
        )
    lines += [
        "",
        "Pixel bombs: "
        + "; ".join(
            f"{bomb['size'][0]:,}x{bomb['size'][1]:,}: "
            + ", ".join(f"'{k}' x{v}" for k, v in bomb["outcomes"].items())
            for bomb in bombs
        )
        + f" (warm-up included). Spreekuur's limit is {photos['max_pixels'] / 1e6:.0f} MP "
        f"({photos['max_pixels_png'] / 1e6:.0f} MP for a PNG), "
        f"checked from the header; Pillow's own `MAX_IMAGE_PIXELS` is "
        f"{photos['pillow_max_image_pixels'] / 1e6:.0f} MP (a warning above it, which "
        "`clean_photo` turns into a refusal, and an error at `Image.open` above twice "
        "that). Files left in the media folder afterwards: "
        f"{photos['left_behind']}.\n",
        f"Where the time goes in `clean_photo` + `store_photo`: cProfile of {STEP_RUNS} more "
        "runs of each photo, the largest rows of the photo code, Pillow, pillow-heif and the "
        "storage (ms per run, cumulative and own; the work is in C, so cProfile adds little):\n",
        "| photo | function | cumulative ms | own ms |",
        "|---|---|---:|---:|",
    ]
    for name, key in (("JPEG", "jpeg_steps"), ("HEIC", "heic_steps")):
        for where, cumulative, own in photos.get(key, [])[:12]:
            lines.append(f"| {name} | `{where}` | {ms(cumulative)} | {ms(own)} |")
    if heic:
        lines += [
            "",
            f"The HEIC photo: the same scene with less noise (sigma {HEIC_SIGMA:.0f}; HEVC "
            "keeps the JPEG's noise only at 15 MB) written by pillow-heif (x265, quality "
            f"{HEIC_QUALITY}, brand `{photos['heic_brand']}`, the same EXIF and profile) in "
            f"{photos['heic_make_seconds']:.1f} s: {photos['heic_bytes']:,} bytes, about what a "
            f"12-megapixel phone's HEIC weighs; result {heic['out_size'][0]}x"
            f"{heic['out_size'][1]} JPEG of {heic['out_bytes'] / 1e6:.2f} MB.",
        ]
    else:
        lines += ["", f"No HEIC photo: pillow-heif could not write one ({photos['heic_error']})."]
    return "\n".join(lines) + "\n"


def figures(r: Results) -> list[summary.Figure]:
    """The targets of the report's first table, as records for the summary."""
    prepared, photos = r.prepared, r.photos
    baseline, inbox_times, answered_times = r.served.times
    jpeg = photos["jpeg"]
    photo_p95 = pct(jpeg["real_ms"], 0.95)
    bare_p95 = pct(jpeg["bare_ms"], 0.95)
    bombs = photos["bombs"]
    bomb_p95 = max(pct(bomb["ms"], 0.95) for bomb in bombs)
    accepted = sum(bomb["outcomes"].get("accepted", 0) for bomb in bombs)
    statuses = prepared["statuses"]
    inbox_p95 = inbox_times.pct(0.95)
    return [
        summary.Figure(
            id="econsult.inbox_p95",
            target=f"e-consult inbox p95 under {TARGET_INBOX_P95_MS:.0f} ms "
            f"({statuses.get('open', 0)} open, {statuses.get('beantwoord', 0)} answered, "
            f"{statuses.get('gesloten', 0)} closed; one worker), no errors",
            figure=round(inbox_p95, 1),
            unit="ms",
            threshold=TARGET_INBOX_P95_MS,
            op="<",
            passed=inbox_p95 < TARGET_INBOX_P95_MS and inbox_times.errors == 0,
            baseline=round(baseline.pct(0.95), 1),
            baseline_unit="ms",
            baseline_what="`/healthz` p95",
            ratio=inbox_p95 / baseline.pct(0.95),
            note=f"answered tab {ms(answered_times.pct(0.95))} ms",
        ),
        summary.Figure(
            id="econsult.photo_p95",
            target=f"a {photos['jpeg_bytes'] / 1e6:.1f} MB phone photo checked, re-encoded and "
            f"stored in under {TARGET_PHOTO_P95_MS / 1000:.1f} s at p95",
            figure=round(photo_p95),
            unit="ms",
            threshold=TARGET_PHOTO_P95_MS,
            op="<",
            passed=photo_p95 < TARGET_PHOTO_P95_MS,
            baseline=round(bare_p95),
            baseline_unit="ms",
            baseline_what="bare Pillow open, load and save, p95",
            ratio=photo_p95 / bare_p95,
        ),
        summary.Figure(
            id="econsult.pixel_bomb_p95",
            target=f"a pixel bomb refused in under {TARGET_BOMB_P95_MS:.0f} ms at p95",
            figure=round(bomb_p95, 3),
            unit="ms",
            threshold=TARGET_BOMB_P95_MS,
            op="<",
            passed=bomb_p95 < TARGET_BOMB_P95_MS and accepted == 0,
            note=f"the slower of {len(bombs)} bombs; "
            + ("every one refused" if accepted == 0 else f"{accepted} accepted"),
        ),
    ]


def main() -> None:
    if len(sys.argv) == 2 and sys.argv[1] == "--prepare":
        print(json.dumps(prepare_in_django()))
        return
    if len(sys.argv) == 2 and sys.argv[1] == "--photos":
        print(json.dumps(photos_in_django()))
        return
    env = run.bench_env()
    results.ensure_database(env)
    bench_econsult(env)


if __name__ == "__main__":
    main()
