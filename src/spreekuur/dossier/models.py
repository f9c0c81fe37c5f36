"""The medical record: episodes (ICPC), journal entries per contact in SOEP form,
medication and allergies, each of which a GP can shield from online access.

Clinical rows are never silently overwritten (DESIGN.md §5.6): a correction is a new row
that names the one it replaces, and readers skip replaced rows.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from spreekuur.core.models import Practice
from spreekuur.patients.models import Patient

# ICPC-1 NL (NHG-Tabel 24): a chapter letter and two digits; 01-29 symptoms, 70-99 diseases.
ICPC_CHAPTERS = "ABDFHKLNPRSTUWXYZ"
validate_icpc = RegexValidator(
    rf"^[{ICPC_CHAPTERS}](0[1-9]|[1-9][0-9])$",
    _("Een ICPC-code is een hoofdstukletter en twee cijfers, bijvoorbeeld T90 of R05."),
)


class ClinicalRow(models.Model):
    """What every record row has: its practice and patient, who wrote it and when,
    and whether a GP shielded it from the portal."""

    # Unique with the practice: each concrete model's Meta says so.
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    shielded = models.BooleanField(_("afgeschermd"), default=False)
    shielded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True


class Episode(ClinicalRow):
    icpc_code = models.CharField(_("ICPC-code"), max_length=3, validators=[validate_icpc])
    title = models.CharField(_("omschrijving"), max_length=120)
    started_on = models.DateField(_("begonnen op"))
    ended_on = models.DateField(_("afgesloten op"), null=True, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        # Unique with the practice (public_id first, so lookups by it alone use this index):
        # the form a table distributed by practice_id can keep (docs/production.md).
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="episode_public_id_per_practice"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="episode_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["practice", "patient", "started_on"])]

    def __str__(self) -> str:
        return f"{self.icpc_code} {self.title}"

    @property
    def active(self) -> bool:
        return self.ended_on is None


class ContactKind(models.TextChoices):
    CONSULT = "consult", _("consult")
    PHONE = "telefonisch", _("telefonisch consult")
    VISIT = "visite", _("visite")
    ECONSULT = "e-consult", _("e-consult")
    VIDEO = "beeldbellen", _("beeldbellen")
    OTHER = "overig", _("overig")


class JournalEntry(ClinicalRow):
    """One contact in SOEP form. The portal shows the E (evaluation) and P (plan) lines;
    S and O are the GP's working notes (NHG guidance on online access)."""

    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    contact_on = models.DateField(_("datum contact"))
    kind = models.CharField(_("soort contact"), max_length=12, choices=ContactKind.choices)
    subjective = models.TextField(_("S: wat de patiënt vertelt"), blank=True)
    objective = models.TextField(_("O: wat er is gevonden"), blank=True)
    evaluation = models.TextField(_("E: conclusie"), blank=True)
    plan = models.TextField(_("P: plan"), blank=True)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )

    class Meta:
        ordering = ["-contact_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="journal_entry_public_id_per_practice"
            ),
            models.CheckConstraint(
                condition=~Q(subjective="", objective="", evaluation="", plan=""),
                name="journal_entry_not_empty",
            ),
        ]
        indexes = [models.Index(fields=["practice", "patient", "contact_on"])]

    def __str__(self) -> str:
        return f"journal {self.public_id}"


class GStandaardLevel(models.TextChoices):
    """The levels of the G-Standaard (Z-Index) at which a medicine can be coded."""

    GPK = "gpk", _("GPK (generiek product)")
    PRK = "prk", _("PRK (voorschrijfproduct)")
    HPK = "hpk", _("HPK (handelsproduct)")
    ZI = "zi", _("ZI-nummer (artikel)")


