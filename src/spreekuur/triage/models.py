"""Triage: the red-flag questions that guard online booking and e-consult (DESIGN.md §3.3)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from spreekuur.core.models import Practice


class RedFlagAdvice(models.TextChoices):
    CALL_112 = "112", _("Bel 112")
    CALL_PRACTICE = "spoedlijn", _("Bel de spoedlijn van de praktijk")


class RedFlag(models.Model):
    """A complaint that must never be booked online. Rows without a practice are the
    national baseline: they hold for every practice and cannot be switched off there;
    a practice can only add its own."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, null=True, blank=True, related_name="red_flags"
    )
    code = models.SlugField(max_length=40)
    question = models.CharField(_("vraag"), max_length=200)
    advice = models.CharField(_("advies"), max_length=10, choices=RedFlagAdvice.choices)
    extra_advice = models.CharField(_("extra advies"), max_length=200, blank=True)
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "code"],
                condition=Q(practice__isnull=False),
                name="red_flag_code_per_practice",
            ),
            models.UniqueConstraint(
                fields=["code"], condition=Q(practice__isnull=True), name="red_flag_code_baseline"
            ),
            # The baseline cannot be switched off (the practice may extend, not weaken).
            models.CheckConstraint(
                condition=Q(practice__isnull=False) | Q(active=True),
                name="red_flag_baseline_always_active",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_baseline(self) -> bool:
        return self.practice_id is None

    @property
    def calls_112(self) -> bool:
        """A "yes" means 112 (otherwise the practice's urgent line)."""
        return self.advice == RedFlagAdvice.CALL_112


class ComplaintFlow(models.Model):
    """One version of a complaint's self-triage flow (a checked document, `triage.flows`).

    Rows are never changed in place: a new text or a new national version is a new row,
    so a stored triage session always points at the flow as the patient saw it. Rows
    without a practice are the national flows the code ships; a practice adds its own
    flows, or a version of a national one with its own texts (`based_on`)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code = models.SlugField(max_length=40)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=80)
    definition = models.JSONField()
    source_name = models.CharField(max_length=400)
    source_url = models.URLField(max_length=300)
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "code", "version"],
                condition=Q(practice__isnull=False),
                name="flow_version_per_practice",
            ),
            models.UniqueConstraint(
                fields=["code", "version"],
                condition=Q(practice__isnull=True),
                name="flow_version_national",
            ),
            # A national flow is never switched off by a practice (the code ships it).
            models.CheckConstraint(
                condition=Q(practice__isnull=False) | Q(active=True),
                name="flow_national_always_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def is_national(self) -> bool:
        return self.practice_id is None


class TriageChannel(models.TextChoices):
    PORTAL = "portaal", _("portaal")
    WEBSITE = "website", _("praktijkpagina")
    WIDGET = "widget", _("website van de praktijk")


class TriageUse(models.TextChoices):
    NONE = "", _("nog niet")
    BOOKING = "afspraak", _("afspraak")
    ECONSULT = "e-consult", _("e-consult")


class TriageSession(models.Model):
    """A finished self-triage: which flow (version), the answers as a walk ("0.2.1") and
    the outcome. An anonymous one (the practice's website) has no patient and no user,
    and nothing else about the person: no address, no browser, no free text."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    flow = models.ForeignKey(ComplaintFlow, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    started_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=TriageChannel.choices)
    walk = models.CharField(max_length=40)
    urgency = models.CharField(max_length=2)
    outcome_id = models.SlugField(max_length=40)
    red_flag = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    used_for = models.CharField(max_length=10, choices=TriageUse.choices, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["practice", "created_at"], name="triage_session_by_day"),
            models.Index(
                fields=["patient", "-created_at"],
                condition=Q(patient__isnull=False),
                name="triage_session_of_patient",
            ),
        ]
        constraints = [
            # Unique with its practice (the public id first, for lookups by it): ready to
            # be distributed by practice (docs/production.md, Citus).
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="triage_session_public_id"
            ),
            # Anonymous means no one: a session without a patient has no user either.
            models.CheckConstraint(
                condition=Q(patient__isnull=False) | Q(started_by__isnull=True),
                name="triage_session_anonymous_is_anonymous",
            ),
            models.CheckConstraint(
                condition=Q(urgency__in=["U0", "U1", "U2", "U3", "U4", "U5"]),
                name="triage_session_urgency_known",
            ),
        ]

    def __str__(self) -> str:
        return f"triage {self.public_id}"


