from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from spreekuur.accounts.services import remove_passkey
from spreekuur.core.exceptions import PermissionDenied
from spreekuur.core.models import AuditEntry
from tests.conftest import Cast, verified_client
from tests.factories import TEST_PASSWORD


def _passkey(user) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user,
        name="test",
        confirmed=True,
        credential_id=b"id-" + user.email.encode(),
        public_key=b"key",
        sign_count=0,
        credential_id_sha256=user.email[:60],
    )


def test_verification_is_reachable_after_password_but_registration_is_not(cast: Cast) -> None:
    client = Client()
    client.post(reverse("accounts:login"), {"username": cast.gp_a.email, "password": TEST_PASSWORD})
    begin = client.post(reverse("otp_webauthn:credential-authentication-begin"))
    assert begin.status_code == 200 and begin["Content-Type"].startswith("application/json")
    register = client.post(reverse("otp_webauthn:credential-registration-begin"))
    assert register.status_code == 302 and register["Location"] == reverse("accounts:verify")


def test_anonymous_reaches_no_passkey_endpoint(db: None) -> None:
    for name in ("credential-authentication-begin", "credential-registration-begin"):
        response = Client().post(reverse(f"otp_webauthn:{name}"))
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("accounts:login")
        )


def test_user_removes_own_passkey_and_it_is_logged(cast: Cast) -> None:
    passkey = _passkey(cast.gp_a)
    response = verified_client(cast.gp_a).post(
        reverse("accounts:remove_passkey"), {"passkey": passkey.pk}
    )
    assert response.status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    assert AuditEntry.objects.filter(
        actor=cast.gp_a, object_kind="passkey", action="delete"
    ).exists()


@pytest.mark.parametrize("value", ["other", "x", ""])
def test_someone_elses_or_bogus_passkey_id_changes_nothing(cast: Cast, value: str) -> None:
    other = _passkey(cast.gp_b)
    posted = str(other.pk) if value == "other" else value
    response = verified_client(cast.gp_a).post(
        reverse("accounts:remove_passkey"), {"passkey": posted}
    )
    assert response.status_code == 403
    assert WebAuthnCredential.objects.filter(pk=other.pk).exists()
    with pytest.raises(PermissionDenied):
        remove_passkey(user=cast.gp_a, passkey_id=other.pk)


def test_stale_session_must_prove_second_factor_before_passkey_changes(cast: Cast) -> None:
    passkey = _passkey(cast.gp_a)
    client = verified_client(cast.gp_a, fresh=False)
    response = client.post(reverse("accounts:remove_passkey"), {"passkey": passkey.pk})
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:reverify")
    )
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    begin = client.post(reverse("otp_webauthn:credential-registration-begin"))
    assert begin.status_code == 403
    assert "Bevestig met een code" in client.get(reverse("accounts:security")).content.decode()
