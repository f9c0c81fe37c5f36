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
