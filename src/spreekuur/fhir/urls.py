from django.urls import path, re_path

from spreekuur.fhir.views import api, pages

app_name = "fhir"

TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,63})"

urlpatterns = [
    # The FHIR API
    path("fhir/R4/metadata", api.metadata, name="metadata"),
    path("fhir/R4/.well-known/smart-configuration", api.smart_config, name="smart_configuration"),
    path("fhir/R4/openapi.json", api.openapi, name="openapi"),
    re_path(rf"^fhir/R4/{TYPE}/?$", api.type_level, name="type"),
    re_path(
        rf"^fhir/R4/{TYPE}/(?P<public_id>[^/]{{1,100}})/?$", api.instance_level, name="instance"
    ),
    re_path(r"^fhir/R4(?:/(?P<rest>.*))?$", api.unknown, name="unknown"),
    # The pages
    path("mijn-apps/", pages.connections, name="connections"),
    path("mijn-apps/<uuid:public_id>/ontkoppelen/", pages.disconnect, name="disconnect"),
    path("beheer/apps/", pages.apps, name="apps"),
    path("beheer/apps/<uuid:public_id>/", pages.app_detail, name="app_detail"),
]
