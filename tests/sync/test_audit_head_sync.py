"""The lead's signed audit head travels with every sync, and the reference issuer remembers
it: a log cut back with its head rewound (or rewritten to the same length), or a head signed
by another key, is refused at the next sync, said in plain words, and nothing is lost.
Played as the adversary would: on the lead's real SQLite file, over real HTTP."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from reviewer_app.services import audit_head, identity
from reviewer_app.services import sync as service
from reviewer_app.store import audit
from reviewer_app.store.context import AppContext
from reviewer_app.sync.client import IssuerRefused
from reviewer_app.sync.reference_issuer.server import IssuerServer

from support import FAST, PASSWORD, USER, assign_on_issuer, bulk_decisions, outbox_rows


def _seen(issuer: IssuerServer) -> dict:
    heads = issuer.store.audit_heads()
    assert len(heads) == 1
    return heads[0]


@pytest.fixture
def synced(signed_in: AppContext, issuer: IssuerServer) -> AppContext:
    """Three decisions delivered; the issuer saw the lead's head; one more decision queued."""
    keys = bulk_decisions(signed_in, 3)
    with signed_in.transaction() as session:  # the lead's earlier work
        audit.append(session, audit.POLICY, "earlier work", {"x": [None, 1]})
    assign_on_issuer(issuer, keys + ["LATE-00000"])
    assert service.sync_now(signed_in, settings=FAST).accepted == 3
    seen = _seen(issuer)
    head = audit_head.signed_head(signed_in)
    assert seen["public_key"] == head["public_key"] and 1 < seen["entry"] < head["entry"]
    bulk_decisions(signed_in, 1, prefix="LATE")
    return signed_in


def _cut_back(ctx: AppContext, to: int) -> None:
    """What someone holding the database file does: delete the last audit rows, rewind the
    head record to match (the chain alone then looks intact)."""
    con = sqlite3.connect(ctx.paths.data_dir / "reviewer.sqlite3")
    con.execute("DROP TRIGGER audit_log_no_delete")
    digest, = con.execute("SELECT hash FROM audit_log WHERE id = ?", (to,)).fetchone()
    con.execute("DELETE FROM audit_log WHERE id > ?", (to,))
    con.execute("UPDATE audit_head SET last_id = ?, last_hash = ?", (to, digest))
    con.commit()
    con.close()


def _refused(ctx: AppContext, issuer: IssuerServer, match: str) -> None:
    stored = issuer.store.decision_count()
    with pytest.raises(IssuerRefused, match=match) as caught:
        service.sync_now(ctx, settings=FAST)
    assert "Nothing was sent; the decisions stay in the outbox." in caught.value.message
    late, = [r for r in outbox_rows(ctx) if r["submission_key"] == "LATE-00000"]
    assert late["state"] == "queued"  # kept, to be sent once the lead has looked
    assert issuer.store.decision_count() == stored


@pytest.mark.parametrize("regrow", [False, True], ids=["cut-and-rewound", "cut-and-regrown"])
def test_a_log_cut_back_with_its_head_rewound_is_refused_at_the_next_sync(
        synced: AppContext, issuer: IssuerServer, regrow: bool):
    seen = _seen(issuer)
    _cut_back(synced, seen["entry"] - 1)
    if regrow:  # new entries up to the same number: same length, another hash
        with synced.transaction() as session:
            audit.append(session, audit.POLICY, "nothing to see", {"x": [None, 1]})
        assert audit_head.signed_head(synced)["entry"] == seen["entry"]
    _refused(synced, issuer, "the audit log on this computer was cut back or rewritten since the "
                             "issuer last saw it .it saw entry \\d+ as the head; now entry \\d+ "
                             + ("has another hash" if regrow else "is gone"))
    assert _seen(issuer) == seen  # the issuer still remembers the higher head


def test_a_log_cut_back_and_grown_past_the_remembered_head_is_caught_too(synced: AppContext,
                                                                         issuer: IssuerServer):
    """The head alone would look like progress: the app checks, against the head the issuer
    remembers, that its log still holds that entry with that hash."""
    seen = _seen(issuer)
    _cut_back(synced, seen["entry"] - 1)
    with synced.transaction() as session:
        for i in range(5):
            audit.append(session, audit.POLICY, f"regrown {i}", {"x": [None, i]})
    assert audit_head.signed_head(synced)["entry"] > seen["entry"]
    _refused(synced, issuer, f"it saw entry {seen['entry']} as the head; now entry {seen['entry']} "
                             "has another hash")


