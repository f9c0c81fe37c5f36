"""Spreekuur settings: one module, every knob from an environment variable.

SPREEKUUR_ENV=production switches on the production posture (no DEBUG, SECRET_KEY and
AUDIT_CHAIN_KEY that must be given, secure cookies, HSTS, HTTPS redirect). Everything else
has a safe development default; the README lists every variable.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from spreekuur.env import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
DATA_DIR = Path(env_str("SPREEKUUR_DATA_DIR", str(PROJECT_DIR / "var")))

ENVIRONMENT = env_str("SPREEKUUR_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("SPREEKUUR_ENV must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = env_bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be on in production")


def _development_secret_key(name: str) -> str:
    """A random key kept in the data folder, so it survives a restart of `make demo`."""
    key_file = DATA_DIR / name
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = (
    env_str("SECRET_KEY")
    if PRODUCTION
    else env_str("SECRET_KEY", "") or _development_secret_key("secret_key")
)
# The audit log's hash chain is keyed (HMAC-SHA256) with its own secret, kept outside the
# database: someone who can write to the database cannot forge a consistent chain.
AUDIT_CHAIN_KEY = (
    env_str("AUDIT_CHAIN_KEY")
    if PRODUCTION
    else env_str("AUDIT_CHAIN_KEY", "") or _development_secret_key("audit_chain_key")
)
if PRODUCTION and len(AUDIT_CHAIN_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_CHAIN_KEY must be at least 32 characters")
# Reads are spread over this many chains per practice (by patient), changes keep one:
# the page views of many patients at once then seldom wait for the same lock
# (core.audit.lane_for; bench/hot_paths.py measures it). 0: one chain per practice.
AUDIT_READ_LANES = env_int("AUDIT_READ_LANES", 8)

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies whose X-Forwarded-For is believed (the audit log's "from where").
TRUSTED_PROXIES = frozenset(env_list("TRUSTED_PROXIES", []))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "django_htmx",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "oauth2_provider",
    "spreekuur.core",
    "spreekuur.accounts",
    "spreekuur.patients",
    "spreekuur.practice",
    "spreekuur.agenda",
    "spreekuur.dossier",
    "spreekuur.results",
    "spreekuur.prescriptions",
    "spreekuur.econsult",
    "spreekuur.triage",
    "spreekuur.telephony",
    "spreekuur.roster",
    "spreekuur.dashboard",
    "spreekuur.fhir",
    "spreekuur.chroniccare",
    "spreekuur.shell",
    "spreekuur.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "spreekuur.core.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "spreekuur.core.middleware.RequestContextMiddleware",
    # The FHIR API's doors leave the stack here (MACHINE_DOOR_MIDDLEWARE below).
    "spreekuur.core.middleware.MachineDoorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "spreekuur.core.middleware.PracticeLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "spreekuur.core.middleware.NoStoreForLoggedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "spreekuur.accounts.middleware.IdleTimeoutMiddleware",
    "spreekuur.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# A machine door (a view marked core.middleware.machine_door: bearer token, no cookies)
# under one of these prefixes, resolved against the URLconf named here (the prefix is its
# alone), is called by MachineDoorMiddleware with only MACHINE_DOOR_MIDDLEWARE around it,
# for the headers every answer carries: the session, CSRF, login, second-factor, messages
# and htmx middleware are for people with a browser (issue 21, bench/fhir_cpu.py).
MACHINE_DOORS = {"/fhir/R4/": "spreekuur.fhir.api_urls"}
MACHINE_DOOR_MIDDLEWARE = [
    "spreekuur.core.middleware.PracticeLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "spreekuur.urls"
WSGI_APPLICATION = "spreekuur.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "spreekuur.shell.navigation.navigation",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------
# SQLite is the embedded default (WAL mode and a busy timeout, set in core.apps); PostgreSQL
# through DATABASE_URL for everything real.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'spreekuur.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation, as deploy/postgresql/spreekuur.conf has it, also on a server
    # without that file: it pays off for long reports only, and added about 30 ms to a
    # due list whose plan merely looked expensive (bench/chroniccare.py).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# The statements every request sends (access-log append, API token lookup) are prepared
# once per connection (core/db.py). Off behind a pooler that does not keep a client's
# connection (PgBouncer in transaction mode).
PREPARED_STATEMENTS = env_bool("PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: throttling counters and sessions. Redis when several processes must share them.
REDIS_URL = env_str("REDIS_URL", "")
if PRODUCTION and not REDIS_URL:
    # Without a shared cache each web process counts login failures on its own (a
    # guesser gets workers x the limit) and every request reads its session from SQL.
    raise ImproperlyConfigured("REDIS_URL is required in production (redis://host:6379/0)")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Accounts and login -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "spreekuur.accounts.backends.PracticeAwareBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "shell:start"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2

# The login adapter: email + password today; DigiD (eID substantial) can replace it.
SPREEKUUR_LOGIN_ADAPTER = env_str(
    "SPREEKUUR_LOGIN_ADAPTER", "spreekuur.accounts.login_adapter.PasswordLoginAdapter"
)
STAFF_IDLE_TIMEOUT = timedelta(minutes=env_int("STAFF_IDLE_MINUTES", 15))
PATIENT_IDLE_TIMEOUT = timedelta(minutes=env_int("PATIENT_IDLE_MINUTES", 30))
# A patient's session cookie, however active: at most this long after logging in.
PATIENT_SESSION_MAX_AGE = timedelta(hours=env_int("PATIENT_SESSION_HOURS", 2))
ACTIVATION_CODE_VALID_DAYS = env_int("ACTIVATION_CODE_VALID_DAYS", 30)

# Login throttling (spreekuur.accounts.throttle), with no lock a stranger can set off.
# Per user name (existing or not): after LOGIN_FAILURE_LIMIT failures from anywhere, the
# password alone no longer leads on; password and authenticator code are asked together,
# so the owner still gets in. Per client address (IPv6: its /64): a practice's whole team
# shares one, so LOGIN_IP_FREE_FAILURES failures are free; then each next try waits twice
# as long (1 s, 2 s, ...), up to LOGIN_COOLOFF_MINUTES. Counted over that same window.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
# Anonymous self-triages (practice page, widget) stored per client network and practice
# an hour; beyond it the advice is shown all the same and nothing is stored. 0: no limit.
TRIAGE_ANONYMOUS_PER_HOUR = env_int("TRIAGE_ANONYMOUS_PER_HOUR", 60)
LOGIN_IP_FREE_FAILURES = env_int("LOGIN_IP_FREE_FAILURES", 20)
LOGIN_COOLOFF = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
# otp_webauthn.E030 wants a fixed origin list; PasskeyHelper falls back to the request's
# own origin (its host checked by ALLOWED_HOSTS) when PASSKEY_ORIGINS is empty.
SILENCED_SYSTEM_CHECKS = [
    "otp_webauthn.E030",
    # SQLite builds lab_result_online without its INCLUDE column (only PostgreSQL's
    # index-only count of new results needs it); the index itself is the same.
    "models.W040",
]

# django-otp: TOTP with recovery codes; the issuer name shows in authenticator apps.
OTP_TOTP_ISSUER = "Spreekuur"
OTP_TOTP_THROTTLE_FACTOR = 1
# Passkeys (django-otp-webauthn) as an optional second factor, never instead of the password.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = "Spreekuur"
OTP_WEBAUTHN_RP_ID_CALLABLE = "spreekuur.accounts.passkeys.relying_party_id"
OTP_WEBAUTHN_HELPER_CLASS = "spreekuur.accounts.passkeys.PasskeyHelper"
# Origins that may use passkeys, e.g. https://portaal.example; empty: this request's own origin.
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("PASSKEY_ORIGINS", [])
if PRODUCTION and not OTP_WEBAUTHN_ALLOWED_ORIGINS:
    # Behind a proxy the request's own Host is too easily wrong; pin the site's origin.
    raise ImproperlyConfigured("PASSKEY_ORIGINS is required in production (https://your.site)")

# --- Sessions, cookies, security headers --------------------------------------------------
# With Redis, sessions are read from the cache and written through to the database (one
# SQL query less on every request); a process-local cache would let a logout in one web
# process go unseen in another, so without Redis they stay in the database alone.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_AGE = 60 * 60 * 8  # staff: a working day; patients: PATIENT_SESSION_MAX_AGE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- E-mail: content-free notifications only ----------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
# Mail leaves from the outbox in the worker (retried with back-off when refused); a
# hanging mail server must still not hold the worker's round for long.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Spreekuur <noreply@localhost>")

# Links in notifications that are sent without a request (reminders from the worker).
# Background work: django-tasks with its database backend, run by `spreekuur worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")


# --- FHIR API and its OAuth2 / SMART on FHIR server (spreekuur.fhir, docs/fhir.md) -------
def _oidc_private_key() -> str:
    """The RSA key (PEM) that signs ID tokens (OpenID Connect, `openid fhirUser`), read
    from a file: production names it (OIDC_RSA_PRIVATE_KEY_FILE, readable by the service
    only); elsewhere one is made once in the data folder, so every process of `make demo`
    signs with the same key."""
    if PRODUCTION:
        return Path(env_str("OIDC_RSA_PRIVATE_KEY_FILE")).read_text()
    key_file = Path(
        env_str("OIDC_RSA_PRIVATE_KEY_FILE", "") or DATA_DIR / "oidc_rsa_private_key.pem"
    )
    if not key_file.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(key_file, "xb") as out:  # exclusive: two processes starting at once
                out.write(
                    key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                )
            key_file.chmod(0o600)
        except FileExistsError:
            pass
    return key_file.read_text()


FHIR_BASE_URL = f"{SITE_URL}/fhir/R4"
# Machine doors that answer the request-size middleware's refusals in their own shape.
MACHINE_REFUSALS = {"/fhir/R4/": "spreekuur.fhir.api.errors.refused_at_the_door"}
# django-oauth-toolkit's own models (named, so that migrations referring to them resolve).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER_REFRESH_TOKEN_MODEL = "oauth2_provider.RefreshToken"  # noqa: S105
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER_ID_TOKEN_MODEL = "oauth2_provider.IDToken"  # noqa: S105
OAUTH2_PROVIDER_DEVICE_GRANT_MODEL = "oauth2_provider.DeviceGrant"
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "spreekuur.fhir.oauth.SpreekuurValidator",
    "SCOPES_BACKEND_CLASS": "spreekuur.fhir.oauth.SmartScopes",
    "OAUTH2_SERVER_CLASS": "oauthlib.openid.Server",
    # SMART App Launch 2: PKCE with S256 for every client, public or confidential.
    "PKCE_REQUIRED": True,
    # RFC 9700 (OAuth 2.0 Security BCP) throughout: no implicit or password grant, no
    # "plain" PKCE, tokens only in the Authorization header, `iss` in the authorization
    # response, tokens stored as hashes, a replayed refresh token revokes its family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "client_credentials", "refresh_token"],
    # Exact redirect URIs only; https, and in development also http (a test app on
    # 127.0.0.1). A native app's loopback callback needs http in production too: then
    # set FHIR_ALLOW_HTTP_REDIRECTS and accept the deploy check's error knowingly.
    "ALLOWED_REDIRECT_URI_SCHEMES": (
        ["https", "http"] if not PRODUCTION or env_bool("FHIR_ALLOW_HTTP_REDIRECTS") else ["https"]
    ),
    "ALLOW_URI_WILDCARDS": False,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    # An hour's access; a refresh token (offline_access) keeps an app connected for 90 days
    # of disuse, and every refresh gives a new one (rotation, reuse refused).
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("FHIR_ACCESS_TOKEN_SECONDS", 3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("FHIR_REFRESH_TOKEN_SECONDS", 90 * 24 * 3600),
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _oidc_private_key(),
    "OIDC_ISS_ENDPOINT": f"{SITE_URL}/oauth",
    "REQUEST_APPROVAL_PROMPT": "force",  # the patient says yes each time an app asks
}

# Video consults on the practice's own video service (e.g. Jitsi Meet with JWT auth):
# see docs/video-consult.md. Without a base URL and secret, no join links are shown.
VIDEO_BASE_URL = env_str("VIDEO_BASE_URL", "")
VIDEO_APP_ID = env_str("VIDEO_APP_ID", "spreekuur")
VIDEO_APP_SECRET = env_str("VIDEO_APP_SECRET", "")
# No request body above this is read at all (three 20 MB photos and a form fit).
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", 64 * 1024 * 1024)
# The text of any form, all fields together (files not counted), is at most this: the
# longest form field is a few thousand characters. More is a 400 before any view runs.
# The machine doors read their bodies themselves, each with its own limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
# Pharmacies that take prescriptions as files get a folder under this one, never elsewhere.
# How long a worker holds a prescription it is sending; one that dies mid-send leaves the
# message to be sent again (same Idempotency-Key) when this has passed.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300)
PHARMACY_DROP_ROOT = Path(env_str("PHARMACY_DROP_ROOT", str(DATA_DIR / "apotheken")))
# A pharmacy link to this machine (a stand-in pharmacy for the demo, tests and benchmarks).
# Private and link-local addresses stay refused whatever this says.
PHARMACY_ALLOW_LOOPBACK = env_bool("PHARMACY_ALLOW_LOOPBACK", default=False)
if PRODUCTION and PHARMACY_ALLOW_LOOPBACK:
    raise ImproperlyConfigured("PHARMACY_ALLOW_LOOPBACK cannot be on in production")

# --- SMS: a pluggable gateway (content-free texts only) -----------------------------------
# "spreekuur.core.sms.NullBackend" sends nothing; "...ConsoleBackend" prints (development);
# "...LocmemBackend" keeps messages in spreekuur.core.sms.outbox (tests). A real gateway is
# a class with send(to, text) named here.
SMS_BACKEND = env_str(
    "SMS_BACKEND",
    "spreekuur.core.sms.NullBackend" if PRODUCTION else "spreekuur.core.sms.ConsoleBackend",
)

# --- Internationalisation: Dutch first, English available ---------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing

# --- Logging: structured JSON, never patient data -----------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "spreekuur.core.logging.RequestContextFilter"}},
    "formatters": {
        "json": {
            "()": "spreekuur.core.logging.SafeJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's request logger puts the full path (which can carry ids) in its message.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # The task worker says "starting" and "no more tasks" every round; failures still
        # show (WARNING and up), and `spreekuur worker` prints one line per finished job.
        "django_tasks_db": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        # httpx logs every request it sends at INFO: a line per prescription to the
        # pharmacy, 0.2-0.3 ms per message of the outbox's 1.3-2.5 ms (issue 18). The
        # outbox records each outcome itself and logs every failure.
        "httpx": {"level": "WARNING"},
    },
}
