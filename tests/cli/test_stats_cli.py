"""``reviewer-app stats`` as a user runs it: a subprocess on a data folder where two
reviewers reviewed the demo submissions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.services.profiles import current_profile
from reviewer_app.store.context import AppContext

from lead_support import as_lead_database, file_keyring
from stats_support import two_reviewers_over_demo

_ENV: dict[Path, dict[str, str]] = {}  # the lead's folder's keyring, the lead's key in it


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=120, env=_ENV.get(data))


@pytest.fixture(scope="module")
def two_data(tmp_path_factory: pytest.TempPathFactory, _demo_data_template: Path):
    folder = tmp_path_factory.mktemp("stats-cli") / "data"
    shutil.copytree(_demo_data_template, folder)
    with file_keyring(folder.parent / "keyring.json") as env, \
            AppContext.open(resolve_paths(data_dir=folder)) as ctx:
        me = current_profile(ctx).name
        two_reviewers_over_demo(ctx)  # leaves the profile a lead assessor
        as_lead_database(ctx)  # bound to the lead's key in that keyring
    _ENV[folder] = env
    return folder, me


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_a_reviewer_is_refused_in_one_line(demo_data_dir: Path):
    result = cli(demo_data_dir, "stats")
    assert result.returncode == 2
    assert result.stderr.startswith("error: Only a lead assessor may see agreement statistics;")
    assert result.stderr.strip().endswith("is a reviewer.") and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_per_credential_table(two_data):
    data, _ = two_data
    result = cli(data, "stats")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("4 pairs of submitted reviews.")
    header = next(i for i, line in enumerate(lines) if line.startswith("CREDENTIAL"))
    assert cells(lines[header]) == ["CREDENTIAL", "N", "EXACT", "ADJACENT", "KAPPA", "QWK",
                                    "ALPHA-ORD", "ALPHA-INT", "DECISIONS", "SAME", "KAPPA"]
    assert lines[1].startswith("Left out of the pairs: 0 moderation review(s)")
    rows = {cells(line)[0]: cells(line) for line in lines[header + 1:]}
    # fa-math: 12 pairs of levels, 8 the same; 3 pairs of decisions, 2 the same.
    assert rows["fa-math"][1:3] == ["12", "66.7%"] and rows["fa-math"][8:10] == ["3", "66.7%"]
    assert rows["cl-discussion"][1:3] == ["3", "33.3%"]


@pytest.mark.slow  # several CLI processes
def test_by_criterion_pair_reviewer_and_week(two_data):
    data, me = two_data
    by_criterion = cli(data, "stats", "--by", "criterion").stdout
    line = next(x for x in by_criterion.splitlines() if "discourse-moves" in x)
    assert cells(line) == ["cl-discussion", "discourse-moves", "1", "100.0%", "100.0%", "-", "-",
                           "-", "-"]
    by_pair = cli(data, "stats", "--by", "pair", "--credential", "fa-math").stdout
    assert [cells(x)[1] for x in by_pair.splitlines() if x.startswith("fa-math")] == [
        " & ".join(sorted([me, "Blake Okafor"]))]
    by_reviewer = cli(data, "stats", "--by", "reviewer", "--credential", "cl-discussion").stdout
    line = next(x for x in by_reviewer.splitlines() if "equitable" in x and "Blake" in x)
    assert cells(line)[-1].split() == ["1:1", "2:0", "3:0"]  # Blake gave a 1
    weekly = cli(data, "stats", "--by", "week").stdout.splitlines()
    header = next(i for i, x in enumerate(weekly) if x.startswith("WEEK"))
    assert len(weekly) == header + 2  # every review was submitted this week
    assert re.fullmatch(r"\d{4}-W\d\d", cells(weekly[header + 1])[0])
    assert cells(weekly[header + 1])[2] == "15"


def test_json_has_every_figure(two_data):
    data, _ = two_data
    result = cli(data, "stats", "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["review_pairs"] == 4
    goals = next(r for r in report["by_criterion"] if r["criterion"] == "learning-goals")
    assert goals["scores"] == {"n": 3, "exact": 1.0, "adjacent": 1.0, "kappa": 1.0,
                               "weighted_kappa": 1.0, "alpha": 1.0, "alpha_interval": 1.0}
    discourse = next(r for r in report["by_criterion"] if r["criterion"] == "discourse-moves")
    assert discourse["scores"]["kappa"] is None  # undefined is null, not NaN
    assert {len(p["reviewers"]) for p in report["by_pair"]} == {2}
    assert report["over_time"][0]["scores"]["n"] == 15


@pytest.mark.slow  # several CLI processes
def test_explain_unknown_credential_and_dates(two_data):
    data, _ = two_data
    explained = cli(data, "stats", "--explain").stdout
    assert "Cohen's kappa: agreement beyond what chance alone would give" in explained
    unknown = cli(data, "stats", "--credential", "nope")
    assert unknown.returncode == 2 and unknown.stderr.strip() == \
        "error: No credential 'nope' in this database."
    before = cli(data, "stats", "--to", "2000-01-01")
    assert before.returncode == 0 and before.stdout.startswith("No pairs of submitted reviews yet")
    bad = cli(data, "stats", "--from", "yesterday")
    assert bad.returncode == 2 and "not a date" in bad.stderr


def test_export_as_csv_and_xlsx(two_data, tmp_path: Path):
    import csv

    import openpyxl

    data, _ = two_data
    result = cli(data, "stats", "--format", "csv", "--out", str(tmp_path / "stats.csv"))
    assert result.returncode == 0, result.stderr
    raw = (tmp_path / "stats.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfsection,")  # Excel reads UTF-8 only with the BOM
    lines = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    summary = {r["name"]: r["value"] for r in lines if r["section"] == "summary"}
    assert summary["review_pairs"] == "4"
    fa = next(r for r in lines if r["section"] == "credential" and r["credential"] == "fa-math")
    assert (fa["pairs"], fa["decision_pairs"]) == ("12", "3")
    result = cli(data, "stats", "--format", "xlsx", "--out", str(tmp_path / "stats.xlsx"))
    assert result.returncode == 0, result.stderr
    wb = openpyxl.load_workbook(tmp_path / "stats.xlsx")
    assert wb.sheetnames == ["Summary", "cl-discussion", "fa-math", "Over time"]
    refused = cli(data, "stats", "--format", "csv")
    assert refused.returncode == 2 and "--format and --out go together" in refused.stderr
