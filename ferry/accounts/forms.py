"""Forms for set-up, invitations, login and account security."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from ferry.accounts.ceremony import orphaned_key_sets
from ferry.accounts.models import Role, Staff
from ferry.core.forms import choices_set
from ferry.core.zones import zone_choices
from ferry.vault import staffkeys

STRENGTH_HINT = _("At least 12 characters. Several unrelated words are easy to remember and hard to guess.")


def passphrase_field(label: Any, *, autocomplete: str = "new-password", help_text: Any = "") -> forms.CharField:
    """A passphrase input: never stripped, never echoed back into the page."""
    return forms.CharField(
        label=label,
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        help_text=help_text,
    )


class PassphraseFields(forms.Form):
    passphrase = passphrase_field(_("Passphrase"), help_text=STRENGTH_HINT)
    confirm = passphrase_field(_("Passphrase again"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("passphrase") and data.get("confirm") is not None and data["passphrase"] != data["confirm"]:
            self.add_error("confirm", _("The two passphrases differ."))
        return data


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
    passphrase = passphrase_field(_("Passphrase"), autocomplete="current-password")


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple)


class ChangePassphraseForm(PassphraseFields):
    current = passphrase_field(_("Current passphrase"), autocomplete="current-password")
    passphrase = passphrase_field(_("New passphrase"), help_text=STRENGTH_HINT)
    confirm = passphrase_field(_("New passphrase again"))
    field_order = ["current", "passphrase", "confirm"]


class DuressForm(PassphraseFields):
    current = passphrase_field(_("Current passphrase"), autocomplete="current-password")
    passphrase = passphrase_field(
        _("Duress passphrase"),
        autocomplete="off",
        help_text=_("Different from your real one. Anyone who signs in with it sees an ordinary, empty workspace."),
    )
    confirm = passphrase_field(_("Duress passphrase again"), autocomplete="off")
    field_order = ["current", "passphrase", "confirm"]


class RecoverForm(PassphraseFields):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    recovery_code = forms.CharField(label=_("Recovery code"), max_length=80)
    field_order = ["email", "recovery_code", "passphrase", "confirm"]


class CurrentPassphraseForm(forms.Form):
    current = passphrase_field(_("Current passphrase"), autocomplete="current-password")


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label=_("Your time zone"), help_text=_("Dates and times on the staff pages are shown in this time zone.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "time_zone", zone_choices())


class SplitEscrowForm(forms.Form):
    threshold = forms.IntegerField(label=_("Shares needed to recover (k)"), min_value=2, max_value=255, initial=3)
    shares = forms.IntegerField(label=_("Shares to make (n)"), min_value=2, max_value=255, initial=5)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("threshold") and data.get("shares") and data["threshold"] > data["shares"]:
            raise forms.ValidationError(_("k cannot be larger than n."))
        return data


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Staff) -> str:
        return f"{obj.name} <{obj.email}>" if obj.display_name else obj.email


class RecoverKeySetsForm(forms.Form):
    """Pick orphaned key sets, the staff member who receives them, and type k escrow shares."""

    key_sets = forms.TypedMultipleChoiceField(
        label=_("Key sets nobody active can open"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    to_staff = StaffChoiceField(label=_("Give them to"), queryset=Staff.objects.none())

    def __init__(self, *args: Any, share_fields: int, needs_shares: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (ks.pk, _("Key set %(id)d (%(purpose)s)") % {"id": ks.pk, "purpose": ks.get_purpose_display()})
            for ks in orphaned_key_sets()
        ]
        choices_set(self, "key_sets", choices)
        confirmed = Staff.objects.filter(is_active=True, **staffkeys.SEALABLE_STAFF)
        cast(forms.ModelChoiceField, self.fields["to_staff"]).queryset = confirmed.order_by("email")
        self.share_count = share_fields if needs_shares else 0
        for n in range(1, self.share_count + 1):
            self.fields[f"share_{n}"] = forms.CharField(
                label=_("Share %(n)d, typed by the administrator who holds it") % {"n": n}, max_length=200
            )

    def share_codes(self) -> list[str]:
        return [self.cleaned_data[f"share_{n}"] for n in range(1, self.share_count + 1)]
