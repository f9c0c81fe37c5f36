from django.urls import path

from spreekuur.roster import views

app_name = "roster"

urlpatterns = [
    path("rooster/", views.week, name="week"),
    path("rooster/overleg/", views.meeting_planner, name="meeting_planner"),
    path("beheer/rooster/diensten/", views.shifts, name="shifts"),
    path(
        "beheer/rooster/diensten/<uuid:public_id>/verwijderen/",
        views.remove_shift,
        name="remove_shift",
    ),
    path("beheer/rooster/verlof/", views.leave, name="leave"),
    path(
        "beheer/rooster/verlof/<uuid:public_id>/verwijderen/",
        views.remove_leave,
        name="remove_leave",
    ),
]
