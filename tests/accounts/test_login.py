from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from spreekuur.accounts.middleware import SESSION_LAST_SEEN
from spreekuur.core.models import AuditEntry
from tests.conftest import Cast, deliver_notifications, verified_client
from tests.factories import TEST_PASSWORD, TOTP_KEY_HEX, UserFactory

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:verify")
PAGES_WITH_PATIENT_DATA = [
    "/start/",
    "/patienten/",
    "/mijn-gegevens/",
    "/mijn-dossier/wie-keek-er/",
    "/beheer/logboek/",
]


def current_code() -> str:
    return f"{TOTP(bytes.fromhex(TOTP_KEY_HEX)).token():06d}"


def password_step(client: Client, email: str, password: str = TEST_PASSWORD):
    return client.post(LOGIN, {"username": email, "password": password})


def test_password_alone_leads_to_second_factor_not_to_data(cast: Cast) -> None:
    client = Client()
    response = password_step(client, cast.gp_a.email)
    assert response.status_code == 302 and response["Location"] == VERIFY
    for path in [*PAGES_WITH_PATIENT_DATA, f"/patienten/{cast.patient_a.public_id}/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == VERIFY, path


def test_anonymous_is_sent_to_login_for_every_private_page(cast: Cast) -> None:
    client = Client()
    for path in [*PAGES_WITH_PATIENT_DATA, f"/patienten/{cast.patient_a.public_id}/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


def test_totp_code_completes_login_and_is_logged(cast: Cast) -> None:
    client = Client()
    password_step(client, cast.gp_a.email)
    response = client.post(VERIFY, {"token": current_code()})
    assert response.status_code == 302 and response["Location"] == reverse("shell:start")
    assert client.get("/start/").status_code == 200
    details = list(
        AuditEntry.objects.filter(actor=cast.gp_a, action="login")
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert details == ["wachtwoord", "tweede factor"]


def test_wrong_code_is_refused_with_dutch_message(cast: Cast) -> None:
    client = Client()
    password_step(client, cast.gp_a.email)
    response = client.post(VERIFY, {"token": "000000"})
    assert response.status_code == 200
    assert "Deze code klopt niet" in response.content.decode()
    assert client.get("/start/").status_code == 302


def test_guessing_codes_is_throttled(cast: Cast) -> None:
    client = Client()
    password_step(client, cast.gp_a.email)
    client.post(VERIFY, {"token": "000000"})
    response = client.post(VERIFY, {"token": current_code()})  # right code, but too soon
    assert "Wacht even" in response.content.decode()
    assert client.get("/start/").status_code == 302


def test_new_recovery_codes_need_a_fresh_authenticator_code(cast: Cast) -> None:
    client = verified_client(cast.gp_a)
    response = client.post(reverse("accounts:security"), {"token": "000000"})
    assert response.status_code == 200 and "klopt niet" in response.content.decode()
    assert not StaticToken.objects.filter(device__user=cast.gp_a).exists()


def test_recovery_code_works_once(cast: Cast) -> None:
    client = verified_client(cast.gp_a)
    response = client.post(reverse("accounts:security"), {"token": current_code()})
    assert response["Location"] == reverse("accounts:recovery_codes")
    token = StaticToken.objects.filter(device__user=cast.gp_a).first()
    assert token is not None
    code = token.token
    for attempt in range(2):
        fresh = Client()
        password_step(fresh, cast.gp_a.email)
        response = fresh.post(VERIFY, {"token": code})
        assert (response.status_code == 302) == (attempt == 0)


def test_first_login_sets_up_authenticator_then_shows_recovery_codes(db: None) -> None:
    user = UserFactory(totp=False)
    client = Client()
    response = password_step(client, user.email)
    assert response["Location"] == reverse("accounts:setup_totp")
    page = client.get(reverse("accounts:setup_totp"))
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("accounts:setup_totp"), {"token": "123456"})
    assert "klopt niet" in response.content.decode()
    # django-otp throttles after a failure (1 s, doubling); let that time pass.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=10)
    )
    code = f"{TOTP(device.bin_key).token():06d}"
    response = client.post(reverse("accounts:setup_totp"), {"token": code})
    assert response["Location"] == reverse("accounts:recovery_codes")
    codes_page = client.get(reverse("accounts:recovery_codes")).content.decode()
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert all(t.token in codes_page for t in StaticToken.objects.filter(device__user=user))
    # shown once only
    assert client.get(reverse("accounts:recovery_codes")).status_code == 302


def test_user_with_authenticator_cannot_replace_it_before_verifying(cast: Cast) -> None:
    client = Client()
    password_step(client, cast.gp_a.email)
    response = client.get(reverse("accounts:setup_totp"))
    assert response.status_code == 302 and response["Location"] == VERIFY


def test_session_key_rotates_at_login_and_logout_ends_session(cast: Cast) -> None:
    client = Client()
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    password_step(client, cast.gp_a.email)
    after_password = client.session.session_key
    client.post(VERIFY, {"token": current_code()})
    after = client.session.session_key
    assert len({before, after_password, after}) == 3  # new key at each step
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get("/start/").status_code == 302
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=after).exists()


