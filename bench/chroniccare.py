"""Chronic care (ketenzorg, issue 22): the region's quality indicators, the control consult
and the due list, on the regional database.

Set-up (bulk SQL, idempotent: the bench database is reused across steps): the region's
patients are enrolled in the programmes of their open episodes (the ICPC codes of
chroniccare/data/programmes.json), the POH as main practitioner, with the controls of the
last two years (a fixed share overdue); the region already has the POH's blood pressures
and the lab's results. One De Linde patient gets a diabetes enrolment of ten years with 40
quarterly controls, each with a blood pressure and a weight, and 40 HbA1c results. A
practice of 10,000 patients (demo generator, BSNs of its own) gets open episodes at
realistic rates (T90 7 %, K86 12 %, R95 2 %, R96 5 %, K77 1 %, K78 2 %), its enrolments
and controls the same way.

A. The indicators of every programme for all the region's practices over the last 12
   months (`programme_figures`, one query per programme), in-process; baseline, same run,
   same connection: a bare SQL written by hand for the same figures (the latest value per
   patient and test with DISTINCT ON, FILTER aggregates). Both give the same numbers, or
   the step fails. Best of 3 each, alternating.
B. The control consult of the ten-year patient (De Linde's POH) and the due list of the
   10,000-patient practice (its POH) on one gunicorn worker, run.REQUESTS_PER_PAGE
   sequential requests each, against /healthz; the care group's regional view (diabetes)
   for information.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import booking  # server helpers of the agenda benchmark
import httpx
import operations  # the region's analyst
import results  # django_setup, ensure_database, sequential page times
import run
import summary

BENCH_GROUP = "Zorggroep (bench)"  # marks the enrolments this step made
LONG_GROUP = "Zorggroep (bench, tien jaar)"  # the ten-year patient's enrolment
LONG_YEARS = 10
BIG_SLUG = "ketenzorg-bench"
BIG_NUMBER = 9000  # its PracticeSpec number (AGB and phone numbers; not a region practice)
BIG_PATIENTS = 10_000
BIG_BSN_FROM = 950_000  # BSN counters above the region's blocks (200 x 4,000)
# Open episodes of the big practice: share of all patients, lowest age, title.
EPISODES = {
    "T90": (0.07, 40, "Diabetes mellitus type 2"),
    "K86": (0.12, 40, "Hoge bloeddruk"),
    "R95": (0.02, 45, "COPD"),
    "R96": (0.05, 5, "Astma"),
    "K77": (0.01, 55, "Hartfalen"),
    "K78": (0.02, 55, "Boezemfibrilleren"),
}
OVERDUE_SHARE = 8  # % of enrolments whose last control is over a year before the interval
TARGET_RATIO = 2.0
TARGET_CONTROL_MS = 150.0
TARGET_DUE_LIST_MS = 200.0
TRIES = 3


# ---- set-up ---------------------------------------------------------------------------------


def _programme_rows() -> tuple[str, list[Any]]:
    """VALUES (code, icpc, control months, checkups every n controls, check-up months) of
    the programmes."""
    from spreekuur.chroniccare.programmes import programmes

    rows, params = [], []
    for scheme in programmes().values():
        ratio = max(1, scheme.checkup_every_months // scheme.control_every_months)
        for icpc in scheme.icpc_codes:
            rows.append("(%s, %s, %s::int, %s::int, %s::int)")
            params += [
                scheme.code,
                icpc,
                scheme.control_every_months,
                ratio,
                scheme.checkup_every_months,
            ]
    return ", ".join(rows), params


def enrol_from_episodes(today: date, practice_ids: list[int] | None = None) -> int:
    """Every patient with an open episode of a programme takes part in it (unless a
    decision is there already): since the earliest such episode, the POH as main
    practitioner. Then the controls of the last two years. Returns enrolments made."""
    from django.db import connection, transaction

    values, params = _programme_rows()
    where = "AND e.practice_id = ANY(%s)" if practice_ids is not None else ""
    extra = [practice_ids] if practice_ids is not None else []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO chroniccare_enrolment (public_id, practice_id, patient_id, programme,
                status, started_on, next_control_on, next_checkup_on, end_reason,
                main_practitioner_id, care_group, financing_period, created_by_id, created_at,
                changed_at)
            SELECT gen_random_uuid(), e.practice_id, e.patient_id, m.code, 'actief',
                min(e.started_on), min(e.started_on), min(e.started_on), '', poh.id, %s, %s,
                poh.user_id, now(), now()
            FROM dossier_episode e
            JOIN (VALUES {values}) AS m(code, icpc, every, ratio, checkup) ON m.icpc = e.icpc_code
            JOIN LATERAL (
                SELECT ms.id, ms.user_id FROM accounts_membership ms
                WHERE ms.practice_id = e.practice_id
                ORDER BY ms.role = 'poh' DESC, ms.id LIMIT 1
            ) poh ON TRUE
            WHERE e.ended_on IS NULL {where}
              AND NOT EXISTS (
                SELECT 1 FROM chroniccare_enrolment x
                WHERE x.practice_id = e.practice_id AND x.patient_id = e.patient_id
                  AND x.programme = m.code)
            GROUP BY e.practice_id, e.patient_id, m.code, poh.id, poh.user_id
            """,  # noqa: S608 - the VALUES are placeholders
            [BENCH_GROUP, str(today.year), *params, *extra],
        )
        made = cursor.rowcount
        # Controls every interval back from the last one (0 to 1.15 intervals ago, a share
        # a year longer), within the last two years and after the start; every
        # checkup/control-th one the annual check-up; each sets the next date.
        cursor.execute(
            f"""
            INSERT INTO chroniccare_control (public_id, practice_id, patient_id, enrolment_id,
                kind, held_on, advice, next_on, created_by_id, created_at)
            SELECT gen_random_uuid(), e.practice_id, e.patient_id, e.id,
                CASE WHEN (s.n + e.id) %% m.ratio = 0 THEN 'jaarcontrole' ELSE 'controle' END,
                s.held_on, '', (s.held_on + make_interval(months => m.every))::date,
                e.created_by_id, now()
            FROM chroniccare_enrolment e
            JOIN (SELECT DISTINCT code, every, ratio FROM (VALUES {values})
                  AS v(code, icpc, every, ratio, checkup)) m ON m.code = e.programme
            CROSS JOIN LATERAL (
                SELECT n, (%s::date - abs(hashtext(e.id::text)) %% (m.every * 35)
                    - CASE WHEN abs(hashtext(e.public_id::text)) %% 100 < %s THEN 365 ELSE 0 END
                    - make_interval(months => n * m.every))::date AS held_on
                FROM generate_series(0, 24 / m.every) AS n
            ) s
            WHERE e.care_group = %s AND e.status = 'actief'
              AND s.held_on >= greatest(e.started_on, %s::date - 730)
              AND NOT EXISTS (SELECT 1 FROM chroniccare_control c WHERE c.enrolment_id = e.id)
              {where}
            """,  # noqa: S608
            [*params, today, OVERDUE_SHARE, BENCH_GROUP, today, *extra],
        )
        controls = cursor.rowcount
        # The planning services.replan keeps, in SQL (PostgreSQL's month arithmetic ends
        # a month as planning.months_after does; check_planning compares the two).
        cursor.execute(
            f"""
            UPDATE chroniccare_enrolment e SET
                last_control_on = (SELECT max(held_on) FROM chroniccare_control c
                                   WHERE c.enrolment_id = e.id),
                last_checkup_on = (SELECT max(held_on) FROM chroniccare_control c
                                   WHERE c.enrolment_id = e.id AND c.kind = 'jaarcontrole')
            WHERE e.care_group = %s AND e.status = 'actief' {where}
            """,  # noqa: S608
            [BENCH_GROUP, *extra],
        )
        cursor.execute(
            f"""
            UPDATE chroniccare_enrolment e SET
                next_control_on = coalesce(
                    (SELECT c.next_on FROM chroniccare_control c WHERE c.enrolment_id = e.id
                     ORDER BY c.held_on DESC, c.id DESC LIMIT 1),
                    (e.last_control_on + make_interval(months => m.every))::date,
                    e.started_on),
                next_checkup_on = coalesce(
                    (e.last_checkup_on + make_interval(months => m.checkup))::date,
                    e.started_on)
            FROM (SELECT DISTINCT code, every, checkup FROM (VALUES {values})
                  AS v(code, icpc, every, ratio, checkup)) m
            WHERE m.code = e.programme AND e.care_group = %s AND e.status = 'actief' {where}
            """,  # noqa: S608
            [*params, BENCH_GROUP, *extra],
        )
    print(f"  {made:,} enrolments, {controls:,} controls", file=sys.stderr, flush=True)
    return made


