# ruff: noqa: RUF001 - the Russian names are meant to hold Cyrillic letters
"""The governments and international bodies most organisations press, in English and Russian: what the list
page offers to add when the tracker is empty (services.governments_seed)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Body:
    kind: str  # Government.Kind
    name_en: str
    name_ru: str
    country: str = ""


COMMON_BODIES: tuple[Body, ...] = (
    Body("un", "UN Human Rights Council", "Совет ООН по правам человека"),
    Body(
        "un",
        "Office of the UN High Commissioner for Human Rights (OHCHR)",
        "Управление Верховного комиссара ООН по правам человека (УВКПЧ)",
    ),
    Body(
        "osce",
        "Organization for Security and Co-operation in Europe (OSCE)",
        "Организация по безопасности и сотрудничеству в Европе (ОБСЕ)",
    ),
    Body("eu", "European External Action Service (EEAS)", "Европейская служба внешних связей (ЕСВД)"),
    Body("eu", "European Parliament", "Европейский парламент"),
    Body("state", "United Kingdom", "Великобритания", "GB"),
    Body("state", "United States", "США", "US"),
    Body("state", "Germany", "Германия", "DE"),
    Body("state", "France", "Франция", "FR"),
    Body("state", "Canada", "Канада", "CA"),
    Body("state", "Netherlands", "Нидерланды", "NL"),
    Body("state", "Sweden", "Швеция", "SE"),
    Body("state", "Russia", "Россия", "RU"),
)