def test_logout_needs_post(cast: Cast) -> None:
    client = verified_client(cast.gp_a)
    assert client.get(reverse("accounts:logout")).status_code == 405


def _comparable(response, *emails: str) -> str:
    """The page without the typed address and the per-request CSRF token."""
    html = response.content.decode()
    for email in emails:
        html = html.replace(email, "X")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_unknown_user_and_wrong_password_get_identical_answers(cast: Cast) -> None:
    wrong = password_step(Client(), cast.gp_a.email, "niet-het-wachtwoord")
    unknown = password_step(Client(), "niemand@test.example", "niet-het-wachtwoord")
    assert wrong.status_code == unknown.status_code == 200
    emails = (cast.gp_a.email, "niemand@test.example")
    assert _comparable(wrong, *emails) == _comparable(unknown, *emails)


# --- Throttling (spreekuur.accounts.throttle): slowed guessing, never a lock on the owner ---

ATTACKER = "203.0.113.7"
OWNER = "198.51.100.20"
START = 900 * 2_000_000 + 100.0  # 100 s into a counting window, so the clock is exact


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The throttle's clock, moved by hand (no sleeping, no timing in the tests)."""
    from spreekuur.accounts import throttle

    now = [START]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    return now


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def fail(client: Client, email: str, times: int = 1) -> None:
    for _ in range(times):
        assert password_step(client, email, "fout-wachtwoord").status_code == 200


def with_code(client: Client, email: str, password: str = TEST_PASSWORD, code: str | None = None):
    return client.post(
        LOGIN,
        {
            "username": email,
            "password": password,
            "token": code if code is not None else current_code(),
        },
    )


