"""The site's URLs: the shell's own, then each app's as it declares them in its AppConfig
(core.registry.Contributions.urls), in the order of INSTALLED_APPS."""

from django.urls import include, path

from spreekuur.shell.registry import url_includes

urlpatterns = [
    path("", include("spreekuur.shell.urls")),
    *(path(prefix, include(module)) for prefix, module in url_includes()),
]

handler404 = "spreekuur.shell.views.not_found"
handler403 = "spreekuur.shell.views.forbidden"
