"""The dashboard over HTTP: the practice's figures per period, its CSV, the monthly review,
the tariff table, and the care group's regional view. Aggregates only: no patient data,
so nothing here writes to the access log except the changes (tariffs, the review)."""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from spreekuur.accounts.capabilities import acting_user, acting_user_in_practice
from spreekuur.core.spreadsheets import safe_cell
from spreekuur.dashboard import capabilities, selectors, services
from spreekuur.dashboard.charts import bar_chart
from spreekuur.dashboard.figures import Compared, figures_of
from spreekuur.dashboard.forms import MonthForm, PeriodForm, ReviewForm, TariffForm
from spreekuur.dashboard.periods import Period, add_months, month_period, period_named


def _period(request: HttpRequest) -> tuple[PeriodForm, Period]:
    form = PeriodForm(request.GET or None)
    today = timezone.localdate()
    if form.is_bound and form.is_valid():
        first, last = form.cleaned_data.get("van"), form.cleaned_data.get("tot")
        if first and last:
            previous_last = first - timedelta(days=1)
            return form, Period(first, last, previous_last - (last - first), previous_last)
        return form, period_named(form.cleaned_data.get("periode") or "vorige-maand", today)
    return form, period_named("vorige-maand", today)


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_view_dashboard)
    form, period = _period(request)
    board = selectors.practice_dashboard(practice, period)
    series = selectors.monthly_series(practice, period.last)
    revenue = selectors.revenue_per_quarter(practice, period.last)
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "form": form,
            "board": board,
            "charts": [bar_chart(s) for s in [revenue, *series]],
            "query": request.GET.urlencode(),
            "can_manage_tariffs": capabilities.can_manage_tariffs(user),
        },
    )


def _csv_response(name: str) -> tuple[HttpResponse, csv._writer]:  # type: ignore[name-defined]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # Excel opens UTF-8 with its byte order mark
    return response, csv.writer(response, delimiter=";")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value}".replace(".", ",")


@require_GET
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    _user, practice = acting_user_in_practice(request, capabilities.can_view_dashboard)
    _form, period = _period(request)
    board = selectors.practice_dashboard(practice, period)
    response, writer = _csv_response(f"dashboard-{period.first}-{period.last}.csv")
    writer.writerow([_("Cijfer"), _("Eenheid"), period.label, period.previous_label, _("Verschil")])
    for row in board.figures:
        writer.writerow(_csv_cells(row))
    return response


def _csv_cells(row: Compared) -> list[str]:
    return [
        row.figure.label,
        row.figure.kind,
        _number(row.figure.value),
        _number(row.previous.value),
        _number(row.change),
    ]


@require_http_methods(["GET", "POST"])
def monthly_review(request: HttpRequest) -> HttpResponse:
    """One month against the month before and the same month a year earlier, what stood
    out, and the team's notes and agreements (PDCA)."""
    user, practice = acting_user_in_practice(request, capabilities.can_view_dashboard)
    month_form = MonthForm(request.GET or None)
    chosen = (month_form.cleaned_data.get("maand") if month_form.is_valid() else None) or ""
    today = timezone.localdate()
    month = (
        date(int(chosen[:4]), int(chosen[5:7]), 1)
        if chosen
        else add_months(today.replace(day=1), -1)
    )
    period = month_period(month)
    board = selectors.practice_dashboard(practice, period)
    year_ago = month_period(add_months(month, -12))
    last_year = selectors.sums_for(practice, year_ago.first, year_ago.last)
    review = selectors.review_of(practice, month)
    form = ReviewForm(
        request.POST or None,
        initial={"notes": review.notes, "actions": review.actions} if review else None,
    )
    if request.method == "POST" and form.is_valid():
        services.save_monthly_review(
            practice=practice,
            month=month,
            notes=form.cleaned_data["notes"],
            actions=form.cleaned_data["actions"],
            by=user,
        )
        messages.success(request, _("De maandbespreking is opgeslagen."))
        return redirect(f"{request.path}?maand={month:%Y-%m}")
    rows = [
        (compared, year)
        for compared, year in zip(board.figures, figures_of(last_year), strict=True)
    ]
    return render(
        request,
        "dashboard/monthly_review.html",
        {
            "month": month,
            "month_form": month_form
            if month_form.is_bound
            else MonthForm(initial={"maand": f"{month:%Y-%m}"}),
            "board": board,
            "rows": rows,
            "standing_out": [c for c in board.figures if c.stands_out],
            "form": form,
            "review": review,
            "previous_month": add_months(month, -1),
            "next_month": add_months(month, 1) if add_months(month, 1) <= today else None,
        },
    )


@require_http_methods(["GET", "POST"])
def tariffs(request: HttpRequest) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_manage_tariffs)
    form = TariffForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.save_tariff(
            practice=practice,
            year=data["year"],
            code=data["code"],
            description=data["description"],
            amount=data["amount"],
            by=user,
        )
        messages.success(request, _("Het tarief is opgeslagen."))
        return redirect("dashboard:tariffs")
    return render(
        request, "dashboard/tariffs.html", {"form": form, "tariffs": selectors.tariffs_of(practice)}
    )


@require_POST
def remove_tariff(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_manage_tariffs)
    services.remove_tariff(tariff=selectors.get_tariff_for(practice, user, public_id), by=user)
    messages.success(request, _("Het tarief is verwijderd."))
    return redirect("dashboard:tariffs")


@require_GET
def region(request: HttpRequest) -> HttpResponse:
    user = acting_user(request, capabilities.can_view_region)
    form, period = _period(request)
    view = selectors.region_view(selectors.region_of(user), period)
    return render(
        request,
        "dashboard/region.html",
        {
            "form": form,
            "view": view,
            "query": request.GET.urlencode(),
            "threshold": selectors.SUPPRESS_BELOW,
        },
    )


@require_GET
def region_csv(request: HttpRequest) -> HttpResponse:
    user = acting_user(request, capabilities.can_view_region)
    _form, period = _period(request)
    view = selectors.region_view(selectors.region_of(user), period)
    response, writer = _csv_response(f"regio-{period.first}-{period.last}.csv")
    writer.writerow([_("Praktijk"), *view.labels])
    for row in [*view.practices, view.total]:
        writer.writerow([safe_cell(row.name), *(cell.text for cell in row.cells)])
    return response
