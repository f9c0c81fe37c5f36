"""Security posture: production check, headers, CSRF, and logs without patient data."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from django.test import Client
from django.urls import reverse

from tests.conftest import Cast, verified_client


def test_check_deploy_is_clean_with_production_settings(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {
        "SPREEKUUR_ENV": "production",
        "SECRET_KEY": "x" * 64 + "-not-a-real-secret-but-long-and-random-enough-1234567890",
        "AUDIT_CHAIN_KEY": "test-only-audit-chain-key-0123456789abcdef",
        "PASSKEY_ORIGINS": "https://portaal.example",
        "ALLOWED_HOSTS": "portaal.example",
        "SPREEKUUR_DATA_DIR": str(tmp_path),
        "DEBUG": "false",
    }
    result = subprocess.run(
        [sys.executable, "-m", "spreekuur", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"SPREEKUUR_ENV": "production", "SPREEKUUR_DATA_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-m", "spreekuur", "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_security_headers_on_every_kind_of_page(cast: Cast) -> None:
    pages = [
        (Client(), "/p/praktijk-a/"),
        (Client(), "/account/inloggen/"),
        (verified_client(cast.patient_user_a), "/mijn-gegevens/"),
        (verified_client(cast.gp_a), f"/patienten/{cast.patient_a.public_id}/"),
    ]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        policy = response["Permissions-Policy"]
        assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy
        if path != "/p/praktijk-a/" and path != "/account/inloggen/":
            assert (
                "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
            )


def test_csrf_is_enforced_on_login_and_logout(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("accounts:login"), {"username": cast.gp_a.email, "password": "x"}
    )
    assert response.status_code == 403
    logged_in = verified_client(cast.gp_a)
    logged_in.handler.enforce_csrf_checks = True
    assert logged_in.post(reverse("accounts:logout")).status_code == 403


def test_logs_carry_no_bsn_name_or_path(cast: Cast, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client = verified_client(cast.assistant_a)
    client.post(reverse("patients:list"), {"query": cast.patient_a.bsn})
    client.get(reverse("patients:detail", args=[cast.patient_a.public_id]))
    client.get("/patienten/00000000-0000-0000-0000-000000000000/")  # a 404 gets logged as warning
    text = "\n".join(
        record.getMessage() + json.dumps(record.__dict__, default=str) for record in caplog.records
    )
    assert cast.patient_a.bsn not in text
    assert cast.patient_a.family_name not in text


def test_json_log_lines_have_request_id_and_no_request_repr(cast: Cast) -> None:
    from spreekuur.core.logging import RequestContextFilter

    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found", (), None
    )
    record.request = object()
    assert RequestContextFilter().filter(record)
    assert record.request is None and hasattr(record, "request_id")


def test_formatter_masks_bsn_email_and_key_values() -> None:
    from spreekuur.core.logging import SafeJsonFormatter

    try:
        raise ValueError("duplicate: Key (practice_id, bsn)=(4, 999912345) for a@b.example")
    except ValueError:
        import sys as _sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "user %s", ("a@b.example",), _sys.exc_info()
        )
    line = SafeJsonFormatter().format(record)
    assert "999912345" not in line and "a@b.example" not in line and "(4, " not in line
    assert "<e-mail>" in line


def test_formatter_masks_bsns_written_in_groups_and_encoded_addresses() -> None:
    from spreekuur.core.logging import mask

    for text in ("111 222 333", "111-222-333", "1112.22.333", "a%40b.example", "x@y.nl"):
        assert mask(f"waarde {text} hier") in (
            "waarde <9 cijfers> hier",
            "waarde <e-mail> hier",
        ), text
    assert mask("10.0.0.1 2026-11-30 10:28:36,445") == "10.0.0.1 2026-11-30 10:28:36,445"


def test_request_log_keeps_no_path() -> None:
    from spreekuur.core.logging import RequestContextFilter

    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/patienten/x/",), None
    )
    RequestContextFilter().filter(record)
    assert record.getMessage() == "Not Found"