def ten_year_patient(today: date) -> str:
    """A De Linde patient in the diabetes programme for ten years: 40 quarterly controls,
    each with a blood pressure (the diastolic paired with its systolic) and a weight, and
    an HbA1c from the lab before each. Returns the enrolment's public id."""
    import hashlib
    import random
    from datetime import time as clock
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from spreekuur.accounts.models import Membership
    from spreekuur.chroniccare.models import (
        IN_FORCE,
        Control,
        ControlKind,
        Enrolment,
        EnrolmentStatus,
    )
    from spreekuur.chroniccare.planning import months_after
    from spreekuur.chroniccare.services import replan
    from spreekuur.core.models import Practice
    from spreekuur.core.roles import StaffRole
    from spreekuur.dossier.models import Episode, Measurement
    from spreekuur.patients.models import Patient
    from spreekuur.results.models import Door, LabMessage, LabResult, LabTest, MessageStatus

    found = Enrolment.objects.filter(care_group=LONG_GROUP).first()
    if found is not None:
        return str(found.public_id)
    practice = Practice.objects.get(slug="de-linde")
    poh = Membership.objects.select_related("user").get(practice=practice, role=StaffRole.POH)
    gp = Membership.objects.filter(practice=practice, role=StaffRole.HUISARTS).order_by("id")[0]
    taken = Enrolment.objects.filter(
        practice=practice, programme="diabetes", status__in=IN_FORCE
    ).values("patient_id")
    patient = (
        Patient.objects.filter(
            practice=practice,
            user__isnull=True,  # not the portal's demo patient
            date_of_birth__lte=today - timedelta(days=60 * 365),
            date_of_birth__gte=today - timedelta(days=68 * 365),
        )
        .exclude(pk__in=taken)
        .order_by("id")
        .first()
    )
    if patient is None:
        raise SystemExit("chroniccare: no De Linde patient of 60 to 68 for the ten-year control")
    started = months_after(today, -12 * LONG_YEARS)
    tests = {t.nhg_code: t for t in LabTest.objects.filter(nhg_code__in=["1744", "1740", "357"])}
    hba1c = LabTest.objects.get(nhg_code="2816")
    rng = random.Random("chroniccare-ten-years")
    with transaction.atomic():
        Episode.objects.create(
            practice=practice,
            patient=patient,
            created_by=gp.user,
            icpc_code="T90",
            title="Diabetes mellitus type 2",
            started_on=started,
        )
        enrolment = Enrolment.objects.create(
            practice=practice,
            patient=patient,
            programme="diabetes",
            status=EnrolmentStatus.ACTIVE,
            started_on=started,
            next_control_on=started,  # replanned below, from the controls
            next_checkup_on=started,
            main_practitioner=poh,
            care_group=LONG_GROUP,
            created_by=poh.user,
        )
        days = [months_after(started, 3 * n + 1) for n in range(4 * LONG_YEARS)]
        Control.objects.bulk_create(
            Control(
                practice=practice,
                patient=patient,
                enrolment=enrolment,
                kind=ControlKind.CHECKUP if n % 4 == 3 else ControlKind.CONTROL,
                held_on=day,
                advice="Leefstijl besproken." if n % 3 == 0 else "",
                next_on=months_after(day, 3),
                created_by=poh.user,
            )
            for n, day in enumerate(days)
        )
        replan(Enrolment.objects.filter(pk=enrolment.pk))

        def reading(
            code: str, day: date, value: float, pair: Measurement | None = None
        ) -> Measurement:
            return Measurement(
                practice=practice,
                patient=patient,
                created_by=poh.user,
                test=tests[code],
                value=Decimal(f"{value:.1f}"),
                measured_on=day,
                pair=pair,
            )

        systolic = Measurement.objects.bulk_create(
            reading("1744", day, rng.gauss(138, 10)) for day in days
        )
        # Each diastolic names its systolic (dossier.services._pair): one reading.
        Measurement.objects.bulk_create(
            [
                *(reading("1740", s.measured_on, rng.gauss(82, 7), pair=s) for s in systolic),
                *(
                    reading("357", day, 88 - n * 0.1 + rng.gauss(0, 1))
                    for n, day in enumerate(days)
                ),
            ]
        )
        raw = f"bench ketenzorg: HbA1c van patient {patient.pk}"
        message = LabMessage.objects.create(
            practice=practice,
            door=Door.HL7V2,
            digest=hashlib.sha256(raw.encode()).hexdigest(),
            source="bench",
            sender="Streeklab Regio Noord",
            raw=raw,
            status=MessageStatus.IMPORTED,
            patient=patient,
            result_count=len(days),
        )
        reviewed = timezone.now()
        rows = []
        for n, day in enumerate(days):
            value = Decimal(f"{rng.gauss(54, 5):.0f}")
            drawn = timezone.make_aware(datetime.combine(day - timedelta(days=7), clock(8, 30)))
            key = f"bench-ketenzorg-{patient.pk}-{n}"
            rows.append(
                LabResult(
                    practice=practice,
                    patient=patient,
                    message=message,
                    test=hba1c,
                    base_key=key,
                    source_key=key,
                    observed_at=drawn,
                    value=value,
                    value_text=str(value),
                    unit=hba1c.unit,
                    reviewer=gp.user,
                    reviewed_by=gp.user,
                    reviewed_at=reviewed,
                    comment="Besproken bij de controle.",
                    released=True,
                )
            )
        LabResult.objects.bulk_create(rows)
    return str(enrolment.public_id)


