"""Seeded synthetic people, contacts, places and case stories for benchmarks; pure data, no database writes.

`python -m bench.generator --check` generates twice from one seed and compares; without it, prints a sample.
Output depends on the seed and on Faker's version (pinned in requirements-dev.lock), not on the clock.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from faker import Faker

# ruff: noqa: RUF001 - Russian names and places are Cyrillic on purpose; some letters look Latin

RU = "ru_RU"
EN = "en_US"
# Dates are drawn around this fixed day, never today, so the same seed gives the same output next year.
REFERENCE_DAY = date(2025, 6, 1)
YOUNGEST, OLDEST = timedelta(days=18 * 366), timedelta(days=60 * 365)  # ages of the people generated
STAGES = ("new", "verifying", "accepted", "safe_house", "documents", "exit", "asylum", "resettled", "closed")
RISKS = ("low", "medium", "high", "critical")
_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TELEGRAM_HANDLE = re.compile(r"^@[a-z][a-z0-9_]{3,30}[a-z0-9]$")

_TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ы": "y",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}  # ъ and ь are dropped


@dataclass(frozen=True)
class Region:
    country: str  # ISO 3166-1 alpha-2
    subdivision: str  # ISO 3166-2
    name: str
    cities: tuple[str, ...]


# Russian regions (in Russian) weighted towards the North Caucasus, and places people leave for (in English).
RU_REGIONS = (
    Region("RU", "RU-CE", "Чеченская Республика", ("Грозный", "Аргун", "Гудермес", "Шали", "Урус-Мартан")),
    Region("RU", "RU-DA", "Республика Дагестан", ("Махачкала", "Дербент", "Хасавюрт", "Каспийск")),
    Region("RU", "RU-IN", "Республика Ингушетия", ("Магас", "Назрань", "Карабулак")),
    Region("RU", "RU-KB", "Кабардино-Балкарская Республика", ("Нальчик", "Прохладный")),
    Region("RU", "RU-STA", "Ставропольский край", ("Ставрополь", "Пятигорск", "Кисловодск")),
    Region("RU", "RU-KDA", "Краснодарский край", ("Краснодар", "Сочи", "Новороссийск")),
    Region("RU", "RU-ROS", "Ростовская область", ("Ростов-на-Дону", "Таганрог")),
    Region("RU", "RU-MOW", "Москва", ("Москва",)),
    Region("RU", "RU-SPE", "Санкт-Петербург", ("Санкт-Петербург",)),
    Region("RU", "RU-SVE", "Свердловская область", ("Екатеринбург", "Нижний Тагил")),
)
RU_WEIGHTS = (6, 3, 2, 2, 1, 1, 1, 2, 2, 1)
ABROAD_REGIONS = (
    Region("GE", "GE-TB", "Tbilisi", ("Tbilisi",)),
    Region("AM", "AM-ER", "Yerevan", ("Yerevan",)),
    Region("KZ", "KZ-75", "Almaty", ("Almaty",)),
    Region("TR", "TR-34", "Istanbul", ("Istanbul",)),
    Region("LT", "LT-VL", "Vilnius County", ("Vilnius",)),
    Region("DE", "DE-BE", "Berlin", ("Berlin",)),
    Region("GB", "GB-LND", "London", ("London",)),
    Region("CA", "CA-ON", "Ontario", ("Toronto", "Ottawa")),
    Region("US", "US-NY", "New York", ("New York", "Buffalo")),
)

# Country calling code, and a template for the national number: "d" any digit, "n" 2-9, others literal.
_PHONE_PLANS = {
    "RU": ("7", "9nnddddddd"),
    "GE": ("995", "5nnddd ddd"),
    "AM": ("374", "9n dddddd"),
    "KZ": ("7", "77d ddd dddd"),
    "TR": ("90", "5nd ddd dd dd"),
    "LT": ("370", "6dd ddddd"),
    "DE": ("49", "15d dddddddd"),
    "GB": ("44", "7nnn dddddd"),
    "CA": ("1", "416 nnd dddd"),
    "US": ("1", "212 nnd dddd"),
}


@dataclass(frozen=True)
class Place:
    country: str
    subdivision: str
    region: str
    city: str


@dataclass(frozen=True)
class Phone:
    typed: str  # as a person would write it: spaces, dashes, a Russian 8 trunk prefix, 00
    e164: str


@dataclass(frozen=True)
class Person:
    locale: str
    gender: str  # "female" or "male"
    given_name: str
    patronymic: str  # empty outside Russian names
    family_name: str
    full_name: str
    birth_date: date
    phone: Phone
    telegram: str  # "@handle"
    home: Place


@dataclass(frozen=True)
class CaseStory:
    reference: str  # like K7Q-3XD
    stage: str
    risk: str
    opened_on: date
    person: Person
    now_in: Place
    title: str
    summary: str  # at most 200 characters
    narrative: str  # a few sentences


class Generator:
    """Deterministic fake data: the same seed gives the same sequence of calls' results."""

    def __init__(self, seed: int = 1917) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.fakers = {RU: Faker(RU), EN: Faker(EN)}
        self.fakers[RU].seed_instance(seed)
        self.fakers[EN].seed_instance(seed + 1)

    def date_between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def place(self, country: str | None = None) -> Place:
        if country == "RU" or (country is None and self.rng.random() < 0.7):
            region = self.rng.choices(RU_REGIONS, weights=RU_WEIGHTS)[0]
        else:
            choices = [r for r in ABROAD_REGIONS if country in (None, r.country)] or list(ABROAD_REGIONS)
            region = self.rng.choice(choices)
        return Place(region.country, region.subdivision, region.name, self.rng.choice(region.cities))

    def phone(self, country: str) -> Phone:
        code, plan = _PHONE_PLANS.get(country, _PHONE_PLANS["RU"])
        national = "".join(
            str(self.rng.randint(0, 9)) if c == "d" else str(self.rng.randint(2, 9)) if c == "n" else c for c in plan
        )
        digits = national.replace(" ", "")
        e164 = f"+{code}{digits}"
        style = self.rng.randrange(4)
        if country == "RU" and style == 3:
            typed = f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
        elif country == "RU" and style == 2:
            typed = f"+7 {digits[:3]} {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
        elif style == 3:
            typed = f"00{code} {national}"
        elif style == 2:
            typed = f"+{code} {national}"
        else:
            typed = e164
        return Phone(typed=typed, e164=e164)

    def telegram(self, given: str, family: str) -> str:
        given, family = _latin(given), _latin(family)
        pattern = self.rng.randrange(4)
        if pattern == 0:
            handle = f"{given}_{family}"
        elif pattern == 1:
            handle = f"{given}{family[:1]}{self.rng.randint(1, 99)}"
        elif pattern == 2:
            handle = f"{family}{self.rng.randint(70, 99)}"
        else:
            handle = f"{self.fakers[EN].word().lower()}_{given}"
        handle = re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "", handle)).strip("_")[:32].rstrip("_")
        return "@" + (handle if len(handle) >= 5 else f"{handle}_{self.rng.randint(100, 999)}")

    def person(self, locale: str | None = None) -> Person:
        locale = locale or (RU if self.rng.random() < 0.8 else EN)
        fake = self.fakers[locale]
        gender = self.rng.choice(("female", "male"))
        if locale == RU:
            given = getattr(fake, f"first_name_{gender}")()
            patronymic = getattr(fake, f"middle_name_{gender}")()
            family = getattr(fake, f"last_name_{gender}")()
            full = f"{family} {given} {patronymic}"
            home = self.place("RU")
        else:
            given, patronymic, family = getattr(fake, f"first_name_{gender}")(), "", fake.last_name()
            full = f"{given} {family}"
            home = self.place(self.rng.choice([r.country for r in ABROAD_REGIONS]))
        return Person(
            locale=locale,
            gender=gender,
            given_name=given,
            patronymic=patronymic,
            family_name=family,
            full_name=full,
            birth_date=self.date_between(
                REFERENCE_DAY - timedelta(days=60 * 365), REFERENCE_DAY - timedelta(days=18 * 366)
            ),
            phone=self.phone(home.country),
            telegram=self.telegram(given, family),
            home=home,
        )

    def narrative(self, locale: str, sentences: int = 4) -> str:
        return self.fakers[locale].paragraph(nb_sentences=sentences, variable_nb_sentences=False)

    def reference(self) -> str:
        letters = "".join(self.rng.choice(_REFERENCE_ALPHABET) for _ in range(6))
        return f"{letters[:3]}-{letters[3:]}"

    def case(self) -> CaseStory:
        person = self.person()
        fake = self.fakers[person.locale]
        stage = self.rng.choice(STAGES)
        return CaseStory(
            reference=self.reference(),
            stage=stage,
            risk=self.rng.choice(RISKS),
            opened_on=self.date_between(REFERENCE_DAY - timedelta(days=3 * 365), REFERENCE_DAY),
            person=person,
            now_in=person.home if stage in STAGES[:3] else self.place(),
            title=fake.sentence(nb_words=5).rstrip("."),
            summary=fake.text(max_nb_chars=200).replace("\n", " "),
            narrative=self.narrative(person.locale, self.rng.randint(3, 6)),
        )

    def cases(self, count: int) -> list[CaseStory]:
        return [self.case() for _ in range(count)]


