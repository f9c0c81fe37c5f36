from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.i18n import set_language

from spreekuur.shell import views

app_name = "shell"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("start/", views.start, name="start"),
    path("taal/", login_not_required(set_language), name="set_language"),
    path("mijn-dossier/wie-keek-er/", views.my_audit_log, name="my_audit_log"),
    path("beheer/logboek/", views.audit_search, name="audit_search"),
    path("beheer/logboek/patient/", views.audit_find_patient, name="audit_find_patient"),
    path("berichten/niet-verzonden/", views.failed_notifications, name="failed_notifications"),
    path(
        "berichten/<uuid:public_id>/opnieuw/",
        views.retry_notification,
        name="retry_notification",
    ),
]
