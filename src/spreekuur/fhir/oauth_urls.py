"""The OAuth2 / OpenID Connect server under /oauth/ (django-oauth-toolkit's views, with
our consent screen). Its namespace is django-oauth-toolkit's own, `oauth2_provider`: the
library's discovery document finds its endpoints by these names."""

from django.urls import path
from oauth2_provider import views as oauth

from spreekuur.fhir.views.authorize import ConsentView

app_name = "oauth2_provider"

# The consent screen sits behind the login and the second factor like any portal page:
# django-oauth-toolkit marks its views login_not_required (it checks the login itself),
# which would also let them past the second-factor check; this view asks for both.
consent = ConsentView.as_view()
consent.login_required = True

urlpatterns = [
    path("authorize/", consent, name="authorize"),
    path("token/", oauth.TokenView.as_view(), name="token"),
    path("revoke/", oauth.RevokeTokenView.as_view(), name="revoke-token"),
    path("userinfo/", oauth.UserInfoView.as_view(), name="user-info"),
    path(
        ".well-known/openid-configuration",
        oauth.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", oauth.JwksInfoView.as_view(), name="jwks-info"),
]
