"""Taking part in a programme: suggested from the open episodes, decided by the POH or
GP of the practice (never an assistant, a manager, another practice), once at a time,
logged; and stopped with a date and a reason the care group counts."""

from __future__ import annotations

from datetime import date, timedelta
from threading import Barrier, Thread

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from spreekuur.chroniccare import selectors, services
from spreekuur.chroniccare.models import EndReason, Enrolment, EnrolmentStatus
from spreekuur.core.exceptions import BusinessRuleError
from spreekuur.core.models import AuditEntry
from spreekuur.dossier import services as dossier
from spreekuur.dossier.models import Episode
from spreekuur.patients.models import Patient
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _episode(cast: Cast, patient: Patient, icpc: str, *, ended: bool = False) -> Episode:
    gp = cast.gp_a if patient.practice_id == cast.practice_a.pk else cast.gp_b
    episode = dossier.record_episode(
        patient=patient, icpc_code=icpc, title=icpc, started_on=date(2019, 5, 1), by=gp
    )
    if ended:
        dossier.close_episode(episode=episode, ended_on=TODAY(), by=gp)
    return episode


def test_an_open_episode_suggests_the_patient_until_someone_decides(cast: Cast) -> None:
    _episode(cast, cast.patient_a, "T90")
    _episode(cast, cast.other_patient_a, "T90", ended=True)  # closed: not suggested
    _episode(cast, cast.patient_b, "T90")  # another practice
    [suggested] = selectors.suggested_patients(cast.practice_a, "diabetes")
    assert suggested == cast.patient_a and suggested.since == date(2019, 5, 1)
    assert list(selectors.suggested_patients(cast.practice_a, "cvrm")) == []

    enrolment = services.enrol_patient(
        patient=cast.patient_a,
        programme="diabetes",
        started_on=TODAY(),
        main_practitioner=cast.poh_a.membership,
        care_group="Zorggroep Noord",
        financing_period="2027",
        by=cast.poh_a,
    )
    assert list(selectors.suggested_patients(cast.practice_a, "diabetes")) == []
    assert list(selectors.enrolments_in(cast.practice_a, "diabetes")) == [enrolment]
    entry = AuditEntry.objects.filter(object_kind="enrolment").latest("id")
    assert entry.action == "create" and entry.patient == cast.patient_a
    assert entry.object_ids == [str(enrolment.public_id)] and entry.detail == "diabetes"


def test_a_child_with_asthma_is_not_suggested_for_the_adults_programme(cast: Cast) -> None:
    """Asthma's programme is suggested from 16 (programmes.json): a child sees the GP."""
    from spreekuur.chroniccare.planning import months_after

    child, adult = cast.patient_a, cast.other_patient_a
    Patient.objects.filter(pk=child.pk).update(date_of_birth=months_after(TODAY(), -12 * 15))
    Patient.objects.filter(pk=adult.pk).update(date_of_birth=months_after(TODAY(), -12 * 16))
    for patient in (child, adult):
        _episode(cast, patient, "R96")
    assert list(selectors.suggested_patients(cast.practice_a, "astma")) == [adult]


def test_declining_keeps_the_suggestion_away_and_enrolling_later_still_works(cast: Cast) -> None:
    _episode(cast, cast.patient_a, "K86")
    declined = services.decline_enrolment(
        patient=cast.patient_a, programme="cvrm", reason=EndReason.SPECIALIST, by=cast.gp_a
    )
    assert list(selectors.suggested_patients(cast.practice_a, "cvrm")) == []
    with pytest.raises(BusinessRuleError, match="al besloten"):
        services.decline_enrolment(
            patient=cast.patient_a, programme="cvrm", reason=EndReason.OTHER, by=cast.gp_a
        )
    enrolment = services.enrol_patient(
        patient=cast.patient_a, programme="cvrm", started_on=TODAY(), by=cast.gp_a
    )
    declined.refresh_from_db()
    assert declined.status == EnrolmentStatus.ENDED and declined.ended_on == TODAY()
    # Newest first: both decided today, the enrolment last.
    assert list(selectors.enrolments_of(cast.patient_a)) == [enrolment, declined]


