"""The summary at the top of BENCHMARKS.md, rebuilt from the stored figures.

Every benchmark (bench/run.py's own steps, booking.py, results.py, ...) hands `publish` two
things: the markdown section it always wrote, appended to BENCHMARKS.md as the history
(oldest run first), and one `Figure` per target, appended to bench/figures.jsonl (one JSON
record a line, with the run's date, machine and commit). Then the table at the top of
BENCHMARKS.md is written again from bench/figures.jsonl alone: the newest figure of every
target, its baseline measured in the same run, their ratio and the verdict. The markdown
is never parsed.

`python bench/summary.py` rebuilds the table without running anything. BENCH_OUT (another
markdown file) and BENCH_FIGURES (another JSON lines file) send a trial run elsewhere;
with BENCH_OUT alone, the figures go next to it (same name, `.jsonl`).
"""

from __future__ import annotations

import json
import os
import subprocess
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The order of the benchmarks in the table (those not named here come last).
BENCHES = {
    "foundation": "Foundation",
    "booking": "Agenda: booking storm",
    "results": "Lab results",
    "prescriptions": "Repeat prescriptions",
    "econsult": "E-consult",
    "photo_cost": "E-consult: photo cost",
    "mixed": "Mixed portal load",
    "crash": "Crash safety",
    "triage": "Self-triage and FAQ assistant",
    "operations": "Practice operations",
    "fhir": "FHIR API",
    "chroniccare": "Chronic care (ketenzorg)",
}
BEGIN = "<!-- summary: written by bench/summary.py from bench/figures.jsonl; do not edit -->"
END = "<!-- end of summary -->"
INTRO = """# Benchmarks

Written by `make bench` (bench/run.py) and by each benchmark run on its own (`python
bench/booking.py`, ...). After every run the table below is rebuilt from
[bench/figures.jsonl](bench/figures.jsonl) (one record per target per run): the newest
figure of each target, the baseline the same run measured, their ratio (figure /
baseline) and the verdict. Below the table, the full report of every run, oldest first.
"""
OPS = {"<": "under", "<=": "at most", ">": "over", ">=": "at least", "==": "exactly"}


@dataclass(frozen=True)
class Figure:
    """One target as one run measured it."""

    id: str  # stable key across runs, e.g. "booking.storm_confirm_p95"
    target: str  # the target as a sentence, as the bench's own table says it
    figure: float
    unit: str
    threshold: float
    op: str  # how figure (or ratio, see `on`) must compare to threshold: < <= > >= ==
    passed: bool  # the bench's verdict (some also need e.g. no errors)
    baseline: float | None = None  # measured in the same run
    baseline_unit: str = ""
    baseline_what: str = ""
    ratio: float | None = None  # figure / baseline
    on: str = "figure"  # "ratio": the threshold applies to the ratio
    note: str = ""
    # Filled in by `publish`:
    bench: str = ""
    date: str = ""
    machine: str = ""
    code: str = ""


def markdown_path() -> Path:
    return Path(os.environ.get("BENCH_OUT") or ROOT / "BENCHMARKS.md")


def figures_path() -> Path:
    if os.environ.get("BENCH_FIGURES"):
        return Path(os.environ["BENCH_FIGURES"])
    if os.environ.get("BENCH_OUT"):
        return Path(os.environ["BENCH_OUT"]).with_suffix(".jsonl")
    return ROOT / "bench" / "figures.jsonl"


def code_version() -> str:
    """The commit measured, and whether src/ had changes not yet committed (plain text)."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True, timeout=30
    ).stdout.strip()
    return (head or "unknown") + (" with uncommitted changes in src/" if dirty else "")


def ratio(figure: float, baseline: float | None) -> float | None:
    return figure / baseline if baseline else None


def publish(
    text: str,
    figures: Callable[[], Sequence[Figure]],
    *,
    bench: str,
    when: str,
    machine: str | None = None,
    code: str | None = None,
) -> None:
    """Append the section to the history, then its figures (`figures()`) to the store, and
    rebuild the table; print the section. The section is written first: if making the
    records fails, the run's report is kept all the same (and the error shown)."""
    out = markdown_path()
    history = out.read_text() if out.exists() else ""
    out.write_text(history + text)
    print(text, flush=True)
    try:
        made = list(figures())
    except Exception:
        traceback.print_exc()
        print(f"no figures of this {bench} run for the summary (see above)", flush=True)
        made = []
    if machine is None:
        import run  # here: run imports this module

        machine = run.machine()
    code = code_version() if code is None else code
    with figures_path().open("a") as handle:
        for figure in made:
            stamped = replace(figure, bench=bench, date=when, machine=machine, code=code)
            handle.write(json.dumps(asdict(stamped), ensure_ascii=False) + "\n")
    rebuild()


