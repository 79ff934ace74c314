"""Documentation: incidents (events), the acts each victim suffered, perpetrators, places, sources, the
information each source gave, interventions and evidence with its chain of custody (HURIDOCS' events model).

The line between clear and sealed (docs/threat-model.md, "Documentation"): what statistics are computed
from stays in clear — act types, methods, consequences, dates with their precision, country and
subdivision, the known place, perpetrator entities and types, numbers of victims, verification status,
grades, intervention kinds. Everything that could identify a victim or a source is sealed: titles,
narratives, exact locations, notes, victims' identities and their link to a case, sources' identities,
what each source said, evidence descriptions, the evidence's hash and the evidence itself.

Key sets (DESIGN.md, "Key sets by purpose"): an incident has its own (its narrative, acts, involvements,
information, interventions); each victim has their own (so a caseworker who links a victim to a case
opens that victim and nothing else of the incident); each source has its own (a source told us of several
incidents); each evidence item has its own (it can be handed to a partner without the incident).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ferry.vault.models import SealedField, SealedRecord


class Precision(models.TextChoices):
    """How much of a date is known; the stored date is the first day of what is known."""

    DAY = "day", _("Exact day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")
    APPROXIMATE = "approximate", _("Approximate")


class PlacePrecision(models.IntegerChoices):
    """ACLED's geo-precision: how exactly the place of an incident is known."""

    EXACT = 1, _("Exact place")
    DISTRICT = 2, _("District or town")
    REGION = 3, _("Region")


class Verification(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    PARTLY = "partly", _("Partly verified")
    VERIFIED = "verified", _("Verified")
    DISPUTED = "disputed", _("Disputed")


class Vocabulary(models.TextChoices):
    ACT_TYPE = "act_type", _("Act types")
    METHOD = "method", _("Methods")
    CONSEQUENCE = "consequence", _("Consequences")
    PERPETRATOR_TYPE = "perpetrator_type", _("Perpetrator types")


class Term(models.Model):
    """One entry of a vocabulary tree (unlimited depth). The code never changes and is never deleted while
    anything uses it; administrators rename (both languages) and deprecate (no longer offered)."""

    vocabulary = models.CharField(max_length=20, choices=Vocabulary.choices)
    code = models.SlugField(max_length=60)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    label_en = models.CharField(max_length=120)
    label_ru = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    deprecated_at = models.DateTimeField(null=True, blank=True)
    # Perpetrator types of private individuals (relatives, neighbours): never recorded as a named entity in
    # the clear register; who they are goes into the involvement's sealed detail.
    private = models.BooleanField(default=False)

    class Meta:
        ordering = ["vocabulary", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["vocabulary", "code"], name="term_code_once")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_ru if (get_language() or "").startswith("ru") else self.label_en


class Place(models.Model):
    """A known place, e.g. a place of detention, with its own history of incidents. Its name is in clear:
    a place entity names a public place, never a person's address (that is an incident's sealed location)."""

    class Kind(models.TextChoices):
        DETENTION = "detention", _("Place of detention")
        POLICE = "police", _("Police station")
        MILITARY = "military", _("Military base")
        PUBLIC = "public", _("Public place")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=160)
    name_translit = models.CharField(max_length=160, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.DETENTION)
    country = models.CharField(max_length=2)
    subdivision = models.CharField(max_length=6, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["country", "name"], name="place_name_once")]

    def __str__(self) -> str:
        return self.name


class Dated(models.Model):
    """A start and an end, each with its precision. The end, when known, is never before the start."""

    start_date = models.DateField()
    start_precision = models.CharField(max_length=12, choices=Precision.choices, default=Precision.DAY)
    end_date = models.DateField(null=True, blank=True)
    end_precision = models.CharField(max_length=12, choices=Precision.choices, blank=True)

    class Meta:
        abstract = True


