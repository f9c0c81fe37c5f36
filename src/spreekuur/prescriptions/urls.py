from django.urls import path

from spreekuur.prescriptions import api, views

app_name = "prescriptions"

urlpatterns = [
    path("herhaalrecepten/", views.my_repeats, name="my_repeats"),
    path("herhaalrecepten/te-controleren/", views.filter_list, name="filter_list"),
    path("accorderingslijst/", views.accorderingslijst, name="accorderingslijst"),
    path("herhaalrecepten/verzending/", views.deliveries, name="deliveries"),
    path(
        "herhaalrecepten/verzending/<uuid:public_id>/",
        views.delivery_action,
        name="delivery_action",
    ),
    path(
        "herhaalrecepten/verzending/<uuid:public_id>/recept/",
        views.print_prescription,
        name="print_prescription",
    ),
    path("herhaalrecepten/cijfers/", views.figures, name="figures"),
    path("beheer/herhaalrecepten/", views.settings_view, name="settings"),
    path("api/apotheek/uitgifte/", api.dispense, name="dispense"),
]
