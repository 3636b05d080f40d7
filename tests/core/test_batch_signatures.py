"""Signed score batches against an adversary, on real files and a real database.

Alice (enrolled) scores DEMO-1002 "not yet". Mallory (not enrolled), Bob (enrolled, but not
Alice) and anyone holding Alice's file try to land an "earned" in the lead's database: each
forgery is refused with a plain reason, nothing of it is stored, and the refusal is in the
audit log; Alice's genuine batch, the same batch id they copied, then imports.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewer_app.domain.model import Decision, Role
from reviewer_app.services import enrolment, identity
from reviewer_app.services.batches import export_batch, import_batches
from reviewer_app.signatures import fingerprint
from reviewer_app.store import audit
from reviewer_app.store import models as m

from lead_support import enrol, resign
from test_batches import FA_LEVELS, _open, bare_demo, db_state, lead, refusals, reviewer, score  # noqa: F401

DOC = Path(__file__).resolve().parents[2] / "reviewer_app" / "exports" / "BATCH_FORMAT.md"
EARNED = {"learning-goals": 3, "checks-for-understanding": 4, "feedback": 3, "adjusting-instruction": 2}


def _earned(doc: dict) -> dict:
    """Alice's "not yet" turned into "earned", the content hash recomputed (anyone can)."""
    from reviewer_app.exports.batches import content_sha256

    review = doc["reviews"][0]
    for s in review["scores"]:
        s["level"] = EARNED[s["criterion"]]
    review["decision"] = "earned"
    doc["header"]["content_sha256"] = content_sha256(doc["reviews"])
    return doc


def _write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _decisions(ctx) -> list[tuple[str, Decision]]:
    with ctx.sessions() as s:
        return sorted((r.uid, r.decision) for r in s.scalars(select(m.Review)))