class Incident(SealedRecord, Dated):
    reference = models.CharField(max_length=7, unique=True)
    country = models.CharField(max_length=2)
    subdivision = models.CharField(max_length=6, blank=True)
    place_precision = models.PositiveSmallIntegerField(choices=PlacePrecision.choices, default=PlacePrecision.REGION)
    place = models.ForeignKey(Place, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents")
    victim_count = models.PositiveIntegerField(default=1)
    verification = models.CharField(max_length=12, choices=Verification.choices, default=Verification.UNVERIFIED)
    # Restricted: sealed only to named people, never shared with the documentation team as a whole.
    restricted = models.BooleanField(default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)
    # The title, one envelope per row on list pages.
    card = SealedField()
    narrative = SealedField()
    location = SealedField()
    notes = SealedField()

    class Meta:
        indexes = [
            models.Index(fields=["start_date"]),
            models.Index(fields=["country", "start_date"], name="incident_country_order"),
            models.Index(fields=["country", "subdivision", "start_date"]),
            models.Index(fields=["verification", "start_date"]),
            models.Index(fields=["place", "start_date"]),
        ]

    def __str__(self) -> str:
        return self.reference


class Victim(SealedRecord):
    """One person who suffered acts in one incident, under their own key set. Identity (name, age, and
    SOGIESC as four separate fields) and the link to a Ferry case are sealed."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="victims")
    position = models.PositiveIntegerField(default=1)
    identity = SealedField()
    case_link = SealedField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["position"]


class Act(SealedRecord, Dated):
    """One violation suffered by one victim in one incident; sealed under the incident's key set."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="acts")
    victim = models.ForeignKey(Victim, on_delete=models.CASCADE, related_name="acts")
    act_type = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="+")
    method = models.ForeignKey(Term, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    consequence = models.ForeignKey(Term, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    notes = SealedField()

    class Meta:
        indexes = [models.Index(fields=["act_type", "start_date"])]


class Perpetrator(models.Model):
    """A person acting in an official capacity, a unit or an institution, in the clear register that
    dossiers and statistics name. Private individuals are never entered here (see Term.private)."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        UNIT = "unit", _("Unit")
        INSTITUTION = "institution", _("Institution")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    perpetrator_type = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="+")
    name_original = models.CharField(max_length=200)
    name_translit = models.CharField(max_length=200, blank=True)
    # Lower-cased, spaces folded: two entries of the same name and kind are refused as a duplicate.
    name_key = models.CharField(max_length=200)
    country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["name_original"]
        constraints = [models.UniqueConstraint(fields=["kind", "name_key"], name="perpetrator_once")]

    def __str__(self) -> str:
        return self.name_original


class Position(models.Model):
    """A position a perpetrator held over time: in which unit, with which rank."""

    perpetrator = models.ForeignKey(Perpetrator, on_delete=models.CASCADE, related_name="positions")
    unit = models.ForeignKey(Perpetrator, on_delete=models.PROTECT, null=True, blank=True, related_name="members")
    title = models.CharField(max_length=160, blank=True)
    rank = models.CharField(max_length=80, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date"]


class PerpetratorLink(models.Model):
    class Kind(models.TextChoices):
        COMMANDS = "commands", _("commands")
        BELONGS_TO = "belongs_to", _("belongs to")

    source = models.ForeignKey(Perpetrator, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Perpetrator, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=12, choices=Kind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "target", "kind"], name="perpetrator_link_once")]


class Degree(models.TextChoices):
    DIRECT = "direct", _("Direct perpetrator")
    ORDERED = "ordered", _("Ordered it")
    PRESENT = "present", _("Present")
    FAILED = "failed_to_investigate", _("Failed to investigate")
    UNKNOWN = "unknown", _("Unknown")


class Involvement(SealedRecord):
    """A perpetrator's part in an act: a registered entity, or only a type (a relative); detail sealed."""

    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="involvements")
    perpetrator = models.ForeignKey(
        Perpetrator, on_delete=models.PROTECT, null=True, blank=True, related_name="involvements"
    )
    perpetrator_type = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="+")
    degree = models.CharField(max_length=24, choices=Degree.choices, default=Degree.UNKNOWN)
    detail = SealedField()

    class Meta:
        indexes = [models.Index(fields=["perpetrator", "act"])]


class IncidentTerm(models.Model):
    """A clear index of the terms an incident carries: each act type and method of its acts and each type of
    perpetrator involved, with every term above it in its tree, once per incident, beside the incident's own
    sort key (start date, then creation). A filter on a term walks this index in the list's order and stops
    at the page's end, instead of gathering every act of that type (ferry.incidents.term_index keeps it).
    Nothing here is more than the acts and involvements already say in clear."""

    # No index of their own: the unique pair leads with the incident, the ordered index with the term.
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="terms", db_index=False)
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="+", db_index=False)
    start_date = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "term"], name="incident_term_once")]
        indexes = [models.Index(fields=["term", "start_date", "created_at"], name="incident_term_order")]


