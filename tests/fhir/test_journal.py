"""The journal through the API: each contact as an nl-core-SOAPReport Composition with
its E and P lines only (what the portal shows), never a shielded contact, one on a
shielded episode, one from before the records went online, a replaced version, or the
S and O lines (the GP's working notes)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from spreekuur.dossier import services as dossier
from spreekuur.dossier.models import ContactKind
from tests.conftest import Cast
from tests.fhir.conftest import OPEN_FROM, Charts, api, entries, fhir_json, ids

pytestmark = pytest.mark.django_db

SECRET_S = "S-regel: vertelt over zorgen thuis"
SECRET_O = "O-regel: RR 150/95"


def _contact(cast: Cast, days_ago: int, **lines: str) -> object:
    return dossier.record_journal_entry(
        patient=cast.patient_a,
        contact_on=timezone.localdate() - timedelta(days=days_ago),
        kind=ContactKind.CONSULT,
        by=cast.gp_a,
        **lines,
    )


def test_each_contact_is_a_soap_report_with_its_e_and_p_lines_only(
    cast: Cast, charts: Charts, token_a: str
) -> None:
    shown = dossier.record_journal_entry(
        patient=cast.patient_a,
        contact_on=timezone.localdate() - timedelta(days=3),
        kind=ContactKind.CONSULT,
        subjective=SECRET_S,
        objective=SECRET_O,
        evaluation="Hypertensie <bevestigd> & goed uitgelegd",
        plan="Leefstijladvies.\nOver 3 maanden controle.",
        episode=charts.a.episode,
        by=cast.gp_a,
    )
    plan_only = _contact(cast, 10, plan="Bloed laten prikken")
    notes_only = _contact(cast, 11, subjective=SECRET_S, objective=SECRET_O)
    shielded = _contact(cast, 12, evaluation="Afgeschermd contact")
    dossier.set_shielded(item=shielded, shielded=True, by=cast.gp_a)
    on_shielded_episode = dossier.record_journal_entry(
        patient=cast.patient_a,
        contact_on=timezone.localdate() - timedelta(days=13),
        kind=ContactKind.PHONE,
        evaluation="Bij de afgeschermde episode",
        episode=charts.a.hidden["Condition"][0],
        by=cast.gp_a,
    )
    before_online = dossier.record_journal_entry(
        patient=cast.patient_a,
        contact_on=OPEN_FROM - timedelta(days=1),
        kind=ContactKind.CONSULT,
        evaluation="Van voor de online inzage",
        by=cast.gp_a,
    )
    corrected = dossier.correct_journal_entry(
        original=plan_only,
        subjective="",
        objective="",
        evaluation="",
        plan="Bloed prikken",
        by=cast.gp_a,
    )
    bundle = fhir_json(api(token_a, "Composition"))
    assert ids(bundle) == {str(shown.public_id), str(corrected.public_id)}
    everything = str(bundle)
    for hidden in (
        SECRET_S,
        SECRET_O,
        "Afgeschermd contact",
        "afgeschermde episode",
        "voor de online",
    ):
        assert hidden not in everything
    report = fhir_json(api(token_a, f"Composition/{shown.public_id}"))
    assert report["meta"]["profile"] == [
        "http://nictiz.nl/fhir/StructureDefinition/nl-core-SOAPReport"
    ]
    assert report["title"] == f"{charts.a.episode.icpc_code} {charts.a.episode.title}"
    assert [s["code"]["coding"][0]["code"] for s in report["section"]] == ["129265001", "129271007"]
    lines = {line["id"]: line["valueString"] for line in report["contained"]}
    assert lines == {"e": shown.evaluation, "p": shown.plan}
    # The narrative is escaped XHTML with the line breaks kept.
    assert "&lt;bevestigd&gt; &amp; goed" in report["section"][0]["text"]["div"]
    assert "<br/>Over 3 maanden" in report["section"][1]["text"]["div"]
    for row in (shielded, on_shielded_episode, before_online, notes_only, plan_only):
        assert api(token_a, f"Composition/{row.public_id}").status_code == 404


def test_search_by_date_and_a_system_names_the_patient(
    cast: Cast, charts: Charts, token_a: str
) -> None:
    recent = _contact(cast, 2, evaluation="Recent")
    older = _contact(cast, 40, evaluation="Ouder")
    since = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert ids(fhir_json(api(token_a, "Composition", date=f"ge{since}"))) == {str(recent.public_id)}
    assert ids(fhir_json(api(token_a, "Composition", date=f"lt{since}"))) == {str(older.public_id)}
    included = fhir_json(api(token_a, "Composition", _include="Composition:patient"))
    assert ids(included, "include") == {str(cast.patient_a.public_id)}
    other = fhir_json(
        api(token_a, "Composition", patient=f"Patient/{cast.other_patient_a.public_id}")
    )
    assert entries(other) == []
    assert date.fromisoformat(
        fhir_json(api(token_a, f"Composition/{recent.public_id}"))["date"]
    ) == (timezone.localdate() - timedelta(days=2))
