"""Questionnaires: the builder's writes, sending (to one patient, before an appointment, to
a group), answering, and the exports (CSV and FHIR QuestionnaireResponse)."""

from __future__ import annotations

import copy
import csv
import io
import random
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from pydantic import ValidationError

from spreekuur.accounts.models import User
from spreekuur.accounts.selectors import active_membership
from spreekuur.core.audit import BatchAccess, record_access, record_batch_access
from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditAction, Practice
from spreekuur.core.roles import Channel
from spreekuur.core.spreadsheets import safe_cell
from spreekuur.patients.models import Patient
from spreekuur.patients.notices import notify_patient
from spreekuur.patients.portal import portal_capacity
from spreekuur.triage.capabilities import (
    can_build_questionnaires,
    can_export_named_answers,
    can_read_named_answers,
    can_see_questionnaires,
    can_send_questionnaire,
    can_send_to_group,
    can_view_questionnaire_results,
)
from spreekuur.triage.fhir import (
    questionnaire_resource,
    questionnaire_response_resource,
    validated_bundle,
)
from spreekuur.triage.models import (
    InvitationReason,
    PendingAnswer,
    Questionnaire,
    QuestionnaireInvitation,
    QuestionnaireMailing,
    QuestionnairePurpose,
    QuestionnaireResponse,
    QuestionnaireStatus,
)
from spreekuur.triage.questionnaires import (
    MAX_ITEMS,
    Group,
    Item,
    ItemInput,
    Purpose,
    QuestionnaireDocument,
    QuestionnaireInvalid,
    Results,
    aggregate,
    answer_text,
    clean_answers,
    document_problems,
    dutch_problem,
    load_shipped_sets,
    parse_questionnaire,
)
from spreekuur.triage.selectors.questionnaires import (
    countable_mailings,
    document_of,
    group_members,
    published_by_code,
    responses_of,
)

MIN_ANONYMOUS_MAILING = 10
MAILING_OPEN_DAYS = 28  # a survey stays open four weeks unless the practice says otherwise
MAX_MAILING_DAYS = 90


class AnswersInvalid(BusinessRuleError):
    """The form has errors: per item id, a Dutch sentence."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(_("Niet alle antwoorden zijn goed ingevuld. Kijk de vragen na."))


class DraftInvalid(BusinessRuleError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _own_practice(by: User, practice_id: int | None) -> Practice:
    membership = active_membership(by)
    if membership is None or practice_id is None or membership.practice_id != practice_id:
        raise PermissionDenied
    return membership.practice


# Shipped sets --------------------------------------------------------------------------


def sync_shipped_questionnaires(*, using: str = "default") -> int:
    """Store each shipped questionnaire version that is not stored yet (after every
    migrate); stored versions are never changed. Returns how many were added."""
    added = 0
    for document, data in load_shipped_sets():
        _, created = Questionnaire.objects.using(using).get_or_create(
            practice=None,
            code=document.code,
            version=document.version,
            defaults={
                "title": document.title,
                "purpose": document.purpose.value,
                "anonymous": document.anonymous,
                "definition": data,
                "status": QuestionnaireStatus.PUBLISHED,
                "published_at": timezone.now(),
            },
        )
        added += created
    return added


# The builder ---------------------------------------------------------------------------


def _next_version(practice: Practice, code: str) -> int:
    newest = Questionnaire.objects.filter(practice=practice, code=code).aggregate(v=Max("version"))
    return (newest["v"] or 0) + 1


def _free_code(practice: Practice, title: str) -> str:
    base = (slugify(title)[:32].strip("-") or "vragenlijst").lower()
    # Not a shipped set's code either: taking that set over later makes its next version.
    taken = set(
        Questionnaire.objects.filter(
            Q(practice=practice) | Q(practice__isnull=True), code__startswith=base
        ).values_list("code", flat=True)
    )
    code, number = base, 2
    while code in taken:
        code, number = f"{base}-{number}", number + 1
    return code


def _check_details(*, title: str, purpose: str, anonymous: bool) -> str:
    title = title.strip()
    if not 2 <= len(title) <= 120:
        raise BusinessRuleError(_("Geef de vragenlijst een titel van 2 tot 120 tekens."))
    if purpose not in QuestionnairePurpose.values:
        raise BusinessRuleError(_("Kies een doel."))
    if anonymous and purpose == QuestionnairePurpose.PREPARATION:
        raise BusinessRuleError(
            _(
                "Een voorbereiding op een afspraak kan niet anoniem zijn: de zorgverlener "
                "leest de antwoorden bij de afspraak."
            )
        )
    return title


def _create_draft(**fields: Any) -> Questionnaire:
    """A new draft row; the same code and version made a moment ago by someone else (a
    double click) is a clear refusal, not a server error."""
    try:
        with transaction.atomic():
            return Questionnaire.objects.create(**fields)
    except IntegrityError:
        raise BusinessRuleError(
            _("Deze vragenlijst is net al aangemaakt. Kijk in de lijst van de praktijk.")
        ) from None


@transaction.atomic
def create_questionnaire(
    *, practice: Practice, title: str, purpose: str, anonymous: bool, intro: str, by: User
) -> Questionnaire:
    """A new, empty draft of the practice's own."""
    _require(can_build_questionnaires(by))
    _own_practice(by, practice.pk)
    title = _check_details(title=title, purpose=purpose, anonymous=anonymous)
    code = _free_code(practice, title)
    return _create_draft(
        practice=practice,
        code=code,
        version=1,
        title=title,
        purpose=purpose,
        anonymous=anonymous,
        definition={
            "code": code,
            "version": 1,
            "title": title,
            "intro": intro.strip()[:1200],
            "purpose": purpose,
            "anonymous": anonymous,
            "items": [],
        },
        status=QuestionnaireStatus.DRAFT,
        created_by=by,
    )


