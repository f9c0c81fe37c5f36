from django.apps import AppConfig


class EconsultConfig(AppConfig):
    name = "spreekuur.econsult"
    label = "econsult"
    verbose_name = "E-consult"
