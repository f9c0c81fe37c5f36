"""How a person proves who they are, as one replaceable piece.

Today: e-mail address and password (Argon2; failures slowed by accounts.throttle, around
the adapter in the login view), followed by a second factor. A DigiD adapter (eID
substantial, through a SAML or OIDC broker) can take its place by implementing
`authenticate` and being named in SPREEKUUR_LOGIN_ADAPTER; the second-factor step and
everything after it stay the same (docs/login-adapter.md).
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.module_loading import import_string

from spreekuur.accounts.models import User


class LoginAdapter:
    def authenticate(self, request: HttpRequest, *, username: str, password: str) -> User | None:
        raise NotImplementedError


class PasswordLoginAdapter(LoginAdapter):
    def authenticate(self, request: HttpRequest, *, username: str, password: str) -> User | None:
        user = authenticate(request, username=username.strip().lower(), password=password)
        return user if isinstance(user, User) else None


@cache
def get_login_adapter() -> LoginAdapter:
    adapter_class = import_string(settings.SPREEKUUR_LOGIN_ADAPTER)
    adapter: LoginAdapter = adapter_class()
    return adapter
