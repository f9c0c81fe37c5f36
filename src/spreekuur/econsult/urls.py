from django.urls import path

from spreekuur.econsult import views

app_name = "econsult"

urlpatterns = [
    path("econsult/", views.my_questions, name="my_questions"),
    path("econsult/nieuw/", views.ask, name="ask"),
    path("econsult/vraag/<uuid:public_id>/", views.my_thread, name="my_thread"),
    path("econsult/foto/<uuid:public_id>/", views.photo, name="photo"),
    path("econsult/inbox/", views.inbox, name="inbox"),
    path("econsult/inbox/<uuid:public_id>/", views.staff_thread, name="staff_thread"),
    path("beheer/econsult/", views.settings_view, name="settings"),
]
