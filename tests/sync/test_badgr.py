"""The Badgr v2 adapter against a fake Badgr server over loopback HTTP that behaves as
badgr-server's source does (see fake_badgr.py): an earned decision awards the badge once
(``allowDuplicateAwards: false``), also when the email has capitals and the 201 was lost;
"not yet" awards nothing; tokens come from ``POST /o/token`` (form body, scope
``rw:issuer`` only), are refreshed with the refresh token and revoked at sign-out; the
idle check is a call that scope allows; ``issuedOn`` is never in the server's future; the
public evidence holds what the profile lets out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import update

from reviewer_app.errors import UserError
from reviewer_app.services import reviews, sync
from reviewer_app.services.submissions import get_submission
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.sync.adapters.badgr import NOTHING_ISSUED
from reviewer_app.sync.reference_issuer.faults import FaultConfig, FaultMiddleware, FaultState
from reviewer_app.sync.secrets import KeyringTokenStore

from fake_badgr import FUTURE, NOT_FOUND, BadgrState, create_badgr_app, server_time
from support import FAST, AppServer

EMAIL, SECRET = "issuer-admin@example.org", "badgr password"
EVIDENCE = "https://lms.example.org/submissions/{submission_id}/attempts/{attempt}"


@pytest.fixture
def badgr() -> Iterator[AppServer]:
    state = BadgrState(users={EMAIL: SECRET}, badge_classes={"BC-FA-01", "BC-CL-02"})
    faults = FaultState()
    with AppServer(FaultMiddleware(create_badgr_app(state), faults, prefixes=("/v2/badgeclasses",)),
                   date_header=False) as server:  # (the fake dates its replies by its own clock)
        server.state, server.faults = state, faults  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def badgr_ctx(demo_ctx: AppContext, badgr: AppServer) -> AppContext:
    sync.add_profile(demo_ctx, "canvas", "badgr", badgr.url, EMAIL,
                        settings={"badge_classes": {"fa-math": "BC-FA-01"}, "evidence_url": EVIDENCE})
    sync.login(demo_ctx, "canvas", SECRET)
    return demo_ctx


def _submit(ctx: AppContext, key: str, attempt: int, levels: dict[str, int]) -> str:
    review = reviews.start_review(ctx, get_submission(ctx, key, attempt).attempt_id)
    for crit, level in levels.items():
        reviews.set_level(ctx, review.uid, crit, level)
    reviews.set_feedback(ctx, review.uid, FEEDBACK)
    return reviews.submit_review(ctx, review.uid).uid


FEEDBACK = "Strong checks for understanding; the exit ticket showed who needed help."
FA_EARNED = {"learning-goals": 3, "checks-for-understanding": 4, "feedback": 3, "adjusting-instruction": 2}
CL_EARNED = {"group-structures": 3, "discourse-moves": 3, "equitable-participation": 3}


def _entries(ctx: AppContext) -> dict[tuple[str, int], object]:
    return {(e.submission_key, e.attempt): e for e in sync.outbox_entries(ctx)}


def test_an_earned_decision_awards_the_badge_and_not_yet_awards_nothing(badgr_ctx: AppContext,
                                                                         badgr: AppServer):
    _submit(badgr_ctx, "DEMO-1002", 2, FA_EARNED)
    report = sync.sync_now(badgr_ctx, settings=FAST)
    assert (report.accepted, report.rejected, report.pending, report.online) == (2, 0, 0, True)
    state = badgr.state
    assert len(state.assertions) == 1
    sent = state.assertion_requests[0]
    assert sent["recipient"] == {"identity": "sam.rivera@example.org", "type": "email", "hashed": True}
    assert sent["allowDuplicateAwards"] is False and sent["notify"] is False
    # Exactly the fields of badgr-server's assertion serializer: no audit head (Badgr knows none).
    assert set(sent) == {"recipient", "issuedOn", "narrative", "evidence", "allowDuplicateAwards", "notify"}
    assert "Formative Assessment in Mathematics" in sent["narrative"]
    assert sent["issuedOn"].endswith("Z")
    [evidence] = sent["evidence"]
    assert evidence["url"] == "https://lms.example.org/submissions/DEMO-1002/attempts/2"
    assert evidence["narrative"].startswith("Decision: earned. Submission DEMO-1002, attempt 2")
    # The public evidence holds the link and the decision, by default nothing more.
    assert "level 4" not in evidence["narrative"]
    assert FEEDBACK[:20] not in str(sent)
    awarded = state.assertions[0]
    assert awarded["badgeclass"] == "BC-FA-01" and awarded["recipient"]["identity"].startswith("sha256$")
    entries = _entries(badgr_ctx)
    assert entries[("DEMO-1002", 2)].remote_id == awarded["entityId"]
    not_yet = entries[("DEMO-1002", 1)]  # the demo's "not yet" decision
    assert (not_yet.state, not_yet.reason, not_yet.remote_id) == ("accepted", NOTHING_ISSUED, None)
    # The sign-in was a password grant with its parameters in a form body.
    first = state.token_requests[0]
    assert first["content_type"].startswith("application/x-www-form-urlencoded")
    assert first["query"] == {}
    assert {k: first["form"][k] for k in ("grant_type", "username", "password", "client_id")} == \
        {"grant_type": "password", "username": EMAIL, "password": SECRET, "client_id": "public"}
    assert first["form"]["scope"] == "rw:issuer"


def test_a_replay_after_a_lost_reply_cannot_award_twice(badgr_ctx: AppContext, badgr: AppServer):
    _submit(badgr_ctx, "DEMO-1002", 2, FA_EARNED)
    badgr.faults.set(FaultConfig(lose=1.0, only="/assertions"))  # stored, then the reply is cut
    first = sync.sync_now(badgr_ctx, settings=replace(FAST, max_failures=2))
    assert first.pending == 1 and not first.online
    badgr.faults.set(FaultConfig())
    second = sync.sync_now(badgr_ctx, settings=FAST)
    assert (second.duplicates, second.pending) == (1, 0)
    state = badgr.state
    assert len(state.assertions) == 1  # awarded once, whatever the retries
    assert len(state.assertion_requests) >= 3
    assert all(r["allowDuplicateAwards"] is False for r in state.assertion_requests)
    entry = _entries(badgr_ctx)[("DEMO-1002", 2)]
    assert (entry.state, entry.result, entry.remote_id) == \
        ("accepted", "duplicate", state.assertions[0]["entityId"])


def test_an_expired_token_is_refreshed_with_the_refresh_grant(badgr_ctx: AppContext, badgr: AppServer):
    _submit(badgr_ctx, "DEMO-1002", 2, FA_EARNED)
    old = KeyringTokenStore().load("canvas")
    badgr.state.expire_all()
    report = sync.sync_now(badgr_ctx, settings=FAST)
    assert report.refreshed == 1 and report.pending == 0
    refresh = badgr.state.token_requests[-1]
    assert refresh["form"] == {"grant_type": "refresh_token", "refresh_token": old.refresh_token,
                               "client_id": "public"}
    new = KeyringTokenStore().load("canvas")
    assert new.access_token != old.access_token
    assert new.refresh_token != old.refresh_token  # Badgr rotates it; the new one is kept


def test_a_credential_without_a_badge_class_is_rejected_until_one_is_set(badgr_ctx: AppContext,
                                                                         badgr: AppServer):
    _submit(badgr_ctx, "DEMO-2001", 1, CL_EARNED)
    report = sync.sync_now(badgr_ctx, settings=FAST)
    assert report.rejected == 1
    entry = _entries(badgr_ctx)[("DEMO-2001", 1)]
    assert entry.state == "rejected" and "no Badgr badge class is set for credential 'cl-discussion'" \
        in entry.reason
    assert badgr.state.assertions == []
    profile = sync.get_profile(badgr_ctx, "canvas")
    classes = {**profile.settings["badge_classes"], "cl-discussion": "BC-CL-02"}
    sync.update_profile(badgr_ctx, "canvas", settings={**profile.settings, "badge_classes": classes})
    assert sync.retry_entry(badgr_ctx, entry.uid)
    report = sync.sync_now(badgr_ctx, settings=FAST)
    assert (report.accepted, report.rejected) == (1, 0)
    [awarded] = badgr.state.assertions
    # A URL recipient is not hashed (Badgr's default for urls).
    assert awarded["badgeclass"] == "BC-CL-02" and awarded["recipient"]["hashed"] is False
    assert badgr.state.assertion_requests[-1]["recipient"] == \
        {"identity": "https://example.org/people/jlee", "type": "url"}


def test_the_idle_check_needs_only_the_rw_issuer_scope(badgr_ctx: AppContext, badgr: AppServer):
    """Nothing to send: the sync still proves the server answers, with a call rw:issuer allows.
    (GET /v2/users/self, which needs a profile scope, is a 404 for this token.)"""
    sync.sync_now(badgr_ctx, settings=FAST)  # the demo's "not yet": nothing to award
    calls = len(badgr.state.calls)
    report = sync.sync_now(badgr_ctx, settings=FAST)
    assert (report.online, report.problems, report.pending) == (True, [], 0)
    assert badgr.state.calls[calls:] == [("GET", "/v2/issuers", 200)]
    token = KeyringTokenStore().load("canvas").access_token
    me = httpx.get(f"{badgr.url}/v2/users/self", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 404 and me.json()["status"]["description"] == NOT_FOUND


def test_a_replay_with_a_capitalised_email_finds_the_award_badgr_stored(badgr_ctx: AppContext,
                                                                        badgr: AppServer):
    with badgr_ctx.transaction() as s:  # as the teacher typed it in the package
        s.execute(update(m.Attempt).where(m.Attempt.recipient_identity == "sam.rivera@example.org")
                  .values(recipient_identity="Sam.Rivera@Example.ORG"))
    _submit(badgr_ctx, "DEMO-1002", 2, FA_EARNED)
    badgr.faults.set(FaultConfig(lose=1.0, only="/assertions"))  # awarded; the 201 is lost
    assert sync.sync_now(badgr_ctx, settings=replace(FAST, max_failures=2)).pending == 1
    badgr.faults.set(FaultConfig())
    report = sync.sync_now(badgr_ctx, settings=FAST)
    assert (report.duplicates, report.pending) == (1, 0)
    [award] = badgr.state.assertions  # once, although the server compares as sent
    assert award["recipient"]["plaintextIdentity"] == "sam.rivera@example.org"
    assert {r["recipient"]["identity"] for r in badgr.state.assertion_requests} == {"sam.rivera@example.org"}
    assert _entries(badgr_ctx)[("DEMO-1002", 2)].remote_id == award["entityId"]


@pytest.mark.parametrize("server_ahead", [-600.0, 600.0])
def test_issued_on_is_never_in_the_servers_future(badgr_ctx: AppContext, badgr: AppServer,
                                                   server_ahead: float):
    """The lead's clock 10 minutes ahead of the server's (or behind it): the award is made at
    once, dated no later than the server's clock (measured from its Date header)."""
    badgr.state.clock_offset = server_ahead
    _submit(badgr_ctx, "DEMO-1002", 2, FA_EARNED)
    report = sync.sync_now(badgr_ctx, settings=FAST)
    assert (report.accepted, report.rejected, report.pending) == (2, 0, 0)
    [award] = badgr.state.assertions
    issued = datetime.fromisoformat(award["issuedOn"].replace("Z", "+00:00"))
    assert issued <= server_time(badgr.state)
    # Ahead: the decision's own time (this machine's, a moment ago) was already in the
    # server's past and stays. Behind: the server's clock, less a couple of seconds.
    expected = datetime.now(UTC) if server_ahead > 0 else server_time(badgr.state)
    assert abs((issued - expected).total_seconds()) < 60


