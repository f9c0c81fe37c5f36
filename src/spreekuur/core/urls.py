from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.i18n import set_language

from spreekuur.core import views

app_name = "core"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("start/", views.start, name="start"),
    path("taal/", login_not_required(set_language), name="set_language"),
    path("p/<slug:slug>/", views.practice_page, name="practice_page"),
    path("mijn-dossier/wie-keek-er/", views.my_audit_log, name="my_audit_log"),
    path("beheer/logboek/", views.audit_search, name="audit_search"),
    path("beheer/praktijkpagina/", views.manage_page, name="manage_page"),
    path("beheer/praktijkgegevens/", views.practice_details, name="practice_details"),
    path("beheer/nieuws/<uuid:public_id>/verwijderen/", views.remove_news, name="remove_news"),
]
