"""Erlang C: how many assistants the practice's phone line needs in an hour.

The model is the M/M/N queue that call centres staff with: calls arrive at random (Poisson),
handling times are exponential, one queue feeds N assistants and nobody hangs up. Because
real callers do hang up, it errs on the side of one assistant too many, which is the safe
side for a GP practice's morning peak.

Erlang C is computed through the Erlang B recursion rather than A^N / N!, which overflows a
float from about 170 agents on; the recursion stays between 0 and 1 at every step.

Pure Python (no Django, no numpy), so services, tasks and benchmarks can all use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SECONDS_PER_HOUR = 3600.0

# No phone line Spreekuur staffs comes near this; it bounds every loop below.
MAX_AGENTS = 100_000


@dataclass(frozen=True, slots=True)
class Staffing:
    """What `agents_needed` found, with the figures that number of agents achieves."""

    agents: int
    intensity: float  # offered load in Erlangs
    service_level: float  # share of calls answered within the target, 0..1
    probability_of_waiting: float  # share of calls that wait at all, 0..1
    average_speed_of_answer: float  # mean wait over all calls, in seconds
    occupancy: float  # share of the assistants' time spent on calls, 0..1


def traffic_intensity(*, calls_per_hour: float, handling_seconds: float) -> float:
    """Offered load in Erlangs: hours of phone work arriving per hour."""
    _check_calls(calls_per_hour)
    _check_handling(handling_seconds)
    intensity = calls_per_hour * handling_seconds / SECONDS_PER_HOUR
    _check_intensity(intensity)  # the product of two finite floats can still overflow
    return intensity


def probability_of_waiting(*, agents: int, intensity: float) -> float:
    """Erlang C: the probability that a call has to wait for an assistant.

    With no calls nobody waits (0.0); with agents <= intensity the queue grows without end
    and every call waits (1.0)."""
    _check_agents(agents)
    _check_intensity(intensity)
    if intensity == 0:
        return 0.0
    if agents <= intensity:
        return 1.0
    return _erlang_c(agents, intensity, _erlang_b(agents, intensity))


def service_level(
    *, agents: int, calls_per_hour: float, handling_seconds: float, target_seconds: float
) -> float:
    """Share of calls answered within `target_seconds`: 1 - C * exp(-(N - A) * t / AHT).

    0.0 when agents <= intensity: the wait grows without bound, so in the long run no call
    is answered in time."""
    _check_target_seconds(target_seconds)
    intensity = traffic_intensity(calls_per_hour=calls_per_hour, handling_seconds=handling_seconds)
    wait = probability_of_waiting(agents=agents, intensity=intensity)
    return _service_level(agents, intensity, wait, target_seconds, handling_seconds)


def average_speed_of_answer(
    *, agents: int, calls_per_hour: float, handling_seconds: float
) -> float:
    """Mean wait in seconds over all calls (those answered at once count as 0): C * AHT / (N - A).

    math.inf when agents <= intensity."""
    intensity = traffic_intensity(calls_per_hour=calls_per_hour, handling_seconds=handling_seconds)
    wait = probability_of_waiting(agents=agents, intensity=intensity)
    return _average_speed_of_answer(agents, intensity, wait, handling_seconds)


def occupancy(*, agents: int, calls_per_hour: float, handling_seconds: float) -> float:
    """Share of the assistants' time spent on calls: A / N, and 1.0 once the line is overloaded."""
    _check_agents(agents)
    intensity = traffic_intensity(calls_per_hour=calls_per_hour, handling_seconds=handling_seconds)
    return _occupancy(agents, intensity)


