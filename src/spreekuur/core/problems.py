"""What pydantic found wrong in a document or message, said in Dutch (translated), in the
caller's words for the whole and for a field that does not belong. Never pydantic's own
message, and never the input itself: a complaint flow, a questionnaire and a telephony
platform's message all report their problems this way."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PYDANTIC_DUTCH = {
    "missing": gettext_lazy("ontbreekt"),
    "string_too_short": gettext_lazy("is te kort"),
    "string_too_long": gettext_lazy("is te lang"),
    "string_pattern_mismatch": gettext_lazy("heeft niet de juiste vorm"),
    "string_type": gettext_lazy("moet tekst zijn"),
    "int_type": gettext_lazy("moet een geheel getal zijn"),
    "int_parsing": gettext_lazy("moet een geheel getal zijn"),
    "float_type": gettext_lazy("moet een getal zijn"),
    "float_parsing": gettext_lazy("moet een getal zijn"),
    "bool_type": gettext_lazy("moet waar of onwaar zijn"),
    "bool_parsing": gettext_lazy("moet waar of onwaar zijn"),
    "enum": gettext_lazy("is geen geldige waarde"),
    "list_type": gettext_lazy("moet een lijst zijn"),
    "too_short": gettext_lazy("heeft te weinig onderdelen"),
    "too_long": gettext_lazy("heeft te veel onderdelen"),
    "greater_than_equal": gettext_lazy("is te klein"),
    "less_than": gettext_lazy("is te groot"),
    "less_than_equal": gettext_lazy("is te groot"),
    "model_type": gettext_lazy("heeft niet de juiste vorm"),
    "dict_type": gettext_lazy("heeft niet de juiste vorm"),
    "datetime_type": gettext_lazy("moet een datum en tijd zijn"),
    "datetime_parsing": gettext_lazy("moet een datum en tijd zijn"),
    "datetime_from_date_parsing": gettext_lazy("moet een datum en tijd zijn"),
    "timezone_aware": gettext_lazy("mist de tijdzone"),
    "literal_error": gettext_lazy("is geen geldige waarde"),
    "json_invalid": gettext_lazy("is geen geldige JSON"),
}


def pydantic_problem(error: Any, *, whole: str, stray: str) -> str:
    """One pydantic error as "where: what" in Dutch: `whole` names the document when the
    error is about all of it, `stray` says a field does not belong. Never pydantic's own
    message or the input."""
    where = ".".join(str(part) for part in error["loc"]) or whole
    if error["type"] == "extra_forbidden":
        return f"{where}: {stray}"
    return f"{where}: {PYDANTIC_DUTCH.get(error['type'], _('klopt niet'))}"
