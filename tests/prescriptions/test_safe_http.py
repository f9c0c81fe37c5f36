"""The pharmacy link never reaches inside (SSRF through DNS): every address a name
resolves to is checked, when the practice saves the link and again at every send, and the
request goes to the address just checked, with TLS checked against the name. Names
resolve only through FakeDNS (no DNS here, and nothing may leave this machine): every
server below listens on 127.0.0.1, and every public address is only ever checked, never
connected to."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.prescriptions.models import DeliveryStatus, OutboxMessage, Pharmacy
from spreekuur.prescriptions.safe_http import (
    ClientsByHost,
    Refusal,
    RefusedDestination,
    check_destination,
    is_public_address,
)
from spreekuur.prescriptions.services import add_pharmacy, approve_items, deliver_due
from spreekuur.prescriptions.transports import TRANSPORTS, DeliveryFailed, deliver_http
from tests.prescriptions.conftest import FakeDNS, Repeats

NAME = "apotheek.example.nl"
PUBLIC_V4 = "93.184.215.14"  # only checked, never connected to
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


def _refusal(url: str, *, allow_loopback: bool = False) -> Refusal:
    with pytest.raises(RefusedDestination) as refused:
        check_destination(url, allow_loopback=allow_loopback)
    return refused.value.refusal


# --- What a name may resolve to -------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.5",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 (a name resolving to it, not a bind)
        "224.0.0.1",
        "240.0.0.1",
        "198.18.0.1",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.5",
        "::7f00:1",  # IPv4-compatible
        "64:ff9b::7f00:1",  # NAT64 of loopback
        "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address
        "64:ff9b:1::a00:5",  # local-use NAT64
        "2002:7f00:1::",  # 6to4 of loopback
        "2002:a00:5::1",  # 6to4 of 10.0.0.5
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "fd00::1",
        "fe80::1",
        "fec0::1",
        "ff0e::1",
        "2001:db8::1",
    ],
)
def test_a_name_that_resolves_inside_is_refused(fake_dns: FakeDNS, address: str) -> None:
    fake_dns.point(NAME, (address,))
    assert _refusal(f"https://{NAME}/fhir") == Refusal.NOT_PUBLIC


def test_one_inside_address_among_public_ones_is_refused(fake_dns: FakeDNS) -> None:
    fake_dns.point(NAME, (PUBLIC_V4, PUBLIC_V6, "10.0.0.5"))
    assert _refusal(f"https://{NAME}/fhir") == Refusal.NOT_PUBLIC
    fake_dns.point(NAME, ("::1", PUBLIC_V4))
    assert _refusal(f"https://{NAME}/fhir") == Refusal.NOT_PUBLIC


def test_a_name_with_public_addresses_is_accepted_with_every_address(fake_dns: FakeDNS) -> None:
    nat64_of_public = "64:ff9b::5db8:d70e"
    fake_dns.point(NAME, (PUBLIC_V6, PUBLIC_V4, nat64_of_public, PUBLIC_V4))
    destination = check_destination(f"https://{NAME.upper()}.:8443/fhir/MedicationRequest")
    assert destination.host == NAME and destination.host_header == f"{NAME}:8443"
    assert [str(a) for a in destination.addresses] == [PUBLIC_V6, PUBLIC_V4, nat64_of_public]
    assert str(destination.url_for(destination.addresses[0])) == (
        f"https://[{PUBLIC_V6}]:8443/fhir/MedicationRequest"
    )


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "apotheek.localhost",
        "localhost.",
        "metadata.google.internal",
        "printer.local",
        "nas.home.arpa",
        "intranet",  # one label: the server's own search domains
        "2130706433",
    ],
)
def test_local_names_are_refused_without_asking_dns(fake_dns: FakeDNS, host: str) -> None:
    fake_dns.point(host.rstrip("."), (PUBLIC_V4,))  # even if DNS said otherwise
    assert _refusal(f"https://{host}/x") == Refusal.LOCAL_NAME
    assert sum(fake_dns.lookups.values()) == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x",
        "https://127.1/x",  # what inet_aton makes of it
        "https://[::1]/x",
        "https://[::ffff:7f00:1]/x",
        "https://[64:ff9b::a9fe:a9fe]/x",
        "https://169.254.169.254/latest",
        "https://[fe80::1%25eth0]/x",
    ],
)
def test_inside_address_literals_are_refused(fake_dns: FakeDNS, url: str) -> None:
    assert _refusal(url) == Refusal.NOT_PUBLIC


@pytest.mark.parametrize(
    "url", [f"http://{NAME}/x", f"ftp://{NAME}/x", f"{NAME}/x", "", "https:///x"]
)
def test_only_https_to_a_host(fake_dns: FakeDNS, url: str) -> None:
    fake_dns.point(NAME, (PUBLIC_V4,))
    assert _refusal(url) in (Refusal.NOT_HTTPS, Refusal.BAD_URL)


def test_a_name_that_does_not_resolve_is_refused(fake_dns: FakeDNS) -> None:
    fake_dns.point(NAME, None)
    assert _refusal(f"https://{NAME}/x") == Refusal.NOT_FOUND


def test_the_loopback_hook_lets_only_this_machine_through(fake_dns: FakeDNS) -> None:
    fake_dns.point(NAME, ("127.0.0.1",))
    assert check_destination(f"http://{NAME}:8000/x", allow_loopback=True).addresses == (
        ipaddress.ip_address("127.0.0.1"),
    )
    assert check_destination("http://localhost:8000/x", allow_loopback=True)
    for inside in ("10.0.0.5", "169.254.169.254", "fd00::1", "::ffff:127.0.0.1"):
        fake_dns.point(NAME, (inside,))
        assert _refusal(f"https://{NAME}/x", allow_loopback=True) == Refusal.NOT_PUBLIC
    fake_dns.point(NAME, (PUBLIC_V4,))
    assert _refusal(f"http://{NAME}/x", allow_loopback=True) == Refusal.NOT_HTTPS


IPV4 = st.integers(min_value=0, max_value=2**32 - 1).map(ipaddress.IPv4Address)


@given(IPV4)
def test_an_ipv6_address_carrying_an_ipv4_address_is_judged_by_it(
    address: ipaddress.IPv4Address,
) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    nat64 = ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(address))
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80) | 1)
    expected = is_public_address(address)
    assert is_public_address(mapped) == is_public_address(nat64) == expected
    assert is_public_address(sixtofour) == expected


# --- When the practice saves the link --------------------------------------------------------


def _add(repeats: Repeats, endpoint: str) -> Pharmacy:
    return add_pharmacy(
        practice=repeats.cast.practice_a,
        name="Apotheek Noord",
        transport="http",
        endpoint=endpoint,
        by=repeats.cast.manager_a,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (("10.0.0.5",), "intern netwerk"),
        (("127.0.0.1",), "intern netwerk"),
        ((PUBLIC_V4, "169.254.169.254"), "intern netwerk"),
        (None, "niet te vinden"),
    ],
)
def test_saving_a_link_whose_name_points_inside_is_refused_in_dutch(
    repeats: Repeats, fake_dns: FakeDNS, answer: tuple[str, ...] | None, message: str
) -> None:
    fake_dns.point(NAME, answer)
    with pytest.raises(BusinessRuleError, match=message):
        _add(repeats, f"https://{NAME}/fhir")
    assert not Pharmacy.objects.filter(name="Apotheek Noord").exists()


@pytest.mark.django_db
def test_saving_a_link_to_a_public_name_works(repeats: Repeats, fake_dns: FakeDNS) -> None:
    fake_dns.point(NAME, (PUBLIC_V4, PUBLIC_V6))
    assert _add(repeats, f" https://{NAME}/fhir ").endpoint == f"https://{NAME}/fhir"


# --- At send time, against servers on this machine -------------------------------------------


class Server:
    """A pharmacy on 127.0.0.1 (HTTP/1.1, keep-alive; TLS when given a context) that
    counts what reaches it; `redirect` answers 302 to its own /trap."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.redirect = False
        self.posts: list[dict[str, str]] = []
        self.trap_hits = 0
        self.server_names: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                if self.path == "/trap":
                    server.trap_hits += 1
                else:
                    server.posts.append(dict(self.headers))
                self.send_response(302 if server.redirect else 201)
                if server.redirect:
                    self.send_header("Location", f"{server.base}/trap")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_port
        self.base = f"http://127.0.0.1:{self.port}"
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
            self.http.socket = tls.wrap_socket(self.http.socket, server_side=True)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.http.shutdown()
    running.http.server_close()