def set_up_region() -> dict[str, Any]:
    """The region's enrolments and controls, the ten-year patient, the care group's
    analyst (operations.ANALYST) with the region's practices."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from spreekuur.accounts.models import User
    from spreekuur.core.models import Practice
    from spreekuur.dashboard.services import add_region_analyst
    from spreekuur.dashboard.services import set_up_region as region_of_practices
    from spreekuur.demo.logins import DEMO_PASSWORD, DEMO_TOTP_HEX

    today = timezone.localdate()
    long_enrolment = ten_year_patient(today)  # first: the region's enrolment skips them
    started = time.perf_counter()
    made = enrol_from_episodes(today)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE chroniccare_enrolment, chroniccare_control")
    slugs = list(
        Practice.objects.exclude(slug=BIG_SLUG).order_by("id").values_list("slug", flat=True)
    )
    region = region_of_practices(
        slug="zorggroep-bench", name="Zorggroep (bench)", practice_slugs=slugs
    )
    analyst, created = User.objects.get_or_create(
        email=operations.ANALYST,
        defaults={"full_name": "Analist", "password": make_password(DEMO_PASSWORD)},
    )
    if created:
        TOTPDevice.objects.create(user=analyst, name="Demo", key=DEMO_TOTP_HEX, confirmed=True)
    add_region_analyst(region=region, user=analyst)
    return {
        "long_enrolment": long_enrolment,
        "made": made,
        "seconds": seconds,
        **counts(None),
    }


def counts(practice_id: int | None) -> dict[str, Any]:
    """Patients, enrolments per programme and controls (of one practice, or all but the
    big one)."""
    from django.db import connection

    where = "practice_id = %s" if practice_id else "practice_id <> ALL(%s)"
    param: Any = practice_id or big_practice_ids()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM patients_patient WHERE {where}", [param])  # noqa: S608
        patients = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT programme, count(*) FROM chroniccare_enrolment WHERE {where} "  # noqa: S608
            "AND status = 'actief' GROUP BY programme ORDER BY programme",
            [param],
        )
        enrolments = dict(cursor.fetchall())
        cursor.execute(f"SELECT count(*) FROM chroniccare_control WHERE {where}", [param])  # noqa: S608
        controls = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT count(DISTINCT practice_id) FROM patients_patient WHERE {where}",  # noqa: S608
            [param],
        )
        practices = cursor.fetchone()[0]
    return {
        "practices": practices,
        "patients": patients,
        "enrolments": enrolments,
        "controls": controls,
    }


def check_planning(practice_id: int) -> None:
    """The planning the set-up wrote in SQL is the one services.replan makes in Python
    (month ends included), or the step stops."""
    from spreekuur.chroniccare.models import Enrolment
    from spreekuur.chroniccare.planning import PLANNED_FIELDS
    from spreekuur.chroniccare.services import replan

    enrolments = Enrolment.objects.filter(practice_id=practice_id).order_by("pk")
    written = list(enrolments.values_list("pk", *PLANNED_FIELDS))
    replan(enrolments)
    planned = list(enrolments.values_list("pk", *PLANNED_FIELDS))
    differ = sum(a != b for a, b in zip(written, planned, strict=True))
    if differ:
        raise SystemExit(f"chroniccare: {differ} enrolments planned otherwise in SQL")


def big_practice_ids() -> list[int]:
    from spreekuur.core.models import Practice

    return list(Practice.objects.filter(slug=BIG_SLUG).values_list("id", flat=True))


def set_up_big_practice() -> dict[str, Any]:
    """A practice of 10,000 patients with its staff (demo generator), open episodes at
    realistic rates, everyone with one enrolled and given two years of controls."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from spreekuur.demo import generator
    from spreekuur.demo.logins import DEMO_PASSWORD
    from spreekuur.dossier.models import Episode

    today = timezone.localdate()

    def own_bsns(_number: int) -> Any:
        # The generator's blocks hold about 3,600 BSNs; this practice needs 10,000.
        for counter in range(BIG_BSN_FROM, 1_000_000):
            bsn = generator.complete_bsn(f"{generator.BSN_PREFIX}{counter:06d}")
            if bsn is not None:
                yield bsn
        raise RuntimeError("BSN counters exhausted")

    generator._bsns = own_bsns  # the bench's own practice, in this process only
    started = time.perf_counter()
    practice, _created = generator.build_practice(
        generator.PracticeSpec(
            BIG_NUMBER, BIG_SLUG, "Huisartsen Ketenzorg (bench)", "Bench", BIG_PATIENTS
        ),
        password_hash=make_password(DEMO_PASSWORD),
        today=today,
    )
    if not Episode.objects.filter(practice=practice).exists():
        values = ", ".join(["(%s, %s::float, %s::int, %s)"] * len(EPISODES))
        params = [
            x for code, (share, age, title) in EPISODES.items() for x in (code, share, age, title)
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            # Each condition among those old enough, at the rate that gives its share of
            # all the practice's patients; begun up to 15 years ago, as an adult (or a
            # child, for asthma), by one of the GPs.
            cursor.execute(
                f"""
                WITH c(code, share, min_age, title) AS (VALUES {values}),
                p AS (
                    SELECT pt.id, pt.date_of_birth,
                        extract(year FROM age(%s::date, pt.date_of_birth))::int AS years
                    FROM patients_patient pt WHERE pt.practice_id = %s),
                eligible AS (
                    SELECT c.code, count(*) FILTER (WHERE p.years >= c.min_age)::float
                        / count(*) AS part
                    FROM c CROSS JOIN p GROUP BY c.code)
                INSERT INTO dossier_episode (public_id, practice_id, patient_id, created_by_id,
                    created_at, shielded, icpc_code, title, started_on)
                SELECT gen_random_uuid(), %s, p.id, gp.user_id, now(), false, c.code, c.title,
                    greatest(p.date_of_birth + (c.min_age - 5) * 365,
                             %s::date - abs(hashtext(p.id::text || c.code || 'begun')) %% 5475)
                FROM c JOIN eligible USING (code) JOIN p ON p.years >= c.min_age
                JOIN LATERAL (
                    SELECT user_id FROM accounts_membership
                    WHERE practice_id = %s AND role = 'huisarts'
                    ORDER BY (user_id + p.id) %% 3 LIMIT 1) gp ON TRUE
                WHERE abs(hashtext(p.id::text || c.code)) %% 100000
                    < c.share / eligible.part * 100000
                """,  # noqa: S608 - placeholders only
                [*params, today, practice.pk, practice.pk, today, practice.pk],
            )
        enrol_from_episodes(today, [practice.pk])
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE patients_patient, dossier_episode, chroniccare_enrolment, "
                "chroniccare_control"
            )
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT icpc_code, count(*) FROM dossier_episode WHERE practice_id = %s "
            "AND ended_on IS NULL GROUP BY icpc_code ORDER BY icpc_code",
            [practice.pk],
        )
        episodes = dict(cursor.fetchall())
    from spreekuur.chroniccare.selectors import due_list

    check_planning(practice.pk)
    due = due_list(practice, today=today)
    return {
        "slug": BIG_SLUG,
        "seconds": seconds,
        "episodes": episodes,
        "due": due.count(),
        "overdue": due.filter(due_on__lt=today).count(),
        **counts(practice.pk),
    }


