from django.apps import AppConfig


class PrescriptionsConfig(AppConfig):
    name = "spreekuur.prescriptions"
    label = "prescriptions"
    verbose_name = "Herhaalrecepten"
