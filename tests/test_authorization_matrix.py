"""The authorisation matrix: every URL of the project, each role's answer checked against
a declared policy. A new URL without a policy entry (or an explicit place among the
public pages and the login's own steps) fails the suite.

Expected answers: "ok" (200, or a redirect that is not to the login), "login" (redirect to
the login page), "choose" (redirect to the "namens" page), 403, 404, or "skip" for a POST that would change data for an allowed
role (its effect is tested where the feature is).

Beside the cast, one more portal user: a gemachtigde with no patient record of their own,
recorded for patient_a and for other_patient_a. They appear three times: acting for
patient_a ("gemachtigde"), acting for other_patient_a ("gemachtigde_other": patient_a's
objects are then someone else's, 404), and before choosing anyone ("gemachtigde_zelf":
the portal's pages about a patient send them to the "namens" page to choose first,
"choose"; pages only about oneself refuse, 403). The switch goes through the portal's own
"namens" page, as in the browser.

And three representatives of minors of practice A (WGBO), none with a record of their own:
a gemachtigde of a 14-year-old with the child's consent ("gemachtigde_14_toestemming":
like gemachtigde_other, patient_a's objects are 404), one without it ("gemachtigde_14"),
and one of an 8-year-old ("gemachtigde_8", written straight into the table: the service
refuses it). The last two are refused the choice; the child is then put in their session
anyway (as if chosen before these rules), and every page about the child refuses, 403."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from spreekuur.accounts.models import Membership, User
from spreekuur.agenda import services as agenda_services
from spreekuur.agenda.models import KioskDevice, ScheduleBlock, ScheduleException
from spreekuur.chroniccare import services as chroniccare_services
from spreekuur.dashboard.models import Tariff
from spreekuur.dossier import services as dossier_services
from spreekuur.econsult import services as econsult_services
from spreekuur.econsult.models import Photo
from spreekuur.fhir import services as fhir_services
from spreekuur.fhir.models import AppKind
from spreekuur.patients import services as patients_services
from spreekuur.patients.models import Representation
from spreekuur.patients.portal import SESSION_KEY
from spreekuur.prescriptions.models import OutboxMessage, Pharmacy
from spreekuur.prescriptions.services import approve_items, request_repeat
from spreekuur.results import services as results_services
from spreekuur.results.models import LabResult
from spreekuur.results.services import receive_lab_message
from spreekuur.roster import services as roster_services
from spreekuur.telephony import services as telephony_services
from spreekuur.telephony.models import CallbackRequest
from spreekuur.triage import services as triage_services
from spreekuur.triage.assistant import DEFAULT_FAQ
from spreekuur.triage.models import ComplaintFlow, Questionnaire, RedFlag
from spreekuur.triage.questionnaires import Group
from spreekuur.triage.selectors import offered_flows
from tests.conftest import Cast, verified_client
from tests.econsult.conftest import image_bytes, no_flags, upload
from tests.factories import (
    PatientFactory,
    UserFactory,
    add_appointment_types,
    add_slots,
    no_red_flags,
)
from tests.results.conftest import HBA1C_HIGH, oru
from tests.test_url_walk import _patterns, _routes

ROLES = [
    "anonymous",
    "patient_a",
    "other_patient_a",
    "patient_b",
    "assistant_a",
    "gp_a",
    "poh_a",
    "manager_a",
    "gp_b",
    "manager_b",
    "gemachtigde",
    "gemachtigde_other",
    "gemachtigde_zelf",
    "gemachtigde_14_toestemming",
    "gemachtigde_14",
    "gemachtigde_8",
]
PATIENTS = {"patient_a", "other_patient_a", "patient_b"}
# Acting for a patient (for patient_a, and for other_patient_a): the portal pages that take
# their patient from `portal_subject` open; pages about oneself (the agenda, "mijn
# gegevens") do not, since this gemachtigde is no patient of their own.
# A gemachtigde of a 14-year-old with the child's consent acts for the child the same way.
MINOR_WITH_CONSENT = "gemachtigde_14_toestemming"
GEMACHTIGDE = {"gemachtigde", "gemachtigde_other", MINOR_WITH_CONSENT}
# Representatives the WGBO refuses (no consent at 14; none at all under 12): they keep the
# pages about their own account and the choice (which lists the reason), nothing else.
MINORS_REFUSED = {"gemachtigde_14", "gemachtigde_8"}
PORTAL = PATIENTS | GEMACHTIGDE
CARE_A = {"assistant_a", "gp_a", "poh_a"}
BUILDERS = {"manager_a", "gp_a", "poh_a"}  # questionnaires
QUESTIONNAIRES = BUILDERS | CARE_A


def _expect(allowed: set[str], *, other_practice: str = "ok", method: str = "get") -> dict:
    """Allowed roles get "ok"; staff of practice B in an allowed role get `other_practice`;
    everyone else logged in gets 403; anonymous goes to the login."""
    answers: dict[str, object] = {"anonymous": "login"}
    for role in ROLES[1:]:
        if role in allowed:
            answers[role] = "ok"
        elif (
            (role == "gp_b" and {"gp_a"} & allowed)
            or (role == "manager_b" and "manager_a" in allowed)
            or (role == "patient_b" and "patient_a" in allowed)
        ):
            answers[role] = other_practice
        else:
            answers[role] = 403
    answers["method"] = method
    return answers


def patient_own(*, acting_for: bool) -> dict:
    """A patient's own object: another patient (any practice) gets 404, staff 403.

    With `acting_for` the page takes its patient from `portal_subject`: the gemachtigde
    acting for patient_a gets it, acting for someone else 404. Without, the page is for a
    patient about themself only: 403 for a gemachtigde whoever they act for."""
    answers = _expect({"patient_a"}, other_practice=404)
    answers["other_patient_a"] = 404
    if acting_for:
        answers["gemachtigde"] = "ok"
        answers["gemachtigde_other"] = answers[MINOR_WITH_CONSENT] = 404
        answers["gemachtigde_zelf"] = "choose"
    return answers


def portal_page() -> dict:
    """A portal page about whoever the person uses the portal for (`portal_subject`):
    patients and a gemachtigde acting for someone; a gemachtigde who has not chosen yet is
    sent to choose."""
    return {**_expect(PORTAL), "gemachtigde_zelf": "choose"}


POLICY: dict[str, dict] = {
    # core
    # Someone who only acts for others (no record of their own) starts at the choice.
    "shell:start": {
        **_expect(set(ROLES[1:])),
        **{role: "choose" for role in (*GEMACHTIGDE, "gemachtigde_zelf", *MINORS_REFUSED)},
    },
    "shell:my_audit_log": portal_page(),
    "shell:audit_search": _expect({"manager_a"}),
    "shell:audit_find_patient": _expect({"manager_a"}, method="post"),
    "shell:failed_notifications": _expect({"assistant_a", "manager_a"}),
    "shell:retry_notification": {
        **_expect({"assistant_a", "manager_a"}, other_practice=404, method="post"),
        "assistant_a": "skip",
        "manager_a": "skip",
    },
    # tests/shell_plugin: switched off unless a test switches it on, so refused to all.
    "shell_plugin:home": _expect(set()),
    "practice:manage_page": _expect({"manager_a"}),
    "practice:practice_details": _expect({"manager_a"}),
    "practice:remove_news": {
        **_expect({"manager_a"}, other_practice=404, method="post"),
        "manager_a": "skip",
    },
    # accounts (what every logged-in person has, and the manager's staff pages)
    "accounts:security": _expect(set(ROLES[1:])),
    "accounts:reverify": _expect(set(ROLES[1:])),
    "accounts:staff_list": _expect({"manager_a"}),
    "accounts:staff_change": _expect({"manager_a"}, other_practice=404),
    # The clinical roles waiting for a GP's confirmation (four eyes).
    "accounts:role_requests": _expect({"gp_a"}),
    "accounts:reset_second_factor": {
        **_expect({"manager_a"}, other_practice=404, method="post"),
        "manager_a": "skip",
    },
    # patients
    "patients:list": _expect(CARE_A),
    "patients:detail": _expect(CARE_A, other_practice=404),
    "patients:issue_activation": _expect(CARE_A, other_practice=404),
    "patients:my_details": _expect(PATIENTS),  # about oneself: a gemachtigde has no record
    "patients:acting_for": _expect(PATIENTS | GEMACHTIGDE | {"gemachtigde_zelf"} | MINORS_REFUSED),
    "patients:representations": {
        **_expect(CARE_A, other_practice=404, method="post"),
        **{role: "skip" for role in CARE_A},
    },
    # the patient's own contact details: never changed by someone acting for them
    "patients:change_phone": _expect(PATIENTS),
    "patients:change_email": _expect(PATIENTS),
    "patients:confirm_email_change": _expect(PATIENTS),  # a stale link: back to my details
    "patients:change_address": _expect(PATIENTS),
    # the desk handles the new addresses patients give
    "patients:address_changes": _expect({"assistant_a"}),
    "patients:address_change": _expect({"assistant_a"}, other_practice=404),
    "patients:accept_address_change": {
        **_expect({"assistant_a"}, other_practice=404, method="post"),
        "assistant_a": "skip",
    },
    "patients:reject_address_change": {
        **_expect({"assistant_a"}, other_practice=404, method="post"),
        "assistant_a": "skip",
    },
    # agenda: the patient's side, for oneself only (no booking on someone's behalf online)
    "agenda:my_appointments": _expect(PATIENTS),
    "agenda:book_start": _expect(PATIENTS),
    "agenda:book_choose": _expect(PATIENTS),
    "agenda:book_confirm": _expect(PATIENTS),
    "agenda:my_appointment": patient_own(acting_for=False),
    "agenda:my_appointment_ics": patient_own(acting_for=False),
    "agenda:cancel_my_appointment": patient_own(acting_for=False),
    "agenda:reschedule_my_appointment": patient_own(acting_for=False),
    "agenda:join_my_video": {
        **patient_own(acting_for=False),
        "method": "post",
        "patient_a": "skip",
    },
    # agenda: the practice
    "agenda:day": _expect(CARE_A),
    "agenda:week": _expect(CARE_A),
    "agenda:out_of_hours": _expect(CARE_A),
    "agenda:figures": _expect({"gp_a", "manager_a"}),
    "agenda:appointment": _expect(CARE_A, other_practice=404),
    "agenda:reschedule": _expect(CARE_A, other_practice=404),
    "agenda:change_status": {
        **_expect(CARE_A, other_practice=404, method="post"),
        **{role: "skip" for role in CARE_A},
    },
    "agenda:book_for_patient": _expect(CARE_A, other_practice=404),
    "agenda:join_video": {
        **_expect({"gp_a"}, other_practice=404, method="post"),
        "gp_a": "skip",
    },
    "agenda:settings": _expect({"manager_a"}),
    "triage:settings": _expect({"manager_a", "gp_a"}),
    "agenda:edit_type": _expect({"manager_a"}, other_practice=404),
    "triage:switch_off_flag": {
        **_expect({"manager_a"}, other_practice=404, method="post"),
        "manager_a": "skip",
    },
    "agenda:schedule": _expect({"manager_a"}),
    "agenda:remove_block": {
        **_expect({"manager_a"}, other_practice=404, method="post"),
        "manager_a": "skip",
    },
    "agenda:remove_absence": {
        **_expect({"manager_a"}, other_practice=404, method="post"),
        "manager_a": "skip",
    },
    "agenda:kiosks": {**_expect({"manager_a", "assistant_a"}), "manager_b": "ok"},
    "agenda:revoke_kiosk": {
        **_expect({"manager_a", "assistant_a"}, other_practice=404, method="post"),
        "manager_a": "skip",
        "assistant_a": "skip",
    },
    # dossier
    "dossier:my_record": portal_page(),
    "dossier:my_record_pdf": portal_page(),
    "dossier:patient_record": _expect(CARE_A, other_practice=404),
    "dossier:shield": {
        **_expect({"gp_a"}, other_practice=404, method="post"),
        "gp_a": "skip",
    },
    "dossier:repeat": {
        **_expect({"gp_a"}, other_practice=404, method="post"),
        "gp_a": "skip",
    },
    # results
    "dossier:my_results": portal_page(),
    "results:my_test_results": patient_own(acting_for=True),
    "results:review_list": _expect({"gp_a"}),
    "results:result_detail": _expect(CARE_A, other_practice=404),
    "results:panel_review": _expect(CARE_A, other_practice=404),
    "results:patient_results": _expect(CARE_A, other_practice=404),
    "results:worklist": _expect({"assistant_a", "gp_a"}),
    "results:lab_message": _expect({"assistant_a", "gp_a"}, other_practice=404),
    # prescriptions
    "prescriptions:my_repeats": portal_page(),
    "prescriptions:filter_list": _expect({"assistant_a", "gp_a"}),
    "prescriptions:accorderingslijst": _expect({"gp_a"}),
    "prescriptions:deliveries": _expect({"assistant_a", "gp_a"}),
    "prescriptions:delivery_action": {
        **_expect({"assistant_a", "gp_a"}, other_practice=404, method="post"),
        "assistant_a": "skip",
        "gp_a": "skip",
    },
    "prescriptions:print_prescription": _expect({"assistant_a", "gp_a"}, other_practice=404),
    "prescriptions:figures": _expect({"manager_a", "gp_a"}),
    "prescriptions:settings": _expect({"manager_a"}),
    # e-consult
    "econsult:my_questions": portal_page(),
    "econsult:ask": portal_page(),
    "econsult:my_thread": patient_own(acting_for=True),
    "econsult:photo": {
        **patient_own(acting_for=True),
        **{role: "ok" for role in CARE_A},
        "gp_b": 404,
    },
    "econsult:inbox": _expect(CARE_A),
    "econsult:staff_thread": _expect(CARE_A, other_practice=404),
    "econsult:settings": _expect({"manager_a"}),
    # triage: the questions are the same for every portal user of a practice offering
    # the flow (a national flow: every practice); an outcome is the patient's own.
    "triage:self_index": portal_page(),
    "triage:self_step": portal_page(),
    "triage:self_outcome": patient_own(acting_for=True),
    "triage:figures": _expect({"manager_a", "gp_a"}),
    "triage:add_flow": _expect({"manager_a", "gp_a"}),
    "triage:edit_texts": _expect({"manager_a", "gp_a"}),  # a national flow: B rewords its own
    # Switches off the practice's own version of that code; B has none, so nothing changes.
    "triage:switch_off_flow": _expect({"manager_a", "gp_a"}, method="post"),
    "triage:portal_assistant": portal_page(),
    "triage:faq_answers": _expect({"manager_a", "gp_a"}),
    "triage:add_faq": _expect({"manager_a", "gp_a"}),
    "triage:edit_faq": _expect({"manager_a", "gp_a"}),  # a default's key: B edits its own
    # Questionnaires: the patient's own invitation; the practice's questionnaires (no
    # patient data: who builds, counts or reads answers sees them); named answers for the
    # care roles; writes for who builds (skipped: tested in tests/triage).
    "triage:my_questionnaires": portal_page(),
    "triage:answer": patient_own(acting_for=True),
    "triage:questionnaires": _expect(QUESTIONNAIRES),
    "triage:questionnaire": _expect(QUESTIONNAIRES, other_practice=404),
    "triage:preview_questionnaire": _expect(QUESTIONNAIRES, other_practice=404),
    "triage:questionnaire_results": _expect(QUESTIONNAIRES, other_practice=404),
    "triage:mailing": _expect(QUESTIONNAIRES, other_practice=404),
    "triage:questionnaire_responses": _expect(CARE_A, other_practice=404),
    # A named questionnaire's CSV: every patient's answers at once, so the GPs and POH.
    "triage:export_questionnaire": {
        **_expect({"gp_a", "poh_a"}, other_practice=404),
        "manager_b": 404,
    },
    "triage:add_question": _expect(BUILDERS, other_practice=404),
    "triage:edit_question": _expect(BUILDERS, other_practice=404),
    "triage:send_questionnaire": _expect({"manager_a", "gp_a"}, other_practice=404),
    **{
        name: {
            **_expect(BUILDERS, other_practice=404, method="post"),
            **{role: "skip" for role in BUILDERS},
        }
        for name in (
            "triage:question_action",
            "triage:publish_questionnaire",
            "triage:new_questionnaire_version",
            "triage:discard_questionnaire",
        )
    },
    # A shipped set, taken over into one's own practice (B's manager: into B).
    "triage:adopt_questionnaire": {
        **_expect(BUILDERS, method="post"),
        **{role: "skip" for role in (*BUILDERS, "gp_b", "manager_b")},
    },
    "agenda:attach_preparation": {
        **_expect(CARE_A, other_practice=404, method="post"),
        **{role: "skip" for role in CARE_A},
    },
    # telephony: the callback queue names patients (care roles); the call load is counts
    # for the manager, GPs and assistants; the phone's setup is the manager's.
    "telephony:callbacks": _expect(CARE_A),
    "telephony:callback_action": {
        **_expect(CARE_A, other_practice=404, method="post"),
        **{role: "skip" for role in CARE_A},
    },
    "telephony:call_load": _expect({"manager_a", "gp_a", "assistant_a"}),
    "telephony:settings": _expect({"manager_a"}),
    "telephony:link_create": _expect({"manager_a"}, method="post"),  # empty: nothing made
    "telephony:link_action": _expect({"manager_a"}, other_practice=404, method="post"),
    "telephony:config_export": _expect({"manager_a"}),
    "telephony:call_report_import": _expect({"manager_a"}),
    # roster: who works when is for the whole team; the manager makes it.
    "roster:week": _expect({"assistant_a", "gp_a", "poh_a", "manager_a"}),
    "roster:meeting_planner": _expect({"assistant_a", "gp_a", "poh_a", "manager_a"}),
    "roster:shifts": _expect({"manager_a"}),
    "roster:leave": _expect({"manager_a"}),
    **{
        name: {
            **_expect({"manager_a"}, other_practice=404, method="post"),
            "manager_a": "skip",
        }
        for name in ("roster:remove_shift", "roster:remove_leave")
    },
    # dashboard: the manager and the GPs; tariffs the manager; the region only its analysts
    # (none among these roles: tests/dashboard/test_region.py).
    "dashboard:dashboard": _expect({"manager_a", "gp_a"}),
    "dashboard:dashboard_csv": _expect({"manager_a", "gp_a"}),
    "dashboard:monthly_review": _expect({"manager_a", "gp_a"}),
    "dashboard:tariffs": _expect({"manager_a"}),
    "dashboard:remove_tariff": {
        **_expect({"manager_a"}, other_practice=404, method="post"),
        "manager_a": "skip",
    },
    # Apps: the patient's own connections; the manager's register of apps. The consent
    # screen without an app's request is a 400 for anyone who may connect apps.
    "fhir:connections": _expect(PORTAL | {"gemachtigde_zelf"} | MINORS_REFUSED),
    "fhir:disconnect": {
        # Everyone who acts for patient A today may end the app's access, whomever
        # their session is about now.
        **_expect(
            {"patient_a", "gemachtigde", "gemachtigde_other", "gemachtigde_zelf"},
            other_practice=404,
            method="post",
        ),
        **{role: 404 for role in ("other_patient_a", MINOR_WITH_CONSENT, *MINORS_REFUSED)},
    },
    "oauth2_provider:authorize": {
        **_expect(set()),
        **{role: 400 for role in PORTAL | {"gemachtigde_zelf"} | MINORS_REFUSED},
    },
    "fhir:apps": _expect({"manager_a"}),
    "fhir:app_detail": _expect({"manager_a"}, other_practice=404),
    "dashboard:region": _expect(set()),
    "dashboard:region_csv": _expect(set()),
    # chronic care: the POH and GP work in the programmes; the assistants see the due
    # list and invite (a letter among them); the patient sees their own programme.
    "chroniccare:overview": _expect(CARE_A),
    "chroniccare:due_list": _expect(CARE_A),
    "chroniccare:letter": _expect(CARE_A, other_practice=404),
    "chroniccare:programme": _expect({"gp_a", "poh_a"}),
    "chroniccare:decide": _expect({"gp_a", "poh_a"}, other_practice=404),
    "chroniccare:control": _expect({"gp_a", "poh_a"}, other_practice=404),
    "chroniccare:my_programmes": portal_page(),
    # The indicators are counts: the GPs, POH and manager; the region only its analysts.
    "chroniccare:indicators": _expect({"gp_a", "poh_a", "manager_a"}),
    "chroniccare:indicators_csv": _expect({"gp_a", "poh_a", "manager_a"}),
    "chroniccare:indicators_fhir": _expect({"gp_a", "poh_a", "manager_a"}),
    "chroniccare:region": _expect(set()),
    "chroniccare:region_csv": _expect(set()),
}
# Public pages (no patient data, or a device-bound kiosk) and the login's own steps, as
# declared in tests/test_url_walk.py; their rules are tested with their features.
PUBLIC = {
    "shell:landing",
    "shell:healthz",
    "shell:set_language",
    "practice:practice_page",
    "accounts:login",
    "accounts:verify",
    "accounts:setup_totp",
    "accounts:logout",
    "accounts:confirm_email",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "patients:activate",
    "patients:activate_account",
    "agenda:kiosk",
    "agenda:waiting_room",
    "agenda:waiting_room_calls",
    "results:lab_inbox",  # a lab's machine door with its own token (tests/results)
    "prescriptions:dispense",  # a pharmacy's door with its own token (tests/prescriptions)
    # Anonymous self-triage on the practice page and its website (tests/triage).
    "triage:public_index",
    "triage:public_step",
    "triage:public_outcome",
    "triage:widget_script",
    "triage:widget_index",
    "triage:widget_step",
    "triage:widget_outcome",
    "triage:public_assistant",
    "telephony:events",  # the telephony platform's signed door (tests/telephony)
    # The FHIR API and its OAuth2 server: bearer tokens and client credentials, no
    # session (tests/fhir: scopes, other patients, other practices, revoked tokens).
    "oauth2_provider:token",
    "oauth2_provider:revoke-token",
    "oauth2_provider:user-info",
    "oauth2_provider:oidc-connect-discovery-info",
    "oauth2_provider:jwks-info",
    "fhir:metadata",
    "fhir:smart_configuration",
    "fhir:openapi",
    "fhir:type",
    "fhir:instance",
    "fhir:unknown",
}
# Per-person pages that only act on the logged-in user's own account, after a fresh
# second factor or a POST with a device id; tested in tests/accounts.
OWN_ACCOUNT = {
    "accounts:recovery_codes",
    "accounts:remove_passkey",
    "accounts:resend_email_confirmation",
}
# django-otp-webauthn's own endpoints (JSON for the browser script), behind the same
# login and second-factor middleware; tested in tests/accounts/test_passkeys.
LIBRARY = "otp_webauthn:"


def test_every_url_has_a_policy() -> None:
    names = {name for _path, _view, name in _routes() if not name.startswith(LIBRARY)}
    missing = names - set(POLICY) - PUBLIC - OWN_ACCOUNT
    assert not missing, f"URLs without an authorisation policy: {sorted(missing)}"
    assert not (set(POLICY) - names), "policy entries for URLs that no longer exist"


@dataclass
class World:
    cast: Cast
    kwargs: dict[str, dict[str, object]]
    gemachtigde: User


@pytest.fixture
def world(cast: Cast) -> World:
    practice = cast.practice_a
    cast.other_patient_a.user = UserFactory()
    cast.other_patient_a.save()
    gp = Membership.objects.get(user=cast.gp_a)
    types = add_appointment_types(practice)
    day = timezone.localdate() + timedelta(days=3)
    slots = add_slots(gp, day=day, count=4)
    appointment = agenda_services.book_appointment(
        patient=cast.patient_a,
        slot=slots[0],
        appointment_type=types["consult"],
        reason="Knie",
        by=cast.patient_user_a,
        triage_answers=no_red_flags(practice),
    )
    sore_throat = ComplaintFlow.objects.get(practice__isnull=True, code="keelpijn")
    triage_session = triage_services.record_triage(
        practice=practice,
        offered=next(o for o in offered_flows(practice) if o.code == "keelpijn"),
        walk=[1, 1, 1, 1, 0, 1],  # self-care: no advice to call that would stop booking
        channel="portaal",
        patient=cast.patient_a,
        by=cast.patient_user_a,
    )
    flag = RedFlag.objects.create(
        practice=practice,
        code="praktijk-test",
        question="Een vraag van de praktijk?",
        advice="spoedlijn",
    )
    block = ScheduleBlock.objects.create(
        practice=practice,
        practitioner=gp,
        weekday=6,
        dagdeel="ochtend",
        starts=time(8),
        ends=time(9),
    )
    absence = ScheduleException.objects.create(
        practice=practice,
        practitioner=gp,
        starts_on=day + timedelta(days=30),
        ends_on=day + timedelta(days=31),
        kind="verlof",
        created_by=cast.manager_a,
    )
    kiosk = KioskDevice.objects.create(practice=practice, name="Zuil", created_by=cast.manager_a)
    line = dossier_services.record_journal_entry(
        patient=cast.patient_a,
        contact_on=timezone.localdate(),
        kind="consult",
        evaluation="Conclusie",
        by=cast.gp_a,
    )
    medication = dossier_services.record_medication(
        patient=cast.patient_a,
        name="Metformine 500 mg",
        dosage="2 keer per dag",
        started_on=timezone.localdate(),
        by=cast.gp_a,
    )
    from spreekuur.core.models import NewsItem

    news = NewsItem.objects.create(
        practice=practice,
        title="Nieuws",
        body="Tekst",
        published_on=timezone.localdate(),
        created_by=cast.manager_a,
    )
    from spreekuur.core.models import Notification, NotificationStatus

    undelivered = Notification.objects.create(
        practice=practice,
        channel="email",
        recipient="patient@example.org",
        body="Er staat een nieuw bericht voor u in het patiëntenportaal.",
        status=NotificationStatus.FAILED,
        attempts=6,
        next_attempt_at=timezone.now(),
    )
    practice.records_online_from = timezone.localdate() - timedelta(days=365)
    practice.save(update_fields=["records_online_from"])
    outcome = receive_lab_message(
        practice=practice, door="hl7v2", raw=oru(cast.patient_a, HBA1C_HIGH), source="matrix"
    )
    result = LabResult.objects.get(message__in=outcome.messages)
    results_services.review_result(result=result, comment="Goed", release=True, by=cast.gp_a)
    waiting = receive_lab_message(practice=practice, door="hl7v2", raw=b"MSH|x", source="m")
    dossier_services.set_repeat(
        medication=medication, repeatable=True, quantity="90 tabletten", by=cast.gp_a
    )
    pharmacy = Pharmacy.objects.create(practice=practice, name="Apotheek", transport="print")
    repeat = request_repeat(
        patient=cast.patient_a,
        medication_ids=[medication.public_id],
        pharmacy=pharmacy,
        by=cast.patient_user_a,
    )
    approve_items(items=list(repeat.items.all()), by=cast.gp_a)
    outbox = OutboxMessage.objects.get()
    content = image_bytes()
    thread = econsult_services.ask_question(
        patient=cast.patient_a,
        category="huid",
        body="Een plek",
        triage_answers=no_flags(cast),
        consent=True,
        photos=[(upload(content), len(content))],
        by=cast.patient_user_a,
    )
    photo = Photo.objects.get()
    assistant = Membership.objects.get(user=cast.assistant_a)
    gemachtigde = UserFactory(full_name="Gemachtigde")  # a confirmed address and a TOTP device
    for represented in (cast.patient_a, cast.other_patient_a):
        patients_services.record_representation(
            patient=represented,
            representative_email=gemachtigde.email,
            kind="gemachtigde",
            valid_from=timezone.localdate(),
            valid_until=timezone.localdate() + timedelta(days=30),
            by=cast.assistant_a,
        )
    patient = {"public_id": cast.patient_a.public_id}
    own = {"public_id": appointment.public_id}
    moved = patients_services.request_address_change(
        patient=cast.patient_a,
        street="Lindelaan",
        house_number="12",
        postal_code="3511 AB",
        city="Utrecht",
        by=cast.patient_user_a,
    )
    address_change = {"public_id": moved.public_id}
    shipped = {q.code: q for q in Questionnaire.objects.filter(practice__isnull=True)}
    preparation = triage_services.publish_questionnaire(
        questionnaire=triage_services.adopt_shipped_questionnaire(
            practice=practice, shipped=shipped["consultvoorbereiding"], by=cast.manager_a
        ),
        by=cast.manager_a,
    )
    survey = triage_services.publish_questionnaire(
        questionnaire=triage_services.adopt_shipped_questionnaire(
            practice=practice, shipped=shipped["patienttevredenheid"], by=cast.manager_a
        ),
        by=cast.manager_a,
    )
    draft = triage_services.new_version(questionnaire=preparation, by=cast.manager_a)
    invitation = triage_services.invite_patient(
        questionnaire=preparation, patient=cast.patient_a, by=cast.gp_a
    )
    for _ in range(10):  # an anonymous survey goes to 10 patients at least
        PatientFactory(practice=practice, user=UserFactory())
    mailing = triage_services.send_to_group(questionnaire=survey, group=Group(), by=cast.gp_a)
    published = {"public_id": preparation.public_id}
    phone_link, _secret = telephony_services.create_link(
        practice=practice, name="Centrale", by=cast.manager_a
    )
    shift = roster_services.add_shift(
        member=assistant,
        weekday=0,
        task="telefoon",
        starts=time(8),
        ends=time(12, 30),
        valid_from=None,
        valid_until=None,
        by=cast.manager_a,
    )
    pgo, _secret = fhir_services.register_app(
        practice=practice,
        kind=AppKind.PATIENT_APP,
        name="Mijn PGO",
        allowed_scopes=["launch/patient", "patient/*.rs"],
        redirect_uris=["https://pgo.example/callback"],
        by=None,
    )
    connection = fhir_services.consent_to_app(
        app=pgo,
        patient=cast.patient_a,
        scope=["launch/patient", "patient/*.rs"],
        by=cast.patient_user_a,
        issue=lambda made: made,
    )
    tariff = Tariff.objects.create(
        practice=practice, year=2026, code="12011", description="Consult", amount="12.43"
    )
    enrolment = chroniccare_services.enrol_patient(
        patient=cast.patient_a,
        programme="diabetes",
        started_on=timezone.localdate(),
        by=cast.poh_a,
    )
    letter = chroniccare_services.invite(
        enrolment=enrolment,
        kind="jaarcontrole",
        due_on=timezone.localdate(),
        channel="brief",
        by=cast.assistant_a,
    )
    callback = CallbackRequest.objects.create(
        practice=practice,
        call_id="matrix",
        number="+31612345678",
        requested_at=timezone.now(),
        patient=cast.patient_a,
        match_count=1,
    )
    return World(
        cast,
        {
            "practice:remove_news": {"public_id": news.public_id},
            "chroniccare:programme": {"code": "diabetes"},
            "chroniccare:decide": {"code": "diabetes", "public_id": cast.patient_a.public_id},
            "chroniccare:control": {"public_id": enrolment.public_id},
            "chroniccare:letter": {"public_id": letter.public_id},
            "shell:retry_notification": {"public_id": undelivered.public_id},
            "accounts:staff_change": {"public_id": assistant.public_id},
            "accounts:reset_second_factor": {"public_id": assistant.public_id},
            "patients:detail": patient,
            "patients:issue_activation": patient,
            "patients:representations": patient,
            "patients:confirm_email_change": {"token": "x"},
            "patients:address_change": address_change,
            "patients:accept_address_change": address_change,
            "patients:reject_address_change": address_change,
            "agenda:my_appointment": own,
            "agenda:my_appointment_ics": own,
            "agenda:cancel_my_appointment": own,
            "agenda:reschedule_my_appointment": own,
            "agenda:join_my_video": own,
            "agenda:join_video": own,
            "agenda:appointment": own,
            "agenda:reschedule": own,
            "agenda:change_status": {**own, "action": "afgerond"},
            "agenda:book_for_patient": {"public_id": slots[2].public_id},
            "agenda:edit_type": {"public_id": types["consult"].public_id},
            "triage:switch_off_flag": {"public_id": flag.public_id},
            "triage:self_step": {"flow_id": sore_throat.public_id},
            "triage:self_outcome": {"public_id": triage_session.public_id},
            "triage:edit_texts": {"public_id": sore_throat.public_id},
            "triage:switch_off_flow": {"code": "praktijk-eigen"},
            "triage:edit_faq": {"key": DEFAULT_FAQ[0].key},
            "agenda:remove_block": {"public_id": block.public_id},
            "agenda:remove_absence": {"public_id": absence.public_id},
            "agenda:revoke_kiosk": {"public_id": kiosk.public_id},
            "dossier:patient_record": patient,
            "dossier:shield": {"kind": "journaal", "public_id": line.public_id},
            "dossier:repeat": {"public_id": medication.public_id},
            "results:my_test_results": {"public_id": result.test.public_id},
            "results:result_detail": {"public_id": result.public_id},
            "results:panel_review": {"public_id": result.message.public_id},
            "results:patient_results": patient,
            "results:lab_message": {"public_id": waiting.messages[0].public_id},
            "prescriptions:delivery_action": {"public_id": outbox.public_id},
            "prescriptions:print_prescription": {"public_id": outbox.public_id},
            "econsult:my_thread": {"public_id": thread.public_id},
            "econsult:staff_thread": {"public_id": thread.public_id},
            "econsult:photo": {"public_id": photo.public_id},
            "triage:answer": {"public_id": invitation.public_id},
            "triage:adopt_questionnaire": {"public_id": shipped["patienttevredenheid"].public_id},
            "triage:questionnaire": published,
            "triage:preview_questionnaire": published,
            "triage:questionnaire_results": published,
            "triage:questionnaire_responses": published,
            "triage:send_questionnaire": published,
            "triage:new_questionnaire_version": published,
            "triage:export_questionnaire": {**published, "kind": "csv"},
            "triage:mailing": {"public_id": mailing.public_id},
            "triage:add_question": {"public_id": draft.public_id},
            "triage:edit_question": {"public_id": draft.public_id, "item_id": "duur"},
            "triage:question_action": {
                "public_id": draft.public_id,
                "item_id": "duur",
                "action": "omlaag",
            },
            "triage:publish_questionnaire": {"public_id": draft.public_id},
            "triage:discard_questionnaire": {"public_id": draft.public_id},
            "agenda:attach_preparation": own,
            "telephony:callback_action": {"public_id": callback.public_id},
            "telephony:link_action": {"public_id": phone_link.public_id},
            "roster:remove_shift": {"public_id": shift.public_id},
            "roster:remove_leave": {"public_id": absence.public_id},
            "dashboard:remove_tariff": {"public_id": tariff.public_id},
            "fhir:disconnect": {"public_id": connection.public_id},
            "fhir:app_detail": {"public_id": pgo.public_id},
        },
        gemachtigde,
    )


@pytest.fixture
def minors(world: World) -> dict[str, Representation]:
    """The representatives of minors, by role (see the module's docstring)."""
    cast, today = world.cast, timezone.localdate()
    found = {}
    for role in ("gemachtigde_14", MINOR_WITH_CONSENT):
        child = PatientFactory(
            practice=cast.practice_a, date_of_birth=today - timedelta(days=14 * 366)
        )
        found[role] = patients_services.record_representation(
            patient=child,
            representative_email=UserFactory(full_name="Tante").email,
            kind="gemachtigde",
            valid_from=today,
            valid_until=today + timedelta(days=30),
            by=cast.assistant_a,
        )
    patients_services.set_child_consent(
        representation=found[MINOR_WITH_CONSENT], consent=True, by=cast.assistant_a
    )
    found["gemachtigde_8"] = Representation.objects.create(
        practice=cast.practice_a,
        patient=PatientFactory(
            practice=cast.practice_a, date_of_birth=today - timedelta(days=8 * 366)
        ),
        representative=UserFactory(full_name="Buurman"),
        kind="gemachtigde",
        valid_from=today,
        valid_until=today + timedelta(days=5 * 365),
        recorded_by=cast.assistant_a,
    )
    return found


def _minor_client(representation: Representation, refused: bool) -> Client:
    client = verified_client(representation.representative)
    chosen = {"patient": str(representation.patient.public_id)}
    answer = client.post(reverse("patients:acting_for"), chosen).status_code
    assert answer == (403 if refused else 302)
    if refused:  # chosen anyway: every request must check again
        session = client.session
        session[SESSION_KEY] = chosen["patient"]
        session.save()
    return client


def _client(world: World, role: str, minors: dict[str, Representation]) -> Client:
    if role == "anonymous":
        return Client()
    if role in minors:
        return _minor_client(minors[role], refused=role in MINORS_REFUSED)
    if role in GEMACHTIGDE | {"gemachtigde_zelf"}:
        client = verified_client(world.gemachtigde)
        acting_for = {
            "gemachtigde": world.cast.patient_a,
            "gemachtigde_other": world.cast.other_patient_a,
        }
        if role in acting_for:
            chosen = {"patient": str(acting_for[role].public_id)}
            assert client.post(reverse("patients:acting_for"), chosen).status_code == 302
        return client
    user = {
        "patient_a": world.cast.patient_user_a,
        "other_patient_a": world.cast.other_patient_a.user,
        "patient_b": world.cast.patient_user_b,
    }.get(role) or getattr(world.cast, role)
    return verified_client(user)


def _outcome(response) -> object:  # type: ignore[no-untyped-def]
    if response.status_code in (301, 302):
        if "/account/inloggen/" in response["Location"]:
            return "login"
        return "choose" if response["Location"] == reverse("patients:acting_for") else "ok"
    if response.status_code == 200:
        return "ok"
    return response.status_code


@pytest.mark.parametrize("name", sorted(POLICY))
def test_each_role_gets_the_declared_answer(
    world: World, minors: dict[str, Representation], name: str
) -> None:
    policy = POLICY[name]
    url = reverse(name, kwargs=world.kwargs.get(name, {}))
    wrong = []
    for role in ROLES:
        expected = policy[role]
        if expected == "skip":
            continue
        client = _client(world, role, minors)
        response = getattr(client, policy["method"])(url)
        got = _outcome(response)
        if got != expected:
            wrong.append(f"{role}: expected {expected}, got {got}")
    assert not wrong, f"{name}: " + "; ".join(wrong)


# --- Guessing ids ------------------------------------------------------------------------------

# The only URL parameters that are not an object's public UUID, each with why guessing it
# gains nothing. Everything else that names an object in a URL is a random UUID (uuid4), so
# there is no neighbouring id to try: tampered and foreign ids are 404 in the matrix above
# (patient_b, gp_b, other_patient_a, gemachtigde_other) and in each app's own tests.
NOT_AN_OBJECT_ID = {
    ("practice:practice_page", "slug"): "the practice's public page",
    ("agenda:kiosk", "slug"): "a practice's public kiosk page, device-bound",
    ("agenda:waiting_room", "slug"): "a practice's public waiting-room screen",
    ("agenda:waiting_room_calls", "slug"): "its live calls: numbers, never a patient",
    ("agenda:change_status", "action"): "a fixed word (afgerond, ...), the object is a UUID",
    ("triage:public_index", "slug"): "the practice's public self-triage",
    ("triage:public_step", "slug"): "the practice's public self-triage",
    ("triage:public_outcome", "slug"): "the practice's public self-triage",
    ("triage:widget_script", "slug"): "the practice's self-triage widget",
    ("triage:widget_index", "slug"): "the practice's self-triage widget",
    ("triage:widget_step", "slug"): "the practice's self-triage widget",
    ("triage:widget_outcome", "slug"): "the practice's self-triage widget",
    ("triage:switch_off_flow", "code"): "the code of the practice's own flow (its own only)",
    ("triage:public_assistant", "slug"): "the practice's public FAQ assistant",
    ("triage:edit_faq", "key"): "the key of a default answer or the practice's own (its own only)",
    ("triage:edit_question", "item_id"): "a question's id inside a draft the UUID names",
    ("triage:question_action", "item_id"): "a question's id inside a draft the UUID names",
    ("triage:question_action", "action"): "a fixed word (omhoog, ...), the object is a UUID",
    ("triage:export_questionnaire", "kind"): "a fixed word (csv or fhir), the object is a UUID",
    ("dossier:shield", "kind"): "a fixed word (journaal, ...), the object is a UUID",
    ("results:lab_inbox", "door"): "the kind of lab door; the token names the practice",
    ("accounts:confirm_email", "token"): "a signed, expiring token",
    ("patients:confirm_email_change", "token"): "a signed, expiring token (logged in too)",
    ("accounts:password_reset_confirm", "uidb64"): "Django's reset link, only with the token",
    ("accounts:password_reset_confirm", "token"): "Django's HMAC reset token",
    ("fhir:type", "resource_type"): "a FHIR resource type's name (Patient, Observation, ...)",
    ("fhir:instance", "resource_type"): "a FHIR resource type's name",
    # Read only with a bearer token, and a resource's id is its row's random public UUID
    # (tests/fhir: another patient's id is a 404 and a denied entry).
    ("fhir:instance", "public_id"): "a FHIR logical id: the row's public UUID",
    ("fhir:unknown", "rest"): "any other path under the API: a 404",
    ("chroniccare:programme", "code"): "a programme's code from the shipped data (diabetes)",
    ("chroniccare:decide", "code"): "a programme's code from the shipped data",
}
_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def test_every_object_in_a_url_is_a_random_uuid() -> None:
    """No URL takes an integer (or path) id, so sequential guessing is impossible by
    construction; the few other parameters are declared above, a new one fails here."""
    others = {}
    for route, _view, name in _patterns(get_resolver().url_patterns):
        if route.startswith("static/"):  # files, served as in tests/test_url_walk._routes
            continue
        for parameter in _PARAMETER.finditer(route):
            converter = parameter["converter"] or "str"
            assert converter not in ("int", "path"), (name, route)
            if converter != "uuid":
                others[(name, parameter["name"])] = converter
    assert set(others) == set(NOT_AN_OBJECT_ID), sorted(set(others) ^ set(NOT_AN_OBJECT_ID))
    public_ids = [
        model._meta.get_field("public_id")
        for model in apps.get_models()
        if any(field.name == "public_id" for field in model._meta.get_fields())
    ]
    assert len(public_ids) > 15
    for field in public_ids:
        assert isinstance(field, models.UUIDField), field
        assert field.default is uuid.uuid4 and not field.editable, field
        # Unique alone, or (on the way to Citus: tests/test_distribution_ready.py) unique
        # together with the practice, the public id first so a lookup by it uses the index.
        assert field.unique or any(
            isinstance(constraint, models.UniqueConstraint)
            and list(constraint.fields) == ["public_id", "practice"]
            and constraint.condition is None
            for constraint in field.model._meta.constraints
        ), field
