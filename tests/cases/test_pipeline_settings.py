"""Pipeline settings: administrators add, rename, reorder and switch off stages and closing reasons; audited."""

from __future__ import annotations

from typing import Any

import pytest

from ferry.audit.models import AuditEntry
from ferry.cases.models import Case, ClosingReason, Stage
from tests.cases.conftest import staff_client

pytestmark = pytest.mark.django_db

SETTINGS = "/staff/cases/settings/"
# Russian names share letters with Latin ones; that is what they are.
MOVED_ON_RU = "Уехал(а) сам(а)"  # noqa: RUF001
LEFT_RU = "Уехал(а)"  # noqa: RUF001


def _stage(key: str) -> Stage:
    return Stage.objects.get(key=key)


def _audited(action: str, admin: Any) -> bool:
    return AuditEntry.objects.filter(action=action, actor_id=admin.staff.pk).exists()


def test_only_administrators_change_the_pipeline(team: dict[str, Any], accepted: dict[str, Any]) -> None:
    accepted_stage = _stage("accepted")
    # Denied before: coordinators and caseworkers get 403 on every page and change.
    for role in ("coordinator", "caseworker"):
        other = staff_client(team[role])
        assert other.get(SETTINGS).status_code == 403
        assert other.post(f"{SETTINGS}stages/add/", {"stage-name_en": "X", "stage-name_ru": "Икс"}).status_code == 403
        assert other.get(f"{SETTINGS}stages/{accepted_stage.pk}/").status_code == 403
        assert other.post(f"{SETTINGS}stages/{accepted_stage.pk}/move/", {"direction": "up"}).status_code == 403
        assert other.post(f"{SETTINGS}reasons/1/active/", {"active": "0"}).status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="pipeline.").exists()
    # Allowed after: the administrator sees the pipeline, with a link in the menu.
    admin = staff_client(team["admin"])
    page = admin.get(SETTINGS).content.decode()
    assert f'href="{SETTINGS}"' in page
    assert "Safe house" in page
    assert "Lost contact" in page
    assert admin.get(f"{SETTINGS}stages/9999/").status_code == 404


def test_a_renamed_stage_shows_on_the_case_page(team: dict[str, Any], accepted: dict[str, Any]) -> None:
    admin = staff_client(team["admin"])
    stage = _stage("accepted")
    form = admin.get(f"{SETTINGS}stages/{stage.pk}/")
    assert form.status_code == 200
    answer = admin.post(f"{SETTINGS}stages/{stage.pk}/", {"name_en": "Taken on", "name_ru": "Взято в работу"})
    assert answer.status_code == 302
    stage.refresh_from_db()
    assert (stage.key, stage.name_en, stage.name_ru) == ("accepted", "Taken on", "Взято в работу")
    assert _audited("pipeline.stage_rename", team["admin"])

    page = staff_client(team["caseworker"]).get(f"/staff/cases/{accepted['case'].reference}/")
    assert "Taken on" in page.content.decode()
    # A name already used by another stage (in either language) is refused.
    clash = admin.post(f"{SETTINGS}stages/{stage.pk}/", {"name_en": "safe house", "name_ru": "Другое"})
    assert clash.status_code == 400
    assert "already in use" in clash.content.decode()
    blank = admin.post(f"{SETTINGS}stages/{stage.pk}/", {"name_en": "Taken on", "name_ru": ""})
    assert blank.status_code == 400
    stage.refresh_from_db()
    assert stage.name_en == "Taken on"


def test_reordering_changes_the_board(team: dict[str, Any], accepted: dict[str, Any]) -> None:
    admin = staff_client(team["admin"])
    coordinator = accepted["coordinator"]

    def board_order() -> list[str]:
        html = coordinator.get("/staff/cases/board/").content.decode()
        return sorted(["Safe house", "Documents"], key=html.index)

    assert board_order() == ["Safe house", "Documents"]
    documents = _stage("documents")
    assert admin.post(f"{SETTINGS}stages/{documents.pk}/move/", {"direction": "up"}).status_code == 302
    assert board_order() == ["Documents", "Safe house"]
    keys = list(Stage.objects.filter(active=True).values_list("key", flat=True))
    assert keys.index("documents") == keys.index("safe_house") - 1
    assert _audited("pipeline.stage_move", team["admin"])
    # Positions stay a clean sequence, so the next move is one step too.
    assert list(Stage.objects.values_list("position", flat=True)) == list(range(Stage.objects.count()))
    assert admin.post(f"{SETTINGS}stages/{documents.pk}/move/", {"direction": "down"}).status_code == 302
    assert board_order() == ["Safe house", "Documents"]
    # The first stage cannot go further up.
    first = Stage.objects.first()
    assert first is not None
    refused = admin.post(f"{SETTINGS}stages/{first.pk}/move/", {"direction": "up"}, follow=True)
    assert "already first" in refused.content.decode()


