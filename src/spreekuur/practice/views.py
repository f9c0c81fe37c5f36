"""The practice's public page, and the manager's pages that keep it current."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from spreekuur.accounts import capabilities
from spreekuur.accounts.models import User
from spreekuur.core import selectors
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import Practice
from spreekuur.core.opening_hours import open_state, upcoming_deviations, week_ahead
from spreekuur.core.weekly_hours import format_day
from spreekuur.practice import services
from spreekuur.practice.forms import NewsItemForm, OpeningExceptionForm, PracticeDetailsForm


@login_not_required
@require_GET
def practice_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The practice's public website page: hours, emergencies, news. No patient data."""
    practice = selectors.get_public_practice(slug)
    schedule = selectors.schedule_for(practice)
    today = timezone.localdate()
    return render(
        request,
        "practice/practice_page.html",
        {
            "practice": practice,
            "state": open_state(schedule, timezone.localtime()),
            "week": week_ahead(schedule, today),
            "deviations": upcoming_deviations(schedule, today, days=60),
            "news": selectors.published_news(practice),
            "today": today,
        },
    )


def _page_manager(request: HttpRequest) -> tuple[User, Practice]:
    return capabilities.acting_user_in_practice(request, capabilities.can_manage_practice_page)


def _render_manage_page(
    request: HttpRequest,
    practice: Practice,
    news_form: NewsItemForm | None = None,
    exception_form: OpeningExceptionForm | None = None,
) -> HttpResponse:
    schedule = selectors.schedule_for(practice)
    return render(
        request,
        "practice/manage_page.html",
        {
            "practice": practice,
            "news_form": news_form or NewsItemForm(initial={"published_on": timezone.localdate()}),
            "exception_form": exception_form or OpeningExceptionForm(),
            "news": selectors.all_news(practice)[:20],
            "deviations": upcoming_deviations(schedule, timezone.localdate(), days=120),
        },
    )


@require_http_methods(["GET", "POST"])
def manage_page(request: HttpRequest) -> HttpResponse:
    """The manager keeps the public page current: news and days with other hours.
    One page, two forms; each POST names its form and goes to its own action."""
    user, practice = _page_manager(request)
    if request.method == "POST" and request.POST.get("form") == "news":
        return _publish_news(request, user, practice)
    if request.method == "POST" and request.POST.get("form") == "exception":
        return _set_exception(request, user, practice)
    return _render_manage_page(request, practice)


def _publish_news(request: HttpRequest, user: User, practice: Practice) -> HttpResponse:
    form = NewsItemForm(request.POST)
    if not form.is_valid():
        return _render_manage_page(request, practice, news_form=form)
    services.publish_news_item(practice=practice, by=user, **form.cleaned_data)
    messages.success(request, _("Het nieuwsbericht is geplaatst."))
    return redirect("practice:manage_page")


def _set_exception(request: HttpRequest, user: User, practice: Practice) -> HttpResponse:
    form = OpeningExceptionForm(request.POST)
    if form.is_valid():
        try:
            services.set_opening_exception(practice=practice, by=user, **form.cleaned_data)
        except BusinessRuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "De afwijkende openingstijd is opgeslagen. Online tijden daarbuiten zijn "
                    "gesloten; afspraken die er al staan, ziet de balie op de lijst "
                    "'Buiten de openingstijden'."
                ),
            )
            return redirect("practice:manage_page")
    return _render_manage_page(request, practice, exception_form=form)


@require_http_methods(["GET", "POST"])
def practice_details(request: HttpRequest) -> HttpResponse:
    """Contact details, the out-of-hours service, the house colour and weekly hours."""
    user, practice = _page_manager(request)
    initial: dict[str, object] = {
        field: getattr(practice, field) for field in services.EDITABLE_PRACTICE_FIELDS
    }
    schedule = selectors.schedule_for(practice)
    for weekday in range(7):
        initial[f"hours_{weekday}"] = format_day(list(schedule.weekly.get(weekday, [])))
    form = PracticeDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_practice_details(
            practice=practice,
            details={
                field: form.cleaned_data[field] for field in services.EDITABLE_PRACTICE_FIELDS
            },
            weekly=form.cleaned_data["weekly"],
            by=user,
        )
        messages.success(request, _("De praktijkgegevens zijn opgeslagen."))
        return redirect("practice:practice_details")
    return render(request, "practice/practice_details.html", {"form": form, "practice": practice})


@require_POST
def remove_news(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = _page_manager(request)
    item = selectors.get_news_item_for(practice, public_id)
    services.remove_news_item(item=item, by=user)
    messages.success(request, _("Het nieuwsbericht is verwijderd."))
    return redirect("practice:manage_page")
