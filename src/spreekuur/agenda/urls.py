from django.urls import path

from spreekuur.agenda.views import manage, portal, public, staff, video

app_name = "agenda"

urlpatterns = [
    # The patient's own appointments (portal).
    path("afspraken/", portal.my_appointments, name="my_appointments"),
    path("afspraken/maken/", portal.book_start, name="book_start"),
    path("afspraken/maken/tijd/", portal.book_choose, name="book_choose"),
    path("afspraken/maken/bevestigen/", portal.book_confirm, name="book_confirm"),
    path("afspraken/<uuid:public_id>/", portal.my_appointment, name="my_appointment"),
    path(
        "afspraken/<uuid:public_id>/agenda.ics",
        portal.my_appointment_ics,
        name="my_appointment_ics",
    ),
    path(
        "afspraken/<uuid:public_id>/annuleren/",
        portal.cancel_my_appointment,
        name="cancel_my_appointment",
    ),
    path(
        "afspraken/<uuid:public_id>/verzetten/",
        portal.reschedule_my_appointment,
        name="reschedule_my_appointment",
    ),
    path("afspraken/<uuid:public_id>/beeldbellen/", video.join_my_video, name="join_my_video"),
    # The practice's agenda.
    path("agenda/", staff.day_view, name="day"),
    path("agenda/week/", staff.week_view, name="week"),
    path("agenda/cijfers/", staff.figures_view, name="figures"),
    path("agenda/buiten-openingstijden/", staff.out_of_hours_view, name="out_of_hours"),
    path("agenda/afspraak/<uuid:public_id>/", staff.appointment_detail, name="appointment"),
    path("agenda/afspraak/<uuid:public_id>/verzetten/", staff.reschedule, name="reschedule"),
    path(
        "agenda/afspraak/<uuid:public_id>/vragenlijst/",
        staff.attach_preparation,
        name="attach_preparation",
    ),
    # Before change_status, whose <slug:action> would take "beeldbellen" too.
    path(
        "agenda/afspraak/<uuid:public_id>/beeldbellen/",
        video.join_video_as_practitioner,
        name="join_video",
    ),
    path(
        "agenda/afspraak/<uuid:public_id>/<slug:action>/", staff.change_status, name="change_status"
    ),
    path(
        "agenda/tijdslot/<uuid:public_id>/plannen/", staff.book_for_patient, name="book_for_patient"
    ),
    # Settings (manager) and kiosks (manager or assistant).
    path("beheer/agenda/", manage.settings_view, name="settings"),
    path("beheer/agenda/soort/<uuid:public_id>/", manage.edit_type, name="edit_type"),
    path("beheer/agenda/rooster/", manage.schedule_view, name="schedule"),
    path(
        "beheer/agenda/rooster/dagdeel/<uuid:public_id>/verwijderen/",
        manage.remove_block,
        name="remove_block",
    ),
    path(
        "beheer/agenda/afwezigheid/<uuid:public_id>/verwijderen/",
        manage.remove_absence,
        name="remove_absence",
    ),
    path("beheer/aanmeldzuilen/", public.kiosks_view, name="kiosks"),
    path(
        "beheer/aanmeldzuilen/<uuid:public_id>/uitzetten/", public.revoke_kiosk, name="revoke_kiosk"
    ),
    # The waiting room (public: no patient data, ever).
    path("kiosk/<slug:slug>/", public.kiosk, name="kiosk"),
    path("wachtkamer/<slug:slug>/", public.waiting_room, name="waiting_room"),
    path("wachtkamer/<slug:slug>/oproepen/", public.waiting_room_calls, name="waiting_room_calls"),
]
