from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from spreekuur.accounts.models import Membership, User
from spreekuur.accounts.services import add_staff_member, change_staff_member
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditEntry
from tests.conftest import Cast, verified_client

STAFF_LIST = reverse("accounts:staff_list")


def test_manager_adds_staff_member_who_gets_content_free_mail(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    client = verified_client(cast.manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            STAFF_LIST,
            {
                "full_name": "Nieuwe Assistent",
                "email": "Nieuw@Test.example",
                "role": "assistent",
                "agb_code": "",
            },
        )
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="nieuw@test.example")
    # A clinical role: asked for, in force once a GP confirms (tests/accounts/test_role_confirmation.py)
    assert membership.practice == cast.practice_a and membership.requested_role == "assistent"
    assert not membership.user.has_usable_password()
    invitations = [m for m in mail.outbox if m.to == ["nieuw@test.example"]]
    assert len(invitations) == 1 and "/account/wachtwoord-kiezen/" in invitations[0].body
    assert "Praktijk A heeft een account voor u aangemaakt" in invitations[0].body
    assert AuditEntry.objects.filter(object_kind="staff_membership", action="create").count() == 1


def test_duplicate_email_and_bad_agb_get_dutch_errors(cast: Cast) -> None:
    client = verified_client(cast.manager_a)
    response = client.post(
        STAFF_LIST,
        {"full_name": "X", "email": cast.gp_a.email, "role": "huisarts", "agb_code": "123"},
    )
    body = response.content.decode()
    assert "Een AGB-code bestaat uit 8 cijfers." in body
    response = client.post(
        STAFF_LIST, {"full_name": "X", "email": cast.gp_a.email, "role": "huisarts", "agb_code": ""}
    )
    assert "Er bestaat al een account met dit e-mailadres." in response.content.decode()
    assert User.objects.filter(email=cast.gp_a.email).count() == 1


@pytest.mark.parametrize("role", ["gp_a", "assistant_a", "poh_a", "patient_user_a"])
def test_other_roles_cannot_manage_staff(cast: Cast, role: str) -> None:
    client = verified_client(getattr(cast, role))
    assert client.get(STAFF_LIST).status_code == 403
    response = client.post(
        STAFF_LIST, {"full_name": "X", "email": "x@test.example", "role": "huisarts"}
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="x@test.example").exists()


def test_manager_of_other_practice_gets_404_for_membership(cast: Cast) -> None:
    membership = cast.gp_a.membership
    client = verified_client(cast.manager_b)
    url = reverse("accounts:staff_change", args=[membership.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"role": "assistent", "active": ""}).status_code == 404
    membership.refresh_from_db()
    assert membership.role == "huisarts" and membership.active


def test_service_refuses_manager_of_other_practice(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        add_staff_member(
            practice=cast.practice_a,
            email="y@test.example",
            full_name="Y",
            role="huisarts",
            by=cast.manager_b,
            base_url="http://testserver/",
        )


def test_last_manager_cannot_step_down(cast: Cast) -> None:
    with pytest.raises(BusinessRuleError):
        change_staff_member(
            membership=cast.manager_a.membership,
            role="assistent",
            active=True,
            agb_code="",
            by=cast.manager_a,
            base_url="http://testserver/",
        )


def test_deactivated_staff_member_is_logged_out_at_once(cast: Cast) -> None:
    assistant_client = verified_client(cast.assistant_a)
    assert assistant_client.get("/start/").status_code == 200
    manager = verified_client(cast.manager_a)
    url = reverse("accounts:staff_change", args=[cast.assistant_a.membership.public_id])
    response = manager.post(url, {"role": "assistent", "agb_code": ""})  # active unchecked
    assert response.status_code == 302
    assert assistant_client.get("/start/").status_code == 302


def test_manager_resets_lost_second_factor_and_ends_sessions(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assistant_session = verified_client(cast.assistant_a)
    assert assistant_session.get("/start/").status_code == 200
    url = reverse("accounts:reset_second_factor", args=[cast.assistant_a.membership.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client(cast.manager_a).post(url)
    assert response.status_code == 302
    cast.assistant_a.refresh_from_db()
    assert not cast.assistant_a.has_usable_password()  # only the mailbox owner can go on
    assert mail.outbox[0].to == [cast.assistant_a.email]
    assert not TOTPDevice.objects.filter(user=cast.assistant_a).exists()
    assert assistant_session.get("/start/").status_code == 302  # logged out everywhere
    assert AuditEntry.objects.filter(object_kind="second_factor", actor=cast.manager_a).exists()


def test_manager_cannot_reset_own_second_factor(cast: Cast) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    url = reverse("accounts:reset_second_factor", args=[cast.manager_a.membership.public_id])
    client = verified_client(cast.manager_a)
    response = client.post(url, follow=True)
    assert "U kunt uw eigen tweede stap niet herstellen" in response.content.decode()
    assert TOTPDevice.objects.filter(user=cast.manager_a).exists()


@pytest.mark.parametrize(("role", "status"), [("gp_a", 403), ("manager_b", 404)])
def test_others_cannot_reset_second_factor(cast: Cast, role: str, status: int) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    url = reverse("accounts:reset_second_factor", args=[cast.assistant_a.membership.public_id])
    assert verified_client(getattr(cast, role)).post(url).status_code == status
    assert TOTPDevice.objects.filter(user=cast.assistant_a).exists()
