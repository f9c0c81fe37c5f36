"""django-otp-webauthn's endpoints under the names its script looks up, with Spreekuur's
rules on who may reach them (see accounts/passkeys.py)."""

from django.urls import path

from spreekuur.accounts import passkeys

app_name = "otp_webauthn"

urlpatterns = [
    path("registratie/begin/", passkeys.begin_registration, name="credential-registration-begin"),
    path(
        "registratie/klaar/",
        passkeys.complete_registration,
        name="credential-registration-complete",
    ),
    path("controle/begin/", passkeys.begin_verification, name="credential-authentication-begin"),
    path(
        "controle/klaar/",
        passkeys.complete_verification,
        name="credential-authentication-complete",
    ),
    path("jsi18n/", passkeys.javascript_catalog, name="js-i18n-catalog"),
]
