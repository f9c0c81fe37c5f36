"""Triage pages: the practice's settings (red flags)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from spreekuur.accounts.capabilities import acting_user_in_practice
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.triage import capabilities, selectors, services
from spreekuur.triage.forms import RedFlagForm


@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    """The red flags: the national ones (always on) and the practice's own."""
    user, practice = acting_user_in_practice(request, capabilities.can_manage_triage)
    form = RedFlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_red_flag(practice=practice, by=user, **form.cleaned_data)
        except BusinessRuleError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("De vraag is toegevoegd aan de spoedvragen."))
            return redirect("triage:settings")
    context = {"flag_form": form, "flags": selectors.red_flags_with_switched_off(practice)}
    return render(request, "triage/settings.html", context)


@require_POST
def switch_off_flag(request: HttpRequest, public_id: str) -> HttpResponse:
    user, practice = acting_user_in_practice(request, capabilities.can_manage_triage)
    flag = selectors.get_practice_red_flag(practice, public_id)
    services.switch_off_red_flag(flag=flag, by=user)
    messages.success(request, _("De vraag is uitgezet."))
    return redirect("triage:settings")