def test_taking_part_twice_or_in_an_unknown_programme_is_refused(cast: Cast) -> None:
    services.enrol_patient(
        patient=cast.patient_a, programme="copd", started_on=TODAY(), by=cast.poh_a
    )
    with pytest.raises(BusinessRuleError, match="doet al mee"):
        services.enrol_patient(
            patient=cast.patient_a, programme="copd", started_on=TODAY(), by=cast.gp_a
        )
    with pytest.raises(BusinessRuleError, match="bestaat niet"):
        services.enrol_patient(
            patient=cast.patient_a, programme="reuma", started_on=TODAY(), by=cast.gp_a
        )
    with pytest.raises(BusinessRuleError, match="toekomst"):
        services.enrol_patient(
            patient=cast.patient_a,
            programme="astma",
            started_on=TODAY() + timedelta(days=1),
            by=cast.gp_a,
        )
    with pytest.raises(BusinessRuleError, match="hoofdbehandelaar"):
        services.enrol_patient(
            patient=cast.patient_a,
            programme="astma",
            started_on=TODAY(),
            main_practitioner=cast.assistant_a.membership,
            by=cast.gp_a,
        )
    assert Enrolment.objects.count() == 1


@pytest.mark.parametrize("who", ["assistant_a", "manager_a", "gp_b", "patient_user_a"])
def test_only_the_poh_and_gp_of_the_practice_decide(cast: Cast, who: str) -> None:
    by = getattr(cast, who)
    with pytest.raises(PermissionDenied):
        services.enrol_patient(
            patient=cast.patient_a, programme="diabetes", started_on=TODAY(), by=by
        )
    with pytest.raises(PermissionDenied):
        services.decline_enrolment(
            patient=cast.patient_a, programme="diabetes", reason=EndReason.OTHER, by=by
        )
    assert not Enrolment.objects.exists()
    assert not AuditEntry.objects.filter(object_kind="enrolment").exists()


def test_stopping_has_a_date_and_a_reason(cast: Cast) -> None:
    started = TODAY() - timedelta(days=400)
    enrolment = services.enrol_patient(
        patient=cast.patient_a, programme="hartfalen", started_on=started, by=cast.gp_a
    )
    with pytest.raises(BusinessRuleError, match="voor de startdatum"):
        services.end_enrolment(
            enrolment=enrolment,
            ended_on=started - timedelta(days=1),
            reason=EndReason.DECEASED,
            by=cast.gp_a,
        )
    with pytest.raises(BusinessRuleError, match="reden"):
        services.end_enrolment(enrolment=enrolment, ended_on=TODAY(), reason="zomaar", by=cast.gp_a)
    with pytest.raises(PermissionDenied):
        services.end_enrolment(
            enrolment=enrolment, ended_on=TODAY(), reason=EndReason.DECEASED, by=cast.gp_b
        )
    ended = services.end_enrolment(
        enrolment=enrolment,
        ended_on=TODAY() - timedelta(days=10),
        reason=EndReason.DECEASED,
        by=cast.poh_a,
    )
    assert ended.status == EnrolmentStatus.ENDED and ended.end_reason == EndReason.DECEASED
    with pytest.raises(BusinessRuleError, match="al gestopt"):
        services.end_enrolment(
            enrolment=ended, ended_on=TODAY(), reason=EndReason.OTHER, by=cast.gp_a
        )
    # Stopped: a new decision may follow (say, after moving back).
    services.enrol_patient(
        patient=cast.patient_a, programme="hartfalen", started_on=TODAY(), by=cast.gp_a
    )
    assert Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_at_once_enrol_one_patient_once(cast: Cast) -> None:
    """The POH and the GP press "doet mee" at the same moment: one enrolment, one refusal."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks and partial unique indexes: PostgreSQL")
    barrier = Barrier(2)
    outcomes: list[str] = []

    def enrol(by: object) -> None:
        barrier.wait()
        try:
            services.enrol_patient(
                patient=cast.patient_a,
                programme="af",
                started_on=TODAY(),
                by=by,  # type: ignore[arg-type]
            )
            outcomes.append("enrolled")
        except BusinessRuleError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [Thread(target=enrol, args=(user,)) for user in (cast.poh_a, cast.gp_a)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["enrolled", "refused"]
    assert Enrolment.objects.filter(programme="af").count() == 1
