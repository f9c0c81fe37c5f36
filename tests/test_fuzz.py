"""Malformed input, fuzzed: every parameter and form field of every view, as every role
of the authorisation matrix, may get a 4xx but never a 5xx (nor an exception).

Each role walks every URL of the project: those of the matrix
(tests/test_authorization_matrix.py, so a new URL is covered as soon as it has a policy)
with the objects of its world, and the public ones, the login's steps and one's own
account pages with sample values. The forms and query links on the pages it may see
tell which fields each view takes; Hypothesis then fills them with hostile values (huge,
negative, absurd dates, tampered ids, markup, control characters, random text and bytes)
next to the page's own valid values, so that one bad field reaches the view's handling
while the others pass. URLs that only take a POST get the fields their forms have,
wherever the forms were found, or made-up ones. The parameters in a path that are words,
not UUIDs, get hostile values too."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, get_resolver, resolve, reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from spreekuur.patients.models import Representation
from tests.test_authorization_matrix import (  # noqa: F401 (the fixtures)
    OWN_ACCOUNT,
    POLICY,
    PUBLIC,
    ROLES,
    World,
    _client,
    minors,
    world,
)
from tests.test_url_walk import _patterns, _routes

HOSTILE = [
    "",
    " ",
    "x" * 20_000,
    "-1",
    "0",
    "1e309",
    "NaN",
    "-0.0",
    "99999999999999999999999999",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "31-12-2026",
    "25:61",
    "00000000-0000-0000-0000-000000000000",
    str(uuid.uuid4()),
    "not-a-uuid",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "{{ 7|add:7 }}",
    "../../etc/passwd",
    "\u202egnp.exe",
    "😀" * 40,
    "a\r\nb\tc",
    "\x1b[31m",
    "%00",
    "a\x00b",
    "true",
    "on",
    "[]",
    "null",
]
VALUES = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))
# A few per form in every run (the suite stays fast); FUZZ_EXAMPLES=200 for a deep run.
EXAMPLES_PER_FORM = int(os.environ.get("FUZZ_EXAMPLES", "6"))


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # name: the page's own value
    files: set[str] = field(default_factory=set)


class _FormParser(HTMLParser):
    """The forms of a page (their fields and own values) and the query keys of its links."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self.links: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(attr.get("action") or self.page, attr.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag == "a" and "?" in attr.get("href", ""):
            href = attr["href"]
            query = dict(parse_qsl(urlsplit(href).query, keep_blank_values=True))
            self.links.append(Form(urlsplit(href).path or self.page, "get", query))
        elif self._form is not None and tag in ("input", "textarea", "select", "button"):
            name = attr.get("name")
            if not name:
                return
            kind = attr.get("type", "")
            if kind == "file":
                self._form.files.add(name)
            elif (
                kind not in ("checkbox", "radio")
                or "checked" in attr
                or name not in self._form.fields
            ):
                self._form.fields[name] = attr.get("value", "")
            self._select = name if tag == "select" else None
        elif tag == "option" and self._form is not None and self._select:
            # A select's first option is its value unless one is chosen.
            self._form.fields[self._select] = self._form.fields.get(self._select) or attr.get(
                "value", ""
            )

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _forms_on(page: str, html: str) -> list[Form]:
    parser = _FormParser(page)
    parser.feed(html)
    return parser.forms + parser.links


