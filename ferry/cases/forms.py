"""Forms of the case pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ferry.accounts.models import Role, Staff
from ferry.cases.models import Case, ClosingReason, Need, Stage
from ferry.core.forms import choices_set
from ferry.intake.forms import PlainSelect


def _text(label: Any, max_length: int, rows: int, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=forms.Textarea(attrs={"rows": rows})
    )


class EmptyForm(forms.Form):
    pass


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    # Rendered in Python: hundreds of staff through one template per option would be most of the page.
    stage = forms.ChoiceField(label=_("Stage"), required=False, widget=PlainSelect)
    risk = forms.ChoiceField(
        label=_("Risk"), choices=[("", "—"), *Case.Risk.choices], required=False, widget=PlainSelect
    )
    overdue = forms.BooleanField(label=_("Check-in overdue"), required=False)
    assignee = forms.TypedChoiceField(
        label=_("Assignee"), coerce=int, required=False, empty_value=None, widget=PlainSelect
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "stage", [("", "—")] + [(s.key, str(s)) for s in Stage.objects.filter(active=True)])
        people = Staff.objects.filter(is_active=True, roles__role__in=[Role.CASEWORKER, Role.COORDINATOR]).distinct()
        choices_set(self, "assignee", [("", "—")] + [(s.pk, s.name) for s in people])


class StageForm(VersionForm):
    stage = forms.ChoiceField(label=_("Stage"))
    reason = forms.ChoiceField(label=_("Closing reason (needed to close)"), required=False)
    note = forms.CharField(
        label=_("Note (kept encrypted)"), max_length=2_000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "stage", [(s.key, str(s)) for s in Stage.objects.filter(active=True)])
        reasons = [(r.key, str(r)) for r in ClosingReason.objects.filter(active=True)]
        choices_set(self, "reason", [("", "—"), *reasons])


class RiskForm(VersionForm):
    risk = forms.ChoiceField(label=_("Risk level"), choices=Case.Risk.choices)
    reason = forms.CharField(
        label=_("Why (kept encrypted)"), max_length=2_000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note (kept encrypted)"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 4})
    )


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message to the person"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 4})
    )


class NeedForm(forms.Form):
    kind = forms.ChoiceField(label=_("Need"), choices=Need.Kind.choices)
    status = forms.ChoiceField(label=_("Status"), choices=Need.Status.choices)
    detail = forms.CharField(label=_("Detail (kept encrypted)"), max_length=2_000, required=False)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task (kept encrypted)"), max_length=500)
    due_on = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)

    def __init__(self, *args: Any, owners: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "owner", [(s.pk, s.name) for s in owners])


class StaffChoiceForm(forms.Form):
    staff = forms.TypedChoiceField(label=_("Colleague"), coerce=int)

    def __init__(self, *args: Any, staff: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices_set(self, "staff", [(s.pk, s.name) for s in staff])


class DuressAcknowledgeForm(forms.Form):
    """What was done about a colleague's duress login (the dashboard writes this field's HTML itself)."""

    note = forms.CharField(label=_("What was done (kept encrypted)"), max_length=5_000)
