"""factory-boy factories for the whole project (one place, used by every test folder)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import factory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda.models import AppointmentType, BookingRules, Slot
from spreekuur.core.models import OpeningHours, Practice
from spreekuur.core.roles import StaffRole
from spreekuur.patients.bsn import complete_bsn
from spreekuur.patients.models import Patient, Sex

TEST_PASSWORD = "Test-wachtwoord-42"
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"


def _bsn_sequence() -> itertools.count[int]:
    return itertools.count(10_000)


_bsn_counter = _bsn_sequence()


def next_bsn() -> str:
    while True:
        bsn = complete_bsn(f"98{next(_bsn_counter):06d}")
        if bsn:
            return bsn


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"praktijk-{n}")
    name = factory.Sequence(lambda n: f"Huisartsenpraktijk Test {n}")
    agb_code = factory.Sequence(lambda n: f"01{n:06d}")
    street = "Teststraat 1"
    postal_code = "1234 AB"
    city = "Teststad"
    phone_main = "010-1234567"
    phone_urgent = "010-7654321"
    hap_name = "Huisartsenpost Test"
    hap_phone = "0900-1111111"

    @factory.post_generation
    def hours(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            for weekday in range(5):
                OpeningHours.objects.create(
                    practice=self, weekday=weekday, opens=time(8), closes=time(17)
                )

    @factory.post_generation
    def booking_rules(self, create: bool, extracted: object, **kwargs: object) -> None:
        """A practice starts with the default rules for online booking, as the demo's do
        (the agenda's selector reads them, and only a service writes them)."""
        if create:
            BookingRules.objects.create(practice=self)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"gebruiker{n}@test.example")
    full_name = factory.Sequence(lambda n: f"Gebruiker {n}")
    password = factory.django.Password(TEST_PASSWORD)
    email_confirmed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def totp(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted is not False:
            TOTPDevice.objects.create(user=self, name="test", key=TOTP_KEY_HEX, confirmed=True)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    practice = factory.SubFactory(PracticeFactory)
    role = StaffRole.HUISARTS


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    practice = factory.SubFactory(PracticeFactory)
    bsn = factory.LazyFunction(next_bsn)
    initials = "J."
    given_name = factory.Sequence(lambda n: f"Jan{n}")
    family_name = factory.Sequence(lambda n: f"Jansen{n}")
    date_of_birth = date(1980, 5, 17)
    sex = Sex.MALE
    street = "Dorpsstraat"
    house_number = "12"
    postal_code = "1234 AB"
    city = "Teststad"
    enrolled_on = date(2015, 1, 1)


# --- agenda --------------------------------------------------------------------------------


def add_appointment_types(practice: Practice) -> dict[str, AppointmentType]:
    """The usual types: a 10-minute consult online, a 20-minute one by phone only, a POH check."""
    specs = {
        "consult": ("Consult", 10, [StaffRole.HUISARTS], True),
        "dubbel": ("Dubbel consult", 20, [StaffRole.HUISARTS], False),
        "telefonisch": ("Telefonisch consult", 10, [StaffRole.HUISARTS], True),
        "poh": ("POH-controle", 30, [StaffRole.POH], False),
    }
    return {
        key: AppointmentType.objects.create(
            practice=practice,
            name=name,
            duration_minutes=minutes,
            offered_by=list(roles),
            online_bookable=online,
        )
        for key, (name, minutes, roles, online) in specs.items()
    }


def add_slots(
    practitioner: Membership,
    *,
    day: date,
    start: time = time(9),
    count: int = 6,
    minutes: int = 10,
    online: bool = True,
) -> list[Slot]:
    """Back-to-back slots on a day, made directly (tests do not depend on the template)."""
    first = timezone.make_aware(datetime.combine(day, start))
    return [
        Slot.objects.create(
            practice=practitioner.practice,
            practitioner=practitioner,
            starts_at=first + timedelta(minutes=i * minutes),
            ends_at=first + timedelta(minutes=(i + 1) * minutes),
            online=online,
        )
        for i in range(count)
    ]


def no_red_flags(practice: Practice) -> dict[str, bool]:
    """Triage answers with "no" to every red-flag question of the practice."""
    from spreekuur.triage.selectors import red_flags_for

    return {flag.code: False for flag in red_flags_for(practice)}
