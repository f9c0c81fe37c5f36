from django.urls import path

from spreekuur.triage import views

app_name = "triage"

urlpatterns = [
    path("beheer/triage/", views.settings_view, name="settings"),
    path(
        "beheer/triage/spoedvraag/<uuid:public_id>/uitzetten/",
        views.switch_off_flag,
        name="switch_off_flag",
    ),
]