@transaction.atomic
def adopt_shipped_questionnaire(
    *, practice: Practice, shipped: Questionnaire, by: User
) -> Questionnaire:
    """A practice draft copied from a shipped set (its next version, if the practice has
    the code already), to adjust and publish."""
    _require(can_build_questionnaires(by))
    _own_practice(by, practice.pk)
    if not shipped.is_shipped:
        raise PermissionDenied
    if Questionnaire.objects.filter(
        practice=practice, code=shipped.code, status=QuestionnaireStatus.DRAFT
    ).exists():
        raise BusinessRuleError(_("Van deze vragenlijst staat al een concept klaar."))
    version = _next_version(practice, shipped.code)
    definition = {**copy.deepcopy(shipped.definition), "version": version}
    return _create_draft(
        practice=practice,
        code=shipped.code,
        version=version,
        title=shipped.title,
        purpose=shipped.purpose,
        anonymous=shipped.anonymous,
        definition=definition,
        status=QuestionnaireStatus.DRAFT,
        created_by=by,
    )


@transaction.atomic
def new_version(*, questionnaire: Questionnaire, by: User) -> Questionnaire:
    """A draft copy of a version in use: published versions never change."""
    _require(can_build_questionnaires(by))
    practice = _own_practice(by, questionnaire.practice_id)
    if not questionnaire.is_published:
        raise BusinessRuleError(_("Alleen van een vragenlijst die in gebruik is."))
    existing = Questionnaire.objects.filter(
        practice=practice, code=questionnaire.code, status=QuestionnaireStatus.DRAFT
    ).first()
    if existing is not None:
        return existing
    version = _next_version(practice, questionnaire.code)
    try:
        with transaction.atomic():
            return Questionnaire.objects.create(
                practice=practice,
                code=questionnaire.code,
                version=version,
                title=questionnaire.title,
                purpose=questionnaire.purpose,
                anonymous=questionnaire.anonymous,
                definition={**copy.deepcopy(questionnaire.definition), "version": version},
                status=QuestionnaireStatus.DRAFT,
                created_by=by,
            )
    except IntegrityError:  # someone else made the draft a moment ago
        return Questionnaire.objects.get(
            practice=practice, code=questionnaire.code, status=QuestionnaireStatus.DRAFT
        )


def _locked_draft(questionnaire: Questionnaire, by: User) -> Questionnaire:
    _require(can_build_questionnaires(by))
    _own_practice(by, questionnaire.practice_id)
    draft = Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk).first()
    if draft is None:  # thrown away a moment ago
        raise BusinessRuleError(_("Dit concept bestaat niet meer."))
    if not draft.is_draft:
        raise BusinessRuleError(
            _("Deze versie is al in gebruik en verandert niet meer. Maak een nieuwe versie.")
        )
    return draft


