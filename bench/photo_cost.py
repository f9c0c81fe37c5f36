"""Photo cost benchmark (security review: "a 190 KB PNG of 49 megapixels costs about 4 s of
CPU and 680 MB of memory, and a patient may send three per question"): what one e-consult
photo upload costs the web worker, in CPU seconds and peak memory, for the photos that are
accepted and the attacks that are refused.

How:

- The inputs are made once, in a child process, into a temporary folder (not timed): phone
  photos (JPEG and HEIC, colour gradients plus noise as bench/econsult.py makes them),
  panoramas, progressive JPEGs, PNGs, and crafted files (pixel bombs, a JPEG of 100 and
  one of 1,000 scans, a 16-bit interlaced PNG, a HEIC whose header understates its size,
  files cut off halfway); see INPUTS.
- Each upload is one `clean_photo` (check, decode, re-encode) in its own process, forked
  from a measuring process that has Django, Pillow and pillow-heif loaded and warmed up,
  so that a sample costs what the upload costs and nothing else. The child opens the file
  from disk (as Django's upload handler leaves a large upload in a temporary file) and
  passes the highest size limit a practice can set (20 MB). CPU: user + system seconds of
  the child, all its threads (os.wait4). Memory: the child resets its peak
  (/proc/self/clear_refs) and reports its peak resident memory (VmHWM) minus its resident
  memory at the start: what the upload added to the worker.
- REPS samples of every input, interleaved (each round runs every input once, so that a
  busy neighbour slows all alike); p50, p99 and max per input. p99 of 100 samples is the
  second largest.
- Baseline, same run, same rounds, same method: `clean_photo` of a 1 MP JPEG, the cheapest
  ordinary photo. Ratio: an input's p99 CPU over the baseline's p99 CPU.
- Reference, same run: the code before this change (BEFORE_REPS samples of every input
  through `before_clean` below, the old `clean_photo` step for step: 50 MP for every
  format, a square JPEG draft, every step at full size).
- A question: the three costliest accepted inputs through `clean_photo` one after the
  other in one child process, as `ask_question` checks them, QUESTION_REPS times.

Target: no accepted or refused upload costs more than 1 s of CPU or 200 MB at p99.

Run alone: `python bench/photo_cost.py` (needs no database); `bench/run.py` calls
`bench_photo_cost()` after the e-consult benchmark. Every step is bounded: a fixed number
of samples, an alarm in every child. BENCH_PHOTO_REPS, BENCH_PHOTO_BEFORE_REPS and
BENCH_PHOTO_QUESTION_REPS change the counts.
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import run  # the helpers of `make bench`
import summary  # the table at the top of BENCHMARKS.md

REPS = int(os.environ.get("BENCH_PHOTO_REPS", "100"))
BEFORE_REPS = int(os.environ.get("BENCH_PHOTO_BEFORE_REPS", "5"))
QUESTION_REPS = int(os.environ.get("BENCH_PHOTO_QUESTION_REPS", "20"))
MAX_BYTES = 20 * 1024 * 1024  # the highest limit a practice can set (max_photo_megabytes)
TARGET_CPU_S = 1.0
TARGET_MEMORY_MB = 200.0
CHILD_ALARM_S = 60  # a sample that takes longer is killed (and reported)
MAKE_TIMEOUT_S = 1200
MEASURE_TIMEOUT_S = 3600


@dataclass(frozen=True)
class Input:
    key: str
    what: str
    accepted: bool


INPUTS = [
    Input("baseline", "1 MP JPEG (1152x864, q90): **baseline**", True),
    Input("jpeg_12mp", "12 MP phone JPEG (4032x3024, q95, EXIF with GPS, colour profile)", True),
    Input("jpeg_12mp_20mb", "12 MP JPEG of nearly 20 MB (4:4:4, noise)", True),
    Input("jpeg_24mp", "24 MP JPEG as an iPhone 15 writes it (5712x4284)", True),
    Input("jpeg_36mp", "36 MP square JPEG (5999x5999: half scale is just under 3000)", True),
    Input("jpeg_48mp", "48 MP JPEG (8064x6048), turned (EXIF orientation 6)", True),
    Input("jpeg_pano", "50 MP panorama JPEG (50000x1000)", True),
    Input("jpeg_progressive", "12 MP progressive JPEG, 4:4:4 (4032x3024)", True),
    Input("jpeg_progressive_cmyk", "13 MP progressive CMYK JPEG under 8 MB (4160x3120)", True),
    Input("jpeg_100_scans", "13 MP progressive JPEG of 100 scans (crafted; 4160x3120)", True),
    Input("jpeg_progressive_48mp", "48 MP progressive JPEG (8064x6048)", False),
    Input("jpeg_progressive_17mb", "13 MP progressive JPEG over 8 MB (4:4:4)", False),
    Input("jpeg_1000_scans", "13 MP progressive JPEG of 1,000 scans (crafted)", False),
    Input("jpeg_truncated", "48 MP JPEG cut off halfway", False),
    Input("png_16mp", "16 MP PNG, flat colours like a screenshot (4618x3464)", True),
    Input("png_16mp_worst", "16 MP PNG, 16-bit RGBA, interlaced, Paeth rows (crafted)", True),
    Input("png_bomb_49mp", "49 MP PNG bomb (7000x7000 RGBA): the review's file", False),
    Input("png_bomb_900mp", "900 MP PNG bomb (30000x30000)", False),
    Input("png_truncated", "16 MP PNG (16-bit RGBA) cut off halfway", False),
    Input("heic_12mp", "12 MP HEIC as a phone writes it (4032x3024, EXIF, colour profile)", True),
    Input("heic_13mp_max", "13 MP HEIC just under the HEIC byte limit (4160x3120, profile)", True),
    Input("heic_24mp", "24 MP HEIC as an iPhone 15 writes it (5712x4284)", False),
    Input("heic_understated", "13 MP HEIC whose header claims 1 MP (crafted)", False),
]


# --- Making the inputs (child process) -----------------------------------------------------


def scene(size: tuple[int, int], sigma: float) -> Any:
    """Smooth colour gradients plus Gaussian noise of `sigma`: a phone camera's detail and
    sensor noise, as bench/econsult.py makes them, at any size."""
    from PIL import Image, ImageChops

    gradient = Image.linear_gradient("L").resize(size)
    radial = Image.radial_gradient("L").resize(size)
    bases = [
        gradient.point(lambda v: 150 + v * 90 // 255),
        radial.point(lambda v: 200 - v * 90 // 255),
        gradient.transpose(Image.Transpose.ROTATE_180).point(lambda v: 80 + v * 60 // 255),
    ]
    channels = [ImageChops.add(b, Image.effect_noise(size, sigma), 1.0, -128) for b in bases]
    return Image.merge("RGB", channels)


def phone_exif(orientation: int = 1) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Telefoonfabrikant"
    exif[0x0110] = "Telefoon 12"
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (52.0, 5.0, 30.0), 3: "E", 4: (4.0, 53.0, 10.0)}
    return exif.tobytes()


def srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def encoded(image: Any, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2)]
ADAM7.append((0, 1, 1, 2))


def png_of_zeros(
    width: int, height: int, *, colour: int, depth: int, interlaced: bool, row_filter: int
) -> bytes:
    """A PNG whose rows are all zero (it compresses to almost nothing, as a bomb does):
    `colour` 6 is RGBA, 2 RGB; `depth` 8 or 16 bits; interlaced with Adam7's 7 passes."""
    channels = {2: 3, 6: 4}[colour]
    row_bytes = channels * depth // 8
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    packer = zlib.compressobj(9)
    parts = []
    for x0, y0, dx, dy in passes:
        pass_width = max(0, -(-(width - x0) // dx))
        pass_height = max(0, -(-(height - y0) // dy))
        if pass_width and pass_height:
            row = bytes([row_filter]) + bytes(pass_width * row_bytes)
            parts.extend(packer.compress(row) for _ in range(pass_height))
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, int(interlaced))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"".join(parts))
        + png_chunk(b"IEND", b"")
    )


class Bits:
    """JPEG entropy-coded data: bits in, bytes out with 0xFF stuffed."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.value = 0
        self.count = 0

    def put(self, value: int, length: int) -> None:
        self.value = (self.value << length) | value
        self.count += length
        while self.count >= 8:
            self.count -= 8
            byte = (self.value >> self.count) & 0xFF
            self.out += b"\xff\x00" if byte == 0xFF else bytes([byte])
        self.value &= (1 << self.count) - 1

    def flush(self) -> bytes:
        if self.count:
            self.put((1 << (8 - self.count)) - 1, 8 - self.count)
        return bytes(self.out)


def jpeg_segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def progressive_jpeg_of_scans(width: int, height: int, scans: int) -> bytes:
    """A valid progressive JPEG (3 colours, 4:4:4, flat grey) of `scans` scans: one DC
    scan, then single-coefficient AC scans that each cover every block of one colour (one
    end-of-band run per 32,767 blocks): every scan is a pass over the whole picture."""
    blocks = -(-width // 8) * -(-height // 8)
    colours = 3
    out = b"\xff\xd8" + jpeg_segment(0xDB, b"\x00" + b"\x01" * 64)
    frame = struct.pack(">BHHB", 8, height, width, colours)
    frame += b"".join(bytes([c + 1, 0x11, 0]) for c in range(colours))
    out += jpeg_segment(0xC2, frame)
    out += jpeg_segment(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00")  # DC: one code
    end_of_band_runs = bytes(n << 4 for n in range(15))  # EOB0 .. EOB14, 4 bits each
    out += jpeg_segment(0xC4, b"\x10" + bytes([0, 0, 0, 15] + [0] * 12) + end_of_band_runs)
    dc = Bits()
    for _block in range(blocks * colours):
        dc.put(0, 1)
    scan = bytes([colours]) + b"".join(bytes([c + 1, 0]) for c in range(colours))
    out += jpeg_segment(0xDA, scan + b"\x00\x00\x00") + dc.flush()
    for number in range(scans - 1):
        colour, band = number % colours, 1 + (number // colours) % 63
        ac = Bits()
        left = blocks
        while left:
            run_length = min(left, 32767)
            bits = run_length.bit_length() - 1
            ac.put(bits, 4)
            if bits:
                ac.put(run_length - (1 << bits), bits)
            left -= run_length
        out += jpeg_segment(0xDA, bytes([1, colour + 1, 0, band, band, 0])) + ac.flush()
    return out + b"\xff\xd9"


def make_inputs(folder: Path) -> dict[str, Any]:
    """(Child process.) Every input into `folder`, one file per key; their sizes and how
    long making them took."""
    django_ready()
    from spreekuur.econsult.photos import (  # and pillow-heif registered
        MAX_BYTES_HEIF,
        MAX_BYTES_PROGRESSIVE,
    )

    started = time.perf_counter()
    made: dict[str, bytes] = {}
    made["baseline"] = encoded(scene((1152, 864), 10), "JPEG", quality=90)
    phone = scene((4032, 3024), 28)
    made["jpeg_12mp"] = encoded(
        phone, "JPEG", quality=95, exif=phone_exif(), icc_profile=srgb_profile()
    )
    del phone
    noisy = scene((4032, 3024), 28)
    for quality in range(99, 80, -2):  # the most bits under the practice's highest limit
        made["jpeg_12mp_20mb"] = encoded(noisy, "JPEG", quality=quality, subsampling=0)
        if len(made["jpeg_12mp_20mb"]) <= MAX_BYTES - 512 * 1024:
            break
    del noisy
    made["jpeg_progressive"] = encoded(
        scene((4032, 3024), 10), "JPEG", quality=90, progressive=True, subsampling=0
    )
    made["jpeg_24mp"] = encoded(scene((5712, 4284), 10), "JPEG", quality=92, exif=phone_exif())
    made["jpeg_36mp"] = encoded(scene((5999, 5999), 8), "JPEG", quality=90)
    large = scene((8064, 6048), 8)
    made["jpeg_48mp"] = encoded(large, "JPEG", quality=90, exif=phone_exif(orientation=6))
    made["jpeg_progressive_48mp"] = encoded(large, "JPEG", quality=85, progressive=True)
    del large
    made["jpeg_truncated"] = made["jpeg_48mp"][: len(made["jpeg_48mp"]) // 2]
    made["jpeg_pano"] = encoded(scene((50000, 1000), 6), "JPEG", quality=90)
    cmyk_sigma = 8.0  # the most detail (so the most bits to read) under the byte limit
    for _attempt in range(8):
        data = encoded(
            scene((4160, 3120), cmyk_sigma).convert("CMYK"), "JPEG", quality=90, progressive=True
        )
        if len(data) <= MAX_BYTES_PROGRESSIVE:
            break
        cmyk_sigma -= 1
    made["jpeg_progressive_cmyk"] = data
    made["jpeg_progressive_17mb"] = encoded(
        scene((4160, 3120), 24), "JPEG", quality=95, progressive=True, subsampling=0
    )
    made["jpeg_100_scans"] = progressive_jpeg_of_scans(4160, 3120, 100)
    made["jpeg_1000_scans"] = progressive_jpeg_of_scans(4160, 3120, 1000)
    made["png_16mp"] = encoded(scene((4618, 3464), 0).quantize(64).convert("RGB"), "PNG")
    worst_png = png_of_zeros(4618, 3464, colour=6, depth=16, interlaced=True, row_filter=4)
    made["png_16mp_worst"] = worst_png
    made["png_truncated"] = worst_png[: len(worst_png) // 2]
    made["png_bomb_49mp"] = png_of_zeros(
        7000, 7000, colour=6, depth=8, interlaced=False, row_filter=0
    )
    made["png_bomb_900mp"] = png_of_zeros(
        30000, 30000, colour=2, depth=8, interlaced=False, row_filter=0
    )
    # HEIC through pillow-heif (x265, its default preset): a phone photo, and the most
    # detail that fits under the HEIC byte limit (decoding costs CPU per byte).
    made["heic_12mp"] = encoded(
        scene((4032, 3024), 4), "HEIF", quality=55, exif=phone_exif(), icc_profile=srgb_profile()
    )
    detailed = scene((4160, 3120), 4)
    heic_quality = 59  # about 3.3 MiB for this scene; one step down at a time until it fits
    for _attempt in range(6):
        data = encoded(detailed, "HEIF", quality=heic_quality, icc_profile=srgb_profile())
        if len(data) <= MAX_BYTES_HEIF:
            break
        heic_quality -= 1
    made["heic_13mp_max"] = data
    made["heic_24mp"] = encoded(
        scene((5712, 4284), 4), "HEIF", quality=60, enc_params={"preset": "ultrafast"}
    )
    heic = made["heic_13mp_max"]
    at = heic.index(b"ispe") + 8
    made["heic_understated"] = heic[:at] + struct.pack(">II", 1224, 918) + heic[at + 8 :]
    for key, data in made.items():
        (folder / key).write_bytes(data)
    return {
        "bytes": {key: len(data) for key, data in made.items()},
        "heic_13mp_quality": heic_quality,
        "cmyk_sigma": cmyk_sigma,
        "seconds": time.perf_counter() - started,
    }


# --- Measuring (child process, forking one grandchild per sample) ----------------------------


def before_clean(content: bytes) -> tuple[int, int]:
    """The old `clean_photo` after its byte checks (the code before this change, copied
    here as the reference): one limit of 50 MP for every format, a square draft for JPEG,
    and upright, colour and scaling at full size."""
    import warnings

    from PIL import Image, ImageCms, ImageOps

    from spreekuur.core.exceptions import BusinessRuleError

    def to_srgb(image: Image.Image) -> Image.Image:
        icc = image.info.get("icc_profile")
        if not icc:
            return image.convert("RGB")
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image.convert("RGB"), source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            return image.convert("RGB")
        return converted if converted is not None else image.convert("RGB")

    head = content[:16]
    if head.startswith(b"\xff\xd8\xff"):
        sniffed = "JPEG"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        sniffed = "PNG"
    elif head[4:8] == b"ftyp":
        sniffed = "HEIF"
    else:
        raise BusinessRuleError("refused")
    if sniffed == "JPEG" and content.count(b"\xff\xda") > 100:
        raise BusinessRuleError("refused")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            if image.width * image.height > 50_000_000:
                raise BusinessRuleError("refused")
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", (3000, 3000))
            image.load()
            upright = ImageOps.exif_transpose(image)
            pixels = to_srgb(upright)
            pixels.thumbnail((3000, 3000))
            pixels.info = {}
            out = io.BytesIO()
            pixels.save(out, "JPEG", quality=88, optimize=True)
    except BusinessRuleError:
        raise
    except Exception as error:
        raise BusinessRuleError("refused") from error
    return pixels.width, pixels.height


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def sample(work: Callable[[], str]) -> dict[str, Any]:
    """Run `work` in a forked child; its CPU seconds (all threads), the memory it added
    (peak minus start, MB) and its outcome."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure itself, report, and leave without cleaning up
        outcome = "error"
        try:
            os.close(reader)
            signal.alarm(CHILD_ALARM_S)
            Path("/proc/self/clear_refs").write_text("5")  # peak := now
            start_kb = status_kb("VmRSS:")
            try:
                outcome = work()
            except Exception as error:
                outcome = f"error: {type(error).__name__}: {error}"[:200]
            peak_kb = status_kb("VmHWM:")
            os.write(writer, json.dumps([outcome, start_kb, peak_kb]).encode())
        finally:
            os._exit(0)
    os.close(writer)
    _pid, status, usage = os.wait4(pid, 0)
    with os.fdopen(reader, "rb") as pipe:
        report = pipe.read()
    if not report:
        return {"outcome": f"killed (status {status})", "cpu": usage.ru_utime + usage.ru_stime}
    outcome, start_kb, peak_kb = json.loads(report)
    return {
        "outcome": outcome,
        "cpu": usage.ru_utime + usage.ru_stime,
        "mb": (peak_kb - start_kb) / 1024,
        "start_mb": start_kb / 1024,
    }


def upload(path: Path, clean: Callable[..., Any]) -> Callable[[], str]:
    """One upload as the service sees it: the file from disk, the practice's limit."""

    def work() -> str:
        from spreekuur.core.exceptions import BusinessRuleError

        with path.open("rb") as handle:
            try:
                photo = clean(handle, size=path.stat().st_size, max_bytes=MAX_BYTES)
            except BusinessRuleError as refused:
                return f"refused: {refused}"
        return f"accepted {photo.width}x{photo.height}"

    return work


def before_upload(path: Path) -> Callable[[], str]:
    def work() -> str:
        from spreekuur.core.exceptions import BusinessRuleError

        try:
            width, height = before_clean(path.read_bytes())
        except BusinessRuleError:
            return "refused"
        return f"accepted {width}x{height}"

    return work


def question(paths: list[Path]) -> Callable[[], str]:
    """Three photos checked one after the other, the results kept, as `ask_question` does."""

    def work() -> str:
        from spreekuur.econsult.photos import clean_photo

        kept = []
        for path in paths:
            with path.open("rb") as handle:
                kept.append(clean_photo(handle, size=path.stat().st_size, max_bytes=MAX_BYTES))
        return f"accepted {len(kept)} photos, {sum(len(p.content) for p in kept):,} bytes kept"

    return work


def django_ready() -> None:
    """(Child process.) Django set up: the photo code's messages are translatable."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spreekuur.settings")
    import django

    django.setup()


def measure(folder: Path) -> dict[str, Any]:
    """(Child process.) Warm up, then the rounds, the reference and the question."""
    django_ready()
    import PIL
    import pillow_heif
    from PIL import Image

    from spreekuur.econsult import photos

    # Warm-up: every decoder, the colour code and a refusal's translation, loaded once, on
    # small pictures (a large one would leave freed memory in this process's heap, which
    # the samples would reuse without it showing as theirs).
    for fmt in ("JPEG", "PNG", "HEIF"):
        small = encoded(Image.new("RGB", (64, 48)), fmt, icc_profile=srgb_profile())
        photos.clean_photo(io.BytesIO(small), size=len(small), max_bytes=MAX_BYTES)
    upload(folder / "png_bomb_49mp", photos.clean_photo)()
    rng = random.Random(11)
    samples: dict[str, list[dict[str, Any]]] = {item.key: [] for item in INPUTS}
    started = time.perf_counter()
    for _round in range(REPS):
        order = list(INPUTS)
        rng.shuffle(order)
        for item in order:
            samples[item.key].append(sample(upload(folder / item.key, photos.clean_photo)))
    rounds_seconds = time.perf_counter() - started
    before: dict[str, list[dict[str, Any]]] = {item.key: [] for item in INPUTS}
    for _round in range(BEFORE_REPS):
        for item in INPUTS:
            before[item.key].append(sample(before_upload(folder / item.key)))
    costliest = sorted(
        (item for item in INPUTS if item.accepted and item.key != "baseline"),
        key=lambda item: run.percentile([s["cpu"] for s in samples[item.key]], 0.99),
        reverse=True,
    )[:3]
    asked = [
        sample(question([folder / item.key for item in costliest]))
        for _round in range(QUESTION_REPS)
    ]
    return {
        "samples": samples,
        "before": before,
        "question_inputs": [item.key for item in costliest],
        "question": asked,
        "rounds_seconds": rounds_seconds,
        "limits": {
            "max_pixels": photos.MAX_PIXELS,
            "progressive": photos.MAX_PIXELS_PROGRESSIVE,
            "progressive_bytes": photos.MAX_BYTES_PROGRESSIVE,
            "decoded": photos.MAX_DECODED_PIXELS,
            "png": photos.MAX_PIXELS_PNG,
            "heif": photos.MAX_PIXELS_HEIF,
            "heif_bytes": photos.MAX_BYTES_HEIF,
            "long_side": photos.LONG_SIDE,
            "photos": photos.MAX_PHOTOS,
        },
        "pillow": PIL.__version__,
        "pillow_heif": pillow_heif.__version__,
        "libheif": pillow_heif.libheif_info().get("libheif", "?"),
    }


# --- The whole benchmark and its report ----------------------------------------------------


def child(flag: str, folder: Path, timeout: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(run.ROOT / "src"), "SPREEKUUR_ENV": "development"}
    done = subprocess.run(
        [sys.executable, __file__, flag, str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{flag} failed:\n{done.stderr[-3000:]}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def machine_text() -> str:
    try:
        return run.machine()
    except (OSError, subprocess.SubprocessError):  # no PostgreSQL: this bench needs none
        return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"


@dataclass
class Results:
    made: dict[str, Any]
    measured: dict[str, Any]
    machine: str
    seconds: float = 0.0


def bench_photo_cost(*, when: str | None = None) -> str:
    """Make the inputs, measure them, append the section to BENCHMARKS.md."""
    when = when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="spreekuur-photo-cost-") as name:
        folder = Path(name)
        print("photo cost: making the inputs ...", flush=True)
        made = child("--make", folder, MAKE_TIMEOUT_S)
        print(
            f"  {len(made['bytes'])} inputs in {made['seconds']:.0f} s; measuring {REPS} "
            f"rounds, {BEFORE_REPS} of the code before, {QUESTION_REPS} questions ...",
            flush=True,
        )
        measured = child("--measure", folder, MEASURE_TIMEOUT_S)
    result = Results(made, measured, machine_text())
    result.seconds = time.perf_counter() - began
    worst_cpu, worst_mb = worst(result)
    print(
        f"  worst p99: {worst_cpu[1]:.2f} s CPU ({worst_cpu[0]}), {worst_mb[1]:.0f} MB "
        f"({worst_mb[0]})",
        flush=True,
    )
    text = report(result, when)
    summary.publish(
        text, lambda: figures(result), bench="photo_cost", when=when, machine=result.machine
    )
    return text


def pct(values: list[float], share: float) -> float:
    return run.percentile(values, share)


def cpus(found: list[dict[str, Any]]) -> list[float]:
    return [s["cpu"] for s in found]


def mbs(found: list[dict[str, Any]]) -> list[float]:
    return [s.get("mb", 0.0) for s in found]


def outcomes(found: list[dict[str, Any]]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for s in found:
        counted[s["outcome"]] = counted.get(s["outcome"], 0) + 1
    return counted


def expected(item: Input, outcome: str) -> bool:
    return outcome.startswith("accepted" if item.accepted else "refused")


def unexpected(r: Results) -> int:
    samples = r.measured["samples"]
    return sum(not expected(item, s["outcome"]) for item in INPUTS for s in samples[item.key])


def worst(r: Results) -> tuple[tuple[str, float], tuple[str, float]]:
    """The input with the highest p99 CPU, and the one with the highest p99 memory."""
    samples = r.measured["samples"]
    by_cpu = max(INPUTS, key=lambda item: pct(cpus(samples[item.key]), 0.99))
    by_mb = max(INPUTS, key=lambda item: pct(mbs(samples[item.key]), 0.99))
    return (
        (by_cpu.key, pct(cpus(samples[by_cpu.key]), 0.99)),
        (by_mb.key, pct(mbs(samples[by_mb.key]), 0.99)),
    )


def short(outcome: str) -> str:
    """'accepted 3000x2250' or the refusal's first words."""
    if outcome.startswith("refused: "):
        words = outcome.removeprefix("refused: ").split()
        return "refused: " + " ".join(words[:9]) + (" …" if len(words) > 9 else "")
    return outcome


def report(r: Results, when: str) -> str:
    measured, made = r.measured, r.made
    samples, before, limits = measured["samples"], measured["before"], measured["limits"]
    base_cpu = pct(cpus(samples["baseline"]), 0.99)
    (cpu_key, cpu_p99), (mb_key, mb_p99) = worst(r)
    wrong = unexpected(r)
    asked = measured["question"]
    question_cpu = pct(cpus(asked), 0.99)
    question_mb = pct(mbs(asked), 0.99)
    names = {item.key: item.what.replace(": **baseline**", "") for item in INPUTS}
    lines = [
        f"\n## E-consult — photo cost per upload — {when}\n",
        f"Machine: {r.machine}. Code: `{summary.code_version()}`. Pillow "
        f"{measured['pillow']}, pillow-heif {measured['pillow_heif']} (libheif "
        f"{measured['libheif']}). Whole benchmark: {r.seconds:.0f} s, of which making the "
        f"inputs {made['seconds']:.0f} s and the {REPS} rounds "
        f"{measured['rounds_seconds']:.0f} s.\n",
        "| target | measured | |",
        "|---|---|---|",
        f"| no upload, accepted or refused, over {TARGET_CPU_S:.0f} s CPU at p99 "
        f"| {cpu_p99:.2f} s ({names[cpu_key]}) | {run_passed(cpu_p99 <= TARGET_CPU_S)} |",
        f"| no upload, accepted or refused, over {TARGET_MEMORY_MB:.0f} MB at p99 "
        f"| {mb_p99:.0f} MB ({names[mb_key]}) | {run_passed(mb_p99 <= TARGET_MEMORY_MB)} |",
        f"| every input accepted or refused as it should be | {wrong} of "
        f"{REPS * len(INPUTS)} otherwise | {run_passed(wrong == 0)} |",
        "",
        "The limits measured (src/spreekuur/econsult/photos.py): JPEG at most "
        f"{limits['max_pixels'] / 1e6:.0f} MP, decoded at 1/2, 1/4 or 1/8 scale towards "
        f"{limits['long_side']} px on the long side and never at more than "
        f"{limits['decoded'] / 1e6:.0f} MP; a progressive JPEG (or one with its colours in "
        f"separate scans) at most {limits['progressive'] / 1e6:.0f} MP and "
        f"{limits['progressive_bytes'] / 2**20:.0f} MiB; PNG at most "
        f"{limits['png'] / 1e6:.0f} MP; HEIC at most {limits['heif'] / 1e6:.0f} MP and "
        f"{limits['heif_bytes'] / 2**20:.0f} MiB; each from the header, before decoding.\n",
        f"### Per upload: {REPS} samples each, interleaved, one forked process per sample\n",
        "CPU: user + system seconds of the process (all threads). Memory: its peak resident "
        "memory minus its resident memory at the start (MB): what the upload adds to a web "
        f"worker. The size limit passed is {MAX_BYTES // 2**20} MB, the highest a practice can "
        "set. Ratio: p99 CPU over the baseline's p99 CPU (a 1 MP JPEG, same rounds). "
        f"Before: the code before this change, {BEFORE_REPS} samples (p50).\n",
        "| upload | bytes | outcome | CPU p50 s | CPU p99 s | CPU max s | MB p50 | MB p99 "
        "| MB max | p99 / baseline | before: CPU s | before: MB | before: outcome |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for item in INPUTS:
        found, old = samples[item.key], before[item.key]
        seen = outcomes(found)
        outcome = "; ".join(
            f"{short(o)}" + (f" x{n}" if len(seen) > 1 else "") for o, n in seen.items()
        )
        if any(not expected(item, o) for o in seen):
            outcome = f"**{outcome}** (should be {'accepted' if item.accepted else 'refused'})"
        old_seen = outcomes(old)
        lines.append(
            f"| {item.what} | {made['bytes'][item.key]:,} | {outcome} "
            f"| {pct(cpus(found), 0.5):.3f} | {pct(cpus(found), 0.99):.3f} "
            f"| {max(cpus(found)):.3f} | {pct(mbs(found), 0.5):.0f} | {pct(mbs(found), 0.99):.0f} "
            f"| {max(mbs(found)):.0f} | {pct(cpus(found), 0.99) / base_cpu:.1f}x "
            f"| {pct(cpus(old), 0.5):.3f} | {pct(mbs(old), 0.5):.0f} "
            f"| {', '.join(short(o) for o in old_seen)} |"
        )
    bomb, bomb_before = samples["png_bomb_49mp"], before["png_bomb_49mp"]
    lines += [
        "",
        f"The review's bomb ({made['bytes']['png_bomb_49mp']:,} bytes, 49 MP): before this "
        f"change {pct(cpus(bomb_before), 0.5):.2f} s CPU and "
        f"{pct(mbs(bomb_before), 0.5):.0f} MB ({', '.join(outcomes(bomb_before))}); now "
        f"{pct(cpus(bomb), 0.99) * 1000:.1f} ms and {pct(mbs(bomb), 0.99):.1f} MB at p99, "
        "refused from its header.\n",
        f"### A question: {limits['photos']} photos, {QUESTION_REPS} samples\n",
        "The three accepted inputs with the highest p99 CPU ("
        + ", ".join(names[key] for key in measured["question_inputs"])
        + ") through `clean_photo` one after the other in one process, the results kept, as "
        f"`ask_question` checks them before anything is stored: p50 {pct(cpus(asked), 0.5):.2f} "
        f"s, p99 {question_cpu:.2f} s CPU; memory p50 {pct(mbs(asked), 0.5):.0f} MB, p99 "
        f"{question_mb:.0f} MB (the photos are decoded one after the other, so their memory "
        "does not add up, only the re-encoded JPEGs kept and what the heap keeps of the "
        f"one before; their CPU does: at most {limits['photos']} x {TARGET_CPU_S:.0f} s). "
        "Outcome: " + ", ".join(f"{o} x{n}" for o, n in outcomes(asked).items()) + ".\n",
        "Inputs: phone photos are colour gradients plus Gaussian noise (bench/econsult.py's "
        "scene) at the sizes named; the HEIC files are written by pillow-heif (x265, its "
        f"default preset; the one at the byte limit at quality {made['heic_13mp_quality']}, "
        "the 24 MP one with the ultrafast preset: it is refused before decoding). Crafted: "
        "the PNG bombs and the worst PNG are rows of zeros that deflate to almost nothing; "
        "the scan JPEGs are valid progressive JPEGs whose every scan covers every block of a "
        "colour; the understated HEIC has its `ispe` box rewritten (libheif then refuses to "
        "decode a stream larger than the header said).\n",
    ]
    return "\n".join(lines) + "\n"


def run_passed(ok: bool) -> str:
    return "pass" if ok else "**fail**"


def figures(r: Results) -> list[summary.Figure]:
    """The targets of the report's first table, as records for the summary."""
    samples, before = r.measured["samples"], r.measured["before"]
    (cpu_key, cpu_p99), (mb_key, mb_p99) = worst(r)
    base_cpu = pct(cpus(samples["baseline"]), 0.99)
    base_mb = pct(mbs(samples["baseline"]), 0.99)
    wrong = unexpected(r)
    bomb_p99 = pct(cpus(samples["png_bomb_49mp"]), 0.99)
    bomb_before = pct(cpus(before["png_bomb_49mp"]), 0.5)
    return [
        summary.Figure(
            id="photo_cost.cpu_p99",
            target=f"no e-consult photo upload, accepted or refused, over {TARGET_CPU_S:.0f} s "
            f"CPU at p99 ({len(INPUTS)} kinds, {REPS} samples each)",
            figure=round(cpu_p99, 3),
            unit="s",
            threshold=TARGET_CPU_S,
            op="<=",
            passed=cpu_p99 <= TARGET_CPU_S and wrong == 0,
            baseline=round(base_cpu, 3),
            baseline_unit="s",
            baseline_what="a 1 MP JPEG, p99",
            ratio=cpu_p99 / base_cpu,
            note=cpu_key,
        ),
        summary.Figure(
            id="photo_cost.memory_p99",
            target=f"no e-consult photo upload, accepted or refused, over "
            f"{TARGET_MEMORY_MB:.0f} MB at p99",
            figure=round(mb_p99),
            unit="MB",
            threshold=TARGET_MEMORY_MB,
            op="<=",
            passed=mb_p99 <= TARGET_MEMORY_MB and wrong == 0,
            baseline=round(base_mb, 1),
            baseline_unit="MB",
            baseline_what="a 1 MP JPEG, p99",
            ratio=mb_p99 / base_mb if base_mb else None,
            note=mb_key,
        ),
        summary.Figure(
            id="photo_cost.png_bomb",
            target="the review's 190 KB, 49 MP PNG refused from its header (CPU at p99)",
            figure=round(bomb_p99 * 1000, 1),
            unit="ms",
            threshold=TARGET_CPU_S * 1000,
            op="<=",
            passed=bomb_p99 <= TARGET_CPU_S
            and all(s["outcome"].startswith("refused") for s in samples["png_bomb_49mp"]),
            baseline=round(bomb_before * 1000),
            baseline_unit="ms",
            baseline_what="the code before this change, same run, p50",
            ratio=bomb_p99 / bomb_before if bomb_before else None,
        ),
    ]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--make":
        print(json.dumps(make_inputs(Path(sys.argv[2]))))
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a killed sample leaves no core
        print(json.dumps(measure(Path(sys.argv[2]))))
        return
    bench_photo_cost()


if __name__ == "__main__":
    main()
