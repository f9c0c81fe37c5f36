from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from spreekuur.core import request_context
from spreekuur.core.exceptions import OutOfReach, ValidationError


def normalise_ip(value: str | None) -> str | None:
    """One spelling per address (IPv6 compressed), as the database stores it."""
    if not value:
        return None
    try:
        return ipaddress.ip_address(value.strip()).compressed
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; behind the proxies in TRUSTED_PROXIES, from X-Forwarded-For.

    Only addresses added by trusted proxies count: the right-most entry that is not a
    trusted proxy is the client (anything left of it could be made up by the client).
    """
    from django.conf import settings

    remote = normalise_ip(request.META.get("REMOTE_ADDR"))
    trusted = settings.TRUSTED_PROXIES
    if remote is None or remote not in trusted:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = normalise_ip(hop)
        if address is None:
            return None
        if address not in trusted:
            return address
    return remote


# No page of Spreekuur uses these browser features (video calls open at the video
# service's own address; a photo for an e-consult is a file chosen or taken with the
# file picker, which needs no camera permission), so no page, nor anything injected
# into one, may ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    )
)


class RequestContextMiddleware:
    """Gives each request an id and remembers the client address for audit and logs.

    A view that ends in OutOfReach (an object outside the user's reach, answered with 404)
    is a refused attempt: it is written to the access log here, the one place for every
    app, while the request's address is still known. The 403 handler logs the others."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context = request_context.RequestContext(
            request_id=uuid.uuid4().hex, ip_address=client_ip(request)
        )
        token = request_context.set_current(context)
        try:
            response = self.get_response(request)
        finally:
            request_context.reset_current(token)
        response["X-Request-ID"] = context.request_id
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ValidationError):
            # Bad input that reached a lookup (a tampered id that is no UUID): the
            # request is wrong, not the server. Answered as 400, never a 500.
            from django.core.exceptions import BadRequest
            from django.core.handlers.exception import response_for_exception

            return response_for_exception(request, BadRequest("invalid input"))
        if isinstance(exception, OutOfReach):
            from spreekuur.core.audit import record_denied  # the log needs normalise_ip

            record_denied(
                actor=exception.actor,
                object_kind=exception.object_kind,
                object_ids=exception.object_ids,
                detail=exception.detail,
            )
        # Django goes on to answer it with the 404 page.
        return None


class PracticeLanguageMiddleware:
    """Dutch unless the person chose English with the language switch (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language; a Dutch practice
    wants Dutch first, whatever language the phone happens to be set to.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        available = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class NoStoreForLoggedInMiddleware:
    """Pages seen while logged in are never kept by the browser or a proxy: on a shared
    practice PC, Back after logging out must not show a patient's data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from django.utils.cache import add_never_cache_headers, patch_cache_control

            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response


class RequestSizeLimitMiddleware:
    """Refuse a body larger than MAX_REQUEST_BYTES from its Content-Length, before anything
    (the CSRF check included) reads it; and a body without a length (chunked), which
    Django would read as empty. The reverse proxy should have the same limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("POST", "PUT", "PATCH"):
            declared = request.META.get("CONTENT_LENGTH") or ""
            chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
            if chunked or (declared.isdigit() and int(declared) > settings.MAX_REQUEST_BYTES):
                return HttpResponse(
                    _("Het bericht is te groot. Er is niets opgeslagen."),
                    status=413,
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)
