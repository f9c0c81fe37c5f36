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
    path("mijn-gegevens/telefoon/", views.change_phone_view, name="change_phone"),
    path("mijn-gegevens/e-mailadres/", views.change_email_view, name="change_email"),
    path(
        "mijn-gegevens/e-mailadres/bevestigen/<str:token>/",
        views.confirm_email_change_view,
        name="confirm_email_change",
    ),
    path("mijn-gegevens/adres/", views.change_address_view, name="change_address"),
    path("adreswijzigingen/", views.address_changes_view, name="address_changes"),
    path(
        "adreswijzigingen/<uuid:public_id>/",
        views.address_change_view,
        name="address_change",
    ),
    path(
        "adreswijzigingen/<uuid:public_id>/verwerken/",
        views.accept_address_change_view,
        name="accept_address_change",
    ),
    path(
        "adreswijzigingen/<uuid:public_id>/afwijzen/",
        views.reject_address_change_view,
        name="reject_address_change",
    ),
    path("namens/", views.acting_for_view, name="acting_for"),
    path(
        "patienten/<uuid:public_id>/vertegenwoordigers/",
        views.representations_view,
        name="representations",
    ),
]
