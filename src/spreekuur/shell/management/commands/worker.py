"""The background worker: enqueues each app's periodic jobs when due and runs every task
on the queue (django-tasks, database backend), until stopped.

Jobs are idempotent, so a worker killed halfway simply does the rest on its next round,
and two workers at once do no harm (tasks are claimed once; rows are claimed with
SKIP LOCKED)."""

from __future__ import annotations

import logging
import os
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResult, TaskResultStatus, task_backends
from django_tasks.signals import task_finished
from django_tasks_db import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

from spreekuur.core.audit import check_chain_key
from spreekuur.shell import registry
from spreekuur.shell.tasks import deliver_notifications, run_job

logger = logging.getLogger(__name__)

ROUND_SECONDS = 2  # how often the queue is looked at; periodic jobs have their own pace


class Command(BaseCommand):
    help = "Run the background jobs (reminders, slots, deliveries, notifications) until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run every job once, empty the queue, stop."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check_chain_key()  # a wrong AUDIT_CHAIN_KEY stops the worker before any job
        stopping = False

        def stop(*_args: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        task_finished.connect(self._report, weak=False)
        last_enqueued: dict[str, float] = {}
        while not stopping:
            now = time.monotonic()
            for job in registry.periodic_jobs():
                last = last_enqueued.get(job.task_path)
                if options["once"] or last is None or now - last >= job.every_seconds:
                    run_job.enqueue(job.task_path)
                    last_enqueued[job.task_path] = now
            if options["once"]:
                deliver_notifications.enqueue()
            self._drain()
            if options["once"]:
                return
            for _ in range(ROUND_SECONDS * 4):
                if stopping:
                    break
                time.sleep(0.25)

    def _report(self, sender: object, task_result: TaskResult[Any], **_kwargs: object) -> None:
        """One line per finished task, as operators (and bench/crash.py) read them."""
        name = task_result.args[0] if task_result.args else task_result.task.module_path
        if task_result.status == TaskResultStatus.SUCCESSFUL:
            self.stdout.write(f"{name}: {task_result.return_value}")
        else:
            self.stdout.write(f"{name}: failed")
        self.stdout.flush()

    def _drain(self) -> None:
        """Run every task that is ready, then return (django-tasks' worker, batch mode).
        With another backend (the immediate one in tests) enqueued tasks have already run."""
        if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
            return
        close_old_connections()  # a long-lived process drops stale connections
        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=f"spreekuur-{os.getpid()}",
            excluded_queue_names=[],
        )
        worker.run()
