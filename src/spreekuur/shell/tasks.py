"""Background tasks on django-tasks (database backend), run by `spreekuur worker`.

Periodic jobs are plain functions that the apps declare (core.registry.PeriodicJob);
the worker enqueues `run_job` for each when it is due, so every run is a task with its
own result row. Notifications are delivered as soon as they are queued (core.outbox
asks for `deliver_notifications` on commit) and again every minute for retries."""

from __future__ import annotations

from dataclasses import asdict

from django.utils.module_loading import import_string
from django_tasks import task

from spreekuur.shell import registry, services


@task()
def run_job(task_path: str) -> object:
    if task_path not in {job.task_path for job in registry.periodic_jobs()}:
        raise ValueError(f"Not a declared periodic job: {task_path}")  # never any import path
    return import_string(task_path)()


def deliver_pending() -> dict[str, int]:
    """Send what is due now (also the periodic job that picks up retries)."""
    return asdict(services.deliver_due_notifications())


@task()
def deliver_notifications() -> dict[str, int]:
    return deliver_pending()


def enqueue_delivery() -> None:
    deliver_notifications.enqueue()
