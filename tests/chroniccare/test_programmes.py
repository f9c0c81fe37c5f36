"""The programmes file: every programme and measure it names is sound and known to the
NHG table the record uses; a broken file is refused with the reason."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from spreekuur.chroniccare.programmes import (
    DATA,
    ProgrammeDataError,
    Target,
    programme,
    programmes,
    programmes_for_icpc,
    read_programmes,
)
from spreekuur.results.models import LabTest


def test_the_six_programmes_of_the_issue_are_shipped() -> None:
    assert set(programmes()) == {"diabetes", "cvrm", "copd", "astma", "hartfalen", "af"}
    assert programme("diabetes").icpc_codes == ("T90",)
    assert [p.code for p in programmes_for_icpc("k86")] == ["cvrm"]
    assert [p.code for p in programmes_for_icpc("R95")] == ["copd"]
    assert programmes_for_icpc("A01") == []


@pytest.mark.django_db
def test_every_measure_is_a_test_of_the_nhg_table() -> None:
    named = {code for p in programmes().values() for code in p.nhg_codes}
    known = set(LabTest.objects.filter(nhg_code__in=named).values_list("nhg_code", flat=True))
    assert named - known == set()


def test_a_target_reads_as_a_care_group_counts_it() -> None:
    hba1c = next(m for m in programme("diabetes").measures if m.nhg_code == "2816")
    assert hba1c.target == Target(
        at_most=Decimal(53), until_age=70, source=hba1c.target.source if hba1c.target else ""
    )
    assert hba1c.target is not None
    assert hba1c.target.met_by(Decimal(53)) and not hba1c.target.met_by(Decimal(54))
    assert hba1c.target.applies_at(69) and not hba1c.target.applies_at(70)
    ldl = next(m for m in programme("cvrm").measures if m.nhg_code == "542")
    assert ldl.target is not None and ldl.target.met_by(Decimal("2.5"))
    assert not ldl.target.met_by(Decimal("2.6"))
    bmi = next(m for m in programme("copd").measures if m.nhg_code == "1272")
    assert bmi.target is not None and bmi.target.met_by(Decimal(21))


def _broken(
    tmp_path: Path, change: dict[str, object], measure: dict[str, object] | None = None
) -> Path:
    document = json.loads(DATA.read_text(encoding="utf-8"))
    document["programmes"][0].update(change)
    if measure is not None:
        document["programmes"][0]["measures"][0] = measure
    path = tmp_path / "programmes.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "measure", "reason"),
    [
        ({"icpc": ["T9"]}, None, "letter and two digits"),
        ({"icpc": []}, None, "letter and two digits"),
        ({"code": "twee woorden"}, None, "one plain word"),
        ({"control_every_months": 0}, None, "1 to 60 months"),
        ({"suggest_from_age": "16"}, None, "whole number of years"),
        ({"suggest_from_age": -1}, None, "whole number of years"),
        ({}, {"nhg": "HBAC", "every_months": 3}, "an NHG number"),
        ({}, {"nhg": "372", "every_months": 3, "target": {"below": 1, "at_most": 2}}, "one of"),
        ({}, {"nhg": "372", "every_months": 3, "target": {"below": "laag"}}, "a number"),
        ({}, {"nhg": "357", "every_months": 3}, "named twice"),
    ],
)
def test_a_broken_file_is_refused_with_the_reason(
    tmp_path: Path, change: dict[str, object], measure: dict[str, object] | None, reason: str
) -> None:
    with pytest.raises(ProgrammeDataError, match=reason):
        read_programmes(_broken(tmp_path, change, measure))