def _store(draft: Questionnaire, definition: dict[str, Any]) -> Questionnaire:
    """Save a draft's definition if the document holds together (an empty draft may)."""
    try:
        items = [Item.model_validate(item) for item in definition["items"]]
    except ValidationError as invalid:
        raise DraftInvalid([dutch_problem(e) for e in invalid.errors()[:10]]) from None
    if len(items) > MAX_ITEMS:
        raise DraftInvalid(
            [_("Een vragenlijst heeft hoogstens %(max)s vragen.") % {"max": MAX_ITEMS}]
        )
    if items:
        problems = document_problems(_draft_document(definition))
        if problems:
            raise DraftInvalid(problems)
    draft.definition = definition
    draft.save(update_fields=["definition", "title", "purpose", "anonymous"])
    return draft


def _draft_document(definition: dict[str, Any]) -> QuestionnaireDocument:
    """The document of a draft, for its checks (raises DraftInvalid on a shape error)."""
    try:
        return QuestionnaireDocument.model_validate(definition)
    except ValidationError as invalid:
        raise DraftInvalid([dutch_problem(e) for e in invalid.errors()[:10]]) from None


@transaction.atomic
def save_questionnaire_details(
    *, questionnaire: Questionnaire, title: str, purpose: str, anonymous: bool, intro: str, by: User
) -> Questionnaire:
    draft = _locked_draft(questionnaire, by)
    title = _check_details(title=title, purpose=purpose, anonymous=anonymous)
    draft.title, draft.purpose, draft.anonymous = title, purpose, anonymous
    definition = {
        **draft.definition,
        "title": title,
        "purpose": purpose,
        "anonymous": anonymous,
        "intro": intro.strip()[:1200],
    }
    return _store(draft, definition)


def _item_dict(item_id: str, given: ItemInput) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": item_id,
        "text": given.text,
        "type": given.type,
        "required": given.required,
    }
    if given.help.strip():
        data["help"] = given.help.strip()
    options = [o.strip() for o in given.options if o.strip()]
    if options:
        data["options"] = options
    for key in ("minimum", "maximum"):
        if getattr(given, key) is not None:
            data[key] = getattr(given, key)
    for key in ("minimum_label", "maximum_label"):
        if getattr(given, key).strip():
            data[key] = getattr(given, key).strip()
    if given.show_if_item:
        data["show_if"] = {
            "item": given.show_if_item,
            "answers": sorted(set(given.show_if_answers)),
        }
    return data


def _new_item_id(items: list[dict[str, Any]]) -> str:
    taken = {item["id"] for item in items}
    number = len(items) + 1
    while f"v{number}" in taken:
        number += 1
    return f"v{number}"


@transaction.atomic
def save_item(
    *, questionnaire: Questionnaire, item_id: str | None, given: ItemInput, by: User
) -> Questionnaire:
    """Add a question to a draft (item_id None) or change one; the draft must hold
    together afterwards (DraftInvalid with the problems, nothing saved)."""
    draft = _locked_draft(questionnaire, by)
    items = list(draft.definition.get("items", []))
    if item_id is None:
        items.append(_item_dict(_new_item_id(items), given))
    else:
        position = next((n for n, item in enumerate(items) if item["id"] == item_id), None)
        if position is None:
            raise BusinessRuleError(_("Deze vraag staat niet (meer) in de vragenlijst."))
        items[position] = _item_dict(item_id, given)
    return _store(draft, {**draft.definition, "items": items})


@transaction.atomic
def remove_item(*, questionnaire: Questionnaire, item_id: str, by: User) -> Questionnaire:
    draft = _locked_draft(questionnaire, by)
    items = [item for item in draft.definition.get("items", []) if item["id"] != item_id]
    depending = [
        n
        for n, item in enumerate(items, start=1)
        if (item.get("show_if") or {}).get("item") == item_id
    ]
    if depending:
        raise DraftInvalid(
            [
                _("Vraag %(numbers)s hangt af van deze vraag. Pas eerst die voorwaarde aan.")
                % {"numbers": ", ".join(str(n) for n in depending)}
            ]
        )
    return _store(draft, {**draft.definition, "items": items})


