"""Complaint flows are data that must be safe: every shipped flow passes the check, any
walk through it ends in an outcome, and a red-flag answer always ends in U0-U2."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spreekuur.triage.flows import (
    COMPLAINTS_DIR,
    MAX_DEPTH,
    Flow,
    FlowInvalid,
    format_walk,
    load_shipped_flows,
    parse_flow,
    parse_walk,
    weakening_problems,
)

SHIPPED = sorted(COMPLAINTS_DIR.glob("*.json"))
# The complaints the issue names, each shipped under this code.
REQUIRED = {
    "hoesten", "keelpijn", "koorts-volwassene", "koorts-kind", "oorpijn", "buikpijn",
    "rugpijn", "hoofdpijn", "huiduitslag", "plasklachten", "pijn-op-de-borst",
    "benauwdheid", "duizeligheid", "wond", "brandwond", "insectenbeet", "oogklachten",
    "diarree-braken", "somber-angstig", "vraag-medicijnen",
}  # fmt: skip


def _document(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def keelpijn() -> dict[str, Any]:
    return _document(COMPLAINTS_DIR / "keelpijn.json")


def test_at_least_twenty_common_complaints_are_shipped() -> None:
    codes = {flow.code for flow in load_shipped_flows()}
    assert codes >= REQUIRED
    assert len(codes) >= 20


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_flow_passes_the_check_and_names_its_source(path: Path) -> None:
    flow = parse_flow(_document(path))
    assert flow.code == path.stem
    assert flow.document.source.url.startswith("https://")
    assert flow.red_flag_answers(), "every complaint has at least one red flag"
    assert all(urgency.is_emergency for _q, _a, urgency in flow.red_flag_answers())
    self_care = [o for o in flow.document.outcomes if o.urgency == "U5"]
    assert all(o.self_care_url for o in self_care)


def _walk_by_choices(flow: Flow, choices: list[int]) -> tuple[list[int], Any]:
    """Answer each question with the next choice (modulo its answers) until an outcome."""
    walk: list[int] = []
    for choice in choices:
        step = flow.walk(walk)
        if step.outcome is not None:
            return walk, step
        assert step.question is not None
        walk.append(choice % len(step.question.answers))
    return walk, flow.walk(walk)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
@settings(max_examples=150, deadline=None)
@given(
    choices=st.lists(st.integers(min_value=0, max_value=7), min_size=MAX_DEPTH, max_size=MAX_DEPTH)
)
def test_any_sequence_of_answers_ends_in_an_outcome(path: Path, choices: list[int]) -> None:
    flow = parse_flow(_document(path))
    walk, step = _walk_by_choices(flow, choices)
    assert step.outcome is not None, f"{path.stem}: walk {format_walk(walk)} ends nowhere"
    assert parse_walk(format_walk(walk)) == walk
    if step.red_flag:
        assert step.outcome.urgency.is_emergency


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_red_flag_answer_reached_in_any_way_ends_in_u0_to_u2(path: Path) -> None:
    """Exhaustive: every path to every question, then its red-flag answers."""
    flow = parse_flow(_document(path))
    seen = 0
    pending: list[list[int]] = [[]]
    while pending:
        walk = pending.pop()
        step = flow.walk(walk)
        if step.question is None:
            continue
        for number, answer in enumerate(step.question.answers):
            if answer.red_flag:
                seen += 1
                outcome = flow.walk([*walk, number]).outcome
                assert outcome is not None and outcome.urgency.is_emergency
            pending.append([*walk, number])
    assert seen >= 1


def _problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(FlowInvalid) as invalid:
        parse_flow(document)
    return invalid.value.problems


def test_a_dead_end_is_refused() -> None:
    doc = keelpijn()
    doc["questions"][1]["answers"][1]["next"] = "bestaat-niet"
    assert any("vraag die niet bestaat" in p for p in _problems(doc))


def test_an_answer_leading_nowhere_is_refused() -> None:
    doc = keelpijn()
    del doc["questions"][1]["answers"][1]["next"]
    assert any("precies één" in p for p in _problems(doc))


def test_a_loop_is_refused() -> None:
    doc = keelpijn()
    doc["questions"][-1]["answers"][1] = {"label": "Nee", "next": "ademen"}
    assert any("kringloop" in p for p in _problems(doc))


def test_a_red_flag_that_does_not_escalate_is_refused() -> None:
    doc = keelpijn()
    doc["questions"][0]["answers"][0]["outcome"] = "afspraak"
    assert any("Alarmsignaal" in p for p in _problems(doc))


def test_a_red_flag_must_escalate_at_once_not_after_more_questions() -> None:
    doc = keelpijn()
    doc["questions"][0]["answers"][0] = {"label": "Ja", "red_flag": True, "next": "slikken"}
    assert any("Alarmsignaal" in p for p in _problems(doc))


def test_a_flow_without_red_flags_is_refused() -> None:
    doc = keelpijn()
    for question in doc["questions"]:
        for answer in question["answers"]:
            answer.pop("red_flag", None)
    assert any("alarmsignaal" in p for p in _problems(doc))


def test_unreachable_questions_and_outcomes_are_refused() -> None:
    doc = keelpijn()
    doc["questions"].append(
        {"id": "los", "text": "Een vraag die niemand ziet?", "answers": [
            {"label": "Ja", "outcome": "zelfzorg"}, {"label": "Nee", "outcome": "zelfzorg"}]}
    )  # fmt: skip
    doc["outcomes"].append({"id": "ongebruikt", "urgency": "U4", "advice": "Niemand komt hier."})
    problems = _problems(doc)
    assert any("'los' wordt nooit gesteld" in p for p in problems)
    assert any("'ongebruikt' wordt nooit bereikt" in p for p in problems)


def test_self_care_needs_a_link() -> None:
    doc = keelpijn()
    del doc["outcomes"][-1]["self_care_url"]
    assert any("zelfzorg" in p for p in _problems(doc))


def test_shape_errors_are_dutch_and_never_echo_the_input() -> None:
    doc = keelpijn()
    doc["questions"][0]["answers"][0]["label"] = 12345
    doc["outcomes"][0]["urgency"] = "U9"
    doc["onbekend"] = "BSN 123456782"
    problems = _problems(doc)
    assert any("moet tekst zijn" in p for p in problems)
    assert any("geen geldige waarde" in p for p in problems)
    assert any("hoort niet in een klachtschema" in p for p in problems)
    assert not any("123456782" in p or "U9" in p for p in problems)


@pytest.mark.parametrize("text", ["x", "0.a", "0..1", "10", ".".join(["0"] * (MAX_DEPTH + 1))])
def test_a_malformed_walk_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_walk(text)


def test_a_walk_not_of_this_flow_is_refused() -> None:
    flow = parse_flow(keelpijn())
    with pytest.raises(ValueError):
        flow.walk([5])  # there is no sixth answer
    with pytest.raises(ValueError):
        flow.walk([0, 0])  # an answer after the outcome


def test_only_texts_may_differ_from_the_national_version() -> None:
    base = parse_flow(keelpijn())
    reworded = copy.deepcopy(keelpijn())
    reworded["outcomes"][-1]["advice"] = "Eigen tekst van de praktijk over keelpijn."
    assert weakening_problems(base, parse_flow(reworded)) == []
    weaker = copy.deepcopy(keelpijn())
    weaker["outcomes"][1]["urgency"] = "U1"  # the same paths, a different urgency
    assert weakening_problems(base, parse_flow(weaker))
    fewer = copy.deepcopy(keelpijn())
    fewer["questions"][1]["answers"][0] = {"label": "Ja", "outcome": "afspraak"}
    fewer["questions"][1]["answers"][0]["outcome"] = "spoed"  # no longer a red flag
    assert weakening_problems(base, parse_flow(fewer))
