from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "spreekuur.results"
    label = "results"
    verbose_name = "Uitslagen"