def test_forgeries_are_refused_audited_and_the_genuine_batch_then_imports(
        reviewer, lead, bare_demo, tmp_path):
    uid = score(reviewer, "DEMO-1002", 1, FA_LEVELS)  # "not yet"
    genuine = export_batch(reviewer, tmp_path / "alice").json_path
    doc = json.loads(genuine.read_text(encoding="utf-8"))
    forged = tmp_path / "forged"
    forged.mkdir()

    mallory = _open(bare_demo, tmp_path / "mallory", "Mallory", Role.REVIEWER)
    bob = _open(bare_demo, tmp_path / "bob", "Bob Baker", Role.REVIEWER)
    try:
        enrol(lead, bob, tmp_path / "bob-enrolment")
        score(mallory, "DEMO-1002", 1, EARNED)
        own = export_batch(mallory, forged).json_path  # Mallory's own, signed by her key
        files = {
            "mallory": own,
            # Alice's batch made "earned", hash recomputed, signature left as it was.
            "edited": _write(forged / "edited.reviewer-batch.json", _earned(json.loads(json.dumps(doc)))),
            # ... and signed again with Mallory's key, still in Alice's name.
            "mallory as alice": _write(forged / "as-alice.reviewer-batch.json",
                                       resign(_earned(json.loads(json.dumps(doc))), mallory)),
            # ... and signed again by Bob, who is enrolled, still in Alice's name.
            "bob as alice": _write(forged / "bob.reviewer-batch.json",
                                   resign(_earned(json.loads(json.dumps(doc))), bob)),
        }
    finally:
        mallory.close()
        bob.close()
    old = json.loads(json.dumps(doc))
    old["format"] = "reviewer-batch/1"
    del old["signature"], old["header"]["reviewer"]["public_key"]
    files["old format"] = _write(forged / "old.reviewer-batch.json", old)
    unsigned = json.loads(json.dumps(doc))
    del unsigned["signature"]
    files["unsigned"] = _write(forged / "unsigned.reviewer-batch.json", unsigned)
    extra = {**json.loads(json.dumps(doc)), "approved_by": "the lead"}
    files["extra member"] = _write(forged / "extra.reviewer-batch.json", extra)

    before = db_state(lead)
    outcomes = import_batches(lead, [*files.values(), genuine])
    by_name = dict(zip([*files, "genuine"], outcomes))
    assert [o.status for o in outcomes] == ["refused"] * len(files) + ["imported"], \
        [o.message for o in outcomes]
    expected = {
        "mallory": "is signed with a key no reviewer enrolled here holds",
        "edited": "does not carry a valid signature of the key it names",
        "mallory as alice": "is signed with a key no reviewer enrolled here holds",
        "bob as alice":
            "names Alice Morgan as its reviewer but is signed with the key enrolled for Bob Baker",
        "old format": "is an unsigned score batch in the old format reviewer-batch/1",
        "unsigned": "is not signed",
        "extra member": "holds members a batch does not have (approved_by)",
    }
    for name, words in expected.items():
        message = by_name[name].message
        assert words in message and "\n" not in message, (name, message)
        assert message.startswith(files[name].name)

    # Only the genuine batch landed: Alice's "not yet", under the id the forgeries copied.
    assert _decisions(lead) == [(uid, Decision.NOT_YET)]
    with lead.sessions() as s:
        assert [b.uid for b in s.scalars(select(m.ScoreBatch))] == [doc["header"]["batch_id"]]
        names = set(s.scalars(select(m.Profile.name)))
    assert "Mallory" not in names
    # Every refusal is in the audit log, with the file's hash and what its header claimed.
    logged = refusals(lead)
    assert [e["file"] for e in logged] == [p.name for p in files.values()]
    assert logged[0]["reviewer"] == "Mallory" and logged[2]["reviewer"] == "Alice Morgan"
    for entry, path in zip(logged, files.values()):
        import hashlib

        assert entry["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["reason"] and entry["reason"] in by_name[[*files][logged.index(entry)]].message
    assert audit.verify(lead).ok
    # Nothing of the forged batches is stored: the lead's data before the genuine import is
    # what the refusals left (checked by importing them again, alone).
    state = db_state(lead)
    assert all(o.refused for o in import_batches(lead, list(files.values())))
    assert db_state(lead) == state != before


def test_refused_batches_alone_store_nothing_but_their_audit_entries(reviewer, lead, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    genuine = export_batch(reviewer, tmp_path / "alice").json_path
    edited = _write(tmp_path / "edited.reviewer-batch.json",
                    _earned(json.loads(genuine.read_text(encoding="utf-8"))))
    before, entries = db_state(lead), len(audit.recent(lead))
    [outcome] = import_batches(lead, [edited])
    assert outcome.refused
    assert db_state(lead) == before
    assert len(audit.recent(lead)) == entries + 1 and refusals(lead)[-1]["file"] == edited.name


def test_a_replayed_batch_adds_nothing(reviewer, lead, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    genuine = export_batch(reviewer, tmp_path / "alice").json_path
    assert import_batches(lead, [genuine])[0].imported == 1
    before = db_state(lead)
    replay = tmp_path / "replay" / "resent.reviewer-batch.json"
    replay.parent.mkdir()
    shutil.copy(genuine, replay)
    outcomes = import_batches(lead, [genuine, replay])
    assert [o.status for o in outcomes] == ["already imported"] * 2
    assert db_state(lead) == before


def test_a_revoked_key_signs_nothing_more_and_a_new_key_can_be_enrolled(reviewer, lead, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS)
    first = export_batch(reviewer, tmp_path / "a").json_path
    assert import_batches(lead, [first])[0].imported == 1
    old = identity.identity(reviewer)
    assert enrolment.revoke(lead, "alice morgan").revoked_at is not None
    score(reviewer, "DEMO-2001", 1, {"group-structures": 3, "discourse-moves": 2,
                                     "equitable-participation": 3})
    second = export_batch(reviewer, tmp_path / "b").json_path
    before = db_state(lead)
    [refused] = import_batches(lead, [second])
    assert refused.refused and "is signed with the key of Alice Morgan" in refused.message
    assert "revoked on" in refused.message
    assert db_state(lead) == before and refusals(lead)[-1]["reason"].startswith("is signed with the key")
    # A revoked key is never enrolled again; a new one is.
    path, _ = identity.export_enrolment(reviewer, tmp_path / "old-key")
    with pytest.raises(enrolment.EnrolmentRefused, match="was revoked on"):
        enrolment.enrol(lead, path, old.fingerprint)
    new = identity.new_key(reviewer)
    assert new.fingerprint != old.fingerprint
    enrol(lead, reviewer, tmp_path / "new-key")
    # The batch signed with the revoked key stays refused; exported again, it imports.
    assert import_batches(lead, [second])[0].refused
    again = export_batch(reviewer, tmp_path / "c", include_all=True).json_path
    [outcome] = import_batches(lead, [again])
    assert (outcome.status, outcome.imported, outcome.skipped) == ("imported", 1, 1), outcome.message


def _snippet(language: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### Verifying a batch yourself"):text.index("## Enrolment")]
    [code] = re.findall(rf"```{language}\n(.*?)```", section, re.S)
    return code


def test_the_documented_python_recipe_verifies_a_batch_and_catches_an_edit(reviewer, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS, notes=True)
    genuine = export_batch(reviewer, tmp_path / "alice").json_path
    edited = _write(tmp_path / "edited.json", _earned(json.loads(genuine.read_text(encoding="utf-8"))))
    script = tmp_path / "verify.py"
    script.write_text(_snippet("python"), encoding="utf-8")
    ok = subprocess.run([sys.executable, str(script), str(genuine)], capture_output=True, text=True,
                        timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"signature OK; key fingerprint {identity.identity(reviewer).fingerprint}"
    bad = subprocess.run([sys.executable, str(script), str(edited)], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode != 0 and "InvalidSignature" in bad.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_the_documented_openssl_recipe_verifies_a_batch_and_catches_an_edit(reviewer, tmp_path):
    score(reviewer, "DEMO-1002", 1, FA_LEVELS, notes=True)
    genuine = export_batch(reviewer, tmp_path / "alice").json_path
    edited = _write(tmp_path / "edited.json", _earned(json.loads(genuine.read_text(encoding="utf-8"))))
    recipe = _snippet("sh").replace("python3 -", f"'{sys.executable}' -")
    results = {}
    for name, path in (("genuine", genuine), ("edited", edited)):
        work = tmp_path / name
        work.mkdir()
        results[name] = subprocess.run(["sh", "-c", recipe.replace("BATCH.reviewer-batch.json", str(path))],
                                       cwd=work, capture_output=True, text=True, timeout=60)
    assert results["genuine"].returncode == 0, results["genuine"].stderr
    assert "Signature Verified Successfully" in results["genuine"].stdout
    assert results["edited"].returncode == 1
    assert "Signature Verification Failure" in results["edited"].stdout + results["edited"].stderr
    # The key OpenSSL checked is the reviewer's (its fingerprint is the one read aloud).
    import base64

    raw = (tmp_path / "genuine" / "key.der").read_bytes()[12:]
    assert fingerprint(base64.b64encode(raw).decode()) == identity.identity(reviewer).fingerprint
