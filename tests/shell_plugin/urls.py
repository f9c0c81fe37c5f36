from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from tests.shell_plugin.apps import _switched_on

app_name = "shell_plugin"


def home(request: HttpRequest) -> HttpResponse:
    if not _switched_on(request.user):
        raise PermissionDenied
    return HttpResponse("Inventaris")


urlpatterns = [path("", home, name="home")]
