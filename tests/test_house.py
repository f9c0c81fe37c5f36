"""Rules of the house (DESIGN.md §2) that a parser can check, so the house stays as drawn:

- selectors only read: no write call in any selectors module (a refused attempt is raised
  as OutOfReach, and logged in one place, core.middleware);
- views never write an access-log entry themselves: reading patient data is logged by a
  service of the app, so no views module takes an audit writer from core.audit;
- status rules live on the model or in a service, never as string literals in templates.

Each checker is also fed a small bad module, so the check provably can fail."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "spreekuur"

# Model and queryset writes, and the row lock a write takes first.
WRITE_METHODS = {
    "save",
    "create",
    "get_or_create",
    "update_or_create",
    "update",
    "delete",
    "bulk_create",
    "bulk_update",
    "select_for_update",
}
AUDIT_WRITERS = {"record_access", "record_batch_access", "record_denied"}

# The one view that may write to the log itself, and why.
VIEWS_THAT_MAY_LOG = {
    ("shell/views.py", "record_denied"): (
        "the 403 handler (shell.views.forbidden) logs every refused page in one place; "
        "a PermissionDenied can come from anywhere, so no service sees it"
    ),
}


def _files(*patterns: str) -> dict[str, str]:
    """The text of every file of src/spreekuur matching a pattern, by its path there."""
    found = {
        path.relative_to(SRC).as_posix(): path.read_text()
        for pattern in patterns
        for path in SRC.glob(pattern)
    }
    assert found, f"nothing matches {patterns}: has the layout moved?"
    return found


def writes_in(source: str) -> list[str]:
    """Every write call in a module (`.save(`, `record_denied(` ...), as 'line: call'."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in WRITE_METHODS | AUDIT_WRITERS:
            found.append((node.lineno, f".{func.attr}()"))
        elif isinstance(func, ast.Name) and func.id in AUDIT_WRITERS:
            found.append((node.lineno, f"{func.id}()"))
    return [f"{line}: {call}" for line, call in sorted(found)]


def audit_writers_imported(source: str) -> set[str]:
    """The audit writers a module takes from core.audit (or the whole module, as 'audit')."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "spreekuur.core.audit":
            found |= {alias.name for alias in node.names if alias.name in AUDIT_WRITERS}
        elif isinstance(node, ast.ImportFrom) and node.module == "spreekuur.core":
            found |= {"audit" for alias in node.names if alias.name == "audit"}
        elif isinstance(node, ast.Import):
            found |= {"audit" for alias in node.names if alias.name == "spreekuur.core.audit"}
    return found


# --- Selectors only read ------------------------------------------------------------------------


def test_selectors_only_read() -> None:
    selectors = _files("*/selectors.py", "*/selectors/*.py")
    writes = {name: writes_in(source) for name, source in selectors.items()}
    assert {name: found for name, found in writes.items() if found} == {}, "move to a service"


def test_the_write_check_catches_a_selector_that_writes() -> None:
    bad = """
from spreekuur.core.audit import record_denied

def get_thing_for(user, public_id):
    rules, _ = Rules.objects.get_or_create(practice=user.practice)
    try:
        return Thing.objects.select_for_update().get(public_id=public_id)
    except Thing.DoesNotExist:
        record_denied(actor=user, object_kind="thing", object_ids=[public_id])
        raise Http404 from None

def touch(thing):
    thing.save(update_fields=["seen_at"])
    Thing.objects.filter(pk=thing.pk).update(seen=True)
"""
    assert writes_in(bad) == [
        "5: .get_or_create()",
        "7: .select_for_update()",
        "9: record_denied()",
        "13: .save()",
        "14: .update()",
    ]
    good = "def things_of(practice):\n    return Thing.objects.filter(practice=practice)\n"
    assert writes_in(good) == []


# --- Views leave the access log to services ----------------------------------------------------


def test_views_log_reads_through_a_service() -> None:
    views = _files("*/views.py", "*/views/*.py", "*/api.py")
    writers = {
        name: sorted(
            writer
            for writer in audit_writers_imported(source)
            if (name, writer) not in VIEWS_THAT_MAY_LOG
        )
        for name, source in views.items()
    }
    assert {name: found for name, found in writers.items() if found} == {}, "use a service"


def test_the_view_check_catches_a_view_that_logs() -> None:
    assert audit_writers_imported(
        "from spreekuur.core.audit import record_access, verify_chains\n"
    ) == {"record_access"}
    assert audit_writers_imported("from spreekuur.core import audit\n") == {"audit"}
    assert audit_writers_imported("import spreekuur.core.audit\n") == {"audit"}
    assert audit_writers_imported("from spreekuur.results import services\n") == set()


def test_the_exceptions_still_exist() -> None:
    """An exception listed for a view that no longer needs it is removed from the list."""
    for module, writer in VIEWS_THAT_MAY_LOG:
        assert writer in audit_writers_imported((SRC / module).read_text()), (module, writer)


# --- Status rules live on the model --------------------------------------------------------

STATUS_LITERAL = re.compile(r"""status\s*[!=]=\s*["']|["']\s*[!=]=\s*\w+\.status\b""")


def status_literals_in(template: str) -> list[str]:
    """Each line of a template that compares a status with a string ('3: ...')."""
    return [
        f"{number}: {line.strip()[:80]}"
        for number, line in enumerate(template.splitlines(), start=1)
        if STATUS_LITERAL.search(line)
    ]


def test_templates_ask_the_model_about_a_status() -> None:
    templates = _files("*/templates/**/*.html")
    literals = {name: status_literals_in(text) for name, text in templates.items()}
    assert {name: found for name, found in literals.items() if found} == {}, "a model property"


def test_the_template_check_catches_a_status_literal() -> None:
    bad = "{% if thread.status == \"open\" %}\nok\n{% elif item.status != 'klaar' %}"
    assert [line[:2] for line in status_literals_in(bad)] == ["1:", "3:"]
    assert status_literals_in('{% if "open" == thread.status %}') != []
    assert status_literals_in("{% if thread.is_open %}{% if status == value %}") == []
