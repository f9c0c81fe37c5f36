"""The FHIR API's addresses, all under /fhir/R4/ (included by urls.py). Their own module:
core.middleware.MachineDoorMiddleware resolves an API call against these alone
(settings.MACHINE_DOORS), not against every app's URLs in turn."""

from django.urls import path, re_path

from spreekuur.fhir.views import api

TYPE = r"(?P<resource_type>[A-Z][A-Za-z]{1,63})"

urlpatterns = [
    path("fhir/R4/metadata", api.metadata, name="metadata"),
    path("fhir/R4/.well-known/smart-configuration", api.smart_config, name="smart_configuration"),
    path("fhir/R4/openapi.json", api.openapi, name="openapi"),
    re_path(rf"^fhir/R4/{TYPE}/?$", api.type_level, name="type"),
    re_path(
        rf"^fhir/R4/{TYPE}/(?P<public_id>[^/]{{1,100}})/?$", api.instance_level, name="instance"
    ),
    re_path(r"^fhir/R4(?:/(?P<rest>.*))?$", api.unknown, name="unknown"),
]