def test_the_closing_stage_cannot_be_switched_off_or_duplicated(team: dict[str, Any]) -> None:
    admin = staff_client(team["admin"])
    closing = Stage.objects.get(is_closed=True)
    refused = admin.post(f"{SETTINGS}stages/{closing.pk}/active/", {"active": "0"}, follow=True)
    assert "closing stage cannot be switched off" in refused.content.decode()
    closing.refresh_from_db()
    assert closing.active
    # Adding a stage never makes a second closing stage, whatever the form says; it goes before the closing one.
    added = admin.post(
        f"{SETTINGS}stages/add/",
        {"stage-name_en": "Medical care", "stage-name_ru": "Лечение", "stage-is_closed": "on", "is_closed": "on"},
    )
    assert added.status_code == 302
    new = Stage.objects.get(name_en="Medical care")
    assert (new.key, new.is_closed, new.active) == ("medical_care", False, True)
    assert Stage.objects.filter(is_closed=True).count() == 1
    order = list(Stage.objects.values_list("key", flat=True))
    assert order[-2:] == ["medical_care", "closed"]
    assert _audited("pipeline.stage_add", team["admin"])
    # A stage with the closing stage's name is refused too.
    again = admin.post(f"{SETTINGS}stages/add/", {"stage-name_en": "Closed", "stage-name_ru": "Закрыто"})
    assert again.status_code == 400
    assert Stage.objects.filter(name_en="Closed").count() == 1
    assert not Stage.objects.filter(key="closed_2").exists()


def test_a_stage_in_use_cannot_be_switched_off_until_its_cases_move(
    team: dict[str, Any], accepted: dict[str, Any]
) -> None:
    admin = staff_client(team["admin"])
    stage = _stage("accepted")
    # Denied while the case is at it,
    refused = admin.post(f"{SETTINGS}stages/{stage.pk}/active/", {"active": "0"}, follow=True)
    assert "1 case is at this stage" in refused.content.decode()
    stage.refresh_from_db()
    assert stage.active
    # allowed once it has moved on; it then leaves the stage choices and can come back.
    case = Case.objects.get()
    worker = staff_client(team["caseworker"])
    moved = worker.post(f"/staff/cases/{case.reference}/stage/", {"version": case.version, "stage": "verifying"})
    assert moved.status_code == 302
    assert admin.post(f"{SETTINGS}stages/{stage.pk}/active/", {"active": "0"}).status_code == 302
    stage.refresh_from_db()
    assert not stage.active
    assert _audited("pipeline.stage_deactivate", team["admin"])
    case.refresh_from_db()
    to_it = worker.post(f"/staff/cases/{case.reference}/stage/", {"version": case.version, "stage": "accepted"})
    assert to_it.status_code == 400
    assert admin.post(f"{SETTINGS}stages/{stage.pk}/active/", {"active": "1"}).status_code == 302
    stage.refresh_from_db()
    assert stage.active
    assert _audited("pipeline.stage_activate", team["admin"])


def test_closing_reasons_are_managed_the_same_way(team: dict[str, Any]) -> None:
    admin = staff_client(team["admin"])
    added = admin.post(f"{SETTINGS}reasons/add/", {"reason-name_en": "Moved on", "reason-name_ru": MOVED_ON_RU})
    assert added.status_code == 302
    reason = ClosingReason.objects.get(name_en="Moved on")
    assert list(ClosingReason.objects.values_list("key", flat=True))[-1] == "moved_on"
    assert admin.post(f"{SETTINGS}reasons/{reason.pk}/move/", {"direction": "up"}).status_code == 302
    assert list(ClosingReason.objects.values_list("key", flat=True))[-2] == "moved_on"
    renamed = admin.post(f"{SETTINGS}reasons/{reason.pk}/", {"name_en": "Left on their own", "name_ru": LEFT_RU})
    assert renamed.status_code == 302
    # Switching off is fine while one reason stays; the last one cannot go.
    for other in ClosingReason.objects.exclude(pk=reason.pk):
        assert admin.post(f"{SETTINGS}reasons/{other.pk}/active/", {"active": "0"}).status_code == 302
    last = admin.post(f"{SETTINGS}reasons/{reason.pk}/active/", {"active": "0"}, follow=True)
    assert "at least one closing reason" in last.content.decode()
    assert list(ClosingReason.objects.filter(active=True)) == [reason]
    for action in ("add", "move", "rename", "deactivate"):
        assert _audited(f"pipeline.reason_{action}", team["admin"])
    # Every change is listed with its time on the settings page.
    page = admin.get(SETTINGS).content.decode()
    assert "Closing reason renamed" in page
    assert "Closing reason switched off" in page
