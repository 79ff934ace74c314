"""The default pipeline and closing reasons (DESIGN.md, "Data sketch"); administrators change them later."""

DEFAULT_STAGES = [
    ("new", "New", "Новое", False),
    ("verifying", "Verifying", "Проверка", False),
    ("accepted", "Accepted", "Принято", False),
    ("safe_house", "Safe house", "Безопасное жильё", False),
    ("documents", "Documents", "Документы", False),
    ("exit", "Exit", "Выезд", False),
    ("asylum", "Asylum", "Убежище", False),
    ("resettled", "Resettled", "Переселение", False),
    ("closed", "Closed", "Закрыто", True),
]
DEFAULT_REASONS = [
    ("resettled", "Resettled", "Переселён(а)"),
    ("declined", "Declined", "Отказ"),
    ("duplicate", "Duplicate", "Дубликат"),
    ("unverifiable", "Unverifiable", "Не удалось проверить"),
    ("lost_contact", "Lost contact", "Связь потеряна"),
    ("deceased", "Deceased", "Погиб(ла)"),
]
