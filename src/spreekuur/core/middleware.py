from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy

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


# A form without files is a few kB; its text alone may be DATA_UPLOAD_MAX_MEMORY_SIZE.
FORM_REQUEST_BYTES = 512 * 1024
_TOO_LARGE = gettext_lazy("Het bericht is te groot. Er is niets opgeslagen.")
_NUL = gettext_lazy("Het bericht bevat een ongeldig teken. Er is niets opgeslagen.")

_View = TypeVar("_View", bound=Callable[..., HttpResponse])


def takes_large_requests(max_bytes: int | str = "MAX_REQUEST_BYTES") -> Callable[[_View], _View]:
    """A view that takes files (photos) or a machine's message: its body may be larger
    than a form's, up to `max_bytes` (a number, or the name of a setting), and it reads
    its text through forms or a parser of its own, with its own finer limit before it reads."""

    def mark(view: _View) -> _View:
        view.max_request_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


def _limit_of(view: Callable[..., HttpResponse]) -> int:
    limit = getattr(view, "max_request_bytes", None)
    if limit is None:
        return FORM_REQUEST_BYTES
    return limit if isinstance(limit, int) else int(getattr(settings, limit))


def _has_nul(fields: Iterable[tuple[str, list[str]]]) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in fields)


def _refusal(message: object, status: int, request: HttpRequest) -> HttpResponse:
    """Plain text, or the shape a machine door answers in (settings.MACHINE_REFUSALS: a
    path prefix and the dotted path of a function of the status and the Dutch message;
    the FHIR API answers an OperationOutcome). Named by string: core imports no feature."""
    for prefix, dotted in settings.MACHINE_REFUSALS.items():
        if request.path.startswith(prefix):
            render: Callable[[int, str], HttpResponse] = import_string(dotted)
            return render(status, str(message))
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RequestSizeLimitMiddleware:
    """One limit on every request body, read from its Content-Length before anything (the
    CSRF check included) reads it: MAX_REQUEST_BYTES for any request, and a form's size
    for every view but those that declare more (`takes_large_requests`). A body without a
    length (chunked), which Django would read as empty, is refused too. The reverse proxy
    should have the same hard limit.

    Then the input itself: a NUL byte in a path, a query or a form field is never typed by
    a person, and PostgreSQL cannot store it (a 500 when it reaches a query or the log),
    so it is refused here, in one place for every view, before anything is read or written.
    The views that take large bodies read their text through forms, whose text fields
    refuse NUL as well (Django's ProhibitNullCharactersValidator)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("POST", "PUT", "PATCH"):
            declared = request.META.get("CONTENT_LENGTH") or ""
            chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
            if chunked or (declared.isdigit() and int(declared) > settings.MAX_REQUEST_BYTES):
                return _refusal(_TOO_LARGE, 413, request)
        if "\x00" in request.path or _has_nul(request.GET.lists()):
            return _refusal(_NUL, 400, request)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], *args: object
    ) -> HttpResponse | None:
        return refused_for_view(request, view_func)


def refused_for_view(
    request: HttpRequest, view_func: Callable[..., HttpResponse]
) -> HttpResponse | None:
    """The view's own limit on the body (and no NUL in a form): a refusal, or None."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    declared = request.META.get("CONTENT_LENGTH") or "0"
    limit = _limit_of(view_func)
    if declared.isdigit() and int(declared) > limit:
        return _refusal(_TOO_LARGE, 413, request)
    if limit == FORM_REQUEST_BYTES and _has_nul(request.POST.lists()):
        return _refusal(_NUL, 400, request)
    return None


def machine_door(view: _View) -> _View:
    """Marks a view that authenticates by itself (a bearer token), never by cookie, and
    answers every failure itself: MachineDoorMiddleware calls it without the session,
    CSRF, login and second-factor middleware."""
    view.machine_door = True  # type: ignore[attr-defined]
    return view


class MachineDoorMiddleware:
    """A machine door (`machine_door`, under a prefix of settings.MACHINE_DOORS) is called
    here, with only settings.MACHINE_DOOR_MIDDLEWARE around it: the middleware above this
    one (security headers, size limit, request id) as for any request, then the headers
    every answer carries; not sessions, CSRF, login, messages, second factor or htmx,
    which a caller with a bearer token and no cookie never needs. A browser's session
    cookie is not even read there: it opens nothing at a machine door.

    Everything else (the OAuth pages, the consent screen, discovery documents) goes on
    through the whole stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.core.exceptions import ImproperlyConfigured
        from django.core.handlers.exception import convert_exception_to_response
        from django.db import connections

        if any(connections.settings[alias].get("ATOMIC_REQUESTS") for alias in connections):
            # The door calls the view itself, without Django's atomic wrapping.
            raise ImproperlyConfigured("MachineDoorMiddleware does not support ATOMIC_REQUESTS")
        self.get_response = get_response
        self.doors = tuple(settings.MACHINE_DOORS.items())
        door = convert_exception_to_response(self._view)
        for dotted in reversed(settings.MACHINE_DOOR_MIDDLEWARE):
            door = convert_exception_to_response(import_string(dotted)(door))
        self.door = door

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        urlconf = next((urls for prefix, urls in self.doors if path.startswith(prefix)), None)
        if urlconf is None:
            return self.get_response(request)
        from django.contrib.auth.models import AnonymousUser
        from django.urls import Resolver404, resolve

        try:
            # The doors' own URLconf: the same patterns the site's includes, not every
            # app's patterns tried in turn before them.
            match = resolve(path, urlconf)
        except Resolver404:
            return self.get_response(request)
        if not getattr(match.func, "machine_door", False):
            return self.get_response(request)
        request.resolver_match = match
        # Whatever cookie came along: nobody is logged in at a machine door.
        request.user = AnonymousUser()
        return self.door(request)  # type: ignore[return-value]

    def _view(self, request: HttpRequest) -> HttpResponse:
        match = request.resolver_match
        if match is None:  # pragma: no cover - __call__ set it
            raise RuntimeError("a machine door without its URL match")
        refused = refused_for_view(request, match.func)
        if refused is not None:
            return refused
        return match.func(request, *match.args, **match.kwargs)  # type: ignore[no-any-return]
