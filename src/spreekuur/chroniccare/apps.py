from django.apps import AppConfig


class ChronicCareConfig(AppConfig):
    """Chronic-care programmes (ketenzorg): the programmes as data, and who takes part.
    The POH's control consult, due lists, indicators and the patient's view build on this
    (issue 22); until they land the app adds nothing to the menu."""

    name = "spreekuur.chroniccare"
    label = "chroniccare"
    verbose_name = "Ketenzorg"

    def ready(self) -> None:
        from spreekuur.chroniccare.programmes import programmes

        programmes()  # a broken programmes file stops the start-up, with the reason
