"""Lab results: the test table (NHG-Tabel 45, as data), what came in through the lab doors
(kept whole, with a reason when it could not be used), and the results themselves with the
GP's comment, without which nothing reaches the portal (DESIGN.md §3.1)."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from spreekuur.core.models import Practice
from spreekuur.core.tokens import hash_token, new_token
from spreekuur.patients.models import Patient


class LabTest(models.Model):
    """One test (bepaling) of NHG-Tabel 45. The table changes twice a year, so it is data:
    `spreekuur load_lab_tests` refreshes it from the CSV in results/data/."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    nhg_code = models.CharField(_("NHG-bepalingnummer"), max_length=6, unique=True)
    mnemonic = models.CharField(_("memocode"), max_length=8)
    name = models.CharField(_("omschrijving"), max_length=120)
    patient_name = models.CharField(_("naam voor de patiënt"), max_length=120)
    about = models.CharField(_("uitleg voor de patiënt"), max_length=300, blank=True)
    unit = models.CharField(_("eenheid"), max_length=20, blank=True)
    loinc = models.CharField(_("LOINC-code"), max_length=12, blank=True, db_index=True)
    decimals = models.PositiveSmallIntegerField(_("decimalen"), default=1)

    class Meta:
        ordering = ["patient_name"]

    def __str__(self) -> str:
        return f"{self.nhg_code} {self.mnemonic}"

    def range_for(self, *, sex: str, age: int) -> ReferenceRange | None:
        """The reference range for this sex and age, from the prefetched ranges."""
        for candidate in self.ranges.all():
            if candidate.applies_to(sex=sex, age=age):
                return candidate
        return None


