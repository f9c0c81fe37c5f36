from django.urls import path

from spreekuur.results import api, views

app_name = "results"

urlpatterns = [
    path("mijn-uitslagen/<uuid:public_id>/", views.my_test_results, name="my_test_results"),
    path("uitslagen/beoordelen/", views.review_list, name="review_list"),
    path("uitslagen/aanvraag/<uuid:public_id>/", views.panel_review, name="panel_review"),
    path("uitslagen/werklijst/", views.worklist, name="worklist"),
    path("uitslagen/berichten/<uuid:public_id>/", views.lab_message, name="lab_message"),
    path("uitslagen/<uuid:public_id>/", views.result_detail, name="result_detail"),
    path("patienten/<uuid:public_id>/uitslagen/", views.patient_results, name="patient_results"),
    path("api/lab/<slug:door>/", api.lab_inbox, name="lab_inbox"),
]
