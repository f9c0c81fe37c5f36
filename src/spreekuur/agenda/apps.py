from django.apps import AppConfig


class AgendaConfig(AppConfig):
    name = "spreekuur.agenda"
    label = "agenda"
    verbose_name = "Agenda"
