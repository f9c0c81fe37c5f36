"""Acting for someone else: parents by the child's age and consent (WGBO), gemachtigden
until their end date, and every access logged under the representative's own name."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from spreekuur.core.exceptions import BusinessRuleError, PermissionDenied
from spreekuur.core.models import AuditEntry, AuditOutcome
from spreekuur.dossier import services as dossier_services
from spreekuur.patients import portal, services
from spreekuur.patients.models import Patient, Representation
from tests.conftest import Cast, verified_client
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def _years_ago(years: int, *, days: int = 0) -> date:
    """The date of birth of someone who turns `years` exactly `days` days from today."""
    today = timezone.localdate()
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return born + timedelta(days=days)


def _child(cast: Cast, born: date):
    return PatientFactory(practice=cast.practice_a, given_name="Noor", date_of_birth=born)


def _parent_of(cast: Cast, child, **extra: object) -> Representation:
    return Representation.objects.create(
        practice=cast.practice_a,
        patient=child,
        representative=cast.patient_user_a,
        kind="ouder",
        valid_from=timezone.localdate() - timedelta(days=1),
        recorded_by=cast.assistant_a,
        **extra,
    )


# --- The rules, to the day ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "consent", "allowed"),
    [
        (_years_ago(12, days=1), False, True),  # 11, turns 12 tomorrow
        (_years_ago(12), False, False),  # the 12th birthday: consent needed from today
        (_years_ago(12), True, True),
        (_years_ago(16, days=1), True, True),  # 15, turns 16 tomorrow
        (_years_ago(16), True, False),  # the 16th birthday: the patient alone
        (_years_ago(3), False, True),
    ],
)
def test_a_parent_by_the_childs_age_and_consent(
    cast: Cast, born: date, consent: bool, allowed: bool
) -> None:
    representation = _parent_of(
        cast, _child(cast, born), child_consent_on=timezone.localdate() if consent else None
    )
    assert representation.allows(timezone.localdate()) is allowed


def test_a_gemachtigde_until_and_including_the_end_date(cast: Cast) -> None:
    today = timezone.localdate()
    representation = Representation.objects.create(
        practice=cast.practice_a,
        patient=cast.other_patient_a,
        representative=cast.patient_user_a,
        kind="gemachtigde",
        valid_from=today,
        valid_until=today + timedelta(days=10),
        recorded_by=cast.assistant_a,
    )
    assert representation.allows(today) and representation.allows(today + timedelta(days=10))
    assert not representation.allows(today + timedelta(days=11))
    assert not representation.allows(today - timedelta(days=1))
    representation.revoked_at = timezone.now()
    assert representation.refusal(today) == "ingetrokken"


# --- Recording --------------------------------------------------------------------------------


def _record(cast: Cast, patient, **values: object) -> Representation:
    defaults: dict[str, object] = {
        "representative_email": cast.patient_user_a.email,
        "kind": "ouder",
        "valid_from": timezone.localdate(),
        "valid_until": None,
        "by": cast.assistant_a,
    }
    return services.record_representation(patient=patient, **(defaults | values))


def test_the_assistant_records_a_parent_and_it_is_logged(cast: Cast) -> None:
    child = _child(cast, _years_ago(5))
    representation = _record(cast, child)
    assert representation.representative == cast.patient_user_a
    entry = AuditEntry.objects.get(object_kind="representation")
    assert entry.patient == child and entry.actor == cast.assistant_a


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"representative_email": "niemand@voorbeeld.example"}, "portaalaccount"),
        ({"kind": "gemachtigde"}, "einddatum"),
        ({"kind": "gemachtigde", "valid_until": date(2020, 1, 1)}, "verleden"),
        (
            {"kind": "gemachtigde", "valid_until": timezone.localdate() + timedelta(days=2000)},
            "vijf jaar",
        ),
        ({"kind": "baas"}, "ouder of gemachtigde"),
    ],
)
def test_bad_representations_are_refused_in_dutch(cast: Cast, values: dict, message: str) -> None:
    with pytest.raises(BusinessRuleError, match=message):
        _record(cast, _child(cast, _years_ago(5)), **values)
    assert Representation.objects.count() == 0


def test_no_parent_for_a_patient_of_16_and_no_one_for_themself_or_staff(cast: Cast) -> None:
    with pytest.raises(BusinessRuleError, match="16 jaar"):
        _record(cast, _child(cast, _years_ago(16)))
    with pytest.raises(BusinessRuleError, match="eigen vertegenwoordiger"):
        _record(cast, cast.patient_a, kind="gemachtigde", valid_until=timezone.localdate())
    with pytest.raises(BusinessRuleError, match="medewerkersaccount"):
        _record(cast, _child(cast, _years_ago(5)), representative_email=cast.gp_a.email)


def test_the_same_person_twice_is_refused(cast: Cast) -> None:
    child = _child(cast, _years_ago(5))
    _record(cast, child)
    with pytest.raises(BusinessRuleError, match="al vertegenwoordiger"):
        _record(cast, child)


@pytest.mark.parametrize("role", ["manager_a", "gp_b", "patient_user_a"])
def test_only_care_and_desk_staff_of_the_practice_record(cast: Cast, role: str) -> None:
    with pytest.raises(PermissionDenied):
        _record(cast, _child(cast, _years_ago(5)), by=getattr(cast, role))


def test_consent_is_recorded_from_12(cast: Cast) -> None:
    young = _parent_of(cast, _child(cast, _years_ago(11)))
    with pytest.raises(BusinessRuleError, match="vanaf 12"):
        services.set_child_consent(representation=young, consent=True, by=cast.assistant_a)
    older = _child(cast, _years_ago(13))
    representation = Representation.objects.create(
        practice=cast.practice_a,
        patient=older,
        representative=UserFactory(),
        kind="ouder",
        valid_from=timezone.localdate(),
        recorded_by=cast.assistant_a,
    )
    assert not representation.allows(timezone.localdate())
    services.set_child_consent(representation=representation, consent=True, by=cast.assistant_a)
    representation.refresh_from_db()
    assert representation.allows(timezone.localdate())


# --- In the portal ------------------------------------------------------------------------------


def test_a_parent_reads_the_childs_record_logged_under_their_own_name(cast: Cast) -> None:
    cast.practice_a.records_online_from = date(2020, 7, 1)
    cast.practice_a.save()
    child = _child(cast, _years_ago(7))
    dossier_services.record_journal_entry(
        patient=child,
        contact_on=timezone.localdate(),
        kind="consult",
        evaluation="Waterpokken",
        by=cast.gp_a,
    )
    _parent_of(cast, child)
    client = verified_client(cast.patient_user_a)
    assert (
        client.post(reverse("patients:acting_for"), {"patient": str(child.public_id)}).status_code
        == 302
    )
    page = client.get(reverse("dossier:my_record")).content.decode()
    assert "Waterpokken" in page and "namens Noor" in page
    entry = AuditEntry.objects.filter(object_kind="record").latest("id")
    assert entry.patient == child and entry.actor == cast.patient_user_a
    assert entry.actor_role == "ouder" and entry.detail == "namens de patiënt"
    # The parent's own record is untouched by this; back to oneself:
    client.post(reverse("patients:acting_for"), {"patient": "zelf"})
    assert "Waterpokken" not in client.get(reverse("dossier:my_record")).content.decode()


def test_the_right_ends_on_the_12th_birthday_without_consent(cast: Cast) -> None:
    child = _child(cast, _years_ago(12, days=1))
    _parent_of(cast, child)
    client = verified_client(cast.patient_user_a)
    client.post(reverse("patients:acting_for"), {"patient": str(child.public_id)})
    assert client.get(reverse("dossier:my_results")).status_code == 200
    child.date_of_birth = _years_ago(12)  # the birthday has come
    child.save()
    assert client.get(reverse("dossier:my_results")).status_code == 403
    assert AuditEntry.objects.filter(outcome="denied", object_kind="representation").exists()
    # Back to one's own portal on the next request, not stuck.
    assert client.get(reverse("dossier:my_results")).status_code == 200


def test_choosing_someone_one_does_not_represent_is_refused_and_logged(cast: Cast) -> None:
    client = verified_client(cast.patient_user_a)
    response = client.post(
        reverse("patients:acting_for"), {"patient": str(cast.other_patient_a.public_id)}
    )
    assert response.status_code == 403
    assert client.post(reverse("patients:acting_for"), {"patient": "geen-uuid"}).status_code == 403
    assert AuditEntry.objects.filter(outcome="denied", object_kind="representation").count() == 2


def test_someone_who_only_acts_for_others_starts_at_the_choice(cast: Cast) -> None:
    grandparent = UserFactory(full_name="Opa")
    Representation.objects.create(
        practice=cast.practice_a,
        patient=cast.other_patient_a,
        representative=grandparent,
        kind="gemachtigde",
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + timedelta(days=30),
        recorded_by=cast.assistant_a,
    )
    client = verified_client(grandparent)
    response = client.get(reverse("shell:start"))
    assert response.status_code == 302 and response["Location"] == reverse("patients:acting_for")
    # Nothing chosen yet: a portal page sends them to choose, and that is no refusal.
    denied = AuditEntry.objects.filter(outcome=AuditOutcome.DENIED).count()
    response = client.get(reverse("dossier:my_record"), follow=True)
    assert response.redirect_chain == [(reverse("patients:acting_for"), 302)]
    assert "Kies eerst voor wie u het portaal wilt gebruiken." in response.content.decode()
    assert AuditEntry.objects.filter(outcome=AuditOutcome.DENIED).count() == denied
    client.post(reverse("patients:acting_for"), {"patient": str(cast.other_patient_a.public_id)})
    assert client.get(reverse("dossier:my_record")).status_code == 200
    log = client.get(reverse("shell:my_audit_log")).content.decode()
    assert "U zelf" in log and "(gemachtigde)" in log and "namens de patiënt" in log
    entry = AuditEntry.objects.filter(object_kind="record").latest("id")
    assert entry.actor_name == "Opa" and entry.actor_role == "gemachtigde"
    assert client.get(reverse("agenda:my_appointments")).status_code == 403  # own data only


def test_the_staff_page_records_and_revokes(cast: Cast) -> None:
    child = _child(cast, _years_ago(13))
    client = verified_client(cast.assistant_a)
    url = reverse("patients:representations", args=[child.public_id])
    client.post(
        url,
        {
            "actie": "toevoegen",
            "kind": "ouder",
            "email": cast.patient_user_a.email,
            "valid_from": timezone.localdate().isoformat(),
        },
    )
    representation = Representation.objects.get()
    page = client.get(reverse("patients:detail", args=[child.public_id])).content.decode()
    detail = page.split("<main", 1)[1]  # in the page itself, not only somewhere in the head
    assert "toestemming van het kind" in detail
    client.post(url, {"actie": "toestemming", "vertegenwoordiging": str(representation.public_id)})
    representation.refresh_from_db()
    assert representation.child_consent_on == timezone.localdate()
    client.post(url, {"actie": "intrekken", "vertegenwoordiging": str(representation.public_id)})
    representation.refresh_from_db()
    assert representation.revoked_at is not None and representation.revoked_by == cast.assistant_a


def test_a_tampered_representation_id_is_404(cast: Cast) -> None:
    other_child = PatientFactory(practice=cast.practice_b, date_of_birth=_years_ago(5))
    foreign = Representation.objects.create(
        practice=cast.practice_b,
        patient=other_child,
        representative=cast.patient_user_b,
        kind="ouder",
        valid_from=timezone.localdate(),
        recorded_by=cast.gp_b,
    )
    child = _child(cast, _years_ago(5))
    response = verified_client(cast.assistant_a).post(
        reverse("patients:representations", args=[child.public_id]),
        {"actie": "intrekken", "vertegenwoordiging": str(foreign.public_id)},
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def _birthday(born: date, years: int) -> date:
    """The day someone turns `years`: a 29 February child has it on 1 March in other years."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


