from django.urls import path

from spreekuur.chroniccare import views

app_name = "chroniccare"

urlpatterns = [
    path("ketenzorg/", views.overview, name="overview"),
    path("ketenzorg/oproepen/", views.due_list, name="due_list"),
    path("ketenzorg/programma/<slug:code>/", views.programme_page, name="programme"),
    path(
        "ketenzorg/programma/<slug:code>/patient/<uuid:public_id>/",
        views.decide,
        name="decide",
    ),
    path("ketenzorg/deelname/<uuid:public_id>/", views.control, name="control"),
    path("ketenzorg/oproep/<uuid:public_id>/brief/", views.letter, name="letter"),
    path("ketenzorg/indicatoren/", views.indicators, name="indicators"),
    path("ketenzorg/indicatoren.csv", views.indicators_csv, name="indicators_csv"),
    path("ketenzorg/indicatoren.json", views.indicators_fhir, name="indicators_fhir"),
    path("regio/ketenzorg/", views.region_indicators, name="region"),
    path("regio/ketenzorg.csv", views.region_indicators_csv, name="region_csv"),
    path("mijn-zorgprogramma/", views.my_programmes, name="my_programmes"),
]
