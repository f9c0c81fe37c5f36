from django.urls import path

from spreekuur.practice import views

app_name = "practice"

urlpatterns = [
    path("p/<slug:slug>/", views.practice_page, name="practice_page"),
    path("beheer/praktijkpagina/", views.manage_page, name="manage_page"),
    path("beheer/praktijkgegevens/", views.practice_details, name="practice_details"),
    path("beheer/nieuws/<uuid:public_id>/verwijderen/", views.remove_news, name="remove_news"),
]