# ---- A. the indicators against the bare SQL -------------------------------------------------


def bare_sql(scheme: Any, tests: dict[str, Any]) -> tuple[str, list[Any]]:
    """The programme's figures per practice, by hand: participants and whole-period
    participants, the controls held per enrolment, and each patient's latest value per
    test in the period (DISTINCT ON), then one FILTER count per numerator and denominator.
    Parameters by name: practices, code, first, last, from, until."""
    from spreekuur.dossier.models import MEASUREMENT_LIMITS

    codes = {i.nhg_code for i in scheme.indicators if i.nhg_code in tests}
    measured = [tests[c].pk for c in sorted(codes) if c in MEASUREMENT_LIMITS]
    lab = [tests[c].pk for c in sorted(codes) if c not in MEASUREMENT_LIMITS]
    params: list[Any] = []
    columns = []
    for indicator in scheme.indicators:
        if indicator.kind == "control":
            columns += ["whole AND h.enrolment_id IS NOT NULL", "whole"]
        elif indicator.kind == "checkup":
            columns += ["whole AND h.checkup", "whole"]
        elif indicator.nhg_code not in tests:
            columns += ["FALSE", "FALSE"]
        elif indicator.kind == "measured":
            columns += [f"whole AND v_{indicator.nhg_code} IS NOT NULL", "whole"]
        else:
            value = f"v_{indicator.nhg_code}"
            target = scheme.measure(indicator.nhg_code).target
            counted = f"whole AND {value} IS NOT NULL"
            if target.until_age is not None:
                counted += (
                    f" AND born > (%(last)s::date - make_interval(years => {target.until_age}))"
                )
            if target.below is not None:
                on, bound = "<", target.below
            elif target.at_most is not None:
                on, bound = "<=", target.at_most
            else:
                on, bound = ">=", target.at_least
            name = f"bound_{len(params)}"
            params.append((name, bound))
            columns += [f"{counted} AND {value} {on} %({name})s", counted]
    latest = []
    if measured:
        latest.append(
            f"""(SELECT DISTINCT ON (m.practice_id, m.patient_id, m.test_id)
                    m.practice_id, m.patient_id, m.test_id, m.value::numeric AS value
                FROM dossier_measurement m
                WHERE m.test_id IN ({", ".join(map(str, measured))}) AND m.source = 'praktijk'
                  AND m.measured_on BETWEEN %(first)s AND %(last)s
                  AND (m.practice_id, m.patient_id) IN
                      (SELECT practice_id, patient_id FROM participant)
                ORDER BY m.practice_id, m.patient_id, m.test_id, m.measured_on DESC, m.id DESC)"""  # noqa: S608
        )
    if lab:
        latest.append(
            f"""(SELECT DISTINCT ON (r.practice_id, r.patient_id, r.test_id)
                    r.practice_id, r.patient_id, r.test_id, r.value
                FROM results_labresult r
                WHERE r.test_id IN ({", ".join(map(str, lab))}) AND NOT r.replaced
                  AND r.value IS NOT NULL
                  AND r.observed_at >= %(from)s AND r.observed_at < %(until)s
                  AND (r.practice_id, r.patient_id) IN
                      (SELECT practice_id, patient_id FROM participant)
                ORDER BY r.practice_id, r.patient_id, r.test_id, r.observed_at DESC, r.id DESC)"""  # noqa: S608
        )
    per_patient = ""
    if latest:
        pivot = ", ".join(
            f"max(value) FILTER (WHERE test_id = {tests[c].pk}) AS v_{c}" for c in sorted(codes)
        )
        per_patient = f"""
            , latest AS ({" UNION ALL ".join(latest)})
            , value AS (SELECT practice_id, patient_id, {pivot}
                        FROM latest GROUP BY practice_id, patient_id)"""  # noqa: S608
    counted = ", ".join(f"count(*) FILTER (WHERE {c})" for c in columns)
    values = (
        "LEFT JOIN value v ON v.practice_id = pt.practice_id AND v.patient_id = pt.patient_id"
        if latest
        else ""
    )
    sql = f"""
        WITH participant AS (
            SELECT e.id, e.practice_id, e.patient_id, e.started_on <= %(first)s AS whole,
                p.date_of_birth AS born
            FROM chroniccare_enrolment e JOIN patients_patient p ON p.id = e.patient_id
            WHERE e.practice_id = ANY(%(practices)s) AND e.programme = %(code)s
              AND e.status IN ('actief', 'beeindigd') AND e.started_on <= %(last)s
              AND (e.ended_on IS NULL OR e.ended_on > %(last)s)
        ), held AS (
            SELECT c.enrolment_id, bool_or(c.kind = 'jaarcontrole') AS checkup
            FROM chroniccare_control c
            WHERE c.enrolment_id IN (SELECT id FROM participant)
              AND c.held_on BETWEEN %(first)s AND %(last)s
            GROUP BY c.enrolment_id
        ){per_patient}
        SELECT pt.practice_id, count(*), count(*) FILTER (WHERE whole)
            {", " + counted if counted else ""}
        FROM participant pt LEFT JOIN held h ON h.enrolment_id = pt.id
        {values}
        GROUP BY pt.practice_id"""  # noqa: S608 - ids and names from the programmes file
    return sql, params


