"""The OAuth2 / OpenID Connect server under /oauth/ (django-oauth-toolkit's views, with
our consent screen). Its namespace is django-oauth-toolkit's own, `oauth2_provider`: the
library's discovery document finds its endpoints by these names.

The views are imported on their first request, not with the URLs: django-oauth-toolkit's
views (with oauthlib's server and jwcrypto behind them) cost every web worker about 7 MB,
and most workers never see an OAuth request (issue 21)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.module_loading import import_string

app_name = "oauth2_provider"


def lazy_view(dotted: str, **marks: Any) -> Callable[..., HttpResponse]:
    """The class-based view `dotted`, imported and built on its first request. `marks`
    are what middleware reads off a view before calling it (csrf_exempt, login_required):
    the same as the real view's own (tests/fhir/test_machine_door.py compares them)."""
    built: list[Callable[..., HttpResponse]] = []

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not built:
            built.append(import_string(dotted).as_view())
        return built[0](request, *args, **kwargs)

    view.__dict__.update(marks)
    view.lazy_view = dotted  # type: ignore[attr-defined]
    view.__name__ = dotted.rsplit(".", 1)[1]
    view.__qualname__ = view.__name__
    return view


# The consent screen sits behind the login and the second factor like any portal page:
# django-oauth-toolkit marks its views login_not_required (it checks the login itself),
# which would also let them past the second-factor check; this view asks for both.
consent = lazy_view("spreekuur.fhir.views.authorize.ConsentView", login_required=True)
# The machine endpoints: a client's credentials, no session, no CSRF token.
CLIENT = {"csrf_exempt": True, "login_required": False}

urlpatterns = [
    path("authorize/", consent, name="authorize"),
    path("token/", lazy_view("oauth2_provider.views.TokenView", **CLIENT), name="token"),
    path(
        "revoke/",
        lazy_view("oauth2_provider.views.RevokeTokenView", **CLIENT),
        name="revoke-token",
    ),
    path("userinfo/", lazy_view("oauth2_provider.views.UserInfoView", **CLIENT), name="user-info"),
    path(
        ".well-known/openid-configuration",
        lazy_view("oauth2_provider.views.ConnectDiscoveryInfoView", login_required=False),
        name="oidc-connect-discovery-info",
    ),
    path(
        ".well-known/jwks.json",
        lazy_view("oauth2_provider.views.JwksInfoView", login_required=False),
        name="jwks-info",
    ),
]
