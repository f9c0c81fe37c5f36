"""Login throttling that slows guessing without handing anyone a lock on someone else.

A lock-out per user name is a weapon: anyone who knows a staff address can keep that
person out with a few wrong passwords. So nothing here locks an account. Instead:

* Per user name (existing or not, so nothing is revealed), counted from every address:
  after LOGIN_FAILURE_LIMIT failures the password alone no longer leads to the second
  step. The login then asks for the password and the authenticator code together and
  answers a wrong password and a wrong code alike, so a guesser learns nothing more, while
  the owner, who has both, signs in from anywhere as usual.
* Per client network (one IPv4 address, or an IPv6 /64): LOGIN_IP_FREE_FAILURES failures
  are free (a practice's whole team shares one public address and mistypes), then every
  next attempt from there waits twice as long as the one before after the last failure
  (1 s, 2 s, 4 s, … up to LOGIN_COOLOFF). Password spraying (one password over many
  addresses) and guessing from one place soon wait a quarter of an hour per try. Only
  someone on the same network as the attacker is slowed by this.
* The second step itself is throttled per device by django-otp (each wrong code doubles
  the wait); the combined step checks the code only after a right password, so strangers
  cannot start that back-off either.

Failures are counted in the cache (Redis when several web processes serve the site) over
a sliding window of LOGIN_COOLOFF: the count of this window plus the part of the previous
window's count that still falls inside it. Cache keys hold keyed hashes of the user name
and of the network, never the name or the address itself.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from spreekuur.core.middleware import client_ip

_KEY_SALT = "spreekuur.accounts.throttle"


def _now() -> float:
    return time.time()


def _window_seconds() -> int:
    return max(1, int(settings.LOGIN_COOLOFF.total_seconds()))


def client_network(request: HttpRequest) -> str:
    """The client's address as counted: IPv6 by its /64, which one subscriber holds whole."""
    address = client_ip(request)
    if address is None:
        return "onbekend"
    parsed = ipaddress.ip_address(address)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return address


def _name_key(username: str) -> str:
    return salted_hmac(_KEY_SALT, username.strip().lower()).hexdigest()[:32]


def _network_key(network: str) -> str:
    return salted_hmac(f"{_KEY_SALT}.network", network).hexdigest()[:32]


@dataclass(frozen=True)
class _Counter:
    """Failures of one kind (per name, per network) in a sliding window."""

    prefix: str

    def _key(self, subject: str, window: int) -> str:
        return f"login-failures:{self.prefix}:{subject}:{window}"

    def add(self, subject: str, now: float) -> None:
        size = _window_seconds()
        key = self._key(subject, int(now // size))
        # add + incr are atomic in Redis and the local-memory cache, so parallel attempts
        # cannot undercount; the previous window must outlive this one.
        if not cache.add(key, 1, timeout=2 * size):
            try:
                cache.incr(key)
            except ValueError:  # expired between the two calls
                cache.set(key, 1, timeout=2 * size)

    def count(self, subject: str, now: float) -> int:
        size = _window_seconds()
        window, into = divmod(now, size)
        current = int(cache.get(self._key(subject, int(window)), 0))
        previous = int(cache.get(self._key(subject, int(window) - 1), 0))
        return math.floor(current + previous * (1 - into / size))

    def forget(self, subject: str, now: float) -> None:
        window = int(now // _window_seconds())
        cache.delete_many([self._key(subject, window), self._key(subject, window - 1)])


_BY_NAME = _Counter("name")
_BY_NETWORK = _Counter("network")


def _last_failure_key(network: str) -> str:
    return f"login-last-failure:{network}"


def network_wait(request: HttpRequest) -> int:
    """Seconds this client must still wait before a login attempt is heard (0: none)."""
    now = _now()
    network = _network_key(client_network(request))
    over = _BY_NETWORK.count(network, now) - int(settings.LOGIN_IP_FREE_FAILURES)
    if over < 0:
        return 0
    delay = min(1 << min(over, 30), _window_seconds())  # 1 s, 2 s, 4 s, …
    last = cache.get(_last_failure_key(network))
    if last is None:
        return 0
    return max(0, math.ceil(float(last) + delay - now))


def code_required(username: str) -> bool:
    """After repeated failures on this name (from anywhere), password and code together."""
    return _BY_NAME.count(_name_key(username), _now()) >= int(settings.LOGIN_FAILURE_LIMIT)


def record_failure(request: HttpRequest, username: str) -> None:
    now = _now()
    network = _network_key(client_network(request))
    _BY_NETWORK.add(network, now)
    _BY_NAME.add(_name_key(username), now)
    cache.set(_last_failure_key(network), now, timeout=2 * _window_seconds())


def forget_name(username: str) -> None:
    """The owner got in with the second factor: earlier failures were most likely theirs.
    The network's count stays (a sprayer's own account must not wipe it)."""
    _BY_NAME.forget(_name_key(username), _now())
