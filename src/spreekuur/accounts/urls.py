from django.contrib.auth import views as auth_views
from django.urls import path

from spreekuur.accounts import views

app_name = "accounts"

urlpatterns = [
    path("inloggen/", views.login_view, name="login"),
    path("tweede-stap/", views.verify_view, name="verify"),
    path("tweede-stap/instellen/", views.setup_totp_view, name="setup_totp"),
    path("herstelcodes/", views.recovery_codes_view, name="recovery_codes"),
    path("beveiliging/", views.security_view, name="security"),
    path("beveiliging/opnieuw-bevestigen/", views.reverify_view, name="reverify"),
    path("beveiliging/passkey-verwijderen/", views.remove_passkey_view, name="remove_passkey"),
    path("uitloggen/", views.logout_view, name="logout"),
    path(
        "e-mail-bevestigen/opnieuw/",
        views.resend_email_confirmation_view,
        name="resend_email_confirmation",
    ),
    path("e-mail-bevestigen/<str:token>/", views.confirm_email_view, name="confirm_email"),
    path("wachtwoord-vergeten/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "wachtwoord-vergeten/verstuurd/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "wachtwoord-kiezen/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "wachtwoord-kiezen/klaar/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("medewerkers/", views.staff_list_view, name="staff_list"),
    path("medewerkers/rollen-bevestigen/", views.role_requests_view, name="role_requests"),
    path("medewerkers/<uuid:public_id>/", views.staff_change_view, name="staff_change"),
    path(
        "medewerkers/<uuid:public_id>/tweede-stap-herstellen/",
        views.reset_second_factor_view,
        name="reset_second_factor",
    ),
]
