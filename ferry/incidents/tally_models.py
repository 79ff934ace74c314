"""Tallies: counts of the documentation kept ready for statistics (incidents.tallies builds them).

Each row counts records of one combination of clear fields: acts by period, place, verification and act type
(the top of its tree), with how many distinct incidents they come from; the same without the act type (for
a table's row totals); incidents by month and place. A period is a month, a quarter, a year, or "all" (no
period), each tallied apart so that a cell's distinct incidents are exact whatever period a table asks for.
An act whose date is known less finely than the period (a month asked, a year known) is tallied in a bucket
of its own year (`coarse`), as a table shows it.
Nothing here is sealed: every field is one of the clear fields statistics are made of."""

from __future__ import annotations

from django.db import models


class Kind(models.TextChoices):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    ALL = "all"


class ActTally(models.Model):
    generation = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    period = models.DateField(null=True)  # the first day of the month, quarter or year; None for "all"
    coarse = models.BooleanField(default=False)  # the date is known less finely: `period` is its year
    country = models.CharField(max_length=2)
    subdivision = models.CharField(max_length=6)
    verification = models.CharField(max_length=12)
    act_type = models.ForeignKey("incidents.Term", on_delete=models.CASCADE, related_name="+")
    acts = models.PositiveIntegerField()
    incidents = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["generation", "kind", "period"])]


class ActPlaceTally(models.Model):
    """Acts by period and place, every act type together: the distinct incidents behind a row's total."""

    generation = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    period = models.DateField(null=True)
    coarse = models.BooleanField(default=False)
    country = models.CharField(max_length=2)
    subdivision = models.CharField(max_length=6)
    verification = models.CharField(max_length=12)
    acts = models.PositiveIntegerField()
    incidents = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["generation", "kind", "period"])]


class IncidentTally(models.Model):
    generation = models.PositiveIntegerField()
    month = models.DateField()
    precision = models.CharField(max_length=12)
    country = models.CharField(max_length=2)
    subdivision = models.CharField(max_length=6)
    verification = models.CharField(max_length=12)
    incidents = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["generation", "month"])]


class TallyState(models.Model):
    """Which generation of tallies is complete, when it was built and how long it took (one row). A build
    writes the next generation in small transactions, then switches to it: on SQLite nobody waits for it."""

    generation = models.PositiveIntegerField(default=0)
    built_at = models.DateTimeField()
    seconds = models.FloatField()
