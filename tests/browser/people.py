"""The people of the browser tests: a patient with a portal login, a staff member, and
logging either in through the real login page (password, then the authenticator code)."""

from __future__ import annotations

from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient
from tests.browser.conftest import UI
from tests.factories import MembershipFactory, PatientFactory, UserFactory


def portal_patient(practice: Practice, given: str, family: str, **extra: object) -> Patient:
    return PatientFactory(
        practice=practice,
        given_name=given,
        family_name=family,
        user=UserFactory(full_name=f"{given} {family}"),
        **extra,
    )


def staff(practice: Practice, role: str, name: str) -> User:
    return MembershipFactory(practice=practice, role=role, user__full_name=name).user


def log_in(ui: UI, user: User | None) -> None:
    assert user is not None
    ui.log_in(user.email)
    ui.verify()
