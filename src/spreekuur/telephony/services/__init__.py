"""The phone line's writes (see each module)."""

from spreekuur.telephony.services.callbacks import (
    claim_callback,
    erase_old_numbers,
    record_attempt,
    record_callers_shown,
    release_callback,
    release_stale_claims,
)
from spreekuur.telephony.services.events import (
    Receipt,
    fold_call_events,
    receive_events,
    refresh_call_hours,
)
from spreekuur.telephony.services.links import (
    create_link,
    link_secret,
    renew_link_secret,
    set_link_active,
)
from spreekuur.telephony.services.phone_line import (
    import_call_report,
    platform_config,
    save_phone_settings,
)

__all__ = [
    "Receipt",
    "claim_callback",
    "create_link",
    "erase_old_numbers",
    "fold_call_events",
    "import_call_report",
    "link_secret",
    "platform_config",
    "receive_events",
    "record_attempt",
    "record_callers_shown",
    "refresh_call_hours",
    "release_callback",
    "release_stale_claims",
    "renew_link_secret",
    "save_phone_settings",
    "set_link_active",
]