def test_the_fake_refuses_a_future_issued_on_as_badgr_does(badgr: AppServer):
    token = httpx.post(f"{badgr.url}/o/token", data={"grant_type": "password", "username": EMAIL,
                                                     "password": SECRET, "client_id": "public",
                                                     "scope": "rw:issuer"}).json()["access_token"]
    reply = httpx.post(f"{badgr.url}/v2/badgeclasses/BC-FA-01/assertions",
                       headers={"Authorization": f"Bearer {token}"},
                       json={"recipient": {"identity": "a@example.org", "type": "email"},
                             "issuedOn": "2999-01-01T00:00:00Z"})
    assert reply.status_code == 400 and reply.json()["fieldErrors"] == {"issuedOn": [FUTURE]}


def test_logout_revokes_the_tokens_at_the_server(badgr_ctx: AppContext, badgr: AppServer):
    tokens = KeyringTokenStore().load("canvas")
    sync.logout(badgr_ctx, "canvas")
    assert KeyringTokenStore().load("canvas") is None
    assert badgr.state.revocations == [
        {"token": tokens.refresh_token, "token_type_hint": "refresh_token", "client_id": "public"},
        {"token": tokens.access_token, "token_type_hint": "access_token", "client_id": "public"}]
    gone = httpx.get(f"{badgr.url}/v2/issuers", headers={"Authorization": f"Bearer {tokens.access_token}"})
    assert gone.status_code == 401
    refresh = httpx.post(f"{badgr.url}/o/token", data={"grant_type": "refresh_token", "client_id": "public",
                                                       "refresh_token": tokens.refresh_token})
    assert refresh.status_code == 400


def test_the_lead_chooses_what_the_public_evidence_tells(badgr_ctx: AppContext, badgr: AppServer):
    profile = sync.get_profile(badgr_ctx, "canvas")
    sync.update_profile(badgr_ctx, "canvas", settings={**profile.settings, "public_evidence": "full"})
    _submit(badgr_ctx, "DEMO-1002", 2, FA_EARNED)
    assert sync.sync_now(badgr_ctx, settings=FAST).accepted == 2
    [evidence] = badgr.state.assertion_requests[0]["evidence"]
    assert "Checks for understanding: level 4" in evidence["narrative"]
    assert f"Feedback: {FEEDBACK}" in evidence["narrative"]
    with pytest.raises(UserError):
        sync.update_profile(badgr_ctx, "canvas", settings={**profile.settings, "public_evidence": "all"})
