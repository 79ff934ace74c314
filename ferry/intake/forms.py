"""Forms of the anonymous intake and of the hotline's triage actions."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from ferry.core.forms import choices_set
from ferry.core.text import without_bidi, without_bidi_in
from ferry.intake import places
from ferry.intake.models import Request, Urgency
from ferry.vault.normalise import normalise

FORM_TOKEN_MAX_AGE = 12 * 3600
_FORM_SALT = "ferry.intake.form"


def form_token_new() -> str:
    """A signed, single-use token for one copy of the request form (our CSRF check: no cookie needed)."""
    return signing.dumps(secrets.token_hex(16), salt=_FORM_SALT)


def form_token_nonce(token: str) -> str | None:
    """The digest to record for a valid token, or None when it is missing, forged or too old."""
    try:
        nonce = signing.loads(token or "", salt=_FORM_SALT, max_age=FORM_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(nonce, str):
        return None
    return hashlib.sha256(nonce.encode()).hexdigest()


class PlainSelect(forms.Select):
    """A select rendered in Python: hundreds of countries and regions through one template per option
    would be most of the cost of showing the form."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        selected = "" if value is None else str(value)
        return _select(name, self.build_attrs(self.attrs, attrs), _options_markup(self.choices, selected))


def _select(name: str, attrs: dict[str, Any], options: str) -> SafeString:
    attributes = "".join(f' {key}="{escape(val)}"' for key, val in attrs.items() if val not in (None, False))
    return mark_safe(f'<select name="{escape(name)}"{attributes}>{options}</select>')  # noqa: S308


def _options_markup(choices: Any, selected: str | None) -> str:
    parts = []
    for group, options in choices:
        if isinstance(options, (list, tuple)):
            inner = "".join(_option(v, label, selected) for v, label in options)
            parts.append(f'<optgroup label="{escape(group)}">{inner}</optgroup>')
        else:
            parts.append(_option(group, options, selected))
    return "".join(parts)


def _option(value: Any, label: Any, selected: str | None) -> str:
    mark = " selected" if str(value) == selected else ""
    return f'<option value="{escape(value)}"{mark}>{escape(label)}</option>'


@dataclass(frozen=True)
class Options:
    """A long list that is the same for every visitor in one language (countries, regions), made once: its
    choices, the set of its values for checking an answer, and its <option> markup with nothing selected."""

    choices: Sequence[tuple[str, Any]]
    values: frozenset[str]
    markup: str

    @classmethod
    def of(cls, choices: Sequence[tuple[str, Any]]) -> Options:
        values: set[str] = set()
        for value, label in choices:
            if isinstance(label, (list, tuple)):
                values.update(str(v) for v, _label in label)
            else:
                values.add(str(value))
        return cls(choices=choices, values=frozenset(values), markup=_options_markup(choices, selected=None))

    def html(self, selected: str) -> str:
        """The markup with the option of this value selected (values are unique: one option at most)."""
        if selected not in self.values:
            return self.markup
        option = f'<option value="{escape(selected)}">'
        return self.markup.replace(option, f'<option value="{escape(selected)}" selected>', 1)


class OptionsSelect(forms.Select):
    """A select drawn from Options: a copy of the form costs no normalising, checking or escaping of its list."""

    def __init__(self, *, options: Callable[[], Options], attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs)
        self.options_of = options

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        selected = "" if value is None else str(value)
        return _select(name, self.build_attrs(self.attrs, attrs), self.options_of().html(selected))

    def use_required_attribute(self, initial: Any) -> bool:
        # As Select decides it (a blank first choice), from the list made once: Select's own would normalise the
        # whole list each time a form is drawn with what was typed.
        first = next(iter(self.options_of().choices), None)
        return not self.is_hidden and first is not None and first[0] in (None, "")


class OptionsField(forms.ChoiceField):
    """A choice among Options, checked against their set of values (not by walking hundreds of choices)."""

    def __init__(self, *, options: Callable[[], Options], **kwargs: Any) -> None:
        # A callable stays lazy: Django neither copies nor normalises the list for each copy of the form.
        super().__init__(choices=lambda: options().choices, widget=OptionsSelect(options=options), **kwargs)
        self.options_of = options

    def valid_value(self, value: Any) -> bool:
        return str(value) in self.options_of().values


def country_options() -> Options:
    return _place_options("country", get_language() or "", tuple(settings.FERRY_INTAKE_FOCUS_COUNTRIES))


def region_options() -> Options:
    return _place_options("region", get_language() or "", tuple(settings.FERRY_INTAKE_FOCUS_COUNTRIES))


@cache
def _place_options(kind: str, language: str, focus: tuple[str, ...]) -> Options:
    """Per language (and focus countries, which only the regions depend on), with the form's blank choice.
    `language` and `focus` are the cache's key: the places' functions read the active ones themselves."""
    places_of = places.country_choices if kind == "country" else places.region_choices
    return Options.of([("", str(_("Choose, or leave empty"))), *places_of()])


def _count(number: int) -> str:
    return number_format(number, force_grouping=True)


