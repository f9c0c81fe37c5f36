from django.urls import include, path

urlpatterns = [
    path("", include("spreekuur.core.urls")),
    path("account/", include("spreekuur.accounts.urls")),
    path("account/passkey/", include("spreekuur.accounts.passkey_urls")),
    path("", include("spreekuur.patients.urls")),
    path("", include("spreekuur.agenda.urls")),
    path("", include("spreekuur.dossier.urls")),
    path("", include("spreekuur.results.urls")),
    path("", include("spreekuur.prescriptions.urls")),
    path("", include("spreekuur.econsult.urls")),
]

handler404 = "spreekuur.core.views.not_found"
handler403 = "spreekuur.core.views.forbidden"
