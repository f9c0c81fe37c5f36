"""The background worker: runs each periodic job when it is due, until stopped.

Jobs are idempotent, so a worker killed halfway simply does the rest on its next round,
and two workers at once do no harm (rows are claimed with SKIP LOCKED)."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass
class Job:
    path: str
    every_seconds: int
    last_run: float = 0.0


JOBS = [
    Job("spreekuur.agenda.tasks.send_due_reminders", every_seconds=300),
    Job("spreekuur.agenda.tasks.extend_slots", every_seconds=6 * 3600),
    Job("spreekuur.prescriptions.tasks.deliver_prescriptions", every_seconds=60),
    Job("spreekuur.econsult.tasks.remind_unread_answers", every_seconds=3600),
]


class Command(BaseCommand):
    help = "Run the background jobs (reminders, slot generation) until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(*_args: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            for job in JOBS:
                due = time.monotonic() - job.last_run >= job.every_seconds or job.last_run == 0
                if due or options["once"]:  # --once (cron) runs every job, every time
                    self._run(job)
            if options["once"]:
                return
            for _ in range(30):
                if stopping:
                    break
                time.sleep(1)

    def _run(self, job: Job) -> None:
        if not connection.in_atomic_block:
            close_old_connections()  # a long-lived process drops stale connections
        function: Callable[[], object] = import_string(job.path)
        try:
            result = function()
            self.stdout.write(f"{job.path}: {result}")
        except Exception:
            logger.exception("Job %s failed", job.path)
        job.last_run = time.monotonic()