def _approved(repeats: Repeats, endpoint: str) -> OutboxMessage:
    Pharmacy.objects.filter(pk=repeats.pharmacy.pk).update(endpoint=endpoint)
    approve_items(items=repeats.request(repeats.metformin), by=repeats.cast.gp_a)
    return OutboxMessage.objects.get()


@pytest.mark.django_db
def test_a_name_rebound_to_loopback_after_saving_is_refused_at_send(
    repeats: Repeats, fake_dns: FakeDNS, server: Server
) -> None:
    """DNS rebinding: public when the practice saved it, this machine when sending."""
    fake_dns.point(NAME, (PUBLIC_V4,), ("127.0.0.1",))
    pharmacy = _add(repeats, f"https://{NAME}:{server.port}/fhir")
    approve_items(items=repeats.request(repeats.metformin, pharmacy=pharmacy), by=repeats.cast.gp_a)
    message = OutboxMessage.objects.get()
    assert deliver_due() == 0
    message.refresh_from_db()
    assert message.last_error == "Refused: address not public"
    assert message.status == DeliveryStatus.PENDING and message.attempts == 1  # retried later
    assert server.posts == [] and fake_dns.lookups[NAME] == 2


@pytest.mark.django_db
def test_the_request_goes_to_the_address_checked_at_send_time(
    repeats: Repeats, fake_dns: FakeDNS, server: Server, settings
) -> None:
    """Checked as 127.0.0.1 (loopback let through by the test hook); any later lookup of
    the name would fail, so a delivery proves that nothing looked it up again."""
    settings.PHARMACY_ALLOW_LOOPBACK = True
    fake_dns.point(NAME, ("127.0.0.1",), None)
    message = _approved(repeats, f"http://{NAME}:{server.port}/fhir")
    assert deliver_due() == 1
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED
    assert fake_dns.lookups[NAME] == 1
    [headers] = server.posts
    assert headers["Host"] == f"{NAME}:{server.port}"
    assert headers["Idempotency-Key"] == str(message.item.public_id)