def indicators_in_django() -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from spreekuur.chroniccare.indicators import programme_figures
    from spreekuur.chroniccare.programmes import programmes
    from spreekuur.core.models import Practice
    from spreekuur.results.models import LabTest

    today = timezone.localdate()
    first, last = today - timedelta(days=364), today
    practice_ids = list(
        Practice.objects.exclude(slug=BIG_SLUG).order_by("id").values_list("id", flat=True)
    )
    schemes = list(programmes().values())

    def midnight(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, datetime.min.time()))

    def django_figures() -> dict[str, dict[int, list[int]]]:
        found = {}
        for scheme in schemes:
            by_practice = programme_figures(practice_ids, scheme, first, last)
            found[scheme.code] = {
                pk: [
                    f.participants,
                    f.whole_period,
                    *(n for s in f.shares for n in (s.numerator, s.denominator)),
                ]
                for pk, f in by_practice.items()
            }
        return found

    def bare_figures() -> dict[str, dict[int, list[int]]]:
        codes = {i.nhg_code for s in schemes for i in s.indicators if i.nhg_code}
        tests = {t.nhg_code: t for t in LabTest.objects.filter(nhg_code__in=codes)}
        found = {}
        with connection.cursor() as cursor:
            for scheme in schemes:
                sql, bounds = bare_sql(scheme, tests)
                cursor.execute(
                    sql,
                    {
                        "practices": practice_ids,
                        "code": scheme.code,
                        "first": first,
                        "last": last,
                        "from": midnight(first),
                        "until": midnight(last + timedelta(days=1)),
                        **dict(bounds),
                    },
                )
                rows = {row[0]: list(row[1:]) for row in cursor.fetchall()}
                width = 2 + 2 * len(scheme.indicators)
                found[scheme.code] = {pk: rows.get(pk, [0] * width) for pk in practice_ids}
        return found

    django_seconds, bare_seconds = [], []
    for _try in range(TRIES):
        started = time.perf_counter()
        ours = django_figures()
        django_seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        bare = bare_figures()
        bare_seconds.append(time.perf_counter() - started)
    differences = [
        f"{code} practice {pk}: programme_figures {ours[code][pk]}, bare {bare[code][pk]}"
        for code in ours
        for pk in practice_ids
        if ours[code][pk] != bare[code][pk]
    ]
    totals = {
        code: [sum(column) for column in zip(*by_practice.values(), strict=True)]
        for code, by_practice in ours.items()
    }
    return {
        "seconds": min(django_seconds),
        "bare_seconds": min(bare_seconds),
        "all_seconds": django_seconds,
        "all_bare_seconds": bare_seconds,
        "practices": len(practice_ids),
        "participants": {code: total[0] for code, total in totals.items()},
        "whole_period": {code: total[1] for code, total in totals.items()},
        "differences": differences,
        "first": first.isoformat(),
        "last": last.isoformat(),
    }


