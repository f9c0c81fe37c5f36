"""Every write and rule of triage (DESIGN.md §5.2), split by subject and re-exported here."""

from spreekuur.triage.services.red_flags import (
    RedFlagRaised,
    TriageIncomplete,
    add_red_flag,
    check_triage,
    restore_red_flag_baseline,
    switch_off_red_flag,
)

__all__ = [
    "RedFlagRaised",
    "TriageIncomplete",
    "add_red_flag",
    "check_triage",
    "restore_red_flag_baseline",
    "switch_off_red_flag",
]
