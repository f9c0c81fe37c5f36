"""Writes for lab results: importing, the GP's review, and the assistant's work list."""

from spreekuur.results.services.imports import ImportOutcome, receive_lab_message
from spreekuur.results.services.reads import record_results_read
from spreekuur.results.services.review import STANDARD_PHRASES, review_result, review_results
from spreekuur.results.services.worklist import (
    close_lab_message,
    link_lab_message,
    retry_lab_message,
)

__all__ = [
    "STANDARD_PHRASES",
    "ImportOutcome",
    "close_lab_message",
    "link_lab_message",
    "receive_lab_message",
    "record_results_read",
    "retry_lab_message",
    "review_result",
    "review_results",
]
