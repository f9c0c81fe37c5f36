"""`{% lab_value result %}`: a result's value, unit and flag, as every results page shows it.

A tag rather than an included template: the value is drawn once per row of a table, a
chart's worth of rows per page, and an include per row sets up a template context and
renders a template of its own each time (issue 18)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from spreekuur.results.models import Flag, LabResult

register = template.Library()


@register.simple_tag
def lab_value(result: LabResult) -> SafeString:
    unit = format_html(" {}", result.unit) if result.unit else ""
    flag: SafeString | str = ""
    if result.out_of_range:
        if result.is_low:
            direction, mark = "low", "▼"
        elif result.is_abnormal:
            direction, mark = "high", "!"
        else:
            direction, mark = "high", "▲"
        flag = format_html(
            ' <span class="spreekuur-flag spreekuur-flag--{}"><span aria-hidden="true">{}'
            "</span> {}</span>",
            direction,
            mark,
            Flag(result.flag).label,  # not get_flag_display(): it rebuilds the choices
        )
    return format_html("<strong>{}</strong>{}{}", result.value_display, unit, flag)
