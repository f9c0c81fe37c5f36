"""Planner processes for the region generator: a practice's rows are made in a worker
process while the main process writes the practice before it.

The main process does everything that touches the database: a practice's set-up (ORM),
its keys and the COPY (care.py, results.py). What a worker gets is plain data (the
practice's `Setting`, its patients); what it returns are rows. Planning a practice is
pure Python and half of the generator's time; the database takes the rows on another
core meanwhile, so on two cores one worker is what helps (more only where there are
more cores). A worker that tries to use the database fails instead.

Workers are started fresh (`spawn`), never forked from a process that holds an open
connection inside a transaction. Without workers (`workers=0`: one core, one practice,
other databases, fixed public ids for tests) the same functions run in the main process,
one practice after the other, as before.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

import django

Job = TypeVar("Job")
MAX_WORKERS = 4


def workers_for(practices: int, *, cores: int | None = None) -> int:
    """Planner processes for this many practices: one fewer than the cores (the main
    process writes and the database takes the rows), at most one per practice after the
    first, none on one core."""
    cores = cores if cores is not None else (os.cpu_count() or 1)
    return max(0, min(practices - 1, cores - 1, MAX_WORKERS))


def _refuse_database(*_args: Any) -> Any:
    raise RuntimeError("a planner process does not use the database")


def _in_worker(plan: Callable[..., Any], *arguments: Any) -> Any:
    """A job in a worker, which may neither connect to the database nor query it."""
    from django.db import connections

    for alias in connections:
        db = connections[alias]
        db.connect = _refuse_database  # type: ignore[method-assign]
        if _refuse_database not in db.execute_wrappers:
            db.execute_wrappers.append(_refuse_database)
    return plan(*arguments)


def pipelined(
    jobs: Iterable[Job],
    plan: Callable[..., Any],
    arguments: Callable[[Job], tuple[Any, ...]],
    *,
    workers: int,
) -> Generator[tuple[Job, Any], None, None]:
    """(job, plan(*arguments(job))) for every job, in order. `arguments` runs in this
    process (it may use the database), `plan` in a worker; each job's arguments are
    made while the workers plan the jobs before it, and a plan is handed back while the
    next ones are being made."""
    if workers == 0:
        for job in jobs:
            yield job, plan(*arguments(job))
        return
    # A worker starts with Django's apps (the rows come from the models' fields); this
    # module, in a package that imports models, can only be imported after that.
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=django.setup
    )
    try:
        pending: deque[tuple[Job, Future[Any]]] = deque()
        for job in jobs:
            pending.append((job, pool.submit(_in_worker, plan, *arguments(job))))
            # One job more than workers: a worker never waits for the main process.
            if len(pending) > workers:
                done, planned = pending.popleft()
                yield done, planned.result()
        while pending:
            done, planned = pending.popleft()
            yield done, planned.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