class Medication(ClinicalRow):
    name = models.CharField(_("geneesmiddel"), max_length=150)
    # The medicine's G-Standaard code where the practice knows it: the pharmacy then
    # reads the code, not the name (prescriptions.fhir).
    gstandaard_level = models.CharField(
        _("G-Standaard-niveau"), max_length=3, choices=GStandaardLevel.choices, blank=True
    )
    gstandaard_code = models.CharField(
        _("G-Standaardcode"),
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^\d{1,8}$", _("Een G-Standaardcode is 1 tot 8 cijfers."))],
    )
    dosage = models.CharField(_("dosering"), max_length=150)
    started_on = models.DateField(_("gestart op"))
    ended_on = models.DateField(_("gestopt op"), null=True, blank=True)
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voorschrijver"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    chronic = models.BooleanField(_("chronisch"), default=False)
    # The repeat list: a GP marks chronic medication the patient may request again.
    repeatable = models.BooleanField(_("herhaalbaar"), default=False)
    quantity = models.CharField(_("hoeveelheid per uitgifte"), max_length=60, blank=True)
    control_due_on = models.DateField(_("volgende controle"), null=True, blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="medication_public_id_per_practice"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="medication_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(repeatable=False) | ~Q(quantity=""),
                name="repeatable_medication_has_quantity",
            ),
            models.CheckConstraint(
                condition=Q(gstandaard_level="", gstandaard_code="")
                | (~Q(gstandaard_level="") & ~Q(gstandaard_code="")),
                name="gstandaard_level_and_code_together",
                violation_error_message=_(
                    "Geef bij een G-Standaardcode ook het niveau, en omgekeerd."
                ),
            ),
        ]
        indexes = [models.Index(fields=["practice", "patient", "started_on"])]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.ended_on is None


class AllergyKind(models.TextChoices):
    ALLERGY = "allergie", _("allergie")
    INTOLERANCE = "intolerantie", _("intolerantie")


class Allergy(ClinicalRow):
    substance = models.CharField(_("stof of geneesmiddel"), max_length=150)
    kind = models.CharField(_("soort"), max_length=12, choices=AllergyKind.choices)
    reaction = models.CharField(_("reactie"), max_length=200, blank=True)
    recorded_on = models.DateField(_("vastgelegd op"))

    class Meta:
        ordering = ["substance", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="allergy_public_id_per_practice"
            ),
        ]
        indexes = [models.Index(fields=["practice", "patient"])]

    def __str__(self) -> str:
        return self.substance


# Measurements recorded in the practice, as NHG-Tabel 45 codes (the results app's table).
SYSTOLIC = "1744"  # systolic blood pressure, mmHg
DIASTOLIC = "1740"  # diastolic blood pressure, mmHg
WEIGHT = "357"  # weight, kg
# Only ever measured at home and passed on by the patient (MedMij self-measurements).
GLUCOSE_FASTING_METER = "382"  # glucose nuchter, draagbare meter, mmol/l
GLUCOSE_METER = "381"  # glucose niet nuchter, draagbare meter, mmol/l
HEART_RATE_HOME = "3963"  # hartfrequentie (thuismeting), /min
MEASUREMENT_LIMITS = {
    SYSTOLIC: (50, 300),
    DIASTOLIC: (30, 200),
    WEIGHT: (0.5, 400),
    # A meter reads about 0.6 to 33.3 mmol/l; outside these a value cannot be right.
    GLUCOSE_FASTING_METER: (0.5, 50),
    GLUCOSE_METER: (0.5, 50),
    HEART_RATE_HOME: (20, 250),
    # What the practice nurse measures at a chronic-care control (chroniccare).
    "560": (0.3, 2.5),  # lengte, m
    "1272": (8, 90),  # BMI, kg/m2
    "1875": (20, 250),  # polsfrequentie, /min
    "1675": (10, 100),  # FEV1/FVC, %
    "3657": (0, 9),  # CHA2DS2-VASc, points
}


class MeasurementSource(models.TextChoices):
    PRACTICE = "praktijk", _("gemeten in de praktijk")
    PATIENT = "patient", _("thuismeting van de patiënt")


class Measurement(ClinicalRow):
    """A measurement (blood pressure, weight; from home also blood glucose from a meter
    and heart rate): taken at the practice, or at home and
    passed on by the patient (through an app), which every view marks as such. Shown in
    the portal like the rest of the record (no GP comment needed: not a lab result).

    A blood pressure is two rows, systolic and diastolic; the diastolic row names its
    systolic in `pair`, so that the two travel as one reading (a FHIR blood-pressure panel)."""

    test = models.ForeignKey("results.LabTest", on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("waarde"), max_digits=7, decimal_places=1)
    measured_on = models.DateField(_("gemeten op"))
    source = models.CharField(
        _("bron"),
        max_length=10,
        choices=MeasurementSource.choices,
        default=MeasurementSource.PRACTICE,
    )
    pair = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="partners"
    )

    class Meta:
        ordering = ["-measured_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="measurement_public_id_per_practice"
            ),
        ]
        indexes = [models.Index(fields=["practice", "patient", "measured_on"])]

    def __str__(self) -> str:
        return f"measurement {self.public_id}"

    @property
    def patient_reported(self) -> bool:
        return self.source == MeasurementSource.PATIENT