def _url_name(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


def _send(client: Client, form: Form, data: dict[str, object]) -> int:
    if form.method == "post":
        response = client.post(form.action, data)
    else:
        response = client.get(form.action, {k: v for k, v in data.items() if isinstance(v, str)})
    return response.status_code


def _fuzz(client: Client, form: Form, problems: list[str], label: str) -> None:
    """Hypothesis over one form: each field its own value or a hostile one."""
    strategies = {
        name: st.one_of(st.just(own), VALUES, st.lists(VALUES, min_size=2, max_size=3))
        for name, own in form.fields.items()
    }
    strategies.update(
        {
            name: st.binary(max_size=2048).map(
                lambda content: SimpleUploadedFile("foto.jpg", content, "image/jpeg")
            )
            for name in form.files
        }
    )
    strategies["onbekend_veld"] = VALUES

    client.raise_request_exception = False  # a 500 is collected, the walk goes on

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_FORM,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(st.fixed_dictionaries(strategies))
    def send(data: dict[str, object]) -> None:
        status = _send(client, form, data)
        if status >= 500:
            problems.append(f"{label} {form.method} {form.action} {sorted(data)}: {status}")

    send()


# The pages outside the matrix's policy (public ones, the login's own steps, one's own
# account) have no objects of the world in their URLs: sample values, as the URL walk uses.
SAMPLE_PATHS = {name: path for path, _view, name in _routes()}


def _urls(scene: World) -> Iterator[tuple[str, str, str]]:
    """Every URL of the project but the library's JSON endpoints: name, path, method."""
    for name in sorted(set(POLICY) | PUBLIC | OWN_ACCOUNT):
        if name == "accounts:logout":
            continue  # the session would end halfway through the walk
        if name in POLICY:
            url = reverse(name, kwargs=scene.kwargs.get(name, {}))
            yield name, url, POLICY[name]["method"]
        else:
            yield name, SAMPLE_PATHS[name], "get"


@pytest.mark.parametrize("role", ROLES)
def test_no_input_gives_a_server_error(
    world: World,  # noqa: F811 (the matrix's fixture)
    minors: dict[str, Representation],  # noqa: F811
    role: str,
) -> None:
    problems: list[str] = []
    seen: set[tuple[str | None, str, tuple[str, ...]]] = set()
    fuzzed_actions: set[str] = set()
    post_only: list[tuple[str, str]] = []
    for name, url, method in _urls(world):
        if method == "post":
            post_only.append((name, url))
            continue
        client = _client(world, role, minors)
        client.raise_request_exception = False
        response = client.get(url)
        if response.status_code >= 500:
            problems.append(f"{role} GET {name}: {response.status_code}")
        if response.status_code == 405:  # a door that only takes a POST
            post_only.append((name, url))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for form in _forms_on(url, response.content.decode()):
            key = (_url_name(form.action), form.method, tuple(sorted(form.fields)))
            if key[0] is None or key in seen or key[0] == "accounts:logout":
                continue
            seen.add(key)
            fuzzed_actions.add(key[0])
            _fuzz(_client(world, role, minors), form, problems, f"{role} via {name}")
    for name, url in post_only:
        if name in fuzzed_actions:
            continue  # its forms were fuzzed where the role found them
        made_up = Form(url, "post", {"reden": "", "tijd": "", "status": "", "patient": ""})
        _fuzz(_client(world, role, minors), made_up, problems, f"{role} {name}")
    if role == "gp_a":  # the walk must keep reaching the forms, or it proves nothing
        assert len(seen) > 20, sorted(seen)
    assert not problems, "\n".join(problems)


_WORD_PARAMETER = re.compile(r"<(?:str:)?(\w+)>")


@pytest.mark.parametrize("role", ["anonymous", "gp_a", "patient_a"])
def test_no_word_in_a_path_gives_a_server_error(
    world: World,  # noqa: F811
    minors: dict[str, Representation],  # noqa: F811
    role: str,
) -> None:
    """The URL parameters that are words, not UUIDs (an action, a kind, a door, a token, a
    slug), with hostile values in the path: a 4xx or a page, never a 5xx."""
    client = _client(world, role, minors)
    client.raise_request_exception = False
    problems = []
    for route, _view, name in _patterns(get_resolver().url_patterns):
        if route.startswith("static/") or name == "accounts:logout":
            continue
        words = _WORD_PARAMETER.findall(route)
        if not words:
            continue
        for value in ("x" * 300, "-1", "..", "%00", "a%0Ab", "%E2%80%AE", "0001-01-01", "AFGEROND"):
            path = "/" + _WORD_PARAMETER.sub(value, route).replace(
                "<uuid:public_id>", str(uuid.uuid4())
            )
            path = re.sub(r"<uuid:\w+>", str(uuid.uuid4()), path)
            for method in ("get", "post"):
                status = getattr(client, method)(path).status_code
                if status >= 500:
                    problems.append(f"{role} {method} {name} {path[:80]}: {status}")
    assert not problems, "\n".join(problems)
