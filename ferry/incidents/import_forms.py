"""Forms of the import and export pages: the file, which column is which field, and what to export."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ferry.incidents.forms import FilterForm
from ferry.incidents.import_rows import FIELDS, ImportField


class UploadForm(forms.Form):
    sheet = forms.FileField(label=_("Spreadsheet (CSV in UTF-8, or XLSX)"))


def _guess(field: ImportField, headings: list[str]) -> int | None:
    """The column whose heading names the field (its code or its label), for a first suggestion."""
    names = {field.name.casefold(), str(field.label).casefold(), field.name.replace("_", " ").casefold()}
    for index, heading in enumerate(headings):
        if heading.strip().casefold() in names:
            return index
    return None


class MappingForm(forms.Form):
    """One choice per field: the column that holds it, or none."""

    def __init__(self, *args: Any, headings: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        columns = [("", "—"), *[(str(i), f"{i + 1}. {heading}") for i, heading in enumerate(headings)]]
        for field in FIELDS:
            guess = _guess(field, headings)
            self.fields[field.name] = forms.TypedChoiceField(
                label=str(field.label),
                choices=columns,
                coerce=int,
                empty_value=None,
                required=field.required,
                initial=None if guess is None else str(guess),
            )

    def mapping(self) -> dict[str, int | None]:
        return {field.name: self.cleaned_data.get(field.name) for field in FIELDS}


class ExportForm(FilterForm):
    """The list's clear filters, and the file's format."""

    file_format = forms.ChoiceField(label=_("Format"), choices=[("csv", "CSV"), ("xlsx", "XLSX")], initial="xlsx")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Search reads sealed text; an export takes what the clear filters select.
        del self.fields["q"]
        del self.fields["page"]