@transaction.atomic
def move_item(*, questionnaire: Questionnaire, item_id: str, up: bool, by: User) -> Questionnaire:
    draft = _locked_draft(questionnaire, by)
    items = list(draft.definition.get("items", []))
    position = next((n for n, item in enumerate(items) if item["id"] == item_id), None)
    if position is None:
        raise BusinessRuleError(_("Deze vraag staat niet (meer) in de vragenlijst."))
    other = position - 1 if up else position + 1
    if not 0 <= other < len(items):
        return draft
    items[position], items[other] = items[other], items[position]
    return _store(draft, {**draft.definition, "items": items})


@transaction.atomic
def publish_questionnaire(*, questionnaire: Questionnaire, by: User) -> Questionnaire:
    """The draft goes into use (checked whole); the version in use before it retires.
    Invitations already sent keep the version they were sent with."""
    draft = _locked_draft(questionnaire, by)
    try:
        document = parse_questionnaire(draft.definition)
    except QuestionnaireInvalid as invalid:
        raise DraftInvalid(invalid.problems) from None
    if document.anonymous and document.purpose == Purpose.PREPARATION:
        raise DraftInvalid([_("Een voorbereiding op een afspraak kan niet anoniem zijn.")])
    Questionnaire.objects.filter(
        practice=draft.practice, code=draft.code, status=QuestionnaireStatus.PUBLISHED
    ).update(status=QuestionnaireStatus.RETIRED)
    draft.status = QuestionnaireStatus.PUBLISHED
    draft.published_at = timezone.now()
    draft.save(update_fields=["status", "published_at"])
    return draft


@transaction.atomic
def discard_draft(*, questionnaire: Questionnaire, by: User) -> None:
    draft = _locked_draft(questionnaire, by)
    draft.delete()


# Sending -------------------------------------------------------------------------------


def _sendable(questionnaire: Questionnaire, by: User) -> Practice:
    practice = _own_practice(by, questionnaire.practice_id)
    if not questionnaire.is_published:
        raise BusinessRuleError(
            _("Alleen een vragenlijst die in gebruik is, kan verstuurd worden.")
        )
    return practice


@transaction.atomic
def invite_patient(
    *,
    questionnaire: Questionnaire,
    patient: Patient,
    by: User,
    reason: str = InvitationReason.SINGLE,
    answer_before: datetime | None = None,
    now: datetime | None = None,
) -> QuestionnaireInvitation:
    """One patient gets the questionnaire in the portal (a content-free notice follows
    from the notice job). Before an appointment: `answer_before` is its start."""
    _require(can_send_questionnaire(by))
    practice = _sendable(questionnaire, by)
    if patient.practice_id != practice.pk:
        raise PermissionDenied
    if reason not in (InvitationReason.SINGLE, InvitationReason.APPOINTMENT):
        raise BusinessRuleError(_("Onbekende manier van versturen."))
    if questionnaire.anonymous:
        raise BusinessRuleError(_("Een anonieme vragenlijst gaat alleen naar een groep."))
    now = now or timezone.now()
    if answer_before is not None and answer_before <= now:
        raise BusinessRuleError(_("Dit moment is al voorbij."))
    return _invite(questionnaire, patient, reason=reason, before=answer_before, by=by, now=now)


def _invite(
    questionnaire: Questionnaire,
    patient: Patient,
    *,
    reason: str,
    before: datetime | None,
    by: User,
    now: datetime,
) -> QuestionnaireInvitation:
    """The invitation, in the patient's access log (something new in their portal)."""
    invitation = QuestionnaireInvitation.objects.create(
        practice_id=patient.practice_id,
        questionnaire=questionnaire,
        patient=patient,
        reason=reason,
        answer_before=before,
        sent_by=by,
        sent_at=now,
    )
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="questionnaire",
        practice=patient.practice,
        patient=patient,
        object_ids=[invitation.public_id],
    )
    return invitation


