"""Changing how someone logs in needs a second factor given just now.

A logged-in screen left unattended must not be enough to link another phone or passkey
(or remove one): that would let a passer-by take over the account's second factor.
"""

from __future__ import annotations

import time

from django.http import HttpRequest

SESSION_SECOND_FACTOR_AT = "spreekuur_second_factor_at"
FRESH_FOR_SECONDS = 5 * 60


def mark_second_factor_fresh(request: HttpRequest) -> None:
    request.session[SESSION_SECOND_FACTOR_AT] = time.time()


def second_factor_is_fresh(request: HttpRequest) -> bool:
    given_at = request.session.get(SESSION_SECOND_FACTOR_AT, 0)
    return time.time() - float(given_at) < FRESH_FOR_SECONDS
