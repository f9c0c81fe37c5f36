from django.urls import path

from spreekuur.fhir import api_urls
from spreekuur.fhir.views import pages

app_name = "fhir"

urlpatterns = [
    # The FHIR API (its own module: MachineDoorMiddleware resolves calls against it alone)
    *api_urls.urlpatterns,
    # The pages
    path("mijn-apps/", pages.connections, name="connections"),
    path("mijn-apps/<uuid:public_id>/ontkoppelen/", pages.disconnect, name="disconnect"),
    path("beheer/apps/", pages.apps, name="apps"),
    path("beheer/apps/<uuid:public_id>/", pages.app_detail, name="app_detail"),
]