@pytest.mark.django_db
def test_the_next_checked_address_is_tried_when_the_first_cannot_be_reached(
    repeats: Repeats, fake_dns: FakeDNS, server: Server, settings
) -> None:
    """Nothing listens on 127.0.0.2 (the server is bound to 127.0.0.1 only): no connection,
    so nothing was sent, and the second checked address gets the one request."""
    settings.PHARMACY_ALLOW_LOOPBACK = True
    fake_dns.point(NAME, ("127.0.0.2", "127.0.0.1"), None)
    _approved(repeats, f"http://{NAME}:{server.port}/fhir")
    assert deliver_due() == 1
    assert len(server.posts) == 1 and fake_dns.lookups[NAME] == 1


@pytest.mark.django_db
def test_a_redirect_is_a_failure_and_never_followed(
    repeats: Repeats, fake_dns: FakeDNS, server: Server, settings
) -> None:
    settings.PHARMACY_ALLOW_LOOPBACK = True
    server.redirect = True
    message = _approved(repeats, f"{server.base}/fhir")
    assert deliver_due() == 0
    message.refresh_from_db()
    assert message.last_error == "HTTP 302" and message.status == DeliveryStatus.PENDING
    assert len(server.posts) == 1 and server.trap_hits == 0
    # Also not with a client of the caller's that would follow redirects itself.
    with httpx.Client(follow_redirects=True) as following, pytest.raises(DeliveryFailed):
        deliver_http(message, client=following)
    assert server.trap_hits == 0


