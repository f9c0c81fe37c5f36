from django.urls import path

from spreekuur.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/cijfers.csv", views.dashboard_csv, name="dashboard_csv"),
    path("dashboard/maand/", views.monthly_review, name="monthly_review"),
    path("beheer/tarieven/", views.tariffs, name="tariffs"),
    path(
        "beheer/tarieven/<uuid:public_id>/verwijderen/", views.remove_tariff, name="remove_tariff"
    ),
    path("regio/", views.region, name="region"),
    path("regio/cijfers.csv", views.region_csv, name="region_csv"),
]
