"""The shared cast (DESIGN.md §5.11): each role in practice A, and the same in practice B."""

from __future__ import annotations

import copy
import json
import logging
import logging.config
import os
import re
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django_otp import DEVICE_ID_SESSION_KEY
from hypothesis import settings as hypothesis_settings

from spreekuur.accounts.freshness import SESSION_SECOND_FACTOR_AT
from spreekuur.accounts.models import User
from spreekuur.core.models import Practice
from spreekuur.core.roles import StaffRole
from spreekuur.patients.models import Patient
from tests.factories import (
    TEST_PASSWORD,
    MembershipFactory,
    PatientFactory,
    PracticeFactory,
    UserFactory,
)

# No per-example deadline: a 2-core CI machine under load must not turn slowness into a
# failure (timings never decide a test here).
hypothesis_settings.register_profile("spreekuur", deadline=None)
hypothesis_settings.load_profile("spreekuur")

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls in the
# same thread are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Throttling counters live in the cache; one test's failures must not limit the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_folder(settings: object, tmp_path: object) -> None:
    """Uploaded files (e-consult photos) go to the test's own folder, never ./var."""
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined,operator]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    """Argon2 is deliberately slow; tests that are not about hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = [  # type: ignore[attr-defined]
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


# --- No patient data or secrets in the logs ---------------------------------------------------
#
# Every log record of every test (setup, the test, teardown; any thread) is formatted as the
# production console handler writes it (settings.LOGGING: SafeJsonFormatter behind the
# RequestContextFilter) and scanned. A hit fails the test with the offending line.

_BSN_LIKE = re.compile(r"(?<!\d)(?:\d{9}|\d{3}([ .-])\d{3}\1\d{3}|\d{4}\.\d{2}\.\d{3})(?!\d)")
_EMAIL_LIKE = re.compile(r"[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_TOKEN_LIKE = re.compile(
    r"(?:bearer\s+|(?:token|sessionid|session_key|csrftoken)[\"']?\s*[=:]\s*[\"']?)"
    r"[A-Za-z0-9+/_.~-]{32,}",
    re.IGNORECASE,
)
# The factory's patient names (Jan12 Jansen12) and distinctive clinical texts the tests
# write into questions, journal lines, comments and reasons: none of it belongs in a log.
_PATIENT_NAME = re.compile(r"\bJan(?:sen)?\d+\b")
_MEDICAL = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(phrase)
        for phrase in (
            "Een plek",
            "rode plek",
            "knie",
            "conclusie",
            "hoofdpijn",
            "Spanningshoofdpijn",
            "Waterpokken",
            "Depressieve klachten",
            "Hechtingen verwijderd",
            "Paracetamol",
            "Metformine",
            "vette crème",
            "het jeukt",
            "Hoog suiker",
            "geen actie nodig",
            "Bespreek ik",
            "Uitslag bespreken",
            "GEHEIM: bel",
            "PRIVE: ik slik",
        )
    )
    + r")",
    re.IGNORECASE,
)


# And whatever free text the test itself posts or searches for through Django's test client
# (a question, a reason, a name typed into a search): the log must not carry that either.
_POSTED_TEXT: set[str] = set()
_NAME_LIKE = re.compile(r"^[A-ZÀ-Ý][\w'-]{5,}$")


def _is_free_text(value: str) -> bool:
    """A phrase (two words or more) or a name-like word; not a fixed choice or an id."""
    value = value.strip()
    return (len(value) >= 8 and any(c.isspace() for c in value)) or bool(_NAME_LIKE.match(value))


def _remember_free_text(data: object) -> None:
    values = data.values() if isinstance(data, dict) else ()
    for value in values:
        for each in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(each, str) and _is_free_text(each):
                _POSTED_TEXT.add(each.strip())


def _remembering(method):  # type: ignore[no-untyped-def]
    def send(self, path, data=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        _remember_free_text(data)
        _remember_free_text(kwargs.get("query_params"))
        return method(self, path, data, *args, **kwargs)

    return send


for _method in ("get", "post", "put", "patch"):
    setattr(RequestFactory, _method, _remembering(getattr(RequestFactory, _method)))


def _looks_like_bsn(digits: str) -> bool:
    """Nine digits that pass the BSN elfproef (9·d1 + 8·d2 + … + 2·d8 - d9 ≡ 0 mod 11)."""
    if len(digits) != 9 or not digits.isdigit() or digits == "0" * 9:
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


def _forbidden_in(line: str) -> str:
    """What a formatted log line must not carry; "" when it is clean."""
    try:  # the JSON escapes non-ASCII (crème): scan the decoded text as well
        text = line + "\n" + json.dumps(json.loads(line), ensure_ascii=False)
    except ValueError:
        text = line
    for match in _BSN_LIKE.finditer(text):
        if _looks_like_bsn(re.sub(r"\D", "", match.group())):
            return f"a BSN ({match.group()})"
    for label, pattern in (
        ("an e-mail address", _EMAIL_LIKE),
        ("a token", _TOKEN_LIKE),
        ("a patient's name", _PATIENT_NAME),
        ("medical text", _MEDICAL),
    ):
        found = pattern.search(text)
        if found:
            return f"{label} ({found.group()})"
    if TEST_PASSWORD in text:
        return "the test password"
    for posted in _POSTED_TEXT:
        if posted in text:
            return f"text the test posted ({posted[:40]})"
    return ""


class _LogScanner(logging.Handler):
    """Formats each record as production would and keeps the lines that leak."""

    _configured: tuple[logging.Formatter, list[logging.Filter]] | None = None

    def __init__(self) -> None:
        super().__init__()
        self.formatter, self.context_filters = self._production_format()
        self.leaks: list[str] = []

    @classmethod
    def _production_format(cls) -> tuple[logging.Formatter, list[logging.Filter]]:
        """The console handler's formatter and filters, built from settings.LOGGING itself."""
        if cls._configured is None:
            config = logging.config.DictConfigurator(copy.deepcopy(settings.LOGGING))
            console = config.config["handlers"]["console"]
            formatter = config.configure_formatter(
                config.config["formatters"][console["formatter"]]
            )
            filters = [
                config.configure_filter(config.config["filters"][name])
                for name in console.get("filters", [])
            ]
            cls._configured = (formatter, filters)
        return cls._configured

    def emit(self, record: logging.LogRecord) -> None:
        record = copy.copy(record)  # the filter rewrites records: not the ones caplog keeps
        if not all(f.filter(record) for f in self.context_filters):
            return
        line = self.format(record)
        problem = _forbidden_in(line)
        if problem:
            self.leaks.append(f"{problem} from logger {record.name!r}: {line}")

    def take(self) -> list[str]:
        leaks, self.leaks = self.leaks, []
        return leaks


