from django.urls import path

from spreekuur.patients import views

app_name = "patients"

urlpatterns = [
    path("patienten/", views.patient_list_view, name="list"),
    path("patienten/<uuid:public_id>/", views.patient_detail_view, name="detail"),
    path(
        "patienten/<uuid:public_id>/activeringsbrief/",
        views.issue_activation_view,
        name="issue_activation",
    ),
    path("activeren/", views.activate_view, name="activate"),
    path("activeren/account/", views.activate_account_view, name="activate_account"),
    path("mijn-gegevens/", views.my_details_view, name="my_details"),
    path("namens/", views.acting_for_view, name="acting_for"),
    path(
        "patienten/<uuid:public_id>/vertegenwoordigers/",
        views.representations_view,
        name="representations",
    ),
]
