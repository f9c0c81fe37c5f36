from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "spreekuur.core"
    label = "core"
    verbose_name = "Spreekuur core"
