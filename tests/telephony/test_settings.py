"""The phone menu, the callback offer, the platform's link and the exported configuration."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from standardwebhooks import Webhook

from spreekuur.core.models import OpeningHours
from spreekuur.telephony.models import PhoneSettings, TelephonyLink
from spreekuur.telephony.services import link_secret
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db


def _form(**changes):
    data = {
        "welcome_text": "Welkom bij Praktijk A. Bij levensgevaar belt u 112.",
        "online_hint": "on",
        "spoed_key": 1,
        "intercollegiaal_enabled": "on",
        "intercollegiaal_key": 2,
        "herhaal_enabled": "on",
        "herhaal_key": 3,
        "herhaal_action": "portaal",
        "assistent_key": 4,
        "callback_enabled": "on",
        "callback_after_seconds": 180,
        "callback_key": 5,
        "callback_until": "16:00",
        "callback_attempts": 3,
        "service_level_percent": 80,
        "service_level_seconds": 60,
        "handling_seconds": 150,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_manager_saves_the_menu(cast):
    client = verified_client(cast.manager_a)
    response = client.post(reverse("telephony:settings"), _form(handling_seconds=200))
    assert response.status_code == 302
    assert PhoneSettings.objects.get(practice=cast.practice_a).handling_seconds == 200


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"assistent_key": 1}, "al in gebruik"),
        ({"callback_key": 4}, "niet in het keuzemenu"),
        ({"spoed_key": 0}, "1 tot en met 9"),
        ({"callback_after_seconds": 5}, "30"),
    ],
)
def test_clashing_or_odd_keys_are_refused(cast, changes, says):
    client = verified_client(cast.manager_a)
    response = client.post(reverse("telephony:settings"), _form(**changes))
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not PhoneSettings.objects.exists()


def test_a_switched_off_option_frees_its_key(cast):
    client = verified_client(cast.manager_a)
    response = client.post(
        reverse("telephony:settings"), _form(herhaal_enabled=None, herhaal_key=4)
    )
    assert response.status_code == 302


def test_the_exported_configuration_routes_as_the_guide_says(cast):
    client = verified_client(cast.manager_a)
    client.post(reverse("telephony:settings"), _form())
    client.post(reverse("telephony:link_create"), {"name": "Centrale"})
    response = client.get(reverse("telephony:config_export"))
    assert response["Content-Disposition"].startswith("attachment")
    config = json.loads(response.content)
    menu = {option["purpose"]: option for option in config["menu"]}
    assert menu["spoed"]["key"] == 1 and menu["spoed"]["priority"] == 1
    assert menu["intercollegiaal"]["priority"] == 2
    assert menu["herhaalrecepten"]["action"] == "announcement"
    assert "portaal" in menu["herhaalrecepten"]["announcement"]
    assert menu["assistent"]["callback_offered"] is True
    assert config["callback"] == {
        "enabled": True,
        "offer_after_seconds": 180,
        "key": 5,
        "offer_until": "16:00",
        "queues": ["assistent"],
    }
    hours = OpeningHours.objects.filter(practice=cast.practice_a)
    assert len(config["opening_hours"]) == hours.count() > 0
    first = hours.order_by("weekday", "opens").first()
    assert config["opening_hours"][0] == {
        "weekday": first.weekday,
        "opens": f"{first.opens:%H:%M}",
        "closes": f"{first.closes:%H:%M}",
    }
    link = TelephonyLink.objects.get()
    assert config["events_webhook"]["links"][0]["url"].endswith(
        f"/api/telefonie/{link.public_id}/gebeurtenissen/"
    )
    assert "whsec_" not in response.content.decode()  # the secret is never exported


def test_a_new_link_shows_its_secret_once_and_it_signs(cast):
    client = verified_client(cast.manager_a)
    response = client.post(reverse("telephony:link_create"), {"name": "Centrale"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    link = TelephonyLink.objects.get()
    secret = link_secret(link)
    assert secret in response.content.decode()
    assert secret not in str(TelephonyLink.objects.values().get())  # not stored
    assert Webhook(secret).sign("m", datetime.now(tz=UTC), b"{}").startswith("v1,")
    settings_page = client.get(reverse("telephony:settings")).content.decode()
    assert secret not in settings_page


@pytest.mark.parametrize("role", ["assistant_a", "gp_a", "patient_user_a"])
def test_only_the_manager_sets_up_the_phone(cast, role):
    client = verified_client(getattr(cast, role))
    assert client.get(reverse("telephony:settings")).status_code in (403, 404)
    assert client.get(reverse("telephony:config_export")).status_code in (403, 404)
    assert client.post(reverse("telephony:link_create"), {"name": "x"}).status_code in (403, 404)
    assert not TelephonyLink.objects.exists()


def test_another_practices_link_is_out_of_reach(cast):
    client = verified_client(cast.manager_b)
    client.post(reverse("telephony:link_create"), {"name": "B"})
    link = TelephonyLink.objects.get()
    response = verified_client(cast.manager_a).post(
        reverse("telephony:link_action", args=[link.public_id]), {"actie": "uit"}
    )
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.active