def agents_needed(
    *,
    calls_per_hour: float,
    handling_seconds: float,
    target_seconds: float,
    service_level_target: float,
    max_occupancy: float | None = None,
) -> Staffing:
    """The fewest assistants that answer `service_level_target` of the calls within
    `target_seconds` (and keep occupancy at or below `max_occupancy`, if given).

    Always more assistants than the intensity, so the queue stays finite; 0 when no calls
    come in. Raises ValueError for nonsense input, for a target of 1.0 (in this model some
    callers always wait, so no number of assistants reaches it), and, as a guard on the
    loop, when the target is not met below intensity + 10 * sqrt(intensity) + 50 agents."""
    intensity = traffic_intensity(calls_per_hour=calls_per_hour, handling_seconds=handling_seconds)
    _check_target_seconds(target_seconds)
    if not 0.0 <= service_level_target < 1.0:
        raise ValueError(
            f"service_level_target must lie in 0..1 and be below 1, not {service_level_target!r}"
        )
    if max_occupancy is not None and not 0.0 < max_occupancy <= 1.0:
        raise ValueError(f"max_occupancy must lie in (0, 1], not {max_occupancy!r}")
    if intensity == 0:
        return Staffing(
            agents=0,
            intensity=0.0,
            service_level=1.0,
            probability_of_waiting=0.0,
            average_speed_of_answer=0.0,
            occupancy=0.0,
        )

    first = math.floor(intensity) + 1
    if max_occupancy is not None:
        if intensity / max_occupancy > MAX_AGENTS:
            raise ValueError(f"max_occupancy {max_occupancy!r} needs more than {MAX_AGENTS} agents")
        # floor() of the quotient, then step up: ceil() could overshoot by one where
        # intensity / max_occupancy rounds to just above a whole number.
        first = max(first, math.floor(intensity / max_occupancy))
        while _occupancy(first, intensity) > max_occupancy:
            first += 1
    # Square-root staffing needs about A + 3 * sqrt(A) for any usual target; this is ample.
    cap = max(first, math.ceil(intensity + 10.0 * math.sqrt(intensity) + 50.0))
    if cap > MAX_AGENTS:
        raise ValueError(f"{intensity:.0f} Erlangs is beyond what this model staffs")

    # The same recursion as probability_of_waiting, carried on from one N to the next, so
    # the figures returned equal what the public functions give for that N.
    b = _erlang_b(first - 1, intensity)
    for agents in range(first, cap + 1):
        b = intensity * b / (agents + intensity * b)
        wait = _erlang_c(agents, intensity, b)
        level = _service_level(agents, intensity, wait, target_seconds, handling_seconds)
        if level >= service_level_target:
            return Staffing(
                agents=agents,
                intensity=intensity,
                service_level=level,
                probability_of_waiting=wait,
                average_speed_of_answer=_average_speed_of_answer(
                    agents, intensity, wait, handling_seconds
                ),
                occupancy=_occupancy(agents, intensity),
            )
    raise ValueError(
        f"a service level of {service_level_target} within {target_seconds} s is not reached "
        f"with up to {cap} agents"
    )


def _erlang_b(agents: int, intensity: float) -> float:
    """Erlang B by recursion: B(0) = 1, B(n) = A * B(n-1) / (n + A * B(n-1))."""
    b = 1.0
    for n in range(1, agents + 1):
        b = intensity * b / (n + intensity * b)
    return b


def _erlang_c(agents: int, intensity: float, erlang_b: float) -> float:
    """C = N * B / (N - A * (1 - B)), for agents > intensity > 0."""
    # Exact arithmetic keeps this below 1; min() stops a rounding error just above it.
    return min(1.0, agents * erlang_b / (agents - intensity * (1.0 - erlang_b)))


def _service_level(
    agents: int, intensity: float, wait: float, target_seconds: float, handling_seconds: float
) -> float:
    if intensity == 0:
        return 1.0
    if agents <= intensity:
        return 0.0
    return 1.0 - wait * math.exp(-(agents - intensity) * target_seconds / handling_seconds)


def _average_speed_of_answer(
    agents: int, intensity: float, wait: float, handling_seconds: float
) -> float:
    if intensity == 0:
        return 0.0
    if agents <= intensity:
        return math.inf
    return wait * handling_seconds / (agents - intensity)


def _occupancy(agents: int, intensity: float) -> float:
    if intensity == 0:
        return 0.0
    if agents <= intensity:
        return 1.0
    return intensity / agents


def _check_agents(agents: int) -> None:
    if isinstance(agents, bool) or not isinstance(agents, int):
        raise ValueError(f"agents must be a whole number, not {agents!r}")
    if not 0 <= agents <= MAX_AGENTS:
        raise ValueError(f"agents must lie in 0..{MAX_AGENTS}, not {agents!r}")


def _check_intensity(intensity: float) -> None:
    if not (math.isfinite(intensity) and intensity >= 0):
        raise ValueError(f"intensity must be a finite number >= 0, not {intensity!r}")


def _check_calls(calls_per_hour: float) -> None:
    if not (math.isfinite(calls_per_hour) and calls_per_hour >= 0):
        raise ValueError(f"calls_per_hour must be a finite number >= 0, not {calls_per_hour!r}")


def _check_handling(handling_seconds: float) -> None:
    if not (math.isfinite(handling_seconds) and handling_seconds > 0):
        raise ValueError(f"handling_seconds must be a finite number > 0, not {handling_seconds!r}")


def _check_target_seconds(target_seconds: float) -> None:
    if not (math.isfinite(target_seconds) and target_seconds >= 0):
        raise ValueError(f"target_seconds must be a finite number >= 0, not {target_seconds!r}")
