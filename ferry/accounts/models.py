"""Staff members, their roles, their signed-in sessions, invitations and the one-time setup token."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from ferry.core.text import without_bidi
from ferry.vault.models import OrderFree, random_id


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    COORDINATOR = "coordinator", _("Coordinator")
    CASEWORKER = "caseworker", _("Caseworker")
    DOCUMENTER = "documenter", _("Documenter")
    ANALYST = "analyst", _("Analyst")
    AUDITOR = "auditor", _("Auditor")


class StaffManager(BaseUserManager["Staff"]):
    def get_by_natural_key(self, username: str | None) -> Staff:
        return self.get(email__iexact=username)


class Staff(AbstractBaseUser):
    """A staff member. The passphrase is never hashed here: it is checked by unwrapping the staff key."""

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    is_active = models.BooleanField(default=False, help_text="False until set-up is complete, and after deactivation.")
    deactivated_at = models.DateTimeField(null=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    objects = StaffManager()

    class Meta:
        verbose_name = "staff member"

    def __str__(self) -> str:
        return f"staff:{self.pk}"

    @property
    def name(self) -> str:
        return without_bidi(self.display_name) or self.email

    def role_set(self) -> set[str]:
        cached: set[str] | None = getattr(self, "_role_cache", None)
        if cached is None:
            cached = set(self.roles.values_list("role", flat=True))
            self._role_cache = cached
        return cached

    def has_role(self, role: str) -> bool:
        return role in self.role_set()


class StaffConfirmation(models.Model):
    """An administrator confirmed in person that a new account's key is the person's (fingerprint read aloud)."""

    staff = models.ForeignKey("Staff", on_delete=models.CASCADE, related_name="confirmations")
    by = models.ForeignKey("Staff", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff", "by"], name="confirmation_once_per_administrator")]


class StaffRole(models.Model):
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff", "role"], name="staff_role_once")]


class StaffSession(models.Model):
    """A signed-in browser. Holds the staff private key wrapped under a key that only the browser's cookie has."""

    id = models.CharField(primary_key=True, max_length=43)
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="sessions")
    wrapped_key = models.BinaryField()
    second_factor_done = models.BooleanField(default=False)
    duress = models.BooleanField(default=False, help_text="Opened with the duress passphrase: show an empty workspace.")
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()


class SetupToken(models.Model):
    """The one-time link that lets the first administrator create their account. Only its hash is kept."""

    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True)


class Invitation(models.Model):
    """A one-time link for a new staff member, valid 72 hours. Only its hash is kept."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    roles = models.JSONField(default=list)
    invited_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True)
    staff = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, related_name="+")


class LoginThrottle(models.Model):
    """Failed-login counters keyed by a keyed hash of the account or client; rows expire."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
    locked_until = models.DateTimeField(null=True)


class StaffAlert(OrderFree, models.Model):
    """An urgent alert shown to staff in the app until acknowledged (duress, lockouts...). No personal data.

    A new request or message raises one: its id is random, so alerts do not number the person's actions."""

    class Kind(models.TextChoices):
        DURESS = "duress", _("Duress login")
        LOCKOUT = "lockout", _("Account locked after failed logins")
        NEW_REQUEST = "new_request", _("New requests for help")
        NEW_MESSAGE = "new_message", _("New message from a person")
        REQUESTER_DURESS = "requester_duress", _("A person used their duress code")
        CASE_ASSIGNED = "case_assigned", _("A case was assigned to you")
        CHECKIN_DUE = "checkin_due", _("A check-in is due")
        CHECKIN_OVERDUE = "checkin_overdue", _("A check-in is overdue")
        CHECKIN_ESCALATED = "checkin_escalated", _("A missed check-in was escalated")
        CHECKIN_LOST = "checkin_lost", _("Lost contact: check-ins missed")
        CHECKIN_DURESS = "checkin_duress", _("Duress check-in: emergency")
        STAFF_PENDING = "staff_pending", _("A new colleague waits to be confirmed in person")
        INTAKE_ATTACK = (
            "intake_attack",
            _("The intake was under attack (codes refused): lost contact is held back, try to reach the person"),
        )
        INTAKE_STORAGE = "intake_storage", _("The intake's storage is nearly full")

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    about_staff = models.ForeignKey(Staff, on_delete=models.CASCADE, null=True, related_name="+")
    reference = models.CharField(max_length=7, blank=True)
    # Activity alerts are e-mailed by the worker's minute sweep (no queued job per event, so no timestamp).
    emailed = models.BooleanField(default=True)
    recipient = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="alerts")
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True)
    acknowledged_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, related_name="+")
    # Check-in alerts: the sweep's step for this plan and due time, so a rerun never raises it twice.
    dedup_key = models.CharField(max_length=64, blank=True)
    # The note that acknowledged a check-in alert may hold personal data: it is sealed in the case's
    # timeline, and only that entry's id is kept here.
    note_event = models.UUIDField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedup_key"], condition=~models.Q(dedup_key=""), name="staff_alert_once"
            )
        ]
        indexes = [models.Index(fields=["reference", "acknowledged_at"], name="staff_alert_by_reference")]


class SecurityKey(models.Model):
    """A WebAuthn security key registered as an optional second factor."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="security_keys")
    name = models.CharField(max_length=60)
    credential_id = models.BinaryField(unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True)
