"""``disputes``, ``moderate``, ``policy``, ``blind`` and ``calibration`` as a user runs them
(a subprocess per command), on a lead assessor's data folder prepared through the services."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer_app.config import resolve_paths
from reviewer_app.store.context import AppContext

from lead_support import (
    FA_EARNED,
    FA_NOT_YET,
    add_profile,
    arrive,
    attempt_id,
    file_keyring,
    make_lead,
    score_as,
)
from sync_test_keyring import ENV as KEYRING_FILE

pytestmark = pytest.mark.slow  # whole lead and reviewer sessions through the CLI, process by process


_ENV: dict[str, dict[str, str]] = {}


@pytest.fixture(autouse=True)
def _shared_keyring(keyring_env: dict[str, str]) -> None:
    """Each command's process shares the test's keyring file (the lead's key is in it)."""
    _ENV["env"] = keyring_env


def cli(data: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=timeout, env=_ENV.get("env"))


@pytest.fixture
def lead_data(demo_data_dir: Path, keyring_env: dict[str, str]) -> Path:
    """The demo as a lead's database where Ana and Ben dispute DEMO-1002 attempt 2."""
    with file_keyring(Path(keyring_env[KEYRING_FILE])), \
            AppContext.open(resolve_paths(data_dir=demo_data_dir)) as ctx:
        make_lead(ctx, "Lena Lead")
        ana, ben = add_profile(ctx, "Ana Silva"), add_profile(ctx, "Ben Okoye")
        score_as(ctx, ana, "DEMO-1002", 2, FA_EARNED, comments={"feedback": "Specific comments."})
        score_as(ctx, ben, "DEMO-1002", 2, FA_NOT_YET, feedback="Revisit the goals.")
        assert arrive(ctx, [attempt_id(ctx, "DEMO-1002", 2)]).disputed
    return demo_data_dir


def test_list_show_and_moderate_a_dispute(lead_data: Path):
    listed = cli(lead_data, "disputes")
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split()[:5] == ["ID", "SUBMISSION", "ATTEMPT", "CREDENTIAL", "STATE"]
    assert row.split()[1:5] == ["DEMO-1002", "2", "fa-math", "open"] and "Ana Silva, Ben Okoye" in row
    assert cli(lead_data, "disputes", "--credential", "cl-discussion").stdout.strip() == \
        "No disputes open for cl-discussion."

    shown = cli(lead_data, "disputes", "show", "DEMO-1002")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "Ana Silva decided \u201cearned\u201d and Ben Okoye decided \u201cnot yet\u201d." in out
    assert "Candidate: Sam Rivera (cand-19bd)" in out
    goals = next(line for line in out.splitlines() if line.startswith("* Clear learning goals"))
    assert goals.startswith("* ") and "3 Proficient" in goals and "2 Developing" in goals
    assert "Ana Silva: Specific comments." in out and "Ben Okoye: Revisit the goals." in out
    # The same dispute by the start of its id.
    short = row.split()[0]
    assert cli(lead_data, "disputes", "show", short).stdout == out

    refused = cli(lead_data, "moderate", "DEMO-1002", "--level", "learning-goals=3", "--rationale", "r")
    assert refused.returncode == 2 and refused.stderr.startswith("error: The moderation cannot be recorded")
    no_reason = cli(lead_data, "moderate", "DEMO-1002", "--level", "learning-goals=3", "--rationale", " ")
    assert no_reason.returncode == 2 and "rationale" in no_reason.stderr
    levels = [arg for k, v in {"learning-goals": 3, "checks-for-understanding": 3, "feedback": 3,
                               "adjusting-instruction": 2}.items() for arg in ("--level", f"{k}={v}")]
    done = cli(lead_data, "moderate", "DEMO-1002", "--attempt", "2", *levels,
               "--comment", "feedback=Clear next steps.", "--feedback", "Well done.",
               "--rationale", "The video shows the hinge question reaching every student.")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Moderated DEMO-1002 attempt 2: earned.")
    assert cli(lead_data, "disputes").stdout.strip() == "No disputes open."
    resolved = cli(lead_data, "disputes", "--all").stdout
    assert "resolved (earned)" in resolved
    after = cli(lead_data, "disputes", "show", "DEMO-1002").stdout
    assert "Final decision: earned (moderated) by Lena Lead" in after
    assert "Rationale: The video shows the hinge question reaching every student." in after
    outbox = cli(lead_data, "issuer", "outbox").stdout
    assert "DEMO-1002  attempt 2  earned  queued" in outbox


def test_a_reviewer_is_refused_in_one_line(demo_data_dir: Path):
    # The demo's profile is a reviewer.
    for args in [("disputes",), ("moderate", "DEMO-1002", "--level", "feedback=3", "--rationale", "x"),
                 ("policy", "fa-math", "--second-percent", "10"), ("blind", "off"),
                 ("calibration", "list")]:
        result = cli(demo_data_dir, *args)
        assert result.returncode == 2, args
        assert result.stderr.startswith("error: Only a lead assessor may") and result.stderr.count("\n") == 1
    shown = cli(demo_data_dir, "show", "DEMO-1001")
    assert "Candidate (blind): withheld" in shown.stdout and "Alex Morgan" not in shown.stdout
    assert cli(demo_data_dir, "blind").stdout.startswith("Blind review is on")


def test_policy_and_blind_review(lead_data: Path):
    shown = cli(lead_data, "policy")
    assert shown.stdout.splitlines()[0].startswith("cl-discussion: second review: 0% at random")
    changed = cli(lead_data, "policy", "fa-math", "--second-percent", "15", "--near-cut", "1",
                  "--first-reviews", "3", "--max-gap", "1", "--threshold", "0.9", "--calibration-items", "4",
                  "--hold", "on", "--backread-percent", "10")
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.strip() == (
        "fa-math: second review: 15% at random, every one within 1 level of the cut, each reviewer's "
        "first 3; dispute on differing decisions or a gap over 1 level; qualified after 4 calibration "
        "items at 90% exact agreement; final decisions held for release, 10% backread first")
    assert "within" not in cli(lead_data, "policy", "fa-math", "--near-cut", "off").stdout
    bad = cli(lead_data, "policy", "fa-math", "--second-percent", "150")
    assert bad.returncode == 2 and "from 0 to 100" in bad.stderr
    assert cli(lead_data, "blind", "off").stdout.startswith("Blind review is off")
    assert cli(lead_data, "blind").stdout.startswith("Blind review is off")
    log = cli(lead_data, "audit", "log", "--subject", "blind review")
    assert "policy.change" in log.stdout


def test_calibration_from_the_lead_to_a_reviewer(lead_data: Path, tmp_path: Path, _demo_data_template: Path):
    import shutil

    mark = cli(lead_data, "calibration", "mark", "DEMO-2001", "--level", "group-structures=2",
               "--level", "discourse-moves=3", "--level", "equitable-participation=3", "--note", "typical")
    assert mark.returncode == 0, mark.stderr
    assert "DEMO-2001 attempt 1 is a calibration item for cl-discussion" in mark.stdout
    assert "DEMO-2001" in cli(lead_data, "calibration", "list").stdout
    out = tmp_path / "calibration.json"
    exported = cli(lead_data, "calibration", "export", "--out", str(out))
    assert exported.returncode == 0 and json.loads(out.read_text())["header"]["count"] == 1

    laptop = tmp_path / "laptop"
    shutil.copytree(_demo_data_template, laptop)
    imported = cli(laptop, "calibration", "import", str(out))
    assert imported.stdout.strip() == "Imported 1 calibration submission."
    with AppContext.open(resolve_paths(data_dir=laptop)) as ctx:
        from lead_support import score

        score(ctx, "DEMO-2001", 1, {"group-structures": 3, "discourse-moves": 3,
                                    "equitable-participation": 3})
    result = cli(laptop, "calibration", "result", "DEMO-2001")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("Group roles and structures") and lines[1].endswith("within one")
    assert lines[2].endswith("exact") and lines[3].endswith("exact")
    assert "Exact agreement: 2 of 3 (67%)." in result.stdout
    agreement = cli(laptop, "calibration", "agreement", "cl-discussion")
    [row] = agreement.stdout.splitlines()[1:]
    assert "67%" in row and "no (at 80%)" in row
    listed = cli(laptop, "calibration", "list")
    assert listed.returncode == 2  # the agreed scores are not listed to a reviewer
