"""What the API sends and accepts: plain fields, clear vocabulary keys, and decrypted text only where the page
shows it to the same person."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ferry.cases.models import Case, CheckInRecord


class CaseRowSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    stage = serializers.CharField(help_text=_("The stage's key."))
    risk = serializers.ChoiceField(choices=Case.Risk.choices)
    version = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    summary = serializers.CharField(allow_blank=True)
    assignees = serializers.ListField(child=serializers.CharField())
    next_checkin_due_at = serializers.DateTimeField(allow_null=True)
    checkin_state = serializers.CharField(allow_blank=True)
    overdue_tasks = serializers.IntegerField()


class CasePageSerializer(serializers.Serializer[Any]):
    results = CaseRowSerializer(many=True)
    next = serializers.CharField(allow_null=True)


class TaskSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    title = serializers.CharField(allow_blank=True)
    due_on = serializers.DateField()
    owner = serializers.IntegerField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)


class NeedSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    status = serializers.CharField()
    detail = serializers.CharField(allow_blank=True)


class TimelineSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    label = serializers.CharField(allow_blank=True)
    actor = serializers.CharField(allow_blank=True)
    detail = serializers.DictField()


class CaseSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    stage = serializers.CharField()
    risk = serializers.ChoiceField(choices=Case.Risk.choices)
    risk_reason = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    card = serializers.DictField()
    identity = serializers.DictField()
    contacts = serializers.DictField()
    needs = NeedSerializer(many=True)
    tasks = TaskSerializer(many=True)
    timeline = TimelineSerializer(many=True)
    assignees = serializers.ListField(child=serializers.CharField())


class StageChangeSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(min_value=0, help_text=_("The case's version you last read."))
    stage = serializers.CharField(max_length=40)
    reason = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2_000, required=False, allow_blank=True, default="")


class StageChangedSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    stage = serializers.CharField()
    version = serializers.IntegerField()
    plan_ended = serializers.BooleanField()
    plan_stopped = serializers.BooleanField()


class NoteSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=10_000)


class DoneSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    version = serializers.IntegerField()


class CheckInSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField(help_text=_("When the person was heard from, with its time zone."))
    channel = serializers.ChoiceField(choices=CheckInRecord.Channel.choices)
    duress = serializers.BooleanField(default=False)
    note = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")


class CheckInRecordedSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    at = serializers.DateTimeField()
    channel = serializers.CharField()
    duress = serializers.BooleanField()


class TaskAddSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=500)
    due_on = serializers.DateField()
    owner = serializers.IntegerField(required=False, help_text=_("A staff id on the case; yourself if left out."))