# --- TLS to the pinned address, checked against the name -----------------------------------


class Certificates:
    """A throw-away CA and a server certificate for `names`."""

    def __init__(self, tmp_path: Path, *names: str) -> None:
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        chain = tmp_path / "server.pem"
        chain.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            + leaf.public_bytes(serialization.Encoding.PEM)
        )
        self.server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server.load_cert_chain(chain)
        self.client = ssl.create_default_context(
            cadata=ca.public_bytes(serialization.Encoding.PEM).decode()
        )


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Server, Certificates]]:
    certificates = Certificates(tmp_path, NAME)
    running = Server(tls=certificates.server)
    yield running, certificates
    running.http.shutdown()
    running.http.server_close()


def _deliver_with(certificates: Certificates) -> int:
    clients = ClientsByHost(timeout=5, verify=certificates.client)
    try:
        return deliver_due(
            transports={**TRANSPORTS, "http": partial(deliver_http, clients=clients)}
        )
    finally:
        clients.close()


@pytest.mark.django_db
def test_tls_to_the_pinned_address_checks_the_certificate_against_the_name(
    repeats: Repeats, fake_dns: FakeDNS, tls_server, settings
) -> None:
    server, certificates = tls_server
    settings.PHARMACY_ALLOW_LOOPBACK = True
    fake_dns.point(NAME, ("127.0.0.1",), None)
    message = _approved(repeats, f"https://{NAME}:{server.port}/fhir")
    assert _deliver_with(certificates) == 1
    assert server.server_names == [NAME]  # SNI carries the name, not the address
    assert server.posts[0]["Host"] == f"{NAME}:{server.port}"
    message.refresh_from_db()
    assert message.status == DeliveryStatus.DELIVERED


@pytest.mark.django_db
def test_a_certificate_for_another_name_is_refused(
    repeats: Repeats, fake_dns: FakeDNS, tls_server, settings
) -> None:
    server, certificates = tls_server
    settings.PHARMACY_ALLOW_LOOPBACK = True
    fake_dns.point("andere-apotheek.example.nl", ("127.0.0.1",))
    message = _approved(repeats, f"https://andere-apotheek.example.nl:{server.port}/fhir")
    assert _deliver_with(certificates) == 0
    message.refresh_from_db()
    assert message.last_error == "ConnectError" and server.posts == []


@pytest.mark.django_db
def test_two_names_at_one_address_never_share_a_connection(
    repeats: Repeats, fake_dns: FakeDNS, tls_server, settings
) -> None:
    """The certificate is only valid for NAME: the second pharmacy's request may not ride
    on the kept-alive connection that was checked for the first."""
    server, certificates = tls_server
    settings.PHARMACY_ALLOW_LOOPBACK = True
    other = "andere-apotheek.example.nl"
    fake_dns.point(NAME, ("127.0.0.1",))
    fake_dns.point(other, ("127.0.0.1",))
    first = _approved(repeats, f"https://{NAME}:{server.port}/fhir")
    second_pharmacy = Pharmacy.objects.create(
        practice=repeats.cast.practice_a,
        name="Andere Apotheek",
        transport="http",
        endpoint=f"https://{other}:{server.port}/fhir",
    )
    approve_items(
        items=repeats.request(repeats.simvastatin, pharmacy=second_pharmacy),
        by=repeats.cast.gp_a,
    )
    second = OutboxMessage.objects.exclude(pk=first.pk).get()
    assert _deliver_with(certificates) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == DeliveryStatus.DELIVERED
    assert second.status == DeliveryStatus.PENDING and second.last_error == "ConnectError"
    assert len(server.posts) == 1