# ---- B. pages -------------------------------------------------------------------------------


def pages(env: dict[str, str], paths: list[tuple[str | None, str]]) -> list[results.PageTimes]:
    server, base = booking.start_one_worker(booking.server_env(env))
    try:
        found = []
        for who, path in paths:
            session = None
            if who:
                with httpx.Client(base_url=base, timeout=30) as client:
                    run.login(client, who, env)
                    session = client.cookies.get("sessionid")
                    page = client.get(path)
                    if page.status_code != 200:
                        raise RuntimeError(f"{who}: {path} answered {page.status_code}")
            found.append(results.sequential(base, session, path))
        return found
    finally:
        booking.stop_server(server)


# ---- the run ---------------------------------------------------------------------------------


def child(step: str, env: dict[str, str]) -> dict[str, Any]:
    """A step that needs Django, in a process of its own (the bench's own stays clean)."""
    import subprocess

    done = subprocess.run(
        [str(run.BIN / "python"), __file__, step],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=str(Path(__file__).parent),
    )
    if done.stderr.strip():
        print(done.stderr.rstrip(), flush=True)
    done.check_returncode()
    return json.loads(done.stdout.strip().splitlines()[-1])


def row_page(target: str, page: results.PageTimes, healthz: results.PageTimes, limit: float) -> str:
    p95 = page.pct(0.95)
    verdict = "—" if not limit else ("yes" if p95 <= limit and not page.errors else "no")
    return (
        f"| {target} | p50 {page.pct(0.5):.0f} ms, p95 {p95:.0f} ms ({page.errors} errors) "
        f"| /healthz p95 {healthz.pct(0.95):.1f} ms | {p95 / healthz.pct(0.95):.0f}x "
        f"| {verdict} |"
    )