class IncidentPerpetrator(models.Model):
    """The same clear index for the register: each perpetrator entity involved in an incident's acts, once
    per incident, beside the incident's sort key, so the list filtered on a unit walks it in order."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="perpetrator_entries", db_index=False)
    perpetrator = models.ForeignKey(Perpetrator, on_delete=models.CASCADE, related_name="+", db_index=False)
    start_date = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "perpetrator"], name="incident_perpetrator_once")]
        indexes = [models.Index(fields=["perpetrator", "start_date", "created_at"], name="incident_perpetrator_order")]


class ActCount(models.Model):
    """Acts counted by month of their start date, the incident's country, subdivision and verification, and
    the act type as recorded: kept exact in the same transaction as every act written, moved or removed
    (ferry.incidents.act_counts), so that a count over a million incidents reads a few hundred thousand
    rows at most instead of every act. Clear fields only, as the acts themselves."""

    month = models.DateField()
    country = models.CharField(max_length=2)
    subdivision = models.CharField(max_length=6)
    verification = models.CharField(max_length=12)
    act_type = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="+")
    acts = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "country", "subdivision", "verification", "act_type"], name="act_count_once"
            )
        ]
        indexes = [
            models.Index(fields=["country", "subdivision", "month"], name="act_count_place"),
            # The whole count's order, with the number: read from the index alone.
            models.Index(fields=["month", "subdivision", "act_type", "acts"], name="act_count_cells"),
        ]


class Source(SealedRecord):
    """Who told us or where it was found, under its own key set; graded A (reliable) to F (cannot judge)."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        MEDIA = "media", _("Media item")
        DOCUMENT = "document", _("Document")

    class Reliability(models.TextChoices):
        A = "A", _("A — completely reliable")
        B = "B", _("B — usually reliable")
        C = "C", _("C — fairly reliable")
        D = "D", _("D — not usually reliable")
        E = "E", _("E — unreliable")
        F = "F", _("F — reliability cannot be judged")

    reference = models.CharField(max_length=7, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reliability = models.CharField(max_length=1, choices=Reliability.choices, default=Reliability.F)
    identity = SealedField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")


class Information(SealedRecord):
    """What one source said about one incident, graded 1 (confirmed) to 6 (cannot judge); under the
    incident's key set (the summary is about the incident; who the source is stays in the source's)."""

    class Credibility(models.IntegerChoices):
        CONFIRMED = 1, _("1 — confirmed by other sources")
        PROBABLY = 2, _("2 — probably true")
        POSSIBLY = 3, _("3 — possibly true")
        DOUBTFUL = 4, _("4 — doubtful")
        IMPROBABLE = 5, _("5 — improbable")
        UNKNOWN = 6, _("6 — truth cannot be judged")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="information")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="information")
    credibility = models.PositiveSmallIntegerField(choices=Credibility.choices, default=Credibility.UNKNOWN)
    received_on = models.DateField()
    summary = SealedField()


class Intervention(SealedRecord):
    """What the organisation did about an incident; the kind and date in clear (advocacy counts them)."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", _("Referral")
        COMPLAINT = "complaint", _("Complaint filed")
        GOVERNMENT = "government", _("Submission to a government")
        UN = "un", _("Submission to a UN body")
        OTHER = "other", _("Other")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="interventions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    on = models.DateField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    detail = SealedField()


class Evidence(SealedRecord):
    """An evidence file under its own key set, never altered. The SHA-256 of the original bytes is taken at
    acquisition and sealed with the record (in clear it would let a seized file be matched to it); the
    SHA-256 of the stored ciphertext is in clear, so a command can check storage without any key.
    A working copy (redacted, transcript, excerpt) is another Evidence row pointing at its original."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Audio")
        DOCUMENT = "document", _("Document")
        WEB = "web", _("Web capture")

    class CopyKind(models.TextChoices):
        REDACTED = "redacted", _("Redacted copy")
        TRANSCRIPT = "transcript", _("Transcript")
        EXCERPT = "excerpt", _("Excerpt")

    reference = models.CharField(max_length=7, unique=True)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    original = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="copies")
    copy_kind = models.CharField(max_length=12, choices=CopyKind.choices, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file_id = models.UUIDField()
    size = models.PositiveBigIntegerField()
    stored_sha256 = models.CharField(max_length=64)
    acquired_at = models.DateTimeField()
    acquired_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence")
    # {"sha256", "name", "content_type", "description", "how"}: one envelope.
    record = SealedField()


class CustodyEvent(SealedRecord):
    """One link of an evidence item's chain of custody. Each entry's hash covers the previous entry's hash,
    this entry's clear fields and a digest of its sealed detail, so an entry edited, removed or inserted in
    the database breaks the chain (incidents.custody.chain_verify). The digest, not the ciphertext: re-keying
    (taking an incident away from someone) re-encrypts the detail, and must not break the chain; the detail
    carries a random salt, so the digest cannot be matched against a guess."""

    class Action(models.TextChoices):
        ACQUIRED = "acquired", _("Acquired")
        VIEWED = "viewed", _("Viewed")
        COPIED = "copied", _("Working copy made")
        EXPORTED = "exported", _("Exported")
        HANDED = "handed", _("Handed to a partner")
        CHECKED = "checked", _("Hash re-checked")
        CHECK_FAILED = "check_failed", _("Hash check failed")

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="custody")
    sequence = models.PositiveIntegerField()
    action = models.CharField(max_length=14, choices=Action.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    detail = SealedField()
    detail_digest = models.CharField(max_length=64)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["evidence", "sequence"]
        constraints = [models.UniqueConstraint(fields=["evidence", "sequence"], name="custody_sequence_once")]


def first_day(year: int, month: int | None, day: int | None) -> date:
    return date(year, month or 1, day or 1)


# Imports keep their own module; imported here so Django registers their models with this app.
from ferry.incidents.custody_models import VerifyFinding, VerifyRun  # noqa: E402, F401
from ferry.incidents.import_models import ImportedIncident, ImportJob  # noqa: E402, F401
from ferry.incidents.tally_models import ActPlaceTally, ActTally, IncidentTally, TallyState  # noqa: E402, F401
