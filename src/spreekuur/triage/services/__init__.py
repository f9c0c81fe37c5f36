"""Every write and rule of triage (DESIGN.md §5.2), split by subject and re-exported here."""

from spreekuur.triage.services.faq import add_faq_answer, save_faq_answer
from spreekuur.triage.services.flows import (
    add_own_flow,
    save_flow_texts,
    switch_off_own_flow,
    sync_national_flows,
)
from spreekuur.triage.services.red_flags import (
    RedFlagRaised,
    TriageIncomplete,
    add_red_flag,
    check_triage,
    restore_red_flag_baseline,
    switch_off_red_flag,
)
from spreekuur.triage.services.sessions import (
    TriageNotFinished,
    TriageSaysCall,
    record_triage,
    record_triage_read,
    refuse_after_call_advice,
    take_for,
    triage_summary,
)

__all__ = [
    "RedFlagRaised",
    "TriageIncomplete",
    "TriageNotFinished",
    "TriageSaysCall",
    "add_faq_answer",
    "add_own_flow",
    "add_red_flag",
    "check_triage",
    "record_triage",
    "record_triage_read",
    "refuse_after_call_advice",
    "restore_red_flag_baseline",
    "save_faq_answer",
    "save_flow_texts",
    "switch_off_own_flow",
    "switch_off_red_flag",
    "sync_national_flows",
    "take_for",
    "triage_summary",
]