def prepare_for_appointment(
    *, patient: Patient, code: str, starts_at: datetime, by: User, now: datetime
) -> QuestionnaireInvitation | None:
    """Booking asks this for a kind of appointment with a preparation questionnaire: the
    patient gets its version in use, to fill in before `starts_at`. Whoever booked (the
    patient, who acts for them, or the desk) set it off; the caller checked they may.
    None when the practice has no such questionnaire in use (any more)."""
    questionnaire = published_by_code(
        patient.practice, code, purpose=QuestionnairePurpose.PREPARATION
    )
    if questionnaire is None or starts_at <= now:
        return None
    return _invite(
        questionnaire,
        patient,
        reason=InvitationReason.APPOINTMENT,
        before=starts_at,
        by=by,
        now=now,
    )


def move_preparation(*, invitation: QuestionnaireInvitation, starts_at: datetime) -> None:
    """The appointment moved: the questionnaire can be filled in until its new start."""
    QuestionnaireInvitation.objects.filter(pk=invitation.pk, answered=False).update(
        answer_before=starts_at
    )


def withdraw_preparation(*, invitation: QuestionnaireInvitation, now: datetime) -> None:
    """The appointment was cancelled (and logged as such): an unanswered preparation
    questionnaire leaves the patient's portal."""
    QuestionnaireInvitation.objects.filter(
        pk=invitation.pk, answered=False, withdrawn_at__isnull=True
    ).update(withdrawn_at=now)


@transaction.atomic
def withdraw_invitation(*, invitation: QuestionnaireInvitation, by: User) -> None:
    _require(can_send_questionnaire(by))
    _own_practice(by, invitation.practice_id)
    locked = QuestionnaireInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_open:
        raise BusinessRuleError(_("Deze vragenlijst is al ingevuld of ingetrokken."))
    locked.withdrawn_at = timezone.now()
    locked.save(update_fields=["withdrawn_at"])
    record_access(
        actor=by,
        action=AuditAction.CHANGE,
        object_kind="questionnaire",
        practice=locked.practice,
        patient=invitation.patient,
        object_ids=[locked.public_id],
        detail="ingetrokken",
    )


def _check_group(group: Group) -> None:
    if not 0 <= group.min_age <= 120 or (
        group.max_age is not None and not group.min_age <= group.max_age <= 120
    ):
        raise BusinessRuleError(_("Kies een leeftijd van 0 tot 120 jaar, van laag naar hoog."))
    if group.sample is not None and not 5 <= group.sample <= 100_000:
        raise BusinessRuleError(_("Een steekproef heeft 5 tot 100.000 patiënten."))


@transaction.atomic
def send_to_group(
    *,
    questionnaire: Questionnaire,
    group: Group,
    by: User,
    closes_on: date | None = None,
    now: datetime | None = None,
) -> QuestionnaireMailing:
    """A survey to a group: one invitation each, written at once; the notices go out from
    the notice job in batches (the mailing page shows how far it is)."""
    _require(can_send_to_group(by))
    practice = _sendable(questionnaire, by)
    _check_group(group)
    now = now or timezone.now()
    today = timezone.localdate(now)
    closes_on = closes_on or today + timedelta(days=MAILING_OPEN_DAYS)
    if not today < closes_on <= today + timedelta(days=MAX_MAILING_DAYS):
        raise BusinessRuleError(
            _("Kies een sluitdatum na vandaag en binnen %(days)s dagen.")
            % {"days": MAX_MAILING_DAYS}
        )
    # One at a time per questionnaire: a second click on "Nu versturen" finds the first.
    Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk).first()
    described = group.describe()[:200]
    if QuestionnaireMailing.objects.filter(
        practice=practice,
        questionnaire=questionnaire,
        group=described,
        sent_at__gt=now - timedelta(minutes=10),
    ).exists():
        raise BusinessRuleError(_("Deze vragenlijst is net al naar deze groep verstuurd."))
    members = group_members(practice, group, today=today)
    if not members:
        raise BusinessRuleError(_("Er zijn geen patiënten in deze groep."))
    if questionnaire.anonymous and len(members) < MIN_ANONYMOUS_MAILING:
        # Fewer could never reach MIN_GROUP answers, and a small mailing would show
        # through as the difference between the results with and without it.
        raise BusinessRuleError(
            _("Een anonieme vragenlijst gaat naar minstens %(min)s patiënten.")
            % {"min": MIN_ANONYMOUS_MAILING}
        )
    mailing = QuestionnaireMailing.objects.create(
        practice=practice,
        questionnaire=questionnaire,
        group=described,
        invited=len(members),
        closes_on=closes_on,
        sent_by=by,
        sent_at=now,
    )
    invitations = QuestionnaireInvitation.objects.bulk_create(
        [
            QuestionnaireInvitation(
                practice=practice,
                questionnaire=questionnaire,
                patient=patient,
                reason=InvitationReason.GROUP,
                mailing=mailing,
                sent_by=by,
                sent_at=now,
            )
            for patient in members
        ],
        batch_size=1000,
    )
    # Something new in each patient's portal: a line in each one's access log (one chain
    # lock, one statement), as an invitation to one patient writes.
    record_batch_access(
        actor=by,
        practice=practice,
        accesses=[
            BatchAccess(
                action=AuditAction.CREATE,
                object_kind="questionnaire",
                patient=invitation.patient,
                object_ids=[invitation.public_id],
                detail="aan een groep",
            )
            for invitation in invitations
        ],
        channel=Channel.STAFF,
    )
    return mailing


