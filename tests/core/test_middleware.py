from __future__ import annotations

from django.test import RequestFactory, override_settings

from spreekuur.core.middleware import client_ip, normalise_ip


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_socket_peer_counts() -> None:
    assert client_ip(_request("203.0.113.5", "198.51.100.1")) == "203.0.113.5"


@override_settings(TRUSTED_PROXIES=frozenset({"10.0.0.2", "10.0.0.3"}))
def test_behind_trusted_proxies_the_rightmost_untrusted_hop_counts() -> None:
    assert client_ip(_request("10.0.0.2", "198.51.100.7")) == "198.51.100.7"
    # a client cannot pick its own address by sending X-Forwarded-For itself
    assert client_ip(_request("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.3")) == "198.51.100.7"
    assert client_ip(_request("10.0.0.2", "not-an-ip")) is None
    assert client_ip(_request("10.0.0.2")) == "10.0.0.2"


def test_addresses_are_normalised() -> None:
    assert normalise_ip("2001:0DB8:0000::0001") == "2001:db8::1"
    assert normalise_ip(" 192.0.2.1 ") == "192.0.2.1"
    assert normalise_ip("bogus") is None


def test_a_nul_byte_anywhere_in_the_input_is_a_clear_400(db: None) -> None:
    from django.test import Client

    client = Client()
    for response in (
        client.get("/", {"pagina": "1\x00"}),
        client.get("/", {"a\x00": "1"}),
        client.post("/account/inloggen/", {"username": "a\x00@b.nl", "password": "x"}),
        client.get("/praktijk/a%00b/"),
    ):
        assert response.status_code == 400
        assert "ongeldig teken" in response.content.decode()
    assert client.get("/", {"pagina": "1"}).status_code == 200  # the control


def test_the_form_text_of_one_request_is_bounded(db: None) -> None:
    """All fields together at most DATA_UPLOAD_MAX_MEMORY_SIZE (files not counted)."""
    from django.conf import settings
    from django.test import Client

    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = Client().post("/account/inloggen/", {"username": "x" * size, "password": "x"})
    assert response.status_code == 400
    assert size <= 256 * 1024


def test_only_views_that_take_files_take_a_large_body(cast) -> None:  # type: ignore[no-untyped-def]
    """A form without files is refused above FORM_REQUEST_BYTES from its Content-Length,
    also with a file smuggled in to pass the text limit (a NUL byte then goes unread)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from spreekuur.core.middleware import FORM_REQUEST_BYTES
    from tests.conftest import verified_client

    client = verified_client(cast.patient_user_a)
    padding = SimpleUploadedFile("x.jpg", b"\xff" * FORM_REQUEST_BYTES, "image/jpeg")
    response = client.post("/namens/", {"patient": "a\x00b", "bestand": padding})
    assert response.status_code == 413
    assert "niets opgeslagen" in response.content.decode()
    assert client.post("/namens/", {"patient": "a\x00b"}).status_code == 400  # multipart too
