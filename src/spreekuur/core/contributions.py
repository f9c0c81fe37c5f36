"""Collects what each installed app declares in `AppConfig.shell_contributions()` (and in
any other method one reader asks every app for, such as `patient_log_screens()`).

Plain plugin discovery over Django's app registry: core imports no app, it asks each
installed app what it brings. The shell and any feature read the result through here."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.apps import apps
from django.core.signals import setting_changed

from spreekuur.core.registry import Contributions


@cache
def declared(method: str) -> tuple[Any, ...]:
    """What each installed app's AppConfig returns from `method`, where it has one."""
    found = []
    for config in apps.get_app_configs():
        declare: Callable[[], Any] | None = getattr(config, method, None)
        if callable(declare):
            found.append(declare())
    return tuple(found)


def collected() -> tuple[Contributions, ...]:
    return declared("shell_contributions")


def _forget(*, setting: str, **_kwargs: Any) -> None:
    if setting == "INSTALLED_APPS":  # a test that installs another app sees its entries
        declared.cache_clear()


setting_changed.connect(_forget)