def send_due_questionnaire_notices(*, now: datetime | None = None, batch: int = 200) -> int:
    """The content-free notices of sent questionnaires, a batch at a time (the periodic
    job). Idempotent: a notice is queued and marked in one transaction per invitation
    batch, and a second worker skips rows already locked."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = list(
            QuestionnaireInvitation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(notified_at__isnull=True, withdrawn_at__isnull=True, answered=False)
            .filter(Q(answer_before__isnull=True) | Q(answer_before__gt=now))
            .filter(Q(mailing__isnull=True) | Q(mailing__closes_on__gte=timezone.localdate(now)))
            .select_related("patient__user", "patient__practice")
            .order_by("sent_at", "id")[:batch]
        )
        for invitation in due:
            with translation.override("nl"):
                notify_patient(
                    invitation.patient,
                    subject=_("Een vragenlijst van uw huisartsenpraktijk"),
                    line=_("Er staat een vragenlijst voor u klaar in het patiëntenportaal."),
                    link_text=_("Log in om hem in te vullen: %(link)s"),
                    url=reverse("triage:my_questionnaires"),
                )
            sent += 1
        QuestionnaireInvitation.objects.filter(pk__in=[i.pk for i in due]).update(notified_at=now)
    return sent


# Answering -----------------------------------------------------------------------------


@transaction.atomic
def submit_answers(
    *,
    invitation: QuestionnaireInvitation,
    submitted: Mapping[str, Sequence[str]],
    by: User,
    now: datetime | None = None,
) -> QuestionnaireResponse | None:
    """The patient's (or their representative's) answers. Named: stored with who and
    when, in the patient's access log; returned. Anonymous: held with nothing but the
    mailing until it closes (release_anonymous_answers), returns None; the invitation only
    notes that it was answered."""
    now = now or timezone.now()
    locked = (
        QuestionnaireInvitation.objects.select_for_update(of=("self",))
        .select_related("questionnaire", "mailing", "patient__practice")
        .get(pk=invitation.pk)
    )
    capacity = portal_capacity(by, locked.patient)
    if locked.answered:
        raise BusinessRuleError(_("Deze vragenlijst is al ingevuld. Dank u wel!"))
    if locked.withdrawn_at is not None:
        raise BusinessRuleError(_("De praktijk heeft deze vragenlijst ingetrokken."))
    if locked.answer_before is not None and locked.answer_before <= now:
        raise BusinessRuleError(_("De afspraak is al begonnen: invullen kan niet meer."))
    if locked.mailing is not None and locked.mailing.closes_on < timezone.localdate(now):
        raise BusinessRuleError(_("Deze vragenlijst is gesloten."))
    questionnaire = locked.questionnaire
    answers, errors = clean_answers(document_of(questionnaire), submitted)
    if errors:
        raise AnswersInvalid(errors)
    response = None
    if questionnaire.anonymous:
        if locked.mailing is None:  # invite_patient refuses this; never reached
            raise BusinessRuleError(_("Een anonieme vragenlijst gaat alleen naar een groep."))
        PendingAnswer.objects.create(
            practice_id=locked.practice_id, mailing=locked.mailing, answers=answers
        )
    else:
        response = QuestionnaireResponse.objects.create(
            practice_id=locked.practice_id,
            questionnaire=questionnaire,
            mailing=locked.mailing,
            invitation=locked,
            patient=locked.patient,
            answered_by=by,
            answers=answers,
            submitted_at=now,
        )
    locked.answered = True
    locked.save(update_fields=["answered"])
    record_access(
        actor=by,
        action=AuditAction.CREATE,
        object_kind="questionnaire",
        practice=locked.patient.practice,
        patient=locked.patient,
        # Anonymous: the invitation only; the answers have no id yet, nor will it say.
        object_ids=[response.public_id if response else locked.public_id],
        actor_role=capacity,
        detail="namens de patiënt" if capacity else "",
    )
    return response


def release_anonymous_answers(*, now: datetime | None = None) -> int:
    """The periodic job: the waiting answers of every closed mailing move, all of one
    mailing in one transaction and in a shuffled order, into QuestionnaireResponse, and
    their waiting rows are deleted; from then on neither write order nor row numbers
    say who answered what. Idempotent: a mailing already moved has nothing waiting."""
    today = timezone.localdate(now or timezone.now())
    moved = 0
    closed = QuestionnaireMailing.objects.filter(
        closes_on__lt=today, pending_answers__isnull=False
    ).distinct()
    for mailing in closed.select_related("questionnaire"):
        with transaction.atomic():
            waiting = list(
                PendingAnswer.objects.select_for_update(skip_locked=True).filter(mailing=mailing)
            )
            random.SystemRandom().shuffle(waiting)
            QuestionnaireResponse.objects.bulk_create(
                [
                    QuestionnaireResponse(
                        practice_id=mailing.practice_id,
                        questionnaire=mailing.questionnaire,
                        mailing=mailing,
                        answers=row.answers,
                    )
                    for row in waiting
                ],
                batch_size=1000,
            )
            PendingAnswer.objects.filter(pk__in=[row.pk for row in waiting]).delete()
            moved += len(waiting)
    return moved


def record_answers_read(*, responses: Sequence[QuestionnaireResponse], by: User) -> None:
    """Named answers shown to staff: one entry per patient, in each patient's log."""
    _require(can_read_named_answers(by))
    by_patient: dict[int, list[QuestionnaireResponse]] = {}
    for response in responses:
        if response.patient_id is not None:
            by_patient.setdefault(response.patient_id, []).append(response)
    if not by_patient:
        return
    practice = _own_practice(by, responses[0].practice_id)
    record_batch_access(
        actor=by,
        practice=practice,
        accesses=[
            BatchAccess(
                action=AuditAction.READ,
                object_kind="questionnaire",
                patient=rows[0].patient,
                object_ids=[r.public_id for r in rows],
            )
            for rows in by_patient.values()
        ],
        channel=Channel.STAFF,
    )


