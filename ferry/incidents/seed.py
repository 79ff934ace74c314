"""The seeded vocabularies: a set made for violations against LGBT people, in English and Russian.
Plain data and one idempotent function, so a migration can use it with the historical model."""

# ruff: noqa: RUF001

from __future__ import annotations

from typing import Any

# (code, English, Russian, children); a perpetrator type's fourth item is True for private individuals.
Node = tuple[str, str, str, tuple["Node", ...]]

ACT_TYPES: tuple[Node, ...] = (
    ("abduction", "Abduction", "Похищение", ()),
    ("arbitrary-detention", "Arbitrary detention", "Произвольное задержание", ()),
    ("enforced-disappearance", "Enforced disappearance", "Насильственное исчезновение", ()),
    ("torture", "Torture and ill-treatment", "Пытки и жестокое обращение", ()),
    ("sexual-violence", "Sexual violence", "Сексуальное насилие", ()),
    ("extrajudicial-killing", "Extrajudicial killing", "Внесудебная казнь", ()),
    (
        "honour-killing",
        "“Honour” killing",
        "Убийство «во имя чести»",
        (
            ("honour-killing-threat", "Threat of “honour” killing", "Угроза убийства «во имя чести»", ()),
            ("honour-killing-attempt", "Attempted “honour” killing", "Покушение на убийство «во имя чести»", ()),
            ("honour-killing-killing", "“Honour” killing committed", "Совершённое убийство «во имя чести»", ()),
        ),
    ),
    ("family-violence", "Family violence", "Насилие в семье", ()),
    ("extortion", "Extortion and blackmail", "Вымогательство и шантаж", ()),
    ("outing", "Outing", "Аутинг", ()),
    ("entrapment", "Entrapment through dating apps", "Ловушка через приложения знакомств", ()),
    ("forced-conversion", "Forced “conversion”", "Принудительная «конверсия»", ()),
    ("forced-marriage", "Forced marriage", "Принудительный брак", ()),
    ("police-harassment", "Police harassment", "Преследование полицией", ()),
    ("denial-of-protection", "Denial of protection", "Отказ в защите", ()),
    ("online-threats", "Online threats", "Угрозы в интернете", ()),
)

METHODS: tuple[Node, ...] = (
    ("beating", "Beating", "Избиение", ()),
    ("electric-shocks", "Electric shocks", "Удары током", ()),
    ("suffocation", "Suffocation", "Удушение", ()),
    ("stress-positions", "Stress positions", "Стрессовые позы", ()),
    ("deprivation", "Deprivation of food, water or sleep", "Лишение еды, воды или сна", ()),
    ("humiliation", "Humiliation", "Унижение", ()),
    ("threats", "Threats against the person or relatives", "Угрозы человеку или родственникам", ()),
    ("forced-disclosure", "Forced disclosure of others' names", "Принуждение назвать других", ()),
    ("phone-search", "Search of phone or accounts", "Обыск телефона или аккаунтов", ()),
)

CONSEQUENCES: tuple[Node, ...] = (
    ("injury", "Physical injury", "Телесные повреждения", ()),
    ("psychological-harm", "Psychological harm", "Психологическая травма", ()),
    ("death", "Death", "Смерть", ()),
    ("displacement", "Forced to flee", "Вынужденное бегство", ()),
    ("loss-of-livelihood", "Loss of work or home", "Потеря работы или жилья", ()),
    ("unknown-fate", "Fate unknown", "Судьба неизвестна", ()),
)

# (code, English, Russian, children, private)
PERPETRATOR_TYPES: tuple[tuple[str, str, str, tuple[tuple[str, str, str, tuple[()], bool], ...], bool], ...] = (
    (
        "state",
        "State agents",
        "Представители государства",
        (
            ("police", "Police", "Полиция", (), False),
            ("security-service", "Security service", "Спецслужбы", (), False),
            ("military", "Military", "Военные", (), False),
            ("officials", "Officials", "Чиновники", (), False),
            ("prison-staff", "Prison or detention staff", "Сотрудники мест заключения", (), False),
        ),
        False,
    ),
    ("religious-authority", "Religious authority", "Религиозные власти", (), False),
    (
        "private",
        "Private individuals",
        "Частные лица",
        (
            ("relatives", "Relatives", "Родственники", (), True),
            ("partner", "Partner or spouse", "Партнёр или супруг(а)", (), True),
            ("neighbours", "Neighbours or community", "Соседи или община", (), True),
            (
                "strangers",
                "Strangers, including via dating apps",
                "Незнакомые, в том числе через приложения знакомств",
                (),
                True,
            ),
        ),
        True,
    ),
    ("unknown", "Unknown", "Неизвестно", (), False),
)


def _seed_tree(term_model: Any, vocabulary: str, nodes: tuple[Node, ...], parent: Any = None) -> None:
    for position, (code, en, ru, children) in enumerate(nodes):
        term, _created = term_model.objects.get_or_create(
            vocabulary=vocabulary,
            code=code,
            defaults={"label_en": en, "label_ru": ru, "parent": parent, "position": position},
        )
        _seed_tree(term_model, vocabulary, children, term)


def vocabularies_seed(term_model: Any) -> None:
    """The seeded vocabularies, where a code is missing (idempotent; a migration runs it with the
    historical model, tests after a flush with the real one)."""
    _seed_tree(term_model, "act_type", ACT_TYPES)
    _seed_tree(term_model, "method", METHODS)
    _seed_tree(term_model, "consequence", CONSEQUENCES)
    for position, (code, en, ru, children, private) in enumerate(PERPETRATOR_TYPES):
        top, _created = term_model.objects.get_or_create(
            vocabulary="perpetrator_type",
            code=code,
            defaults={"label_en": en, "label_ru": ru, "position": position, "private": private},
        )
        for child_position, (child, child_en, child_ru, _none, child_private) in enumerate(children):
            term_model.objects.get_or_create(
                vocabulary="perpetrator_type",
                code=child,
                defaults={
                    "label_en": child_en,
                    "label_ru": child_ru,
                    "parent": top,
                    "position": child_position,
                    "private": child_private,
                },
            )