def enrolled(counted: dict[str, int]) -> str:
    return ", ".join(f"{code} {n:,}" for code, n in sorted(counted.items()))


def bench_chroniccare(env: dict[str, str], *, when: str) -> None:
    results.ensure_database(env)
    print("chroniccare: enrolling the region ...", flush=True)
    region = child("setup", env)
    print("chroniccare: the region's indicators against the bare SQL ...", flush=True)
    figures = child("indicators", env)
    print("chroniccare: a practice of 10,000 patients ...", flush=True)
    big = child("practice", env)
    print("chroniccare: pages ...", flush=True)
    control_path = f"/ketenzorg/deelname/{region['long_enrolment']}/"
    due_path = "/ketenzorg/oproepen/"
    region_path = "/regio/ketenzorg/?programma=diabetes"
    healthz, control, due, view = pages(
        env,
        [
            (None, "/healthz"),
            ("poh@de-linde.example", control_path),
            (f"poh@{BIG_SLUG}.example", due_path),
            (operations.ANALYST, region_path),
        ],
    )
    same = not figures["differences"]
    ratio = figures["seconds"] / figures["bare_seconds"]
    ratio_passed = same and ratio <= TARGET_RATIO
    text = "\n".join(
        [
            f"\n## Chronic care (ketenzorg) — {when}\n",
            f"Machine: {run.machine()}. Code: `{summary.code_version()}`. Region: "
            f"{region['practices']} practices, {region['patients']:,} patients; enrolled "
            f"from their open episodes: {enrolled(region['enrolments'])}; "
            f"{region['controls']:,} controls in the last two years.\n",
            "| target | figure | baseline (same run) | ratio | pass |",
            "|---|---|---|---|---|",
            f"| the region's indicators (all {len(figures['participants'])} programmes, "
            f"{figures['practices']} practices, {figures['first']} to {figures['last']}) ≤ "
            f"{TARGET_RATIO:.0f}x the bare SQL | {figures['seconds']:.2f} s "
            f"| bare SQL of the same figures {figures['bare_seconds']:.2f} s | {ratio:.2f}x "
            f"| {'yes' if ratio_passed else 'no'}"
            f"{'' if same else ' (**the numbers differ**)'} |",
            row_page(
                f"control consult, ten years of quarterly controls, p95 ≤ "
                f"{TARGET_CONTROL_MS:.0f} ms",
                control,
                healthz,
                TARGET_CONTROL_MS,
            ),
            row_page(
                f"due list of a {big['patients']:,}-patient practice p95 ≤ "
                f"{TARGET_DUE_LIST_MS:.0f} ms",
                due,
                healthz,
                TARGET_DUE_LIST_MS,
            ),
            row_page("(no target) the care group's view, diabetes", view, healthz, 0),
            "",
            f"Indicators: best of {TRIES}, alternating (programme_figures "
            + ", ".join(f"{s:.2f}" for s in figures["all_seconds"])
            + " s; bare "
            + ", ".join(f"{s:.2f}" for s in figures["all_bare_seconds"])
            + " s), the same numbers for every practice and programme"
            + ("" if same else f": **no, {len(figures['differences'])} differ**")
            + ". Participants on the last day (of them the whole period): "
            + ", ".join(
                f"{code} {n:,} ({figures['whole_period'][code]:,})"
                for code, n in figures["participants"].items()
            )
            + f". Enrolments made by this run (bulk SQL, with their controls): "
            f"{region['made']:,} in {region['seconds']:.1f} s.",
            "",
            f"The due-list practice: {big['patients']:,} patients, open episodes "
            f"{enrolled(big['episodes'])}; enrolled {enrolled(big['enrolments'])} "
            f"({sum(big['enrolments'].values()):,} in all, {big['controls']:,} controls); "
            f"{big['due']:,} on the list (due within two weeks), {big['overdue']:,} overdue; "
            "their planning written in SQL by the set-up and found equal to "
            "services.replan's. "
            f"The control consult's patient: {4 * LONG_YEARS} controls, each with a blood "
            f"pressure and a weight, and {4 * LONG_YEARS} HbA1c results. One gunicorn worker, "
            f"{run.REQUESTS_PER_PAGE} sequential requests per page.",
            "",
        ]
    )

    def made() -> list[summary.Figure]:
        return [
            summary.Figure(
                "chroniccare.indicators_ratio",
                f"the region's indicators ≤ {TARGET_RATIO:.0f}x the bare SQL aggregate, "
                "the same numbers",
                round(figures["seconds"], 2),
                "s",
                TARGET_RATIO,
                "<=",
                ratio_passed,
                baseline=round(figures["bare_seconds"], 2),
                baseline_unit="s",
                baseline_what="bare SQL of the same figures",
                ratio=round(ratio, 2),
                on="ratio",
                note=f"{figures['practices']} practices"
                + ("" if same else f"; {len(figures['differences'])} figures differ"),
            ),
            summary.Figure(
                "chroniccare.control_p95",
                f"control consult (ten years of quarterly controls) p95 ≤ "
                f"{TARGET_CONTROL_MS:.0f} ms",
                round(control.pct(0.95)),
                "ms",
                TARGET_CONTROL_MS,
                "<=",
                control.pct(0.95) <= TARGET_CONTROL_MS and not control.errors,
                baseline=round(healthz.pct(0.95), 1),
                baseline_unit="ms",
                baseline_what="/healthz p95",
                ratio=round(control.pct(0.95) / healthz.pct(0.95), 1),
            ),
            summary.Figure(
                "chroniccare.due_list_p95",
                f"due list of a 10,000-patient practice p95 ≤ {TARGET_DUE_LIST_MS:.0f} ms",
                round(due.pct(0.95)),
                "ms",
                TARGET_DUE_LIST_MS,
                "<=",
                due.pct(0.95) <= TARGET_DUE_LIST_MS and not due.errors,
                baseline=round(healthz.pct(0.95), 1),
                baseline_unit="ms",
                baseline_what="/healthz p95",
                ratio=round(due.pct(0.95) / healthz.pct(0.95), 1),
                note=f"{big['patients']:,} patients, {sum(big['enrolments'].values()):,} "
                "enrolments",
            ),
        ]

    summary.publish(text, made, bench="chroniccare", when=when)
    if not same:
        print("\n".join(figures["differences"][:20]), flush=True)
        raise RuntimeError(
            f"chroniccare: programme_figures and the bare SQL differ in "
            f"{len(figures['differences'])} figures (first ones above)"
        )


def main() -> None:
    steps = {
        "setup": set_up_region,
        "indicators": indicators_in_django,
        "practice": set_up_big_practice,
    }
    if len(sys.argv) == 2 and sys.argv[1] in steps:
        results.django_setup()
        print(json.dumps(steps[sys.argv[1]](), default=str))
        return
    from datetime import UTC

    bench_chroniccare(run.bench_env(), when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


if __name__ == "__main__":
    main()