def record_questionnaires_read(*, patient: Patient, by: User, object_ids: Sequence[object]) -> None:
    """A patient (or who acts for them) saw their questionnaires: the list, one to fill
    in, or their own named answers read back. Nothing shown, nothing logged."""
    if not object_ids:
        return
    capacity = portal_capacity(by, patient)
    record_access(
        actor=by,
        action=AuditAction.READ,
        object_kind="questionnaire",
        practice=patient.practice,
        patient=patient,
        object_ids=list(object_ids),
        actor_role=capacity,
        detail="namens de patiënt" if capacity else "",
    )


# Results and exports -------------------------------------------------------------------


def results_for(
    *, questionnaire: Questionnaire, by: User, mailing: QuestionnaireMailing | None = None
) -> Results:
    """Counted results of one version (one mailing, if given). Small groups are hidden
    when the questionnaire is anonymous, and for anyone who may not read named answers."""
    _require(can_see_questionnaires(by))
    _own_practice(by, questionnaire.practice_id)
    document = document_of(questionnaire)
    if not questionnaire.anonymous:
        # Counts only, small ones hidden, no texts: no one's answers on this page (they
        # are on the page per patient, in each patient's access log).
        answers = responses_of(questionnaire, mailing=mailing).values_list("answers", flat=True)
        return aggregate(document, list(answers), suppress=True, texts=False)
    # Anonymous: only mailings that have closed (their figures no longer change, so no
    # new answer can be told apart) and that each have MIN_GROUP answers (so no mailing
    # shows through as the difference between two pages).
    counted = countable_mailings(questionnaire, today=timezone.localdate())
    if mailing is not None:
        counted = [m for m in counted if m.pk == mailing.pk]
    if not counted:
        answered = QuestionnaireInvitation.objects.filter(
            practice=questionnaire.practice, questionnaire=questionnaire, answered=True
        )
        if mailing is not None:
            answered = answered.filter(mailing=mailing)
        return Results(answered.count(), True, [])
    answers = QuestionnaireResponse.objects.filter(
        practice=questionnaire.practice, questionnaire=questionnaire, mailing__in=counted
    ).values_list("answers", flat=True)
    return aggregate(document, list(answers), suppress=True)


