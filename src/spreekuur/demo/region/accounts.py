"""Portal accounts of a region practice's year: about a third of the adults use the
portal, with the demo password and authenticator secret, as the region's staff have."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django_otp.plugins.otp_totp.models import TOTPDevice

from spreekuur.accounts.models import User
from spreekuur.demo.logins import DEMO_PASSWORD
from spreekuur.demo.region.rows import Table
from spreekuur.demo.region.year import DAYS_BACK, REGION_PREFIX, Year, lookup

# Share of patients with a portal account, by age (none under 16: their parents act).
PORTAL_SHARE = ((16, 0.0), (30, 0.38), (50, 0.45), (65, 0.40), (75, 0.30), (85, 0.16), (200, 0.05))

# The accounts tables keep their constraints while the rows come in (the rest of the
# application uses them meanwhile) and get few rows.
TABLES = {
    "user": Table(User, {"id": "user"}),
    "totp": Table(TOTPDevice, {"id": "totp", "user_id": "user"}),
}


def demo_password() -> str:
    """The region staff's password hash (the demo password), for the portal users too."""
    staff = (
        User.objects.filter(membership__practice__slug__startswith=REGION_PREFIX)
        .values_list("password", flat=True)
        .first()
    )
    return staff or make_password(DEMO_PASSWORD)


class PortalAccounts(Year):
    def accounts(self) -> None:
        """A portal account for about a third of the adults."""
        rng = self.rng
        for i, patient in enumerate(self.patients):
            age = self.age(patient, self.today)
            if rng.random() >= lookup(PORTAL_SHARE, age):
                continue
            enrolled = (patient.enrolled - self.first_day).days
            joined = max(enrolled + rng.randint(1, 60), -rng.randint(0, 1500))
            if joined >= DAYS_BACK - 1:
                continue
            self.joined[i] = joined
            self.user[i] = len(self.plan.portal_users) + 1  # filled in finish_accounts
            self.plan.portal_users.append((patient.id, 0))

    def finish_accounts(self) -> None:
        """The users and their authenticators, when the year has said when they were last
        seen."""
        rng = self.rng
        for number, (i, _ref) in enumerate(
            sorted(self.user.items(), key=lambda item: item[1]), start=1
        ):
            patient = self.patients[i]
            joined = self.at(self.joined[i], rng.randint(7, 22), rng.randint(0, 59))
            name = " ".join(p for p in (patient.given, patient.prefix, patient.family) if p)
            ref = self.new(
                "user",
                password=self.s.password,
                last_login=self.last_seen.get(i),
                public_id=self.uid(),
                email=f"portaal{patient.id}@{self.s.slug}.example",
                full_name=name,
                date_joined=joined,
                email_confirmed_at=joined + timedelta(minutes=rng.randint(1, 30)),
                security_stamp=self.uid(),
            )
            if ref != -number:  # users are referred to in the order they were made
                raise RuntimeError("portal users written out of order")
            self.new(
                "totp",
                user_id=ref,
                name="Demo",
                key=self.s.totp_key,
                confirmed=True,
                created_at=joined,
            )
            self.plan.portal_users[number - 1] = (patient.id, ref)