class LongTextField(forms.CharField):
    """A long text the browser never cuts short: no maxlength attribute (a pasted story would lose its end
    without a word). The limit is shown under the field, and a longer text is refused, kept in the form, with
    how much to cut."""

    def __init__(self, *, limit: int, **kwargs: Any) -> None:
        self.limit = limit
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {key: value for key, value in super().widget_attrs(widget).items() if key != "maxlength"}

    def limit_hint(self) -> str:
        return ngettext("Up to %(limit)s character.", "Up to %(limit)s characters.", self.limit) % {
            "limit": _count(self.limit)
        }

    def validate(self, value: Any) -> None:
        super().validate(value)
        # Counted as the person's browser counts: a line break is one character, though it is sent as two.
        length = len(value.replace("\r\n", "\n"))
        if length > self.limit:
            over = length - self.limit
            raise forms.ValidationError(
                ngettext(
                    "Your text is %(length)s characters; the limit is %(limit)s. Shorten it by %(over)s character.",
                    "Your text is %(length)s characters; the limit is %(limit)s. Shorten it by %(over)s characters.",
                    over,
                )
                % {"length": _count(length), "limit": _count(self.limit), "over": _count(over)},
                code="max_length",
            )


def _show_limits(form: forms.Form) -> None:
    """Each long text's limit under it, in the page's language (so set when the form is made)."""
    for field in form.fields.values():
        if isinstance(field, LongTextField):
            field.help_text = " ".join(part for part in (str(field.help_text or ""), field.limit_hint()) if part)


class RequestForm(forms.Form):
    name = forms.CharField(
        label=_("How should we address you?"),
        help_text=_("Any name, or none."),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        help_text=_("Only if it is safe for us to call or text it. With the country code, e.g. +7 912 345 67 89."),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    handle = forms.CharField(
        label=_("Telegram or Signal"),
        help_text=_("A username or number, if you want us to write there."),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    country = OptionsField(label=_("Country where you are now"), required=False, options=country_options)
    region = OptionsField(label=_("Region"), required=False, options=region_options)
    place = forms.CharField(
        label=_("Where exactly, in your own words"),
        help_text=_("Only as much as you want to say."),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    story = LongTextField(
        label=_("What happened?"),
        limit=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    needs = LongTextField(
        label=_("What do you need?"),
        limit=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    urgency = forms.ChoiceField(label=_("How urgent is it?"), choices=Urgency.choices, widget=forms.RadioSelect)
    want_duress = forms.BooleanField(
        label=_("Also give me a second code to hand over if someone forces me to open my mailbox."),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _show_limits(self)

    def clean_phone(self) -> str:
        value: str = self.cleaned_data["phone"].strip()
        if value:
            try:
                normalise("phone", value)
            except ValueError:
                raise forms.ValidationError(
                    _("This does not look like a phone number. Write it with the country code, e.g. +7 912 345 67 89.")
                ) from None
        return value

    def clean(self) -> dict[str, Any]:
        data = without_bidi_in(super().clean() or {})
        self.cleaned_data = data
        region, country = data.get("region") or "", data.get("country") or ""
        if region:
            if not country:
                data["country"] = places.country_of_region(region)
            elif places.country_of_region(region) != country:
                self.add_error("region", _("This region is not in the country you chose."))
        return data


class CodeForm(forms.Form):
    """The code form carries a single-use token: sent again from the browser's history (after a quick exit,
    say), it opens nothing and answers a neutral page."""

    open_token = forms.CharField(widget=forms.HiddenInput, required=False)
    code = forms.CharField(
        label=_("Your code"),
        help_text=_("The seven words or the 24 digits you were given. Capitals and spaces do not matter."),
        max_length=160,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A fresh token for every copy of the form shown, bound or not (a form shown again gets a new one).
        self.fields["open_token"].initial = form_token_new()
        self.submitted_token = ""
        if self.is_bound:
            data = dict(self.data.items())
            self.submitted_token = str(data.get("open_token", ""))
            data["open_token"] = self.fields["open_token"].initial
            self.data = data


class MessageForm(forms.Form):
    text = LongTextField(label=_("Your message"), limit=20_000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _show_limits(self)

    def clean_text(self) -> str:
        return without_bidi(self.cleaned_data["text"])


# --- hotline ---------------------------------------------------------------------------------------------


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply to the person"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 5}))


class DuplicateForm(VersionForm):
    of_reference = forms.CharField(
        label=_("Duplicate of request"), max_length=7, help_text=_("Its reference, e.g. K7Q-3XD.")
    )


class FlagForm(VersionForm):
    flagged = forms.BooleanField(label=_("Possible entrapment"), required=False)
    note = forms.CharField(
        label=_("Why (kept encrypted)"), max_length=2_000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DeclineForm(VersionForm):
    # No reason is chosen in advance: a click on "Decline" alone must not file a request as spam.
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", _("Choose a reason")), *Request.DeclineReason.choices])
    note = forms.CharField(
        label=_("Note (kept encrypted)"), max_length=2_000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # What request_decline really does, said where the coordinator confirms it.
    confirm = forms.BooleanField(
        label=_(
            "Decline it: the request leaves the queue of requests waiting for us and is listed under Declined. "
            "The person is not told; they keep their mailbox and can still write to us. "
            "A coordinator can reopen it."
        )
    )


class AcceptForm(VersionForm):
    caseworker = forms.TypedChoiceField(label=_("Caseworker"), coerce=int)

    def __init__(self, *args: Any, caseworkers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "caseworker", [(c.pk, c.name) for c in caseworkers])


class ShareForm(forms.Form):
    colleague = forms.TypedChoiceField(label=_("Colleague"), coerce=int)

    def __init__(self, *args: Any, colleagues: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "colleague", [(c.pk, c.name) for c in colleagues])