class ReferenceRange(models.Model):
    """A normal range, by sex and age where they differ (empty sex: everyone)."""

    test = models.ForeignKey(LabTest, on_delete=models.CASCADE, related_name="ranges")
    sex = models.CharField(_("geslacht"), max_length=1, blank=True)
    age_from = models.PositiveSmallIntegerField(_("vanaf leeftijd"), default=0)
    age_below = models.PositiveSmallIntegerField(_("tot leeftijd"), null=True, blank=True)
    low = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    high = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)

    class Meta:
        # The most specific range first: sex-specific before "everyone".
        ordering = ["test", "-sex", "age_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(low__isnull=False) | Q(high__isnull=False), name="range_has_a_bound"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test_id} {self.sex or '*'} {self.age_from}-{self.age_below or ''}"

    def applies_to(self, *, sex: str, age: int) -> bool:
        if self.sex and self.sex != sex:
            return False
        return self.age_from <= age and (self.age_below is None or age < self.age_below)


class Door(models.TextChoices):
    HL7V2 = "hl7v2", _("HL7 v2")
    FHIR = "fhir", _("FHIR")
    CSV = "csv", _("CSV")


class MessageStatus(models.TextChoices):
    IMPORTED = "verwerkt", _("verwerkt")
    PARTIAL = "gedeeltelijk", _("gedeeltelijk verwerkt")
    UNMATCHED = "niet-gekoppeld", _("patiënt niet gevonden")
    QUARANTINED = "quarantaine", _("in quarantaine")
    HANDLED = "afgehandeld", _("afgehandeld")
    # The same report already waits on the work list (it came through another door).
    DUPLICATE = "dubbel", _("al op de werklijst")


# What still needs someone at the practice.
OPEN_STATUSES = (MessageStatus.PARTIAL, MessageStatus.UNMATCHED, MessageStatus.QUARANTINED)


class LabMessage(models.Model):
    """One report as received (one patient's part of a message), kept whole so that nothing
    is lost: what could not be used waits here with its reason."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    door = models.CharField(_("ingang"), max_length=6, choices=Door.choices)
    digest = models.CharField(max_length=64)
    part = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(_("bron"), max_length=120, blank=True)
    sender = models.CharField(_("laboratorium"), max_length=120, blank=True)
    message_id = models.CharField(_("berichtnummer"), max_length=120, blank=True)
    raw = models.TextField()
    status = models.CharField(_("status"), max_length=16, choices=MessageStatus.choices)
    reason = models.TextField(_("reden"), blank=True)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who the lab says the patient is, for the work list when no patient matched.
    identity = models.JSONField(default=dict, blank=True)
    result_count = models.PositiveIntegerField(default=0)
    # What the report says, whatever door or bytes it came in: one work-list entry for it.
    report_key = models.CharField(max_length=64, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "digest", "part"], name="lab_message_once_per_practice"
            ),
            models.UniqueConstraint(
                fields=["practice", "report_key"],
                condition=Q(status__in=OPEN_STATUSES) & ~Q(report_key=""),
                name="lab_message_open_once_per_report",
            ),
        ]
        indexes = [models.Index(fields=["practice", "status", "received_at"])]

    def __str__(self) -> str:
        return f"lab message {self.public_id}"

    @property
    def is_open(self) -> bool:
        """It still needs someone at the practice (the work list)."""
        return self.status in OPEN_STATUSES

    @property
    def is_unmatched(self) -> bool:
        """The lab's patient was not found: the assistant links it to one."""
        return self.status == MessageStatus.UNMATCHED

    @property
    def is_partial(self) -> bool:
        """Some results could not be stored: it can be read again later."""
        return self.status == MessageStatus.PARTIAL

    @staticmethod
    def digest_of(raw: bytes) -> str:
        return hashlib.sha256(raw).hexdigest()


class Flag(models.TextChoices):
    NORMAL = "", _("binnen de referentiewaarden")
    LOW = "L", _("lager dan normaal")
    HIGH = "H", _("hoger dan normaal")
    CRITICAL_LOW = "LL", _("veel lager dan normaal")
    CRITICAL_HIGH = "HH", _("veel hoger dan normaal")
    ABNORMAL = "A", _("afwijkend")
    # A qualitative result the lab calls critical (HL7 "AA"): it goes to the top too.
    CRITICAL_ABNORMAL = "AA", _("sterk afwijkend")


CRITICAL_FLAGS = (Flag.CRITICAL_HIGH, Flag.CRITICAL_LOW, Flag.CRITICAL_ABNORMAL)


class ResultStatus(models.TextChoices):
    """What the lab says of the value (HL7 OBX-11, FHIR Observation.status). Only a final
    or corrected value can go online; a withdrawn one is marked by `withdrawn_at`."""

    FINAL = "definitief", _("definitief")
    CORRECTED = "gecorrigeerd", _("gecorrigeerd")
    PRELIMINARY = "voorlopig", _("voorlopig")
    PENDING = "in-behandeling", _("nog in behandeling")


RELEASABLE_STATUSES = (ResultStatus.FINAL, ResultStatus.CORRECTED)


class ValueKind(models.TextChoices):
    """What kind of value the lab sent, kept as it is: a number (with a comparator such
    as "<"), a text, a code (SNOMED "not detected"), or a ratio (a titer 1:128)."""

    QUANTITY = "getal", _("getal")
    TEXT = "tekst", _("tekst")
    CODED = "code", _("code")
    RATIO = "verhouding", _("verhouding")


class LabResult(models.Model):
    """One value of one test for one patient.

    A result reaches the portal only when `released`; the database refuses a released row
    without a GP's comment, reviewer and review time. A newer version from the lab (a
    correction, or the final value after a preliminary one) is a new row that replaces the
    old; readers skip replaced rows, and the new row needs the GP again."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    message = models.ForeignKey(LabMessage, on_delete=models.PROTECT, related_name="results")
    test = models.ForeignKey(LabTest, on_delete=models.PROTECT, related_name="+")
    # Same base key: the same test in the same lab order; the source key adds the content.
    base_key = models.CharField(max_length=200)
    source_key = models.CharField(max_length=220)
    observed_at = models.DateTimeField(_("afgenomen op"))
    value_kind = models.CharField(
        _("soort waarde"), max_length=10, choices=ValueKind.choices, default=ValueKind.QUANTITY
    )
    value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    comparator = models.CharField(max_length=2, blank=True)
    # As the lab wrote it ("<0.5", "1:128", "niet aangetoond"): what people read.
    value_text = models.CharField(_("uitslag"), max_length=200, blank=True)
    value_code = models.CharField(_("code van de uitslag"), max_length=40, blank=True)
    value_system = models.CharField(_("codestelsel van de uitslag"), max_length=120, blank=True)
    ratio_numerator = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    ratio_denominator = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("eenheid"), max_length=20, blank=True)
    reference_low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    reference_high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    # The range as the lab wrote it ("70_105", "negatief"), also when it has no numbers.
    reference_as_sent = models.CharField(_("referentie van het lab"), max_length=200, blank=True)
    flag = models.CharField(_("afwijking"), max_length=2, choices=Flag.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ResultStatus.choices, default=ResultStatus.FINAL
    )
    # The lab withdrew it (HL7 OBX-11 D or W, FHIR entered-in-error): never online again.
    withdrawn_at = models.DateTimeField(_("ingetrokken op"), null=True, blank=True)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    # A newer version replaces this one (set with the newer row's insert, same
    # transaction): the online index leaves replaced rows out, so the portal's lists and
    # counts read that index alone instead of probing for a newer version row by row.
    replaced = models.BooleanField(default=False, editable=False)
    # The GP whose list it lands on: the one who ordered it, else the patient's own GP.
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("commentaar van de huisarts"), blank=True)
    released = models.BooleanField(_("vrijgegeven"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-observed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "source_key"], name="lab_result_once_per_practice"
            ),
            # Domain rule 1: no release without a GP's comment (blank counts as none).
            models.CheckConstraint(
                condition=Q(released=False)
                | (
                    GreaterThan(Length(Trim("comment")), 0)
                    & Q(reviewed_by__isnull=False, reviewed_at__isnull=False)
                ),
                name="lab_result_released_with_comment",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True) | Q(reviewed_by__isnull=False),
                name="lab_result_reviewed_by_someone",
            ),
            # Only a result still pending at the lab may come without a value.
            models.CheckConstraint(
                condition=~Q(value_text="") | Q(status=ResultStatus.PENDING),
                name="lab_result_has_a_value",
            ),
            # A preliminary or pending value never goes online, however it is written.
            models.CheckConstraint(
                condition=Q(released=False) | Q(status__in=RELEASABLE_STATUSES),
                name="lab_result_released_only_final",
            ),
            models.CheckConstraint(
                condition=Q(released=False) | Q(withdrawn_at__isnull=True),
                name="lab_result_withdrawn_never_online",
            ),
            models.CheckConstraint(
                condition=Q(value_kind=ValueKind.TEXT)
                | Q(value_kind=ValueKind.QUANTITY, value__isnull=False)
                | (Q(value_kind=ValueKind.CODED) & ~Q(value_code=""))
                | Q(
                    value_kind=ValueKind.RATIO,
                    ratio_numerator__isnull=False,
                    ratio_denominator__isnull=False,
                ),
                name="lab_result_value_fits_its_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["practice", "patient", "test", "observed_at"]),
            models.Index(fields=["practice", "base_key"]),
            # The patient's online results (selectors._online): their tests, the newest of
            # each and the counts are read from this index alone, however long the record.
            # It carries the review time too, so "released since the last look"
            # (selectors.new_results) is counted from it alone as well. One index, not a
            # second one by review time: PostgreSQL, which guesses a dozen rows per
            # patient, then took the smaller second one for the per-test lookups too.
            models.Index(
                fields=["practice", "patient", "test", "observed_at", "id"],
                include=["reviewed_at"],
                condition=Q(released=True, replaced=False),
                name="lab_result_online",
            ),
            models.Index(
                fields=["practice", "reviewer", "observed_at"],
                condition=Q(reviewed_at__isnull=True),
                name="lab_result_to_review",
            ),
        ]

    def __str__(self) -> str:
        return f"lab result {self.public_id}"

    @property
    def preliminary(self) -> bool:
        """Not the lab's final word yet (preliminary or still pending): never online."""
        return self.status not in RELEASABLE_STATUSES

    @preliminary.setter
    def preliminary(self, value: bool) -> None:
        # For callers that build rows by the old boolean (bench/results.py).
        self.status = ResultStatus.PRELIMINARY if value else ResultStatus.FINAL

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def status_note(self) -> str:
        """What staff see beside the value when it is not simply final."""
        if self.is_withdrawn:
            return str(_("ingetrokken door het lab"))
        if self.status == ResultStatus.FINAL:
            return ""
        return str(ResultStatus(self.status).label)

    @property
    def out_of_range(self) -> bool:
        return self.flag != Flag.NORMAL

    @property
    def is_low(self) -> bool:
        return self.flag in (Flag.LOW, Flag.CRITICAL_LOW)

    @property
    def is_abnormal(self) -> bool:
        """Out of range without a direction (a qualitative result)."""
        return self.flag in (Flag.ABNORMAL, Flag.CRITICAL_ABNORMAL)

    @property
    def is_critical(self) -> bool:
        """Far out of range: it goes to the top of the GP's list."""
        return self.flag in CRITICAL_FLAGS

    @property
    def review_rank(self) -> int:
        """0 far out of range, 1 out of range, 2 within: the order of the GP's list."""
        return 0 if self.is_critical else 1 if self.out_of_range else 2

    @property
    def awaits_review(self) -> bool:
        """The GP has still to look at it (a withdrawn result needs no comment)."""
        return self.reviewed_at is None and self.withdrawn_at is None

    @property
    def value_display(self) -> str:
        """The value as the lab wrote it, in the reader's language: "5.40" stays "5,40"
        in Dutch (the lab's precision kept), "<0.5" becomes "<0,5"; words stay words."""
        return local_decimals(self.value_text)

    @property
    def reference_text(self) -> str:
        """The range in the reader's language; a range without numbers as the lab wrote it."""
        low, high = self.reference_low, self.reference_high
        if low is not None and high is not None:
            return f"{_plain(low)} - {_plain(high)}"
        if high is not None:
            return f"< {_plain(high)}"
        if low is not None:
            return f"> {_plain(low)}"
        return self.reference_as_sent


# A decimal point between two digits ("5.40", "<0.5", "1.2-3.4"), not a full stop in a text.
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")


def local_decimals(text: str) -> str:
    """Numbers in a lab's text with the active language's decimal separator (a comma in
    Dutch, a point in English), every digit kept as sent."""
    return _DECIMAL_POINT.sub(str(formats.get_format("DECIMAL_SEPARATOR")), text)


def _plain(number: Decimal) -> str:
    """4.5000 → 4,5; 60.0000 → 60 (how a lab writes it), with the language's decimal sign."""
    return local_decimals(format(number.normalize(), "f"))


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class LabLink(models.Model):
    """A lab's connection to one practice's HTTP door; only a hash of its token is kept."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("naam"), max_length=120)
    token_hash = models.CharField(max_length=64, unique=True)
    active = models.BooleanField(_("actief"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    hash_token = staticmethod(hash_token)
    new_token = staticmethod(new_token)