def test_failures_from_elsewhere_do_not_stop_the_owner_with_password_and_code(
    cast: Cast, clock: list[float]
) -> None:
    fail(from_address(ATTACKER), cast.gp_a.email, settings.LOGIN_FAILURE_LIMIT)
    owner = from_address(OWNER)
    response = password_step(owner, cast.gp_a.email)  # the password alone: not enough now
    assert response.status_code == 200 and "samen in" in response.content.decode()
    assert 'name="token"' in response.content.decode()
    assert owner.get("/start/").status_code == 302
    response = with_code(owner, cast.gp_a.email)
    assert response.status_code == 302 and response["Location"] == reverse("shell:start")
    assert owner.get("/start/").status_code == 200
    details = list(
        AuditEntry.objects.filter(actor=cast.gp_a, action="login")
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert details == ["wachtwoord", "tweede factor"]


def test_the_owner_getting_in_ends_the_extra_step(cast: Cast, clock: list[float]) -> None:
    fail(from_address(ATTACKER), cast.gp_a.email, settings.LOGIN_FAILURE_LIMIT)
    assert with_code(from_address(OWNER), cast.gp_a.email).status_code == 302
    response = password_step(from_address(OWNER), cast.gp_a.email)
    assert response.status_code == 302 and response["Location"] == VERIFY


@pytest.mark.parametrize("known", [True, False])
def test_after_failures_a_right_password_alone_tells_nothing(
    cast: Cast, clock: list[float], known: bool
) -> None:
    email = cast.gp_a.email if known else "niemand@test.example"
    attacker = from_address(ATTACKER)
    fail(attacker, email, settings.LOGIN_FAILURE_LIMIT)
    right = password_step(attacker, email, TEST_PASSWORD)
    wrong = password_step(attacker, email, "fout-wachtwoord")
    assert right.status_code == wrong.status_code == 200
    assert _comparable(right, email) == _comparable(wrong, email)
    assert attacker.get("/start/").status_code == 302  # no session, not even half-way
    assert "_auth_user_id" not in attacker.session


def test_known_and_unknown_names_get_the_same_extra_step(cast: Cast, clock: list[float]) -> None:
    pages = []
    for email in (cast.gp_a.email, "niemand@test.example"):
        attacker = from_address(ATTACKER)
        fail(attacker, email, settings.LOGIN_FAILURE_LIMIT)
        pages.append(password_step(attacker, email, "fout-wachtwoord"))
    emails = (cast.gp_a.email, "niemand@test.example")
    assert pages[0].status_code == pages[1].status_code == 200
    assert _comparable(pages[0], *emails) == _comparable(pages[1], *emails)


def test_wrong_password_and_wrong_code_look_alike_in_the_combined_step(
    cast: Cast, clock: list[float]
) -> None:
    fail(from_address(ATTACKER), cast.gp_a.email, settings.LOGIN_FAILURE_LIMIT)
    wrong_password = with_code(from_address(ATTACKER), cast.gp_a.email, "fout-wachtwoord")
    wrong_code = with_code(from_address(ATTACKER), cast.gp_a.email, TEST_PASSWORD, "000000")
    assert wrong_password.status_code == wrong_code.status_code == 200
    assert _comparable(wrong_password, cast.gp_a.email) == _comparable(wrong_code, cast.gp_a.email)
    assert "klopt niet" in wrong_code.content.decode()


def test_wrong_passwords_do_not_start_the_owners_code_back_off(
    cast: Cast, clock: list[float]
) -> None:
    attacker = from_address(ATTACKER)
    fail(attacker, cast.gp_a.email, settings.LOGIN_FAILURE_LIMIT)
    for _ in range(3):
        with_code(attacker, cast.gp_a.email, "fout-wachtwoord", "000000")
    device = TOTPDevice.objects.get(user=cast.gp_a)
    assert device.throttling_failure_count == 0
    assert with_code(from_address(OWNER), cast.gp_a.email).status_code == 302


def test_the_attackers_network_waits_longer_after_each_failure(
    cast: Cast, clock: list[float]
) -> None:
    attacker = from_address(ATTACKER)
    names = [f"naam{i}@test.example" for i in range(settings.LOGIN_IP_FREE_FAILURES)]
    for email in names:
        fail(attacker, email)
    for wait in (1, 2, 4):
        refused = password_step(attacker, "nog-een@test.example", "fout-wachtwoord")
        assert refused.status_code == 429 and refused["Retry-After"] == str(wait)
        assert "Te veel mislukte pogingen" in refused.content.decode()
        clock[0] += wait - 0.5
        assert password_step(attacker, "nog-een@test.example").status_code == 429
        clock[0] += 0.5
        fail(attacker, "nog-een@test.example")  # heard again, and counted
    # Even the right password and code are not heard from there now...
    assert with_code(attacker, cast.gp_a.email).status_code == 429
    # ...but the owner elsewhere is not touched.
    owner = from_address(OWNER)
    assert password_step(owner, cast.gp_a.email)["Location"] == VERIFY


def test_password_spraying_gets_the_address_locked(cast: Cast, clock: list[float]) -> None:
    """One password tried on 40 addresses (some real accounts) from one place."""
    real = [cast.gp_a, cast.assistant_a, cast.poh_a, cast.manager_a, cast.patient_user_a]
    emails = [u.email for u in real] + [f"medewerker{i}@test.example" for i in range(35)]
    sprayer = from_address(ATTACKER)
    answers = [password_step(sprayer, email, "Zomer2026!").status_code for email in emails]
    free = settings.LOGIN_IP_FREE_FAILURES
    assert answers == [200] * free + [429] * (len(emails) - free)
    clock[0] += 60  # a minute on: still refused, nothing more was counted meanwhile
    assert password_step(sprayer, emails[-1], "Zomer2026!").status_code == 200
    assert password_step(sprayer, emails[-1], "Zomer2026!").status_code == 429
    # The sprayed names were not made to need the extra step: one failure each.
    assert password_step(from_address(OWNER), cast.assistant_a.email)["Location"] == VERIFY


def test_a_practice_behind_one_address_has_room_for_typos(cast: Cast, clock: list[float]) -> None:
    practice = from_address(OWNER)
    team = [cast.gp_a, cast.assistant_a, cast.poh_a, cast.manager_a]
    for _ in range(4):
        for member in team:
            fail(practice, member.email)  # 16 typos by four people
    for member in team:
        response = password_step(from_address(OWNER), member.email)
        assert response.status_code == 302 and response["Location"] == VERIFY


def test_counts_are_forgotten_after_the_window(cast: Cast, clock: list[float]) -> None:
    attacker = from_address(ATTACKER)
    fail(attacker, cast.gp_a.email, settings.LOGIN_FAILURE_LIMIT)
    for i in range(settings.LOGIN_IP_FREE_FAILURES - settings.LOGIN_FAILURE_LIMIT):
        fail(attacker, f"naam{i}@test.example")
    assert password_step(attacker, cast.gp_a.email).status_code == 429
    assert "samen in" in password_step(from_address(OWNER), cast.gp_a.email).content.decode()
    clock[0] += 2 * settings.LOGIN_COOLOFF.total_seconds()
    response = password_step(attacker, cast.gp_a.email)
    assert response.status_code == 302 and response["Location"] == VERIFY


def test_an_ipv6_client_is_counted_by_its_64(rf) -> None:  # type: ignore[no-untyped-def]
    from spreekuur.accounts.throttle import client_network

    one = rf.get("/", REMOTE_ADDR="2001:db8:1:2::1")
    other = rf.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9")
    elsewhere = rf.get("/", REMOTE_ADDR="2001:db8:1:3::1")
    assert client_network(one) == client_network(other) == "2001:db8:1:2::/64"
    assert client_network(elsewhere) != client_network(one)
    assert client_network(rf.get("/", REMOTE_ADDR="192.0.2.4")) == "192.0.2.4"


def test_the_throttle_keeps_no_address_in_the_cache(cast: Cast, clock: list[float]) -> None:
    from django.core.cache import cache

    fail(from_address(ATTACKER), cast.gp_a.email)
    keys = list(cache._cache)  # type: ignore[attr-defined]  # the local-memory cache of tests
    assert keys and not any("test.example" in str(key) for key in keys)
    assert not any(ATTACKER in str(key) for key in keys)


def test_password_reset_reveals_nothing_and_mail_is_content_free(cast: Cast) -> None:
    url = reverse("accounts:password_reset")
    known = Client().post(url, {"email": cast.patient_user_a.email})
    unknown = Client().post(url, {"email": "niemand@test.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    deliver_notifications()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.patient_user_a.email]
    body = message.subject + message.body
    assert cast.patient_a.bsn not in body
    assert cast.patient_a.family_name not in body
    assert "/account/wachtwoord-kiezen/" in body


def _age_session(client: Client, minutes: int) -> None:
    session = client.session
    session[SESSION_LAST_SEEN] = (timezone.now() - timedelta(minutes=minutes)).isoformat()
    session.save()


def test_staff_session_ends_after_15_idle_minutes(cast: Cast) -> None:
    client = verified_client(cast.assistant_a)
    assert client.get("/start/").status_code == 200
    _age_session(client, 14)
    assert client.get("/start/").status_code == 200
    _age_session(client, 16)
    response = client.get("/start/")
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert client.get("/start/").status_code == 302


def test_patient_session_lasts_30_idle_minutes(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    _age_session(client, 20)
    assert client.get("/start/").status_code == 200
    _age_session(client, 31)
    assert client.get("/start/").status_code == 302


def test_open_redirect_after_login_is_refused(cast: Cast) -> None:
    client = Client()
    client.post(
        LOGIN + "?next=https://evil.example/",
        {"username": cast.gp_a.email, "password": TEST_PASSWORD},
    )
    response = client.post(VERIFY, {"token": current_code()})
    assert response["Location"] == reverse("shell:start")


def test_next_within_site_is_kept(cast: Cast) -> None:
    client = Client()
    client.post(
        LOGIN + "?next=/patienten/", {"username": cast.gp_a.email, "password": TEST_PASSWORD}
    )
    response = client.post(VERIFY, {"token": current_code()})
    assert response["Location"] == "/patienten/"


def test_passwords_are_hashed_with_argon2_in_production_settings() -> None:
    from spreekuur import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_verified_user_links_a_new_phone_and_it_is_logged(cast: Cast) -> None:
    client = verified_client(cast.gp_a)
    client.get(reverse("accounts:setup_totp"))
    device = TOTPDevice.objects.get(user=cast.gp_a, confirmed=False)
    response = client.post(
        reverse("accounts:setup_totp"), {"token": f"{TOTP(device.bin_key).token():06d}"}
    )
    assert response["Location"] == reverse("accounts:recovery_codes")
    assert list(TOTPDevice.objects.filter(user=cast.gp_a).values_list("pk", flat=True)) == [
        device.pk
    ]
    assert AuditEntry.objects.filter(
        actor=cast.gp_a, object_kind="second_factor", action="change"
    ).exists()


def test_replacing_the_phone_needs_a_fresh_code(cast: Cast) -> None:
    client = verified_client(cast.gp_a, fresh=False)
    response = client.get(reverse("accounts:setup_totp"))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:reverify")
    )
    assert not TOTPDevice.objects.filter(user=cast.gp_a, confirmed=False).exists()
    response = client.post(response["Location"], {"token": "000000"})
    assert "Deze code klopt niet" in response.content.decode()
    TOTPDevice.objects.filter(user=cast.gp_a).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )
    response = client.post(
        reverse("accounts:reverify") + "?next=" + reverse("accounts:setup_totp"),
        {"token": current_code()},
    )
    assert response["Location"] == reverse("accounts:setup_totp")
    assert client.get(reverse("accounts:setup_totp")).status_code == 200


def test_a_patients_session_cookie_ends_two_hours_after_login_staff_keep_a_day(
    cast: Cast, settings: object
) -> None:
    """However active, a patient's session (a phone, a shared computer at home) ends at
    PATIENT_SESSION_MAX_AGE after login: the cookie says so and the server holds to it."""
    from django.contrib.sessions.models import Session

    lifetimes = {}
    for user in (cast.patient_user_a, cast.gp_a):
        client = Client()
        password_step(client, user.email)
        client.post(VERIFY, {"token": current_code()})
        assert client.get("/start/").status_code == 200
        lifetimes[user] = int(client.cookies["sessionid"]["max-age"])
        key = client.session.session_key
        expires = Session.objects.get(session_key=key).expire_date
        lifetimes[user, "server"] = (expires - timezone.now()).total_seconds()
    assert 7000 < lifetimes[cast.patient_user_a] <= 2 * 3600
    assert 7000 < lifetimes[cast.patient_user_a, "server"] <= 2 * 3600 + 1
    assert lifetimes[cast.gp_a] > 7 * 3600
