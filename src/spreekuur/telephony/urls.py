from django.urls import path

from spreekuur.telephony import views

app_name = "telephony"

urlpatterns = [
    path("api/telefonie/<uuid:link_id>/gebeurtenissen/", views.events, name="events"),
    path("terugbellen/", views.callbacks, name="callbacks"),
    path("terugbellen/<uuid:public_id>/", views.callback_action, name="callback_action"),
    path("belbelasting/", views.call_load, name="call_load"),
    path("beheer/telefonie/", views.settings_view, name="settings"),
    path("beheer/telefonie/koppeling/", views.link_create, name="link_create"),
    path("beheer/telefonie/koppeling/<uuid:public_id>/", views.link_action, name="link_action"),
    path("beheer/telefonie/configuratie.json", views.config_export, name="config_export"),
    path("beheer/telefonie/gespreksrapport/", views.call_report_import, name="call_report_import"),
]