class FaqAnswer(models.Model):
    """The practice's own answer to a practical question for the FAQ assistant: it
    replaces the shipped default of the same key (or hides it, when switched off), or
    adds a question of its own. Never medical advice: medical questions go to triage."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    key = models.SlugField(max_length=60)
    question = models.CharField(_("vraag"), max_length=200)
    answer = models.TextField(_("antwoord"), max_length=1500)
    keywords = models.CharField(
        _("andere woorden"),
        max_length=300,
        blank=True,
        help_text=_("Woorden die patiënten ook gebruiken, gescheiden door komma's."),
    )
    active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["question"]
        constraints = [
            models.UniqueConstraint(fields=["public_id", "practice"], name="faq_answer_public_id"),
            models.UniqueConstraint(fields=["practice", "key"], name="faq_answer_key_once"),
        ]

    def __str__(self) -> str:
        return self.key


class QuestionnaireStatus(models.TextChoices):
    DRAFT = "concept", _("concept")
    PUBLISHED = "in-gebruik", _("in gebruik")
    RETIRED = "vervangen", _("vervangen")


class QuestionnairePurpose(models.TextChoices):
    PREPARATION = "consultvoorbereiding", _("voorbereiding op een afspraak")
    SURVEY = "enquete", _("enquête")
    OTHER = "overig", _("overig")


class Questionnaire(models.Model):
    """One version of a questionnaire (a checked document, `triage.questionnaires`).

    A draft is edited in the builder; once published it never changes (a new version is
    a new row), so every answer points at the questions as the patient saw them. Rows
    without a practice are the sets the code ships: a practice takes one over as its
    own draft. An anonymous questionnaire stores its answers without anyone's name."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code = models.SlugField(max_length=40)
    version = models.PositiveIntegerField()
    title = models.CharField(_("titel"), max_length=120)
    purpose = models.CharField(_("doel"), max_length=20, choices=QuestionnairePurpose.choices)
    anonymous = models.BooleanField(_("anoniem"), default=False)
    definition = models.JSONField()
    status = models.CharField(max_length=10, choices=QuestionnaireStatus.choices)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "code", "version"],
                condition=Q(practice__isnull=False),
                name="questionnaire_version_per_practice",
            ),
            models.UniqueConstraint(
                fields=["code", "version"],
                condition=Q(practice__isnull=True),
                name="questionnaire_version_shipped",
            ),
            # At most one version of a questionnaire is in use, and one draft.
            models.UniqueConstraint(
                fields=["practice", "code", "status"],
                condition=Q(practice__isnull=False, status__in=["concept", "in-gebruik"]),
                name="questionnaire_one_draft_one_in_use",
            ),
            models.CheckConstraint(
                condition=Q(practice__isnull=False) | Q(status="in-gebruik"),
                name="questionnaire_shipped_is_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def is_shipped(self) -> bool:
        return self.practice_id is None

    @property
    def is_draft(self) -> bool:
        return self.status == QuestionnaireStatus.DRAFT

    @property
    def is_published(self) -> bool:
        return self.status == QuestionnaireStatus.PUBLISHED


class QuestionnaireMailing(models.Model):
    """A questionnaire sent to a group of patients at once (the yearly satisfaction
    survey): who was chosen (described, not listed) and how far the notices are."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    group = models.CharField(max_length=200)  # how the group was chosen, in words
    invited = models.PositiveIntegerField(default=0)
    closes_on = models.DateField()
    sent_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="questionnaire_mailing_public_id"
            ),
        ]

    def __str__(self) -> str:
        return f"verzending {self.public_id}"


class InvitationReason(models.TextChoices):
    APPOINTMENT = "afspraak", _("voor een afspraak")
    GROUP = "groep", _("aan een groep")
    SINGLE = "los", _("los")


class QuestionnaireInvitation(models.Model):
    """A questionnaire waiting for one patient in the portal. For an anonymous
    questionnaire it only records *that* the patient answered (to count the response and
    not ask twice), never when or what: the answer itself is stored without a link."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10, choices=InvitationReason.choices)
    mailing = models.ForeignKey(
        QuestionnaireMailing,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    answer_before = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)
    answered = models.BooleanField(default=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(
                fields=["patient", "-sent_at"],
                condition=Q(answered=False, withdrawn_at__isnull=True),
                name="questionnaire_open_of_patient",
            ),
            models.Index(
                fields=["practice", "sent_at"],
                condition=Q(notified_at__isnull=True),
                name="questionnaire_to_notify",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="questionnaire_invitation_public_id"
            ),
            models.UniqueConstraint(
                fields=["practice", "mailing", "patient"],
                condition=Q(mailing__isnull=False),
                name="questionnaire_invited_once_per_mailing",
            ),
        ]

    def __str__(self) -> str:
        return f"uitnodiging {self.public_id}"

    @property
    def is_open(self) -> bool:
        return not self.answered and self.withdrawn_at is None


class QuestionnaireResponse(models.Model):
    """The answers to one questionnaire. Named: the patient, who filled it in (the
    patient or who acts for them), when, and the invitation. Anonymous: none of these,
    only the questionnaire and the mailing it answered, so that the results can be
    counted per mailing and nobody can trace an answer back."""

    public_id = models.UUIDField(default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    mailing = models.ForeignKey(
        QuestionnaireMailing,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="responses",
    )
    invitation = models.ForeignKey(
        QuestionnaireInvitation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    answered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answers = models.JSONField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["questionnaire", "mailing"], name="questionnaire_answers"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["public_id", "practice"], name="questionnaire_response_public_id"
            ),
            # One answer per invitation (anonymous ones have none to count by).
            models.UniqueConstraint(
                fields=["practice", "invitation"],
                condition=Q(invitation__isnull=False),
                name="questionnaire_answered_once",
            ),
            # Anonymous means no one and no moment: nothing to trace it back by.
            models.CheckConstraint(
                condition=(
                    Q(patient__isnull=False, answered_by__isnull=False, submitted_at__isnull=False)
                    | Q(
                        patient__isnull=True,
                        answered_by__isnull=True,
                        invitation__isnull=True,
                        submitted_at__isnull=True,
                    )
                ),
                name="questionnaire_response_named_or_anonymous",
            ),
        ]

    def __str__(self) -> str:
        return f"antwoorden {self.public_id}"

    @property
    def is_anonymous(self) -> bool:
        return self.patient_id is None


class PendingAnswer(models.Model):
    """An anonymous answer waiting for its mailing to close. Written in the transaction
    that marks the invitation answered (and logs it), so its row sits next to theirs in
    write order; when the mailing closes, all its waiting answers move together, in a
    shuffled order, into QuestionnaireResponse, and these rows are deleted. Nothing here
    but the answers and the mailing."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    mailing = models.ForeignKey(
        QuestionnaireMailing, on_delete=models.CASCADE, related_name="pending_answers"
    )
    answers = models.JSONField()

    def __str__(self) -> str:
        return "wachtend antwoord"
