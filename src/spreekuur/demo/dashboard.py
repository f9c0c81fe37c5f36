"""What the dashboard needs in the demo: performance codes on the appointment types and a
tariff table (example amounts: a practice copies the NZa's own for the year), a care group
with the demo practice (and the region practices, in a benchmark database) and an analyst
login, and a first count of the summary rows, so the figures are there at once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from spreekuur.accounts.models import User
from spreekuur.agenda.models import AppointmentType
from spreekuur.core.models import Practice
from spreekuur.dashboard.models import Tariff
from spreekuur.dashboard.services import add_region_analyst, refresh_figures, set_up_region
from spreekuur.demo.logins import DEMO_PASSWORD, DEMO_TOTP_HEX

# Example codes and amounts ("demowaarde"), after the consult codes as practices publish
# them; the demo says so, and a practice enters the NZa's table for the year itself.
CODES = {
    "Consult": ("12011", "Consult regulier 5 tot 20 minuten", Decimal("12.43")),
    "Telefonisch consult": ("12011", "Consult regulier 5 tot 20 minuten", Decimal("12.43")),
    "Beeldbellen": ("12011", "Consult regulier 5 tot 20 minuten", Decimal("12.43")),
    "Dubbel consult": ("12001", "Consult regulier 20 minuten en langer", Decimal("24.85")),
    "Visite": ("12002", "Visite regulier korter dan 20 minuten", Decimal("18.64")),
}
REGION_SLUG = "zorggroep-demo"
ANALYST_EMAIL = "regio@zorggroep.example"


def build_demo_dashboard(*, today: date, practices: list[Practice]) -> int:
    """Returns the summary rows counted."""
    with transaction.atomic():
        for practice in practices:
            for name, (code, description, amount) in CODES.items():
                AppointmentType.objects.filter(practice=practice, name=name).update(
                    performance_code=code
                )
                for year in (today.year - 1, today.year):
                    Tariff.objects.get_or_create(
                        practice=practice,
                        year=year,
                        code=code,
                        defaults={"description": f"{description} (demowaarde)", "amount": amount},
                    )
        region = set_up_region(
            slug=REGION_SLUG,
            name="Zorggroep Lindewijk (demo)",
            practice_slugs=[practice.slug for practice in practices],
        )
        analyst, created = User.objects.get_or_create(
            email=ANALYST_EMAIL,
            defaults={
                "full_name": "Analist Zorggroep",
                "password": make_password(DEMO_PASSWORD),
                "email_confirmed_at": timezone.now(),
            },
        )
        if created:
            TOTPDevice.objects.create(user=analyst, name="Demo", key=DEMO_TOTP_HEX, confirmed=True)
        add_region_analyst(region=region, user=analyst)
    done = refresh_figures(
        practice_ids=[p.pk for p in practices], first=today - timedelta(days=399), last=today
    )
    return done.rows
