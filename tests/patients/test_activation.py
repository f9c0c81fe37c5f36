from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditEntry
from spreekuur.patients import services
from spreekuur.patients.models import MAX_ACTIVATION_ATTEMPTS, PortalActivation
from tests.conftest import Cast, dob_parts, verified_client

ACTIVATE = reverse("patients:activate")
ACCOUNT = reverse("patients:activate_account")


def issue(cast: Cast, by=None) -> services.IssuedActivation:
    return services.issue_portal_activation(patient=cast.other_patient_a, by=by or cast.assistant_a)


def past_step_one(cast: Cast) -> Client:
    """A browser session that has given a right code and date of birth (step 1)."""
    issued = issue(cast)
    client = Client()
    response = client.post(
        ACTIVATE, {"code": issued.code, **dob_parts(cast.other_patient_a.date_of_birth)}
    )
    assert response.status_code == 302
    return client


def test_assistant_issues_letter_with_code_and_qr(cast: Cast) -> None:
    client = verified_client(cast.assistant_a)
    response = client.post(
        reverse("patients:issue_activation", args=[cast.other_patient_a.public_id])
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "Activeringscode" in body
    activation = PortalActivation.objects.get(patient=cast.other_patient_a)
    assert activation.code_hash not in body  # the letter shows the code, not its hash
    assert AuditEntry.objects.filter(
        object_kind="portal_activation", patient=cast.other_patient_a
    ).exists()


@pytest.mark.parametrize("role", ["patient_user_a", "gp_b"])
def test_patient_or_other_practice_cannot_issue(cast: Cast, role: str) -> None:
    client = verified_client(getattr(cast, role))
    response = client.post(
        reverse("patients:issue_activation", args=[cast.other_patient_a.public_id])
    )
    assert response.status_code in {403, 404}
    assert not PortalActivation.objects.exists()
    with pytest.raises(PermissionDenied):
        services.issue_portal_activation(patient=cast.other_patient_a, by=getattr(cast, role))


def test_patient_who_already_activated_gets_no_new_code(cast: Cast) -> None:
    with pytest.raises(BusinessRuleError):
        services.issue_portal_activation(patient=cast.patient_a, by=cast.assistant_a)


def test_full_activation_then_second_factor_setup(cast: Cast) -> None:
    issued = issue(cast)
    client = Client()
    response = client.post(
        ACTIVATE,
        {
            "code": issued.code.lower(),
            **dob_parts(cast.other_patient_a.date_of_birth),
        },
    )
    assert response.status_code == 302 and response["Location"] == ACCOUNT
    response = client.post(
        ACCOUNT,
        {
            "email": "Nieuw@Patient.example",
            "password1": "Lang-genoeg-2026",
            "password2": "Lang-genoeg-2026",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("accounts:setup_totp")
    cast.other_patient_a.refresh_from_db()
    assert cast.other_patient_a.user is not None
    assert cast.other_patient_a.user.email == "nieuw@patient.example"
    # no data before the second factor
    assert client.get(reverse("patients:my_details")).status_code == 302
    # the code is used up
    second = Client().post(
        ACTIVATE,
        {"code": issued.code, **dob_parts(cast.other_patient_a.date_of_birth)},
    )
    assert "horen niet bij elkaar" in second.content.decode()


def test_weak_password_is_refused_and_nothing_is_created(cast: Cast) -> None:
    client = past_step_one(cast)
    response = client.post(
        ACCOUNT, {"email": "a@b.example", "password1": "12345678", "password2": "12345678"}
    )
    assert response.status_code == 200
    cast.other_patient_a.refresh_from_db()
    assert cast.other_patient_a.user is None
    assert PortalActivation.objects.get().used_at is None


def test_wrong_birth_date_five_times_voids_the_code(cast: Cast) -> None:
    issued = issue(cast)
    wrong = date(1900, 1, 1)
    for _ in range(MAX_ACTIVATION_ATTEMPTS):
        with pytest.raises(services.ActivationFailed):
            services.check_activation_code(code=issued.code, date_of_birth=wrong)
    with pytest.raises(services.ActivationFailed):
        services.check_activation_code(
            code=issued.code, date_of_birth=cast.other_patient_a.date_of_birth
        )


def test_expired_and_replaced_codes_do_not_work(cast: Cast) -> None:
    first = issue(cast)
    second = issue(cast)
    dob = cast.other_patient_a.date_of_birth
    with pytest.raises(services.ActivationFailed):
        services.check_activation_code(code=first.code, date_of_birth=dob)
    assert services.check_activation_code(code=second.code, date_of_birth=dob)
    PortalActivation.objects.filter(pk=second.activation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(services.ActivationFailed):
        services.check_activation_code(code=second.code, date_of_birth=dob)


def test_unknown_code_and_wrong_birth_date_get_the_same_message(cast: Cast) -> None:
    issued = issue(cast)
    unknown = Client().post(ACTIVATE, {"code": "AAAA-BBBB-CCCC", **dob_parts(date(1980, 1, 1))})
    wrong_dob = Client().post(ACTIVATE, {"code": issued.code, **dob_parts(date(1900, 1, 1))})
    message = "Deze activeringscode en geboortedatum horen niet bij elkaar"
    assert message in unknown.content.decode() and message in wrong_dob.content.decode()


def test_activation_attempts_are_throttled_per_address(cast: Cast) -> None:
    client = Client()
    for _ in range(20):
        client.post(ACTIVATE, {"code": "AAAA-BBBB-CCCC", **dob_parts(date(1980, 1, 1))})
    issued = issue(cast)
    response = client.post(
        ACTIVATE,
        {"code": issued.code, **dob_parts(cast.other_patient_a.date_of_birth)},
    )
    assert response.status_code == 429


def test_account_step_without_code_goes_back_to_start(db: None) -> None:
    response = Client().get(ACCOUNT)
    assert response.status_code == 302 and response["Location"] == ACTIVATE


def test_account_step_expires_after_fifteen_minutes(cast: Cast) -> None:
    client = past_step_one(cast)
    session = client.session
    session["spreekuur_activation"]["at"] -= 16 * 60
    session.save()
    response = client.get(ACCOUNT)
    assert response.status_code == 302 and response["Location"] == ACTIVATE


def test_account_step_refuses_a_code_that_expired_meanwhile(cast: Cast) -> None:
    client = past_step_one(cast)
    PortalActivation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(
        ACCOUNT,
        {"email": "x@y.example", "password1": "Lang-genoeg-2026", "password2": "Lang-genoeg-2026"},
    )
    assert response.status_code == 302 and response["Location"] == ACTIVATE
    cast.other_patient_a.refresh_from_db()
    assert cast.other_patient_a.user is None


def test_email_of_existing_account_is_refused_without_500(cast: Cast) -> None:
    client = past_step_one(cast)
    response = client.post(
        ACCOUNT,
        {
            "email": cast.gp_a.email.upper(),
            "password1": "Lang-genoeg-2026",
            "password2": "Lang-genoeg-2026",
        },
    )
    assert response.status_code == 200
    assert "Dit e-mailadres kan niet worden gebruikt" in response.content.decode()


def test_reloading_the_letter_url_issues_nothing(cast: Cast) -> None:
    client = verified_client(cast.assistant_a)
    url = reverse("patients:issue_activation", args=[cast.other_patient_a.public_id])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[cast.other_patient_a.public_id])
    assert not PortalActivation.objects.exists()


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (
            {"date_of_birth_dag": "31", "date_of_birth_maand": "2", "date_of_birth_jaar": "1980"},
            "Deze datum bestaat niet.",
        ),
        (
            {"date_of_birth_dag": "1", "date_of_birth_maand": "", "date_of_birth_jaar": "1980"},
            "Vul dag, maand en jaar in",
        ),
        (
            {"date_of_birth_dag": "x", "date_of_birth_maand": "1", "date_of_birth_jaar": "1980"},
            "Vul dag, maand en jaar in met cijfers",
        ),
    ],
)
def test_date_of_birth_boxes_give_dutch_errors(
    db: None, parts: dict[str, str], message: str
) -> None:
    response = Client().post(ACTIVATE, {"code": "AAAA-BBBB-CCCC", **parts})
    assert message in response.content.decode()


def test_refused_addresses_at_step_two_count_against_the_limit(cast: Cast) -> None:
    client = past_step_one(cast)
    for _ in range(20):
        client.post(
            ACCOUNT,
            {
                "email": cast.gp_a.email,
                "password1": "Lang-genoeg-2026",
                "password2": "Lang-genoeg-2026",
            },
        )
    response = client.get(ACCOUNT)
    assert response.status_code == 302 and response["Location"] == ACTIVATE


def test_letter_qr_code_scales_whole_and_opens_the_activation_page(cast: Cast) -> None:
    """Regression (issue 15): the letter's QR code had a fixed size and no viewBox, so the
    page's CSS size cut it off like the authenticator's."""
    import re

    from tests.accounts.test_authenticator_setup import dark_modules, expected_modules

    client = verified_client(cast.assistant_a)
    body = client.post(
        reverse("patients:issue_activation", args=[cast.other_patient_a.public_id])
    ).content.decode()
    svg = re.search(r"<svg.*?</svg>", body, re.DOTALL)
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", body)
    assert svg is not None and code is not None
    view_box, dark = dark_modules(svg.group())
    size, wanted = expected_modules(f"http://testserver/activeren/#code={code.group()}")
    assert view_box == (0, 0, size, size) and dark == wanted
