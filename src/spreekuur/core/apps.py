from typing import Any

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "spreekuur.core"
    label = "core"
    verbose_name = "Spreekuur core"

    def ready(self) -> None:
        from spreekuur.core.signals import opening_hours_changed

        opening_hours_changed.connect(_forget_schedule, dispatch_uid="core.forget_schedule")


def _forget_schedule(*, practice: Any, **kwargs: Any) -> None:
    from spreekuur.core.current_hours import forget_schedule

    forget_schedule(practice.pk)
