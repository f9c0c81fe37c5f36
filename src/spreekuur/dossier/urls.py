from django.urls import path

from spreekuur.dossier import views

app_name = "dossier"

urlpatterns = [
    path("mijn-dossier/", views.my_record, name="my_record"),
    path("mijn-dossier/dossier.pdf", views.my_record_pdf, name="my_record_pdf"),
    # The portal's results page shows lab results (results) and measurements (dossier).
    path("mijn-uitslagen/", views.my_results, name="my_results"),
    path("patienten/<uuid:public_id>/dossier/", views.patient_record, name="patient_record"),
    path("dossier/<slug:kind>/<uuid:public_id>/afscherming/", views.shield, name="shield"),
    path("dossier/medicatie/<uuid:public_id>/herhaal/", views.repeat, name="repeat"),
]
