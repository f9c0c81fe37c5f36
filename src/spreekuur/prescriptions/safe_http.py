"""Outgoing HTTP to an address that a person typed in (a pharmacy's link), without letting
it reach inside the network (SSRF, also through DNS).

The name is resolved here, EVERY address it gives must be public, and the request goes to
one of those checked addresses: the HTTP library never looks the name up a second time,
which a rebinding DNS server could answer differently. TLS still checks the certificate
against the name: the request goes to https://<address>/… with the Host header and
httpcore's `sni_hostname` request extension set to the name. httpcore (1.0,
`_sync/connection.py`) hands that to `SSLContext.wrap_socket(server_hostname=…)`, which
sends it as SNI and, with the default context's `check_hostname`, verifies the certificate
against it. Redirects are never followed. No proxy from the environment is used: a proxy
would resolve the name again itself.

Free of Django and of the prescriptions app, so that it can move to core when another app
has to call out. httpx (with rich, which it pulls in) is imported in the functions that
call out, not at the top: every web worker imports this module, few ever send."""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"https": 443, "http": 80}
# Carrier-grade NAT (RFC 6598): the provider's inside, which Python's is_private misses.
SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
# NAT64 (RFC 6052): the well-known prefix carries an IPv4 address in its last 32 bits and
# reaches whatever that address is, so that address decides.
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
# The local-use NAT64 prefix (RFC 8215) lives inside one network, with the operator's own
# layout: never a public pharmacy.
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
# All public IPv6 unicast lies in 2000::/3; outside it are ::/8 (IPv4-compatible and the
# like), unique-local, site-local, link-local and multicast addresses.
GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
# Names that by definition (RFC 6761, 6762, 8375) or by wide custom name no public host.
# A name of one label is looked up in the server's own search domains: inside, too.
LOCAL_SUFFIXES = ("localhost", "localdomain", "local", "internal", "lan", "home.arpa")
LOOPBACK_NAMES = ("localhost",)
# Addresses of one name tried when no connection can be made (nothing was sent then).
ADDRESSES_TRIED = 3


class Refusal(StrEnum):
    BAD_URL = "bad address"
    NOT_HTTPS = "not https"
    LOCAL_NAME = "local name"
    NOT_FOUND = "name not found"
    NOT_PUBLIC = "address not public"


class RefusedDestination(Exception):
    """The URL may not be called; `refusal` is safe to store and log (no URL, no data)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class Destination:
    """A URL whose name was resolved and whose every address was checked."""

    url: httpx.URL
    host: str  # ASCII (IDNA), lower case, without a trailing dot
    addresses: tuple[IPAddress, ...]
    host_is_address: bool

    @property
    def host_header(self) -> str:
        return self.url.netloc.decode("ascii")

    def url_for(self, address: IPAddress) -> httpx.URL:
        return self.url.copy_with(host=str(address))


def is_public_address(address: IPAddress) -> bool:
    """Reachable on the public internet, and nothing else: not loopback, private,
    link-local (cloud metadata), CGNAT, multicast, reserved or unspecified; an IPv6
    address that carries an IPv4 address (mapped, NAT64, 6to4) is judged by that one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
        if address in NAT64_LOCAL_USE or address.teredo is not None:
            return False  # Teredo: a tunnel to an IPv4 host of the address's choosing
        if address not in GLOBAL_UNICAST_V6:
            return False
    elif address in SHARED_ADDRESS_SPACE:
        return False
    # Python 3.11 calls multicast and site-local "global": each test is spelled out.
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return address.sixtofour


