"""Forms for set-up, invitations, login and account security."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ferry.accounts.models import Role


class PassphraseFields(forms.Form):
    passphrase = forms.CharField(
        label=_("Passphrase"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters. Several unrelated words are easy to remember and hard to guess."),
    )
    confirm = forms.CharField(
        label=_("Passphrase again"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class FirstAdminForm(PassphraseFields):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    display_name = forms.CharField(
        label=_("Name shown to colleagues"), max_length=80, required=False, help_text=_("A first name or a pseudonym.")
    )
    field_order = ["email", "display_name", "passphrase", "confirm"]


class AcceptInvitationForm(PassphraseFields):
    display_name = forms.CharField(
        label=_("Name shown to colleagues"), max_length=80, required=False, help_text=_("A first name or a pseudonym.")
    )
    field_order = ["display_name", "passphrase", "confirm"]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class RecoverySavedForm(forms.Form):
    saved = forms.BooleanField(label=_("I have written the recovery code down and keep it safe."))


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    passphrase = forms.CharField(
        label=_("Passphrase"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple)


class ChangePassphraseForm(PassphraseFields):
    current = forms.CharField(
        label=_("Current passphrase"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current", "passphrase", "confirm"]


class DuressForm(PassphraseFields):
    current = forms.CharField(
        label=_("Current passphrase"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current", "passphrase", "confirm"]


class RecoverForm(PassphraseFields):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    recovery_code = forms.CharField(label=_("Recovery code"), max_length=80)
    field_order = ["email", "recovery_code", "passphrase", "confirm"]
