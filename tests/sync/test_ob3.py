"""An earned decision exported as an unsigned Open Badges 3.0 OpenBadgeCredential, valid
against 1EdTech's JSON Schema (shipped in tests/sync/schemas, see its README)."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import jsonschema
import pytest

from reviewer_app.errors import UserError
from reviewer_app.services import reviews
from reviewer_app.services.context import AppContext
from reviewer_app.services.submissions import get_submission
from reviewer_app.sync import service

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "ob_v3p0_achievementcredential_schema.json")
                    .read_text())
LEVELS = {"learning-goals": 3, "checks-for-understanding": 4, "feedback": 3, "adjusting-instruction": 2}


def _validator() -> jsonschema.Draft201909Validator:
    jsonschema.Draft201909Validator.check_schema(SCHEMA)
    return jsonschema.Draft201909Validator(SCHEMA, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)


@pytest.fixture
def earned(demo_ctx: AppContext) -> AppContext:
    review = reviews.start_review(demo_ctx, get_submission(demo_ctx, "DEMO-1002", 2).attempt_id)
    for crit, level in LEVELS.items():
        reviews.set_level(demo_ctx, review.uid, crit, level)
    reviews.set_feedback(demo_ctx, review.uid, "Keep the hinge questions.")
    reviews.submit_review(demo_ctx, review.uid)
    service.add_profile(demo_ctx, "state-board", "reference", "https://badges.example.org", "rev-ana")
    return demo_ctx


def test_the_credential_is_valid_ob3_and_carries_the_rubric_levels(earned: AppContext):
    credential = service.open_badge(earned, "DEMO-1002", 2, salt="pepper")
    errors = sorted(_validator().iter_errors(credential), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert "proof" not in credential  # unsigned: the issuer signs what it issues
    assert credential["issuer"]["id"] == "https://badges.example.org"
    subject = credential["credentialSubject"]
    [identity] = subject["identifier"]
    expected = hashlib.sha256(b"sam.rivera@example.orgpepper").hexdigest()
    assert identity == {"type": "IdentityObject", "hashed": True, "identityHash": f"sha256${expected}",
                        "identityType": "emailAddress", "salt": "pepper"}
    achievement = subject["achievement"]
    assert achievement["name"] == "Formative Assessment in Mathematics"
    assert achievement["achievementType"] == "MicroCredential"
    described = {d["id"]: d for d in achievement["resultDescription"]}
    assert len(described) == 4 and len(subject["result"]) == 4
    reached = {}
    for result in subject["result"]:
        description = described[result["resultDescription"]]
        assert description["resultType"] == "RubricCriterionLevel"
        level = next(lv for lv in description["rubricCriterionLevel"] if lv["id"] == result["achievedLevel"])
        required = next(lv for lv in description["rubricCriterionLevel"]
                        if lv["id"] == description["requiredLevel"])
        assert int(level["level"]) >= int(required["level"])  # earned: every criterion met
        reached[description["name"]] = (int(level["level"]), level["name"])
    assert reached == {"Clear learning goals": (3, "Proficient"),
                       "Checks for understanding": (4, "Exemplary"),
                       "Actionable feedback to students": (3, "Proficient"),
                       "Adjusting instruction from evidence": (2, "Developing")}


def test_the_schema_really_checks(earned: AppContext):
    credential = service.open_badge(earned, "DEMO-1002", 2)
    broken = copy.deepcopy(credential)
    del broken["issuanceDate"]
    broken["credentialSubject"]["identifier"][0]["extra"] = "not allowed"
    messages = {e.message for e in _validator().iter_errors(broken)}
    assert any("issuanceDate" in m for m in messages)
    assert any("extra" in m for m in messages)


def test_a_not_yet_decision_is_no_badge(earned: AppContext):
    with pytest.raises(UserError, match="only an earned decision becomes an Open Badge"):
        service.open_badge(earned, "DEMO-1002", 1)  # the demo's "not yet"


def test_the_export_is_written_whole(earned: AppContext, tmp_path: Path):
    out = service.export_open_badge(earned, "DEMO-1002", tmp_path / "badge.json", 2)
    credential = json.loads(out.read_text())
    assert _validator().is_valid(credential)
    assert credential["id"].startswith("urn:uuid:")
