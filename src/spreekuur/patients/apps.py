from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "spreekuur.patients"
    label = "patients"
    verbose_name = "Patiënten"
