from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from spreekuur.core.forms import MAX_PASSWORD_LENGTH, StyledForm
from spreekuur.core.roles import StaffRole


def agb_code_field() -> forms.RegexField:
    return forms.RegexField(
        label=_("AGB-code (zorgverleners)"),
        regex=r"^\d{8}$",
        max_length=8,
        required=False,
        error_messages={"invalid": _("Een AGB-code bestaat uit 8 cijfers.")},
    )


class LoginForm(StyledForm):
    username = forms.EmailField(
        label=_("E-mailadres"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Wachtwoord"),
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class OneTimeCodeInput(forms.TextInput):
    """A code is used once: a refused form does not show it again."""

    def format_value(self, value: object) -> str | None:
        return None


class LoginWithCodeForm(LoginForm):
    """After repeated failures on a user name: the password and the second factor in one
    step, so that guessing the password alone tells nothing (accounts.throttle)."""

    token = forms.CharField(
        label=_("Code uit uw authenticator-app of een herstelcode"),
        max_length=16,
        widget=OneTimeCodeInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The address is filled in already: the cursor goes to the password.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["password"].widget.attrs["autofocus"] = True


class TokenForm(StyledForm):
    token = forms.CharField(
        label=_("Code uit uw authenticator-app of een herstelcode"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class ConfirmTotpForm(StyledForm):
    token = forms.RegexField(
        label=_("Code van 6 cijfers uit de app"),
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        max_length=20,
        error_messages={"invalid": _("Vul de 6 cijfers in die de app nu toont.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class RecheckCodeForm(ConfirmTotpForm):
    """The same code field on a settings page, where it should not grab the focus."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["token"].widget.attrs.pop("autofocus", None)


class StaffMemberForm(StyledForm):
    full_name = forms.CharField(label=_("Naam"), max_length=200)
    email = forms.EmailField(label=_("E-mailadres"))
    role = forms.ChoiceField(label=_("Rol"), choices=StaffRole.choices)
    agb_code = agb_code_field()


class StaffMemberChangeForm(StyledForm):
    role = forms.ChoiceField(label=_("Rol"), choices=StaffRole.choices)
    agb_code = agb_code_field()
    active = forms.BooleanField(label=_("Account actief"), required=False)


ROLE_DECISIONS = {"bevestigen", "weigeren"}


class RoleDecisionForm(forms.Form):
    """A GP's answer to one role request: the request as they saw it (member and role)."""

    member = forms.UUIDField(widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=StaffRole.choices, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[(d, d) for d in sorted(ROLE_DECISIONS)])


class NewPasswordForm(StyledForm):
    """Choosing a password: the same rules everywhere (activation, reset)."""

    email = forms.EmailField(
        label=_("E-mailadres"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label=_("Wachtwoord"),
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        help_text=_("Minstens 10 tekens; geen veelgebruikt wachtwoord."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Wachtwoord nogmaals"),
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("De twee wachtwoorden zijn niet gelijk."))
        elif isinstance(first, str):
            try:
                password_validation.validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
