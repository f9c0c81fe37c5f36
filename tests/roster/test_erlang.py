"""Erlang C staffing (spreekuur.roster.erlang), checked against published figures.

Every reference number below is copied as its source prints it, with the tolerance that
source's rounding implies (half a unit in the last printed digit; rel=1e-12 where a source
prints a float's full repr, which leaves room only for a different order of operations).

Sources:
[PWF-README] pyworkforce (Rodrigo Arenas), README.md "Queuing" example and
    docs/guide/erlangc.md "Basic usage", https://github.com/rodrigo-arenas/pyworkforce
    (commit ca48925). Inputs: 100 transactions per 30 minutes, AHT 3 min, ASA target
    20/60 min, service level 0.8, max occupancy 0.85. These are the inputs of the
    callcentrehelper.com worked example (its result is 14 agents as well).
[PWF-TESTS] same repository, pyworkforce/queuing/tests/test_erlang.py and
    pyworkforce/queuing/tests/test_multi_erlang.py: the same load with asa=0.33 min
    (19.8 s), values rounded to 3 decimals.
[CCT] perehinik/call-center-tools, python/tests/unit/test_erlang.py and
    python/tests/unit/test_staffing.py, https://github.com/perehinik/call-center-tools:
    values rounded to 4 (probabilities) or 2 (seconds) decimals.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from spreekuur.roster import erlang
from spreekuur.roster.erlang import (
    MAX_AGENTS,
    Staffing,
    agents_needed,
    average_speed_of_answer,
    occupancy,
    probability_of_waiting,
    service_level,
    traffic_intensity,
)

# Half a unit in the last printed place.
ROUND_3 = 0.5e-3
ROUND_4 = 0.5e-4
ROUND_2 = 0.5e-2


# --- Published reference values ------------------------------------------------------------


def test_pyworkforce_readme_example_needs_14_agents() -> None:
    # [PWF-README]: 100 calls per 30 minutes is 200 per hour; AHT 3 min = 180 s; 80/20;
    # max occupancy 85%. Printed: raw_positions 14, service_level 0.8883500191794669,
    # occupancy 0.7142857142857143, waiting_probability 0.1741319335950498.
    assert traffic_intensity(calls_per_hour=200, handling_seconds=180) == 10.0
    staffing = agents_needed(
        calls_per_hour=200,
        handling_seconds=180,
        target_seconds=20,
        service_level_target=0.8,
        max_occupancy=0.85,
    )
    assert staffing.agents == 14
    assert staffing.intensity == 10.0
    assert staffing.service_level == pytest.approx(0.8883500191794669, rel=1e-12)
    assert staffing.occupancy == pytest.approx(0.7142857142857143, rel=1e-12)
    assert staffing.probability_of_waiting == pytest.approx(0.1741319335950498, rel=1e-12)


def test_pyworkforce_tests_with_a_19_8_second_target() -> None:
    # [PWF-TESTS] test_expected_erlangc_results: asa=0.33 min = 19.8 s, service level 0.8,
    # max occupancy 0.85 -> raw_positions 14, service_level 0.888, occupancy 0.714,
    # waiting_probability 0.174.
    staffing = agents_needed(
        calls_per_hour=200,
        handling_seconds=180,
        target_seconds=0.33 * 60,
        service_level_target=0.8,
        max_occupancy=0.85,
    )
    assert staffing.agents == 14
    assert staffing.service_level == pytest.approx(0.888, abs=ROUND_3)
    assert staffing.occupancy == pytest.approx(0.714, abs=ROUND_3)
    assert staffing.probability_of_waiting == pytest.approx(0.174, abs=ROUND_3)


def test_pyworkforce_tests_with_a_lower_occupancy_ceiling() -> None:
    # [PWF-TESTS] test_over_occupancy_erlangc: max_occupancy 0.7 -> raw_positions 15,
    # service_level 0.941, occupancy 0.667, waiting_probability 0.102. Here the occupancy
    # ceiling, not the service level, decides: 14 agents would be 71% busy.
    staffing = agents_needed(
        calls_per_hour=200,
        handling_seconds=180,
        target_seconds=0.33 * 60,
        service_level_target=0.8,
        max_occupancy=0.7,
    )
    assert staffing.agents == 15
    assert staffing.service_level == pytest.approx(0.941, abs=ROUND_3)
    assert staffing.occupancy == pytest.approx(0.667, abs=ROUND_3)
    assert staffing.probability_of_waiting == pytest.approx(0.102, abs=ROUND_3)


def test_pyworkforce_tests_with_a_90_percent_target() -> None:
    # [PWF-TESTS] test_multi_erlang.py::test_expected_multierlangc_grid, second scenario:
    # service_level 0.9, max_occupancy 0.85 -> raw_positions 15, service_level 0.941,
    # occupancy 0.667, waiting_probability 0.102. Here the service level decides.
    staffing = agents_needed(
        calls_per_hour=200,
        handling_seconds=180,
        target_seconds=0.33 * 60,
        service_level_target=0.9,
        max_occupancy=0.85,
    )
    assert staffing.agents == 15
    assert staffing.service_level == pytest.approx(0.941, abs=ROUND_3)
    assert staffing.occupancy == pytest.approx(0.667, abs=ROUND_3)
    assert staffing.probability_of_waiting == pytest.approx(0.102, abs=ROUND_3)


@pytest.mark.parametrize(
    ("intensity", "agents", "expected"),
    [
        # [CCT] python/tests/unit/test_erlang.py::test_erlang_c and
        # test_staffing.py::test_calc_wait_probability: (traffic, agents, rounded to 4).
        (1, 1, 1),
        (123, 132, 0.3211),
        (12345, 12421, 0.3812),
        (1000, 900, 1),
    ],
)
def test_call_center_tools_probability_of_waiting(
    intensity: float, agents: int, expected: float
) -> None:
    assert probability_of_waiting(agents=agents, intensity=intensity) == pytest.approx(
        expected, abs=ROUND_4
    )


def test_call_center_tools_service_level_speed_of_answer_and_occupancy() -> None:
    # [CCT] test_staffing.py: 123 Erlangs, 130 agents, AHT 300 s (so 1476 calls an hour):
    # service level within 20 s 0.7339 (test_calc_service_level), average speed of answer
    # 18.19 s (test_calc_average_speed_of_answer), occupancy 0.946 (test_occupancy).
    # They feed the rounded P(wait) 0.4244 in; its rounding moves these by < 3e-5 and < 1e-3.
    assert traffic_intensity(calls_per_hour=1476, handling_seconds=300) == 123.0
    load = {"agents": 130, "calls_per_hour": 1476, "handling_seconds": 300}
    assert probability_of_waiting(agents=130, intensity=123) == pytest.approx(0.4244, abs=ROUND_4)
    assert service_level(**load, target_seconds=20) == pytest.approx(0.7339, abs=ROUND_4)
    assert average_speed_of_answer(**load) == pytest.approx(18.19, abs=ROUND_2)
    assert occupancy(**load) == pytest.approx(0.946, abs=ROUND_3)


def test_call_center_tools_occupancy_ceiling_at_123_erlangs() -> None:
    # [CCT] test_staffing.py::test_optimise_occupancy: 123 Erlangs at most 85% busy needs
    # 145 agents, occupancy 0.8483. An 80/20 target alone needs fewer, so the ceiling decides.
    staffing = agents_needed(
        calls_per_hour=1476,
        handling_seconds=300,
        target_seconds=20,
        service_level_target=0.8,
        max_occupancy=0.85,
    )
    assert staffing.agents == 145
    assert staffing.occupancy == pytest.approx(0.8483, abs=ROUND_4)


# --- Closed forms (algebra on the Erlang C formula itself, not a publication) ---------------


@pytest.mark.parametrize("intensity", [0.01, 0.25, 0.5, 0.9, 0.999])
def test_one_agent_waits_with_probability_equal_to_the_load(intensity: float) -> None:
    # N = 1: B = A / (1 + A), C = B / (1 - A(1 - B)) = A (M/M/1: P(wait) = rho).
    assert probability_of_waiting(agents=1, intensity=intensity) == pytest.approx(
        intensity, rel=1e-12
    )


@pytest.mark.parametrize("intensity", [0.1, 1.0, 1.5, 1.99])
def test_two_agents_wait_with_probability_a_squared_over_two_plus_a(intensity: float) -> None:
    # N = 2: C = A^2 / (2 + A), e.g. 1/3 at one Erlang.
    assert probability_of_waiting(agents=2, intensity=intensity) == pytest.approx(
        intensity**2 / (2 + intensity), rel=1e-12
    )


def _textbook_erlang_c(agents: int, intensity: Fraction) -> Fraction:
    """The summation form, in exact rational arithmetic (fine for small N)."""
    top = intensity**agents / math.factorial(agents) * agents / (agents - intensity)
    below = sum(intensity**k / math.factorial(k) for k in range(agents))
    return top / (below + top)


@given(
    agents=st.integers(min_value=1, max_value=40),
    intensity=st.fractions(
        min_value=Fraction(1, 100), max_value=Fraction(40), max_denominator=1000
    ),
)
def test_recursion_equals_the_exact_summation_formula(agents: int, intensity: Fraction) -> None:
    assume(intensity < agents)
    exact = _textbook_erlang_c(agents, intensity)
    computed = probability_of_waiting(agents=agents, intensity=float(intensity))
    assert computed == pytest.approx(float(exact), rel=1e-12)


# --- Properties -----------------------------------------------------------------------------

loads = st.floats(min_value=0.0, max_value=1000.0, allow_nan=False)


@given(agents=st.integers(min_value=0, max_value=1200), intensity=loads)
def test_probability_of_waiting_is_a_probability(agents: int, intensity: float) -> None:
    assert 0.0 <= probability_of_waiting(agents=agents, intensity=intensity) <= 1.0


@given(
    calls_per_hour=st.floats(min_value=0.5, max_value=600.0),
    handling_seconds=st.floats(min_value=10.0, max_value=900.0),
    target_seconds=st.floats(min_value=0.0, max_value=120.0),
)
def test_more_agents_never_answer_fewer_calls_in_time(
    calls_per_hour: float, handling_seconds: float, target_seconds: float
) -> None:
    intensity = traffic_intensity(calls_per_hour=calls_per_hour, handling_seconds=handling_seconds)
    load = {"calls_per_hour": calls_per_hour, "handling_seconds": handling_seconds}
    previous_level, previous_wait = 0.0, 1.0
    for agents in range(math.floor(intensity) + 1, math.floor(intensity) + 40):
        level = service_level(agents=agents, target_seconds=target_seconds, **load)
        wait = probability_of_waiting(agents=agents, intensity=intensity)
        assert 0.0 <= level <= 1.0
        assert level >= previous_level
        assert wait <= previous_wait
        previous_level, previous_wait = level, wait


@given(
    calls_per_hour=st.floats(min_value=0.0, max_value=2000.0),
    handling_seconds=st.floats(min_value=10.0, max_value=900.0),
    target_seconds=st.floats(min_value=0.0, max_value=120.0),
    service_level_target=st.floats(min_value=0.0, max_value=0.99),
    max_occupancy=st.none() | st.floats(min_value=0.5, max_value=1.0),
)
def test_agents_needed_is_the_smallest_number_that_meets_the_target(
    calls_per_hour: float,
    handling_seconds: float,
    target_seconds: float,
    service_level_target: float,
    max_occupancy: float | None,
) -> None:
    staffing = agents_needed(
        calls_per_hour=calls_per_hour,
        handling_seconds=handling_seconds,
        target_seconds=target_seconds,
        service_level_target=service_level_target,
        max_occupancy=max_occupancy,
    )
    load = {"calls_per_hour": calls_per_hour, "handling_seconds": handling_seconds}
    agents = staffing.agents
    intensity = staffing.intensity

    # What it reports is what the separate functions say about that many agents.
    assert staffing == Staffing(
        agents=agents,
        intensity=traffic_intensity(**load),
        service_level=service_level(agents=agents, target_seconds=target_seconds, **load),
        probability_of_waiting=probability_of_waiting(agents=agents, intensity=intensity),
        average_speed_of_answer=average_speed_of_answer(agents=agents, **load),
        occupancy=occupancy(agents=agents, **load),
    )
    if intensity == 0:
        assert agents == 0
        return
    # It meets the target ...
    assert agents > intensity
    assert staffing.service_level >= service_level_target
    if max_occupancy is not None:
        assert staffing.occupancy <= max_occupancy
    # ... and one fewer would not: unstable, too slow, or too busy.
    fewer = agents - 1
    assert (
        fewer <= intensity
        or service_level(agents=fewer, target_seconds=target_seconds, **load) < service_level_target
        or (max_occupancy is not None and occupancy(agents=fewer, **load) > max_occupancy)
    )


# --- Edge cases -----------------------------------------------------------------------------


def test_no_calls_need_no_agents() -> None:
    staffing = agents_needed(
        calls_per_hour=0, handling_seconds=180, target_seconds=20, service_level_target=0.8
    )
    assert staffing == Staffing(
        agents=0,
        intensity=0.0,
        service_level=1.0,
        probability_of_waiting=0.0,
        average_speed_of_answer=0.0,
        occupancy=0.0,
    )
    assert probability_of_waiting(agents=0, intensity=0.0) == 0.0
    assert service_level(agents=0, calls_per_hour=0, handling_seconds=180, target_seconds=20) == 1.0
    assert average_speed_of_answer(agents=0, calls_per_hour=0, handling_seconds=180) == 0.0
    assert occupancy(agents=0, calls_per_hour=0, handling_seconds=180) == 0.0


def test_a_tiny_load_needs_one_agent() -> None:
    # One call an hour of a minute: A = 1/60, and one assistant (M/M/1: P(wait) = A).
    staffing = agents_needed(
        calls_per_hour=1, handling_seconds=60, target_seconds=20, service_level_target=0.95
    )
    assert staffing.agents == 1
    assert staffing.probability_of_waiting == pytest.approx(1 / 60, rel=1e-12)
    assert staffing.service_level > 0.98


def test_an_overloaded_line_never_answers_in_time() -> None:
    # 10 Erlangs on 10 agents or fewer: the queue grows without bound.
    load = {"calls_per_hour": 200, "handling_seconds": 180}
    for agents in (0, 5, 10):
        assert probability_of_waiting(agents=agents, intensity=10.0) == 1.0
        assert service_level(agents=agents, target_seconds=20, **load) == 0.0
        assert average_speed_of_answer(agents=agents, **load) == math.inf
        assert occupancy(agents=agents, **load) == 1.0


def test_300_erlangs_do_not_overflow() -> None:
    # A^N / N! overflows a float at 300^171; the recursion must not.
    staffing = agents_needed(
        calls_per_hour=6000, handling_seconds=180, target_seconds=20, service_level_target=0.8
    )
    assert staffing.intensity == 300.0
    assert 300 < staffing.agents < 300 + 10 * math.sqrt(300) + 50
    assert staffing.service_level >= 0.8
    wait = probability_of_waiting(agents=400, intensity=300.0)
    assert math.isfinite(wait)
    assert 0.0 < wait < 1e-6


def test_a_target_of_one_hundred_percent_is_refused() -> None:
    # 1 - C * exp(...) < 1 for every N: some caller always waits. (In floats it rounds to
    # 1.0 at some N, which would be an arbitrary answer.)
    with pytest.raises(ValueError, match="below 1"):
        agents_needed(
            calls_per_hour=200, handling_seconds=180, target_seconds=20, service_level_target=1.0
        )


def test_the_search_for_agents_stops_at_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    # Real targets below 1 are met long before intensity + 10 * sqrt(intensity) + 50; make
    # every service level miss to prove the loop still ends, with an error.
    monkeypatch.setattr(erlang, "_service_level", lambda *_args: 0.0)
    with pytest.raises(ValueError, match="not reached with up to 92 agents"):
        agents_needed(
            calls_per_hour=200, handling_seconds=180, target_seconds=20, service_level_target=0.8
        )


def test_a_target_of_zero_still_keeps_the_queue_finite() -> None:
    staffing = agents_needed(
        calls_per_hour=200, handling_seconds=180, target_seconds=20, service_level_target=0.0
    )
    assert staffing.agents == 11


# --- Bad input ------------------------------------------------------------------------------

GOOD = {
    "calls_per_hour": 200.0,
    "handling_seconds": 180.0,
    "target_seconds": 20.0,
    "service_level_target": 0.8,
}


@pytest.mark.parametrize(
    "change",
    [
        {"calls_per_hour": -1.0},
        {"calls_per_hour": math.nan},
        {"calls_per_hour": math.inf},
        {"calls_per_hour": 1e308, "handling_seconds": 1e10},  # overflows to inf
        {"handling_seconds": 0.0},
        {"handling_seconds": -180.0},
        {"handling_seconds": math.nan},
        {"target_seconds": -1.0},
        {"target_seconds": math.inf},
        {"service_level_target": -0.01},
        {"service_level_target": 1.0},
        {"service_level_target": 1.01},
        {"service_level_target": 80.0},  # a percentage where a fraction belongs
        {"service_level_target": math.nan},
        {"max_occupancy": 0.0},
        {"max_occupancy": 1.5},
        {"max_occupancy": 85.0},
        {"max_occupancy": math.nan},
        {"max_occupancy": 1e-9},  # would need 10^10 agents
        {"calls_per_hour": 1e9},  # far beyond any phone line
    ],
)
def test_agents_needed_refuses_nonsense(change: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        agents_needed(**{**GOOD, **change})


@pytest.mark.parametrize(
    ("agents", "intensity"),
    [(-1, 10.0), (MAX_AGENTS + 1, 10.0), (10, -0.5), (10, math.nan), (10, math.inf)],
)
def test_probability_of_waiting_refuses_nonsense(agents: int, intensity: float) -> None:
    with pytest.raises(ValueError):
        probability_of_waiting(agents=agents, intensity=intensity)


def test_agents_must_be_a_whole_number() -> None:
    with pytest.raises(ValueError):
        probability_of_waiting(agents=12.5, intensity=10.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        occupancy(agents=True, calls_per_hour=200, handling_seconds=180)


def test_the_other_functions_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        traffic_intensity(calls_per_hour=-5, handling_seconds=180)
    with pytest.raises(ValueError):
        traffic_intensity(calls_per_hour=200, handling_seconds=0)
    with pytest.raises(ValueError):
        service_level(agents=14, calls_per_hour=200, handling_seconds=180, target_seconds=-20)
    with pytest.raises(ValueError):
        average_speed_of_answer(agents=-1, calls_per_hour=200, handling_seconds=180)
