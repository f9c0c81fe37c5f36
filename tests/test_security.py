"""Security posture: production check, headers, CSRF, and logs without patient data."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast, verified_client


def _oidc_key(folder) -> object:
    """A throwaway RSA key file, as the operator makes one (deploy/spreekuur.env.example)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = folder / "oidc.pem"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def _production_check(
    tmp_path, *arguments: str, without: str = ""
) -> subprocess.CompletedProcess[str]:
    """`spreekuur check` with a complete production environment, less `without`."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {
        "SPREEKUUR_ENV": "production",
        "SECRET_KEY": "x" * 64 + "-not-a-real-secret-but-long-and-random-enough-1234567890",
        "AUDIT_CHAIN_KEY": "test-only-audit-chain-key-0123456789abcdef",
        "PASSKEY_ORIGINS": "https://portaal.example",
        "ALLOWED_HOSTS": "portaal.example",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SPREEKUUR_DATA_DIR": str(tmp_path),
        "DEBUG": "false",
        "OIDC_RSA_PRIVATE_KEY_FILE": str(_oidc_key(tmp_path)),
    }
    env.pop(without, None)
    return subprocess.run(  # noqa: S603 - the arguments are this file's own
        [sys.executable, "-m", "spreekuur", "check", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path) -> None:
    result = _production_check(tmp_path, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "REDIS_URL", "OIDC_RSA_PRIVATE_KEY_FILE"])
def test_production_refuses_to_start_without_a_required_setting(tmp_path, missing) -> None:
    """A secret key, Redis (throttles and cached sessions shared by every process), and
    the key that signs ID tokens."""
    result = _production_check(tmp_path, without=missing)
    assert result.returncode != 0 and missing in result.stderr


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


def _formatted(error: BaseException) -> str:
    from spreekuur.core.logging import SafeJsonFormatter

    try:
        raise error
    except BaseException:
        import sys as _sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "Internal Server Error", (), _sys.exc_info()
        )
    return SafeJsonFormatter().format(record)


def test_an_error_in_the_log_names_its_kind_and_field_never_the_value() -> None:
    """The posted text never reaches the log through an exception's message, also not
    in a chained exception; what is left names the kind, the field and the code."""
    from django.core.exceptions import ValidationError

    posted = "Jan Jansen heeft HIV"
    for error in (
        ValidationError({"reden": [ValidationError(f"“{posted}” klopt niet", code="invalid")]}),
        ValidationError(f"“{posted}” is geen geldige UUID.", code="invalid"),
        ValueError(f"invalid literal for int() with base 10: '{posted}'"),
    ):
        line = _formatted(error)
        assert posted not in line and "HIV" not in line, line
        assert type(error).__name__ in line
    assert "reden:invalid" in _formatted(
        ValidationError({"reden": [ValidationError(f"{posted}", code="invalid")]})
    )
    try:
        try:
            int(posted)
        except ValueError as inner:
            raise RuntimeError(f"while reading {posted}") from inner
    except RuntimeError as outer:
        line = _formatted(outer)
    assert posted not in line and "ValueError" in line and "RuntimeError" in line
    assert "direct cause" in line and "int(posted)" in line  # the source line, not input


def test_a_database_error_names_its_code_not_the_value(db: None) -> None:
    """PostgreSQL quotes the input in its message (invalid input syntax for type uuid:
    "…"); the log keeps the SQLSTATE."""
    from django.db import DataError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's own message and SQLSTATE")
    posted = "Jan Jansen heeft HIV"
    with pytest.raises(DataError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT %s::uuid", [posted])
    assert posted in str(caught.value)  # the control: the message does carry it
    line = _formatted(caught.value)
    assert posted not in line and "sqlstate=22P02" in line


def test_the_log_scan_catches_text_the_test_posted(db: None) -> None:
    """The scan over the whole suite (tests/conftest.py) knows what each test posted."""
    from tests.conftest import _forbidden_in

    Client().post("/", {"vraag": "Sinds gisteren pijn op de borst", "keuze": "afgerond"})
    Client().get("/", {"zoek": "Vermeulen"})
    assert "posted" in _forbidden_in('{"message": "Sinds gisteren pijn op de borst"}')
    assert "posted" in _forbidden_in('{"message": "gezocht: Vermeulen"}')
    assert _forbidden_in('{"message": "status afgerond"}') == ""


def test_a_next_or_back_address_is_a_path_of_this_site_or_nothing() -> None:
    """Not another host (an open redirect), and not a bare word, which redirect() would
    look up as a view name and fail on with a 500 ("-1", "agenda")."""
    from spreekuur.core.redirects import local_path

    for kept in ("/agenda/?dag=2026-12-05", "/", "/uitslagen/"):
        assert local_path(kept) == kept
    for refused in (
        "-1",
        "agenda",
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "",
        None,
    ):
        assert local_path(refused) == ""


def test_a_bare_word_as_next_is_no_server_error(cast: Cast) -> None:
    client = verified_client(cast.gp_a)
    response = client.get(reverse("accounts:reverify") + "?next=-1")
    assert response.status_code < 500
