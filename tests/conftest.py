"""The shared cast (DESIGN.md §5.11): each role in practice A, and the same in practice B."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from hypothesis import settings as hypothesis_settings

from spreekuur.accounts.freshness import SESSION_SECOND_FACTOR_AT
from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.patients.models import Patient
from tests.factories import MembershipFactory, PatientFactory, PracticeFactory, UserFactory

# No per-example deadline: a 2-core CI machine under load must not turn slowness into a
# failure (timings never decide a test here).
hypothesis_settings.register_profile("spreekuur", deadline=None)
hypothesis_settings.load_profile("spreekuur")

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls in the
# same thread are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Throttling counters live in the cache; one test's failures must not limit the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings: object, tmp_path: object) -> None:
    """Uploaded files (e-consult photos) go to the test's own folder, never ./var."""
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined,operator]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    """Argon2 is deliberately slow; tests that are not about hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


@dataclass
class Cast:
    practice_a: Practice
    practice_b: Practice
    patient_a: Patient  # has a portal login
    other_patient_a: Patient  # same practice, no login
    patient_b: Patient  # practice B, has a portal login
    gp_a: User
    assistant_a: User
    poh_a: User
    manager_a: User
    gp_b: User
    manager_b: User

    @property
    def patient_user_a(self) -> User:
        assert self.patient_a.user is not None
        return self.patient_a.user

    @property
    def patient_user_b(self) -> User:
        assert self.patient_b.user is not None
        return self.patient_b.user


def _staff(practice: Practice, role: str, name: str) -> User:
    return MembershipFactory(practice=practice, role=role, user__full_name=name).user


@pytest.fixture
def cast(db: None) -> Cast:
    practice_a = PracticeFactory(slug="praktijk-a", name="Praktijk A")
    practice_b = PracticeFactory(slug="praktijk-b", name="Praktijk B")
    patient_a = PatientFactory(practice=practice_a, user=UserFactory(full_name="Patiënt A"))
    patient_b = PatientFactory(practice=practice_b, user=UserFactory(full_name="Patiënt B"))
    return Cast(
        practice_a=practice_a,
        practice_b=practice_b,
        patient_a=patient_a,
        other_patient_a=PatientFactory(practice=practice_a),
        patient_b=patient_b,
        gp_a=_staff(practice_a, StaffRole.HUISARTS, "Dokter A"),
        assistant_a=_staff(practice_a, StaffRole.ASSISTENT, "Assistent A"),
        poh_a=_staff(practice_a, StaffRole.POH, "POH A"),
        manager_a=_staff(practice_a, StaffRole.PRAKTIJKMANAGER, "Manager A"),
        gp_b=_staff(practice_b, StaffRole.HUISARTS, "Dokter B"),
        manager_b=_staff(practice_b, StaffRole.PRAKTIJKMANAGER, "Manager B"),
    )


def verified_client(user: User, *, fresh: bool = True) -> Client:
    """A client logged in with password and second factor done (just now, unless fresh=False)."""
    client = Client()
    client.force_login(user, backend="spreekuur.accounts.backends.PracticeAwareBackend")
    device = user.totpdevice_set.filter(confirmed=True).first()
    assert device is not None, "test users get a TOTP device from the factory"
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SESSION_SECOND_FACTOR_AT] = time.time() if fresh else 0
    session.save()
    return client


@pytest.fixture
def client_for():
    return verified_client


def dob_parts(born: date) -> dict[str, str]:
    """A date of birth as the three boxes of the activation form."""
    return {
        "date_of_birth_dag": str(born.day),
        "date_of_birth_maand": str(born.month),
        "date_of_birth_jaar": str(born.year),
    }