def load(path: Path | None = None) -> list[Figure]:
    path = path or figures_path()
    if not path.exists():
        return []
    known = {f.name for f in fields(Figure)}
    found = []
    for line in path.read_text().splitlines():
        if line.strip():
            record: dict[str, Any] = json.loads(line)
            found.append(Figure(**{k: v for k, v in record.items() if k in known}))
    return found


def newest(figures: Sequence[Figure]) -> list[Figure]:
    """The newest record of every target (the later line wins on the same date), in the
    order of BENCHES, then the order the targets first appeared."""
    latest: dict[str, Figure] = {}
    for figure in figures:
        kept = latest.get(figure.id)
        if kept is None or figure.date >= kept.date:
            latest[figure.id] = figure
    first = {figure.id: index for index, figure in reversed(list(enumerate(figures)))}
    order = list(BENCHES)

    def key(figure: Figure) -> tuple[int, int]:
        place = order.index(figure.bench) if figure.bench in order else len(order)
        return place, first[figure.id]

    return sorted(latest.values(), key=key)


def number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.1f}"
    return f"{value:.2g}"


def times(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}x"
    if value >= 10:
        return f"{value:.1f}x"
    if value >= 0.1:
        return f"{value:.2f}x"
    return f"{value:.3f}x"


def with_unit(value: float, unit: str) -> str:
    return f"{number(value)} {unit}".strip()


def row(figure: Figure) -> str:
    baseline = (
        "—"
        if figure.baseline is None
        else with_unit(figure.baseline, figure.baseline_unit)
        + (f" ({figure.baseline_what})" if figure.baseline_what else "")
    )
    measured = with_unit(figure.figure, figure.unit) + (f" ({figure.note})" if figure.note else "")
    verdict = "pass" if figure.passed else "**fail**"
    bench = BENCHES.get(figure.bench, figure.bench)
    return (
        f"| {bench} | {figure.target} | {measured} | {baseline} | {times(figure.ratio)} "
        f"| {verdict} | {figure.date} |"
    )


def table(figures: Sequence[Figure]) -> str:
    shown = newest(figures)
    if not shown:
        return "No figures yet: run `make bench`.\n"
    failed = sum(not f.passed for f in shown)
    lines = [
        f"{len(shown) - failed} of {len(shown)} targets met by their newest figure.\n",
        "| bench | target | newest figure | same-run baseline | ratio | verdict | run |",
        "|---|---|---:|---|---:|---|---|",
        *[row(figure) for figure in shown],
        "",
    ]
    machines: dict[tuple[str, str], list[str]] = {}
    for figure in shown:
        runs = machines.setdefault((figure.machine, figure.code), [])
        if figure.date not in runs:
            runs.append(figure.date)
    for (machine, code), runs in machines.items():
        lines.append(
            f"Run {', '.join(sorted(runs))}: {machine or 'machine not recorded'}"
            + (f"; code `{code}`" if code else "")
            + "."
        )
    return "\n".join(lines) + "\n"


def rebuild(text: str | None = None) -> None:
    """Write the markdown file again: intro, the table from the figures, then the history
    (everything after the old table, or after the first heading below the title)."""
    out = markdown_path()
    if text is None:
        text = out.read_text() if out.exists() else ""
    if END in text:
        history = text.split(END, 1)[1]
    else:
        first = text.find("\n## ")
        history = text[first:] if first >= 0 else ""
    summary = "\n".join(["## Summary", "", BEGIN, "", table(load()), END])
    body = INTRO + "\n" + summary + "\n\n" + history.lstrip("\n")
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(body)
    temporary.replace(out)


if __name__ == "__main__":
    rebuild()
    print(f"rebuilt the summary of {markdown_path()} from {figures_path()}")
