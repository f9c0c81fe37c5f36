"""What an app gives the shell: menu entries (with a count of what is new behind them),
start-page tiles, work-queue counters, "new for you" lines for the patient's start page,
figures and periodic jobs.

An app declares them in its own AppConfig, as a method `shell_contributions()` that
returns one `Contributions`; the shell (the top floor) collects them from every
installed app. So a new app plugs in without an edit to core or the shell, and neither
knows a feature by name. These are plain descriptions: the functions they hold (who may
see an entry, how many items wait) belong to the app that declares them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import Promise

Label = str | Promise  # a (lazy) translated text


class Audience(StrEnum):
    """Who an entry or tile is for. The shell decides which one a user is."""

    PATIENT = "patient"  # a patient with their own record here (they may also act for others)
    REPRESENTATIVE = "representative"  # acts only for others: a parent, a gemachtigde
    STAFF = "staff"  # practice staff; each entry narrows this with its capability


def everyone(request: HttpRequest) -> bool:
    return True


@dataclass(frozen=True)
class NavEntry:
    """One link in the main menu."""

    label: Label
    url_name: str
    audience: Audience
    order: int
    visible: Callable[[HttpRequest], bool] = everyone
    # What is new behind the link ("3 nieuw"), shown as a badge when above zero: a number,
    # or the rows to count. Called on every page for a user who sees the entry, so the
    # shell counts the rows of all the menu's badges together, in one query.
    badge: Callable[[HttpRequest], int | QuerySet[Any]] | None = None


@dataclass(frozen=True)
class Tile:
    """A task on a start page: a title, one line of what it does, and where it goes."""

    title: Label
    text: Label
    url_name: str
    audience: Audience
    order: int
    visible: Callable[[HttpRequest], bool] = everyone


@dataclass(frozen=True)
class Counter:
    """A work queue on the staff start page: "6 e-consults over tijd".

    `label` turns the number into its text (with the right plural); `count` is only
    called when `visible` allows it, so it may assume the user's role."""

    label: Callable[[int], str]
    count: Callable[[Any], int]
    url_name: str
    order: int
    visible: Callable[[Any], bool]
    urgent: bool = False  # shown as a warning when the count is above zero
    # A query string for the link, when it depends on the user ("zorgverlener=…" for
    # one's own agenda); never patient data.
    query: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class UpdateLine:
    """One line of "Nieuw voor u": what it is, a short detail, where to read it, and
    whether it is new since the patient last looked."""

    text: str
    url: str
    detail: str = ""
    new: bool = False


@dataclass(frozen=True)
class Update:
    """What an app tells a patient on their start page: the next appointment, an
    unread answer, new results. `lines` gets the logged-in user and their own patient
    record and returns zero or more lines (one cheap query)."""

    lines: Callable[[Any, Any], Sequence[UpdateLine]]
    order: int


@dataclass(frozen=True)
class Figure:
    """A plain number on the staff start page ("Ingeschreven patiënten")."""

    label: Label
    value: Callable[[Any], int]
    order: int
    visible: Callable[[Any], bool]


@dataclass(frozen=True)
class PeriodicJob:
    """A background task (a django-tasks Task, by dotted path) enqueued every so often.
    Jobs must be idempotent: a second worker or a restart may run one twice."""

    task_path: str
    every_seconds: int


@dataclass(frozen=True)
class PatientFact:
    """Context about a patient that staff see beside their work on that patient (an
    e-consult now; a callback or a care plan later): "Medicatie: Amlodipine 5 mg, ...".

    `lines(patient, by)` belongs to the app that owns the data: it reads, logs the read
    (NEN 7513) and returns short texts; an empty list shows nothing."""

    label: Label
    lines: Callable[[Any, Any], list[str]]
    order: int


@dataclass(frozen=True)
class Contributions:
    navigation: Sequence[NavEntry] = ()
    tiles: Sequence[Tile] = ()
    counters: Sequence[Counter] = ()
    updates: Sequence[Update] = ()
    figures: Sequence[Figure] = ()
    periodic_jobs: Sequence[PeriodicJob] = ()
    patient_facts: Sequence[PatientFact] = ()
    # (prefix, URLconf module) pairs the site includes, in the order of INSTALLED_APPS.
    urls: Sequence[tuple[str, str]] = ()


def for_user(capability: Callable[[Any], bool]) -> Callable[[HttpRequest], bool]:
    """An entry visible when the logged-in user has this capability."""

    def visible(request: HttpRequest) -> bool:
        return capability(request.user)

    return visible


def patient_facts() -> list[PatientFact]:
    """What every installed app tells staff about a patient, in order. Any app may ask
    (through this ground floor), so no feature needs to import another one."""
    from spreekuur.core.contributions import collected

    return sorted((fact for c in collected() for fact in c.patient_facts), key=lambda f: f.order)


@dataclass(frozen=True)
class PatientLogScreen:
    """What a patient's own view of the access log must not tell about one kind of entry
    an app writes (`object_kind`). The practice's log keeps every entry as written; the
    screen is applied when the patient's log is read, never when an entry is written.

    An app declares its screens in its AppConfig, as a method `patient_log_screens()`
    that returns a sequence of them; patients.access_log collects them (the portal's log
    page and the FHIR API's AuditEvent read the log through it).

    `hidden_objects(patient)`: the app's rows of that patient that the patient may not
    see now (shielded, not released), as a queryset of rows with a `public_id`; an entry
    of this kind that names one of them is screened. Because it is asked at every read,
    the entries about a row show plainly again once it is released or unshielded.
    `staff_only_details`: the details of entries about the practice's own work that the
    portal never shows (an internal note on an e-consult), screened for good.

    A screened entry by a person reads as that person looking at the patient's data
    ("ingezien", the kind's plain label, no detail): the patient keeps the right to know
    who accessed their data (NEN 7513), and learns nothing of what is hidden. One that
    no person wrote (a lab's import) is left out, as no one looked and the lab's name
    alone would tell that a result came in."""

    object_kind: str
    hidden_objects: Callable[[Any], QuerySet[Any]] | None = None
    staff_only_details: frozenset[str] = frozenset()