def _is_local_name(host: str) -> bool:
    return "." not in host or any(
        host == suffix or host.endswith("." + suffix) for suffix in LOCAL_SUFFIXES
    )


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """Every address of the name, IPv4 and IPv6, in the resolver's order of preference."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # socket.gaierror is an OSError
        raise RefusedDestination(Refusal.NOT_FOUND) from None
    addresses: list[IPAddress] = []
    for family, _type, _protocol, _canonical, socket_address in found:
        if family not in (socket.AF_INET, socket.AF_INET6):
            raise RefusedDestination(Refusal.NOT_PUBLIC)
        address = ipaddress.ip_address(str(socket_address[0]))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise RefusedDestination(Refusal.NOT_FOUND)
    return tuple(addresses)


def check_destination(url: str, *, allow_loopback: bool = False) -> Destination:
    """Resolve the URL's name and check every address, or raise RefusedDestination.

    HTTPS only. `allow_loopback` (development and tests: a local stand-in) also lets
    through addresses on this machine, and plain HTTP when every address is one; never a
    private or link-local address."""
    import httpx  # here, not at the top: see the module's docstring

    try:
        parsed = httpx.URL(url.strip())
        host = parsed.raw_host.decode("ascii").rstrip(".").lower()
    except (httpx.InvalidURL, UnicodeError):
        raise RefusedDestination(Refusal.BAD_URL) from None
    if parsed.scheme != "https" and not (parsed.scheme == "http" and allow_loopback):
        raise RefusedDestination(Refusal.NOT_HTTPS)
    if not host:
        raise RefusedDestination(Refusal.BAD_URL)
    literal = _ip_literal(host)
    if literal is not None:
        addresses: tuple[IPAddress, ...] = (literal,)
    elif _is_local_name(host):
        is_loopback_name = any(host == n or host.endswith("." + n) for n in LOOPBACK_NAMES)
        if not (allow_loopback and is_loopback_name):
            raise RefusedDestination(Refusal.LOCAL_NAME)
        addresses = (ipaddress.IPv4Address("127.0.0.1"),)  # RFC 6761: never asked of DNS
    else:
        addresses = _resolve(host, parsed.port or DEFAULT_PORTS[parsed.scheme])
    for address in addresses:
        if not (is_public_address(address) or (allow_loopback and address.is_loopback)):
            raise RefusedDestination(Refusal.NOT_PUBLIC)
    if parsed.scheme == "http" and not all(address.is_loopback for address in addresses):
        raise RefusedDestination(Refusal.NOT_HTTPS)
    return Destination(
        url=parsed.copy_with(host=host),
        host=host,
        addresses=addresses,
        host_is_address=literal is not None,
    )


@functools.cache
def default_certificates() -> ssl.SSLContext:
    """httpx's usual certificate store (SSL_CERT_FILE too), loaded once per process:
    loading it took longer than sending a prescription (issue 18), and a worker
    delivers in many short runs. A new store takes effect at the next restart."""
    import httpx  # here, not at the top: see the module's docstring

    return httpx.create_ssl_context()


def new_client(*, timeout: float, verify: ssl.SSLContext | None = None) -> httpx.Client:
    """A client for checked destinations: no proxy or .netrc from the environment, no
    redirects; certificates checked against httpx's usual store (SSL_CERT_FILE too)."""
    import httpx  # here, not at the top: see the module's docstring

    return httpx.Client(
        timeout=timeout,
        verify=verify or default_certificates(),
        trust_env=False,
        follow_redirects=False,
    )


def post(
    destination: Destination,
    *,
    content: bytes,
    headers: Mapping[str, str],
    client: httpx.Client,
) -> httpx.Response:
    """POST to the destination's checked addresses: the next one only when no connection
    could be made to the one before (so nothing was sent), never following a redirect.
    A 3xx comes back as it is, for the caller to treat as a failure."""
    import httpx  # here, not at the top: see the module's docstring

    extensions = {} if destination.host_is_address else {"sni_hostname": destination.host}
    *first, last = destination.addresses[:ADDRESSES_TRIED]
    for address in first:
        try:
            return _post_to(destination, address, content, headers, extensions, client)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            continue
    return _post_to(destination, last, content, headers, extensions, client)


def _post_to(
    destination: Destination,
    address: IPAddress,
    content: bytes,
    headers: Mapping[str, str],
    extensions: dict[str, str],
    client: httpx.Client,
) -> httpx.Response:
    return client.post(
        destination.url_for(address),
        content=content,
        headers={**headers, "Host": destination.host_header},
        extensions=extensions,
        follow_redirects=False,
    )


class ClientsByHost:
    """One client per host name, for a run that sends to many. Connections are pooled by
    the URL's host, which is the address here: one client shared between two names at one
    address could send a request for the one over a connection (and certificate) checked
    for the other."""

    def __init__(self, *, timeout: float, verify: ssl.SSLContext | None = None) -> None:
        self._timeout = timeout
        self._verify = verify
        self._clients: dict[str, httpx.Client] = {}

    def for_host(self, host: str) -> httpx.Client:
        if host not in self._clients:
            self._clients[host] = new_client(timeout=self._timeout, verify=self._verify)
        return self._clients[host]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self) -> ClientsByHost:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
