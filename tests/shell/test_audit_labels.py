"""The access log in plain Dutch: every object kind and action the code can write has a
label, no internal name ever reaches either log page, and work done by no person is
named for what it is (not "someone who was not logged in")."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse

from spreekuur.core.audit import record_access
from spreekuur.core.audit_labels import (
    OBJECT_KIND_LABELS,
    action_label,
    object_kind_label,
    system_actor_label,
)
from spreekuur.core.models import AuditAction, AuditEntry
from spreekuur.core.roles import Channel
from spreekuur.dossier.models import ClinicalRow
from spreekuur.prescriptions.models import Pharmacy
from spreekuur.prescriptions.services import approve_items, deliver_due
from tests.conftest import Cast, verified_client
from tests.prescriptions.conftest import Repeats

SRC = Path(__file__).resolve().parents[2] / "src" / "spreekuur"
# Code that writes entries: not the demo (it writes none), not migrations.
SKIP = ("migrations", "demo")


def _sources() -> list[Path]:
    return [
        path
        for path in SRC.rglob("*.py")
        if not any(part in SKIP for part in path.relative_to(SRC).parts)
    ]


def _kind_parameters(tree: ast.AST) -> dict[str, int]:
    """Functions that pass one of their parameters on as `object_kind=`: name → index."""
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        params = [arg.arg for arg in (*node.args.posonlyargs, *node.args.args)]
        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            for keyword in call.keywords:
                if (
                    keyword.arg == "object_kind"
                    and isinstance(keyword.value, ast.Name)
                    and keyword.value.id in params
                ):
                    found[node.name] = params.index(keyword.value.id)
    return found


def _called(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def written_object_kinds() -> set[str]:
    """Every object kind a string in the code hands to the audit log: `object_kind="…"`
    anywhere (record_access, record_denied, OutOfReach, BatchAccess and any helper), and
    literals passed positionally to a helper that forwards its parameter as object_kind."""
    trees = [ast.parse(path.read_text(), str(path)) for path in _sources()]
    forwarders: dict[str, int] = {}
    for tree in trees:
        forwarders |= _kind_parameters(tree)
    kinds: set[str] = set()
    for tree in trees:
        for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
            for keyword in call.keywords:
                if keyword.arg == "object_kind" and isinstance(keyword.value, ast.Constant):
                    kinds.add(keyword.value.value)
            index = forwarders.get(_called(call))
            if index is not None and index < len(call.args):
                arg = call.args[index]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    kinds.add(arg.value)
    # Clinical rows are logged by their model's name (dossier: type(row).__name__.lower()).
    kinds |= {
        model.__name__.lower()
        for model in apps.get_models()
        if issubclass(model, ClinicalRow) and not model._meta.abstract
    }
    return kinds


def test_the_walk_finds_the_kinds_it_should() -> None:
    """A check of the walk itself: a keyword literal, a positional literal through a
    helper (results' _log_read), a default argument's kind and a clinical model name."""
    kinds = written_object_kinds()
    assert {"repeatrequest", "econsult_photo", "labmessage", "measurement", "journalentry"} <= kinds
    assert len(kinds) >= 30


def test_every_object_kind_the_code_writes_has_a_dutch_label() -> None:
    kinds = written_object_kinds() | {"personal_data"}  # record_patient_read's default
    missing = sorted(kind for kind in kinds if kind not in OBJECT_KIND_LABELS)
    assert not missing, f"object kinds without a Dutch label: {missing}"
    for kind in kinds:
        assert object_kind_label(kind) != kind


def test_every_action_has_a_dutch_label() -> None:
    for action in AuditAction.values:
        label = action_label(action)
        assert label and label != action and "_" not in label


def test_an_unknown_kind_never_shows_its_code() -> None:
    assert object_kind_label("inventory_scan") == "gegevens"


def _visible_text(page: str) -> str:
    """What a reader sees: the main content without tags (no attributes, no URLs)."""
    main = page.split('<main id="inhoud"', 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


@pytest.mark.django_db
def test_no_internal_name_reaches_either_log_page(cast: Cast) -> None:
    # The kind checked by name below is written last: the newest entries are on page 1.
    kinds = sorted(written_object_kinds(), key=lambda kind: (kind == "repeatrequest", kind))
    for kind in kinds:
        for action in AuditAction.values:
            record_access(
                actor=cast.gp_a,
                action=action,
                object_kind=kind,
                practice=cast.practice_a,
                patient=cast.patient_a,
                object_ids=[cast.patient_a.public_id],
            )
    manager_page = verified_client(cast.manager_a).get(
        reverse("shell:audit_search"), {"patient": str(cast.patient_a.public_id)}
    )
    patient_page = verified_client(cast.patient_user_a).get(reverse("shell:my_audit_log"))
    for page in (manager_page, patient_page):
        assert page.status_code == 200
        text = _visible_text(page.content.decode())
        raw = [code for code in (*kinds, *AuditAction.values) if re.search(rf"\b{code}\b", text)]
        assert not raw, f"internal names shown: {raw}"
    assert "aanvraag herhaalrecept" in _visible_text(manager_page.content.decode())


@pytest.mark.django_db
def test_the_pharmacy_sending_is_named_as_the_background_job_it_is(
    repeats: Repeats, tmp_path: Path
) -> None:
    """Before: the worker's delivery showed as "Iemand die niet was ingelogd"."""
    Pharmacy.objects.filter(pk=repeats.pharmacy.pk).update(
        transport="bestand", endpoint="", drop_folder=str(tmp_path)
    )
    items = repeats.request(repeats.metformin)
    approve_items(items=items, by=repeats.cast.gp_a)
    assert deliver_due() == 1  # as the worker runs it: no request, no user
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT, object_kind="repeatrequest")
    assert entry.actor is None and entry.channel == Channel.TASK
    page = verified_client(repeats.cast.patient_user_a).get(reverse("shell:my_audit_log"))
    text = _visible_text(page.content.decode())
    assert "Verzending naar de apotheek (automatisch)" in text
    assert "niet was ingelogd" not in text


@pytest.mark.django_db
def test_who_did_it_when_no_person_did(cast: Cast) -> None:
    def entry(**fields: object) -> AuditEntry:
        values = {"action": AuditAction.CHANGE, "object_kind": "econsult", "channel": ""}
        return AuditEntry(**(values | fields))

    job = entry(object_kind="appointment_reminder", channel=Channel.TASK)
    assert system_actor_label(job) == "achtergrondtaak van de praktijk (automatisch)"
    assert system_actor_label(entry(object_kind="x", channel=Channel.API)) == "gekoppeld systeem"
    stranger = entry(object_kind="portal_account", channel=Channel.PUBLIC)
    assert system_actor_label(stranger) == "iemand die niet was ingelogd"
    assert system_actor_label(entry(object_kind="labresult", action=AuditAction.CREATE)) == (
        "inlezen van labuitslagen (automatisch)"
    )


@pytest.mark.django_db
def test_a_refused_page_is_named_by_its_part_of_spreekuur_not_its_view(cast: Cast) -> None:
    client = verified_client(cast.assistant_a)
    assert client.get(reverse("shell:audit_search")).status_code == 403  # a manager's page
    entry = AuditEntry.objects.get(object_kind="page")
    assert entry.detail == "shell:audit_search"  # the log keeps the code
    text = _visible_text(
        verified_client(cast.manager_a).get(reverse("shell:audit_search")).content.decode()
    )
    assert re.search(r"pagina\s+\(Spreekuur\)", text) and "shell:audit_search" not in text