@given(
    born=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    offset=st.integers(min_value=0, max_value=20 * 366),
    consent=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_the_parent_rule_matches_counting_birthdays(born: date, offset: int, consent: bool) -> None:
    """Property: against an independent reference that counts birthdays, not ages."""
    today = born + timedelta(days=offset)
    twelve = _birthday(born, 12)
    representation = Representation(
        kind="ouder",
        valid_from=born,
        patient=Patient(date_of_birth=born),
        child_consent_on=twelve if consent else None,  # the earliest a child can consent
    )
    expected = today < twelve or (consent and today < _birthday(born, 16))
    assert representation.allows(today) is expected


def test_a_consent_given_before_12_does_not_count(cast: Cast) -> None:
    """Only a child of 12 or older can consent; a date before that (not possible through
    the service, but in a row) is no consent."""
    child = _child(cast, _years_ago(13))
    representation = _parent_of(cast, child, child_consent_on=_years_ago(2))  # at 11
    assert representation.refusal(timezone.localdate()) == (
        "vanaf 12 jaar alleen met toestemming van het kind"
    )


def _noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


@given(
    born=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    recorded=st.integers(min_value=0, max_value=20 * 366),
    consent=st.one_of(st.none(), st.integers(min_value=0, max_value=20 * 366)),
    today=st.integers(min_value=0, max_value=25 * 366),
)
@settings(max_examples=500, deadline=None)
def test_the_gemachtigde_rule_matches_counting_birthdays(
    born: date, recorded: int, consent: int | None, today: int
) -> None:
    """Property: a gemachtigde never for a child under 12 (nor one recorded then); from 12
    with the child's consent; and for good once recorded by a patient of 16."""
    day = born + timedelta(days=today)
    recorded_on = born + timedelta(days=recorded)
    consent_on = None if consent is None else recorded_on + timedelta(days=consent)
    representation = Representation(
        kind="gemachtigde",
        valid_from=born,
        valid_until=date(2100, 1, 1),
        patient=Patient(date_of_birth=born),
        recorded_at=_noon(recorded_on),
        child_consent_on=consent_on,
    )
    twelve, sixteen = _birthday(born, 12), _birthday(born, 16)
    consented = consent_on is not None and twelve <= consent_on <= day
    expected = day >= twelve and recorded_on >= twelve and (recorded_on >= sixteen or consented)
    assert representation.allows(day) is expected


def test_a_representative_needs_a_confirmed_address(cast: Cast) -> None:
    unconfirmed = UserFactory(email_confirmed_at=None)
    with pytest.raises(BusinessRuleError, match="bevestigd"):
        _record(cast, _child(cast, _years_ago(5)), representative_email=unconfirmed.email)


def test_a_page_about_oneself_says_so_while_acting_for_someone(cast: Cast) -> None:
    child = _child(cast, _years_ago(7))
    _parent_of(cast, child)
    client = verified_client(cast.patient_user_a)
    client.post(reverse("patients:acting_for"), {"patient": str(child.public_id)})
    page = client.get(reverse("patients:my_details")).content.decode()
    assert "maar deze pagina gaat over uzelf" in page
    record = client.get(reverse("dossier:my_record")).content.decode()
    assert "maar deze pagina gaat over uzelf" not in record and "namens Noor" in record


# --- A gemachtigde of a minor (WGBO): never under 12, from 12 with the child's consent --------


def _gemachtigde_of(cast: Cast, child, **extra: object) -> Representation:
    """Written straight into the table, as the service would refuse some of these."""
    today = timezone.localdate()
    values: dict[str, object] = {
        "practice": cast.practice_a,
        "patient": child,
        "representative": UserFactory(full_name="Oma"),
        "kind": "gemachtigde",
        "valid_from": today - timedelta(days=1),
        "valid_until": today + timedelta(days=5 * 365),
        "recorded_by": cast.assistant_a,
    }
    return Representation.objects.create(**(values | extra))


def _recorded_years_ago(representation: Representation, years: int) -> None:
    """As if the practice had recorded it `years` years ago (and its consent, if any)."""
    then = timezone.now() - timedelta(days=years * 366)
    Representation.objects.filter(pk=representation.pk).update(recorded_at=then)
    representation.refresh_from_db()


PORTAL_READS = ("dossier:my_record", "dossier:my_results", "dossier:my_record_pdf")


def _portal_reads(cast: Cast, representation: Representation) -> dict[str, int]:
    """What the representative gets on the record, the results and the PDF, with the child
    chosen in the session (as if chosen while it was still allowed, or before these
    rules): each request is checked again."""
    cast.practice_a.records_online_from = date(2020, 7, 1)
    cast.practice_a.save(update_fields=["records_online_from"])
    answers = {}
    for name in PORTAL_READS:
        client = verified_client(representation.representative)
        session = client.session
        session[portal.SESSION_KEY] = str(representation.patient.public_id)
        session.save()
        answers[name] = client.get(reverse(name)).status_code
    return answers


def _choose_status(representation: Representation) -> int:
    client = verified_client(representation.representative)
    chosen = {"patient": str(representation.patient.public_id)}
    return client.post(reverse("patients:acting_for"), chosen).status_code


REFUSED = dict.fromkeys(PORTAL_READS, 403)
ALLOWED = dict.fromkeys(PORTAL_READS, 200)


@pytest.mark.parametrize(
    ("born", "valid_years"), [(_years_ago(8), 5), (_years_ago(12, days=1), 1), (_years_ago(3), 1)]
)
def test_no_gemachtigde_is_recorded_for_a_child_under_12(
    cast: Cast, born: date, valid_years: int
) -> None:
    with pytest.raises(BusinessRuleError, match="Een kind onder 12 jaar kan niemand machtigen"):
        _record(
            cast,
            _child(cast, born),
            kind="gemachtigde",
            valid_until=timezone.localdate() + timedelta(days=valid_years * 365),
        )
    assert Representation.objects.count() == 0
    assert not AuditEntry.objects.filter(object_kind="representation").exists()


def test_a_gemachtigde_is_recorded_from_the_12th_birthday_without_access_yet(cast: Cast) -> None:
    representation = _record(
        cast,
        _child(cast, _years_ago(12)),
        kind="gemachtigde",
        valid_until=timezone.localdate() + timedelta(days=365),
    )
    assert representation.refusal(timezone.localdate()) == (
        "vanaf 12 jaar alleen met toestemming van het kind"
    )


def test_an_existing_gemachtigde_of_an_8_year_old_gives_no_access(cast: Cast) -> None:
    """A row from before these rules (or written around the service): five years for an
    8-year-old. Nothing opens: the choice, the record, the results, the PDF, nor the
    services that act for the child (e-consult, repeat prescriptions)."""
    representation = _gemachtigde_of(cast, _child(cast, _years_ago(8)))
    assert representation.refusal(timezone.localdate()) == (
        "onder 12 jaar handelen de ouders; een kind kan niemand machtigen"
    )
    assert _choose_status(representation) == 403
    assert AuditEntry.objects.filter(
        outcome=AuditOutcome.DENIED, object_kind="representation", patient=representation.patient
    ).exists()
    assert _portal_reads(cast, representation) == REFUSED
    with pytest.raises(PermissionDenied):
        portal.portal_capacity(representation.representative, representation.patient)
    # A consent cannot be recorded for it, nor does one written into the row count.
    with pytest.raises(BusinessRuleError, match="vanaf 12"):
        services.set_child_consent(representation=representation, consent=True, by=cast.assistant_a)
    Representation.objects.filter(pk=representation.pk).update(
        child_consent_on=timezone.localdate()
    )
    representation.refresh_from_db()
    assert not representation.allows(timezone.localdate())
    page = verified_client(representation.representative).get(reverse("patients:acting_for"))
    assert "een kind kan niemand machtigen" in page.content.decode()


@pytest.mark.parametrize(("age_now", "why"), [(13, "jonger was dan 12"), (17, "Vanaf 16 jaar")])
def test_a_gemachtigde_recorded_before_12_never_counts(cast: Cast, age_now: int, why: str) -> None:
    """Recorded for a 10-year-old: when the child is 13 (even with a consent) or 17."""
    representation = _gemachtigde_of(
        cast, _child(cast, _years_ago(age_now)), child_consent_on=timezone.localdate()
    )
    _recorded_years_ago(representation, age_now - 10)
    assert representation.recorded_for_a_young_child()
    assert representation.refusal(timezone.localdate()) == (
        "vastgelegd toen de patiënt jonger was dan 12 jaar; dat geldt niet"
    )
    assert _portal_reads(cast, representation) == REFUSED
    with pytest.raises(BusinessRuleError, match=why):
        services.set_child_consent(representation=representation, consent=True, by=cast.assistant_a)


def test_a_gemachtigde_of_a_14_year_old_reads_only_with_the_childs_consent(cast: Cast) -> None:
    representation = _record(
        cast,
        _child(cast, _years_ago(14)),
        representative_email=UserFactory(full_name="Tante").email,
        kind="gemachtigde",
        valid_until=timezone.localdate() + timedelta(days=365),
    )
    assert _choose_status(representation) == 403
    assert _portal_reads(cast, representation) == REFUSED
    with pytest.raises(PermissionDenied):
        portal.portal_capacity(representation.representative, representation.patient)

    services.set_child_consent(representation=representation, consent=True, by=cast.assistant_a)
    representation.refresh_from_db()
    assert representation.child_consent_on == timezone.localdate()
    entry = AuditEntry.objects.filter(object_kind="representation").latest("id")
    assert entry.action == "change" and entry.detail == "toestemming kind"
    assert entry.actor == cast.assistant_a and entry.patient == representation.patient
    assert _choose_status(representation) == 302
    assert _portal_reads(cast, representation) == ALLOWED
    assert (
        portal.portal_capacity(representation.representative, representation.patient)
        == "gemachtigde"
    )

    # The child withdraws it: access stops at once, and that is logged too.
    services.set_child_consent(representation=representation, consent=False, by=cast.assistant_a)
    entry = AuditEntry.objects.filter(object_kind="representation").latest("id")
    assert entry.detail == "toestemming kind ingetrokken"
    assert _portal_reads(cast, representation) == REFUSED


def test_from_16_a_parent_has_no_access_and_a_gemachtigde_only_as_the_patient_chose(
    cast: Cast,
) -> None:
    sixteen = _child(cast, _years_ago(16))
    parent = _parent_of(cast, sixteen, child_consent_on=_years_ago(2))
    assert _portal_reads(cast, parent) == REFUSED
    chosen_at_16 = _record(
        cast,
        sixteen,
        representative_email=UserFactory().email,
        kind="gemachtigde",
        valid_until=timezone.localdate() + timedelta(days=365),
    )
    assert chosen_at_16.allows(timezone.localdate())  # no child's consent needed
    assert _portal_reads(cast, chosen_at_16) == ALLOWED
    # A child's consent is not asked from 16: the patient authorises someone themself.
    with pytest.raises(BusinessRuleError, match="Vanaf 16 jaar"):
        services.set_child_consent(representation=chosen_at_16, consent=True, by=cast.assistant_a)


def test_a_gemachtigde_the_child_consented_to_at_14_keeps_counting_from_16(cast: Cast) -> None:
    today = timezone.localdate()
    consented = _gemachtigde_of(
        cast, _child(cast, _years_ago(16)), child_consent_on=today - timedelta(days=2 * 366)
    )
    _recorded_years_ago(consented, 2)
    assert consented.allows(today)
    assert _portal_reads(cast, consented) == ALLOWED
    never_consented = _gemachtigde_of(cast, _child(cast, _years_ago(16)))
    _recorded_years_ago(never_consented, 2)
    assert never_consented.refusal(today) == (
        "vanaf 16 jaar alleen met een machtiging van de patiënt zelf"
    )
    assert _portal_reads(cast, never_consented) == REFUSED


def test_consent_on_a_revoked_representation_is_refused(cast: Cast) -> None:
    representation = _gemachtigde_of(cast, _child(cast, _years_ago(14)))
    services.revoke_representation(representation=representation, by=cast.assistant_a)
    with pytest.raises(BusinessRuleError, match="ingetrokken"):
        services.set_child_consent(representation=representation, consent=True, by=cast.assistant_a)


@pytest.mark.parametrize("role", ["manager_a", "gp_b", "patient_user_a"])
def test_only_care_and_desk_staff_of_the_practice_record_a_consent(cast: Cast, role: str) -> None:
    representation = _gemachtigde_of(cast, _child(cast, _years_ago(14)))
    with pytest.raises(PermissionDenied):
        services.set_child_consent(
            representation=representation, consent=True, by=getattr(cast, role)
        )
    representation.refresh_from_db()
    assert representation.child_consent_on is None


@pytest.mark.parametrize(
    ("kind", "age", "asks"),
    [
        ("gemachtigde", 14, True),
        ("ouder", 14, True),
        ("ouder", 5, False),
        ("gemachtigde", 40, False),
    ],
)
def test_the_staff_page_offers_the_childs_consent_where_it_counts(
    cast: Cast, kind: str, age: int, asks: bool
) -> None:
    child = _child(cast, _years_ago(age))
    if kind == "ouder":
        _parent_of(cast, child)
    else:
        _gemachtigde_of(cast, child)
    page = verified_client(cast.assistant_a).get(reverse("patients:detail", args=[child.public_id]))
    assert ('value="toestemming"' in page.content.decode()) is asks


def test_the_staff_page_records_a_consent_for_a_gemachtigde(cast: Cast) -> None:
    child = _child(cast, _years_ago(14))
    representation = _gemachtigde_of(cast, child)
    client = verified_client(cast.assistant_a)
    client.post(
        reverse("patients:representations", args=[child.public_id]),
        {"actie": "toestemming", "vertegenwoordiging": str(representation.public_id)},
    )
    representation.refresh_from_db()
    assert representation.child_consent_on == timezone.localdate()
    assert representation.allows(timezone.localdate())
