"""The exchange's call report: our documented CSV, common English exports, and Asterisk's
queue_log, read into calls without the callers' numbers; bad files refused whole."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from spreekuur.telephony.call_report import ReportUnreadable, parse_duration, read_report
from spreekuur.telephony.models import Call, CallHour, CallReportImport
from spreekuur.telephony.services import import_call_report
from tests.conftest import verified_client

AMS = ZoneInfo("Europe/Amsterdam")

DUTCH_CSV = """\
datum;tijd;richting;keuze;wachttijd;gespreksduur;status;nummer
30-11-2026;08:01:10;inkomend;4;0:45;3:10;beantwoord;0612345678
30-11-2026;08:03:00;inkomend;4;2:05;;opgehangen;0612345679
30-11-2026;08:04:30;inkomend;4;180;;terugbelverzoek;0612345670
30-11-2026;08:05:00;inkomend;3;;;keuzemenu;0612345671
30-11-2026;08:06:00;uitgaand;;;120;beantwoord;0612345672
"""

ENGLISH_CSV = """\
Start,Direction,Wait time,Talk time,Result,Call ID
2026-11-30 09:15:00,inbound,20,95,ANSWERED,abc-1
2026-11-30 09:20:00,inbound,75,,NO ANSWER,abc-2
"""

# Lines of a real Asterisk queue_log, as published: the first two from a README's tail of
# a production queue_log (found through the code search; caller gave up after 68 s), the
# others from the integration-test fixture of LogChart.Tests (github, "IntegrationTests"),
# with the epoch shifted to 2026 so the calls fall in a recent quarter.
QUEUE_LOG = """\
1796512941|1596512941.163|support|NONE|ENTERQUEUE||7000|1
1796513009|1596512941.163|support|NONE|ABANDON|1|1|68
1796510480|CLI|sales|SIP/0004f2040001|ADDMEMBER|
1796533905|1266833905.2|9000|Local/2004@from-internal/n|ENTERQUEUE||2004|1
1796533911|1266833905.2|9000|Local/2004@from-internal/n|CONNECT|1|1266833911.7
1796533914|1266833905.2|9000|Local/2004@from-internal/n|COMPLETEAGENT|1|3|1
1796533925|1266833925.10|9000|Local/2004@from-internal/n|ENTERQUEUE||2005|1
1796533927|1266833925.10|9000|Local/2004@from-internal/n|EXITWITHKEY|5|1|1|2
"""


def test_the_dutch_csv_is_read_without_numbers():
    report = read_report(DUTCH_CSV.encode())
    assert report.rows == 5
    assert report.skipped == 1  # the outgoing call
    first, abandoned, callback, menu = report.calls
    assert first.started_at == datetime(2026, 11, 30, 8, 1, 10, tzinfo=AMS)
    assert (first.outcome, first.wait_seconds, first.talk_seconds, first.menu_choice) == (
        "answered",
        45,
        190,
        4,
    )
    assert (abandoned.outcome, abandoned.wait_seconds) == ("abandoned", 125)
    assert (callback.outcome, callback.wait_seconds) == ("callback", 180)
    assert (menu.outcome, menu.wait_seconds) == ("menu", None)
    assert "0612345678" not in repr(report)


def test_english_column_names_and_ids():
    report = read_report(ENGLISH_CSV.encode())
    assert [c.key for c in report.calls] == ["import:abc-1", "import:abc-2"]
    assert [c.outcome for c in report.calls] == ["answered", "abandoned"]


def test_asterisk_queue_log():
    report = read_report(QUEUE_LOG.encode())
    by_key = {c.key: c for c in report.calls}
    gave_up = by_key["import:1596512941.163"]
    assert (gave_up.outcome, gave_up.wait_seconds) == ("abandoned", 68)
    assert gave_up.started_at == datetime.fromtimestamp(1796512941, tz=UTC)
    answered = by_key["import:1266833905.2"]
    assert (answered.outcome, answered.wait_seconds, answered.talk_seconds) == ("answered", 1, 3)
    pressed = by_key["import:1266833925.10"]
    assert (pressed.outcome, pressed.wait_seconds) == ("callback", 2)
    assert report.skipped == 1  # ADDMEMBER is about an agent


@pytest.mark.parametrize(
    ("text", "seconds"), [("75", 75), ("75,4", 75), ("1:15", 75), ("0:01:15", 75), ("", None)]
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["-3", "1:75", "abc", "1:2:3:4", "99999999"])
def test_odd_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "leeg"),
        (b"begin;status\n2026-11-30 08:00;beantwoord\n", "wachttijd"),
        (b"begin;wachttijd;status\nmorgen;10;beantwoord\n", "regel 2"),
        (b"begin;wachttijd;status\n2026-11-30 08:00;10;geweldig\n", "status"),
        (b"begin;wachttijd;status\n2026-11-30 08:00;tien;beantwoord\n", "duur"),
        (b"\x00\x01\x02", "tekstbestand"),
    ],
)
def test_bad_reports_are_refused_with_the_line(raw, says):
    with pytest.raises(ReportUnreadable) as refused:
        read_report(raw)
    assert says in " ".join(refused.value.problems)


@pytest.mark.django_db
def test_import_adds_calls_and_hours_once(cast):
    done = import_call_report(
        practice=cast.practice_a, file_name="nov.csv", raw=DUTCH_CSV.encode(), by=cast.manager_a
    )
    assert (done.rows, done.calls_added, done.skipped) == (5, 4, 1)
    assert str(done.first_day) == "2026-11-30"
    hour = CallHour.objects.get(practice=cast.practice_a, hour=8)
    assert (hour.incoming, hour.offered, hour.answered, hour.abandoned, hour.callbacks) == (
        4,
        3,
        1,
        1,
        1,
    )
    again = import_call_report(
        practice=cast.practice_a, file_name="nov.csv", raw=DUTCH_CSV.encode(), by=cast.manager_a
    )
    assert again.calls_added == 0
    assert Call.objects.filter(practice=cast.practice_a).count() == 4
    # The other practice's report is its own.
    import_call_report(
        practice=cast.practice_b, file_name="nov.csv", raw=DUTCH_CSV.encode(), by=cast.manager_b
    )
    assert Call.objects.filter(practice=cast.practice_b).count() == 4


@pytest.mark.django_db
def test_a_bad_file_through_the_page_stores_nothing(cast):
    client = verified_client(cast.manager_a)
    bad = DUTCH_CSV + "31-11-2026;08:00;inkomend;4;10;;beantwoord;06\n"
    response = client.post(
        reverse("telephony:call_report_import"),
        {"report": SimpleUploadedFile("rapport.csv", bad.encode(), "text/csv")},
    )
    assert response.status_code == 200
    assert "regel 7" in response.content.decode()
    assert not Call.objects.exists()
    assert not CallReportImport.objects.exists()


@pytest.mark.django_db
def test_the_page_imports_for_the_manager_only(cast):
    upload = {"report": SimpleUploadedFile("rapport.csv", DUTCH_CSV.encode(), "text/csv")}
    refused = verified_client(cast.assistant_a).post(
        reverse("telephony:call_report_import"), upload
    )
    assert refused.status_code == 403
    client = verified_client(cast.manager_a)
    upload = {"report": SimpleUploadedFile("rapport.csv", DUTCH_CSV.encode(), "text/csv")}
    response = client.post(reverse("telephony:call_report_import"), upload, follow=True)
    assert "4 gesprekken toegevoegd" in response.content.decode()
    assert CallReportImport.objects.get().imported_by == cast.manager_a


@pytest.mark.parametrize(
    "raw",
    [
        b"begin;wachttijd;status\n9999-12-31 08:00;10;beantwoord\n",
        b"begin;wachttijd;status\n0001-01-01 08:00;10;beantwoord\n",
        b"begin;wachttijd;status\n1970-01-02 08:00;10;beantwoord\n",
        b"begin;wachttijd;status\n2026-11-30 08:00;99999999999999999999:00;beantwoord\n",
        b"begin;wachttijd;status\n2026-11-30 08:00;600000:00:00;beantwoord\n",
        b"begin;wachttijd;status\n2026-11-30 08:00;1e400;beantwoord\n",
        # A queue_log (recognised by its first line) with an impossible timestamp further on.
        b"1796512941|a|q|NONE|ENTERQUEUE||1|1\n-1e300|x|q|NONE|ENTERQUEUE||1|1\n",
        b"1796512941|a|q|NONE|ENTERQUEUE||1|1\nnan|x|q|NONE|ENTERQUEUE||1|1\n",
        b"1796512941|a|q|NONE|ENTERQUEUE||1|1\n86400|x|q|NONE|ENTERQUEUE||1|1\n",
    ],
)
def test_implausible_dates_and_durations_are_problems_not_errors(raw):
    with pytest.raises(ReportUnreadable) as refused:
        read_report(raw)
    assert "regel" in refused.value.problems[0]


def test_an_absurd_queue_log_duration_is_left_out():
    now = int(timezone.now().timestamp()) - 3600
    report = read_report(
        f"{now}|z|q|NONE|ENTERQUEUE||1|1\n{now + 5}|z|q|A|CONNECT|1e30|x\n".encode()
    )
    assert report.calls[0].wait_seconds is None


@pytest.mark.django_db
def test_a_report_of_days_the_link_already_reported_adds_nothing_twice(cast):
    Call.objects.create(
        practice=cast.practice_a,
        call_key="abc-1",  # as the link stored it
        source="webhook",
        started_at=timezone.now(),
        queued=True,
        outcome="answered",
    )
    done = import_call_report(
        practice=cast.practice_a, file_name="r.csv", raw=ENGLISH_CSV.encode(), by=cast.manager_a
    )
    assert done.calls_added == 1  # abc-2 only


def test_a_report_of_more_than_the_bound_is_refused_before_anything_is_stored(monkeypatch):
    from spreekuur.telephony import call_report

    monkeypatch.setattr(call_report, "MAX_CALLS", 3)
    with pytest.raises(ReportUnreadable) as refused:
        read_report(DUTCH_CSV.encode())
    assert "delen" in refused.value.problems[0]
