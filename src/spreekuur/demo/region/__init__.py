"""The region of a benchmark database, written in bulk: for every region practice (slug
`regio-…`) years of lab results (results.py) and a year of care (care.py: the agenda,
the record, repeat prescriptions and e-consults, each in its own module).

Rows are made from the models' own field definitions (rows.py), on PostgreSQL in planner
processes (planners.py), and loaded as pg_restore loads (bulk.py)."""

from spreekuur.demo.region.calls import Calls, build_region_calls
from spreekuur.demo.region.care import (
    Care,
    PracticeYear,
    build_region_care,
    practice_patients,
    set_up,
)
from spreekuur.demo.region.results import Made, build_region_results
from spreekuur.demo.region.year import REGION_PREFIX, random_public_ids

__all__ = [
    "REGION_PREFIX",
    "Calls",
    "Care",
    "Made",
    "PracticeYear",
    "build_region_calls",
    "build_region_care",
    "build_region_results",
    "practice_patients",
    "random_public_ids",
    "set_up",
]