_LOG_SCANNER = pytest.StashKey[_LogScanner]()


@pytest.fixture(autouse=True)
def _no_patient_data_or_secrets_in_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    scanner = _LogScanner()
    _POSTED_TEXT.clear()
    request.node.stash[_LOG_SCANNER] = scanner
    root = logging.getLogger()
    root.addHandler(scanner)
    yield
    root.removeHandler(scanner)
    leaks = scanner.take()  # only what came after the test's own report (teardown)
    if leaks:
        pytest.fail("Forbidden content in the log:\n" + "\n".join(leaks), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A leak during setup or the test fails the test itself, with the offending lines."""
    report = yield
    scanner = item.stash.get(_LOG_SCANNER, None)
    if scanner is not None and report.when == "call":
        leaks = scanner.take()
        if leaks:
            text = "Forbidden content in the log:\n" + "\n".join(leaks)
            if report.passed:
                report.outcome = "failed"
                report.longrepr = text
            else:
                report.sections.append(("log leaks", text))
    return report


@dataclass
class Cast:
    practice_a: Practice
    practice_b: Practice
    patient_a: Patient  # has a portal login
    other_patient_a: Patient  # same practice, no login
    patient_b: Patient  # practice B, has a portal login
    gp_a: User
    assistant_a: User
    poh_a: User
    manager_a: User
    gp_b: User
    manager_b: User

    @property
    def patient_user_a(self) -> User:
        assert self.patient_a.user is not None
        return self.patient_a.user

    @property
    def patient_user_b(self) -> User:
        assert self.patient_b.user is not None
        return self.patient_b.user


def _staff(practice: Practice, role: str, name: str) -> User:
    return MembershipFactory(practice=practice, role=role, user__full_name=name).user


@pytest.fixture
def cast(db: None) -> Cast:
    practice_a = PracticeFactory(slug="praktijk-a", name="Praktijk A")
    practice_b = PracticeFactory(slug="praktijk-b", name="Praktijk B")
    patient_a = PatientFactory(practice=practice_a, user=UserFactory(full_name="Patiënt A"))
    patient_b = PatientFactory(practice=practice_b, user=UserFactory(full_name="Patiënt B"))
    return Cast(
        practice_a=practice_a,
        practice_b=practice_b,
        patient_a=patient_a,
        other_patient_a=PatientFactory(practice=practice_a),
        patient_b=patient_b,
        gp_a=_staff(practice_a, StaffRole.HUISARTS, "Dokter A"),
        assistant_a=_staff(practice_a, StaffRole.ASSISTENT, "Assistent A"),
        poh_a=_staff(practice_a, StaffRole.POH, "POH A"),
        manager_a=_staff(practice_a, StaffRole.PRAKTIJKMANAGER, "Manager A"),
        gp_b=_staff(practice_b, StaffRole.HUISARTS, "Dokter B"),
        manager_b=_staff(practice_b, StaffRole.PRAKTIJKMANAGER, "Manager B"),
    )


def verified_client(user: User, *, fresh: bool = True) -> Client:
    """A client logged in with password and second factor done (just now, unless fresh=False)."""
    client = Client()
    client.force_login(user, backend="spreekuur.accounts.backends.PracticeAwareBackend")
    device = user.totpdevice_set.filter(confirmed=True).first()
    assert device is not None, "test users get a TOTP device from the factory"
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SESSION_SECOND_FACTOR_AT] = time.time() if fresh else 0
    session.save()
    return client


@pytest.fixture
def client_for():
    return verified_client


def dob_parts(born: date) -> dict[str, str]:
    """A date of birth as the three boxes of the activation form."""
    return {
        "date_of_birth_dag": str(born.day),
        "date_of_birth_maand": str(born.month),
        "date_of_birth_jaar": str(born.year),
    }


def deliver_notifications() -> None:
    """Run the outbox's delivery as the worker would (mail and SMS leave from there)."""
    from spreekuur.shell.services import deliver_due_notifications

    deliver_due_notifications()