def _export_rows(
    questionnaire: Questionnaire, by: User, mailing: QuestionnaireMailing | None
) -> list[QuestionnaireResponse]:
    if questionnaire.anonymous:
        raise BusinessRuleError(
            _("Van een anonieme vragenlijst zijn alleen de getelde uitkomsten te downloaden.")
        )
    _require(can_export_named_answers(by))
    _own_practice(by, questionnaire.practice_id)
    rows = list(responses_of(questionnaire, mailing=mailing))
    record_batch_access(
        actor=by,
        practice=rows[0].practice if rows else _own_practice(by, questionnaire.practice_id),
        accesses=[
            BatchAccess(
                action=AuditAction.EXPORT,
                object_kind="questionnaire",
                patient=row.patient,
                object_ids=[row.public_id],
            )
            for row in rows
        ],
        channel=Channel.STAFF,
    )
    return rows


def export_answers_csv(
    *, questionnaire: Questionnaire, by: User, mailing: QuestionnaireMailing | None = None
) -> str:
    """Named answers, one row per response (in each patient's access log); anonymous:
    the counted results only, small groups hidden."""
    document = document_of(questionnaire)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    if questionnaire.anonymous:
        _require(can_view_questionnaire_results(by) or can_read_named_answers(by))
        results = results_for(questionnaire=questionnaire, by=by, mailing=mailing)
        writer.writerow([_("vraag"), _("antwoord"), _("aantal"), _("aandeel")])
        if results.hidden:
            writer.writerow([_("minder dan 5 reacties: geen uitkomsten"), "", "", ""])
        for result in results.items:
            for cell in result.cells:
                writer.writerow(
                    [
                        safe_cell(result.item.text),
                        safe_cell(cell.label),
                        "<5" if cell.count is None else cell.count,
                        "" if cell.share is None else f"{cell.share * 100:.0f}%",
                    ]
                )
            if result.mean is not None:
                writer.writerow(
                    [safe_cell(result.item.text), _("gemiddelde"), "", f"{result.mean:.1f}"]
                )
        return out.getvalue()
    rows = _export_rows(questionnaire, by, mailing)
    writer.writerow(
        [
            _("ingevuld op"),
            _("patiënt"),
            _("geboortedatum"),
            *(safe_cell(i.text) for i in document.items),
        ]
    )
    for row in rows:
        patient = row.patient
        writer.writerow(
            [
                timezone.localtime(row.submitted_at).strftime("%Y-%m-%d %H:%M")
                if row.submitted_at
                else "",
                safe_cell(patient.display_name if patient else ""),
                patient.date_of_birth.isoformat() if patient else "",
                *(
                    safe_cell(answer_text(item, row.answers.get(item.id)))
                    if item.id in row.answers
                    else ""
                    for item in document.items
                ),
            ]
        )
    return out.getvalue()


def export_answers_fhir(
    *, questionnaire: Questionnaire, by: User, mailing: QuestionnaireMailing | None = None
) -> dict[str, Any]:
    """Named answers as a FHIR R4 Bundle of QuestionnaireResponse resources, each checked
    with fhir.resources (R4B) before it leaves."""
    rows = _export_rows(questionnaire, by, mailing)
    document = document_of(questionnaire)
    return validated_bundle(
        [
            questionnaire_resource(questionnaire, document),
            *(questionnaire_response_resource(questionnaire, document, row) for row in rows),
        ]
    )
