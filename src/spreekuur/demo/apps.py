from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "spreekuur.demo"
    label = "demo"
    verbose_name = "Demo data"
