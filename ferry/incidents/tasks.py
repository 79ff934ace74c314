"""The documentation's background jobs: the tallies statistics are counted from, rebuilt every hour."""

from __future__ import annotations

from django_tasks import task

from ferry.incidents.tallies import tallies_build


@task()
def tallies_refresh() -> None:
    tallies_build()