def test_the_issuer_itself_refuses_a_head_that_goes_backwards(synced: AppContext, issuer: IssuerServer):
    """What an app that skipped its own check would meet: the issuer's answer, 409."""
    older = _seen(issuer)
    seen_head = audit_head.signed_head(synced)
    with httpx.Client(base_url=f"{issuer.url}/api/v1") as client:
        token = client.post("/auth/token", json={"grant_type": "password", "username": USER,
                                                 "password": PASSWORD}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert client.post("/decisions", headers=auth,
                           json={"decisions": [], "audit_head": seen_head}).status_code == 200
        remembered = client.get("/audit-head", headers=auth).json()
        assert (remembered["entry"], remembered["hash"]) == (seen_head["entry"], seen_head["hash"])
        _cut_back(synced, older["entry"])
        rewound = audit_head.signed_head(synced)
        answer = client.post("/decisions", headers=auth, json={"decisions": [], "audit_head": rewound})
    assert (answer.status_code, answer.json()["error"]) == (409, "audit_head_rewound")
    assert f"now ends at entry {older['entry']}, but this issuer already saw entry " \
        f"{seen_head['entry']}" in answer.json()["error_description"]
    # And through the adapter, the app says it in words, whichever check catches it first.
    _refused(synced, issuer, "cut back or rewritten since the issuer last saw it")


def test_with_nothing_to_send_the_head_is_still_checked(signed_in: AppContext, issuer: IssuerServer):
    keys = bulk_decisions(signed_in, 2)
    assign_on_issuer(issuer, keys)
    with signed_in.transaction() as session:
        audit.append(session, audit.POLICY, "earlier work", {"x": [None, 1]})
    service.sync_now(signed_in, settings=FAST)
    idle = service.sync_now(signed_in, settings=FAST)  # nothing queued: an empty batch, with the head
    assert (idle.sent, idle.online, idle.problems) == (0, True, [])
    assert _seen(issuer)["entry"] == audit_head.signed_head(signed_in)["entry"]
    _cut_back(signed_in, 1)
    with pytest.raises(IssuerRefused, match="cut back or rewritten since the issuer last saw it"):
        service.sync_now(signed_in, settings=FAST)


def test_a_head_signed_by_another_key_is_refused_until_the_issuer_confirms_it(
        synced: AppContext, issuer: IssuerServer):
    identity.new_key(synced)  # or a key put in the keyring by someone else
    _refused(synced, issuer, "the audit log is now signed by another key than before")
    # The issuer's administrator confirms the new key: the next sync goes through.
    assert httpx.post(f"{issuer.url}/admin/forget-head-key", json={"username": USER}).json() == \
        {"forgotten": 1}
    assert service.sync_now(synced, settings=FAST).accepted == 1


def test_a_forged_or_missing_head_is_refused_and_nothing_is_stored(synced: AppContext,
                                                                    issuer: IssuerServer):
    head = audit_head.signed_head(synced)
    decision = {"idempotency_key": "forged-1", "submission_id": "LATE-00000", "attempt": 1,
                "decision": "earned"}
    with httpx.Client(base_url=f"{issuer.url}/api/v1") as client:
        token = client.post("/auth/token", json={"grant_type": "password", "username": USER,
                                                 "password": PASSWORD}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        edited = client.post("/decisions", headers=auth, json={
            "decisions": [decision], "audit_head": {**head, "entry": head["entry"] + 100}})
        missing = client.post("/decisions", headers=auth, json={"decisions": [decision]})
        put = client.put("/decisions/forged-1", headers=auth,
                         json={**decision, "audit_head": {**head, "hash": "0" * 64}})
        good = client.put("/decisions/forged-1", headers=auth, json={**decision, "audit_head": head})
    assert (edited.status_code, edited.json()["error"]) == (400, "invalid_audit_head")
    assert (missing.status_code, missing.json()["error"]) == (409, "audit_head_required")
    assert (put.status_code, put.json()["error"]) == (400, "invalid_audit_head")
    assert good.status_code == 200 and good.json()["result"]["status"] == "accepted"


def test_the_refusal_is_shown_in_words_in_the_window(qtbot, synced: AppContext, issuer: IssuerServer,
                                                     monkeypatch):
    from PySide6.QtWidgets import QMainWindow

    from reviewer_app.gui.sync import install_sync

    win = QMainWindow()
    qtbot.addWidget(win)
    controller = install_sync(win, synced, interval_ms=3_600_000, start=False, settings=FAST)
    win.show()
    shown = []
    monkeypatch.setattr("reviewer_app.gui.sync.widgets.show_error",
                        lambda parent, exc, title="": shown.append(exc.message))
    _cut_back(synced, _seen(issuer)["entry"] - 1)
    controller.actions["outbox"].trigger()
    with qtbot.waitSignal(controller.pass_failed, timeout=20_000):
        controller.sync_now()
    controller.stop()
    assert shown and shown[0].startswith("Not sent to the issuer \u201cref\u201d: the audit log on "
                                         "this computer was cut back or rewritten")