def _latin(name: str) -> str:
    lowered = name.lower()
    return "".join(_TRANSLIT.get(ch, ch) for ch in lowered)


def check(seed: int, count: int) -> list[str]:
    """Problems found: differing output for one seed, equal output for two, malformed contacts."""
    from ferry.vault.normalise import normalise

    first, second = Generator(seed).cases(count), Generator(seed).cases(count)
    problems = []
    if first != second:
        problems.append(f"seed {seed} gave different output on two runs")
    if first == Generator(seed + 1).cases(count):
        problems.append(f"seeds {seed} and {seed + 1} gave the same output")
    for story in first:
        person = story.person
        if normalise("phone", person.phone.typed) != person.phone.e164:
            problems.append(f"phone {person.phone.typed!r} does not normalise to {person.phone.e164}")
        if not TELEGRAM_HANDLE.match(person.telegram):
            problems.append(f"telegram handle {person.telegram!r} is malformed")
        if len(story.summary) > 200:
            problems.append(f"summary of {story.reference} is longer than 200 characters")
    if len({s.reference for s in first}) != count:
        problems.append("reference codes repeat")
    locales = {s.person.locale for s in first}
    if locales != {RU, EN}:
        problems.append(f"locales seen: {sorted(locales)}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generator", description=__doc__)
    parser.add_argument("--check", action="store_true", help="generate twice from one seed and compare")
    parser.add_argument("--seed", type=int, default=1917)
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    if not args.check:
        for story in Generator(args.seed).cases(min(args.count, 3)):
            print(json.dumps(asdict(story), ensure_ascii=False, default=str, indent=2))
        return
    problems = check(args.seed, args.count)
    for problem in problems:
        print(f"generator: {problem}", file=sys.stderr)
    print(f"generator: {'FAILED' if problems else 'ok'} ({args.count} case stories, seed {args.seed})")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
