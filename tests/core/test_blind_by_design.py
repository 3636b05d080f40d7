"""Blind by design (#12 item 3), played as an adversary on real files and a real database.

A reviewer's laptop never holds a candidate's identity: after importing the demo and test
packages (one naming its candidate in plain text, one with the identity sealed to the
lead's key), reviewing, exporting and logging, a byte search of the whole data folder finds
no name and no email. Making the profile a lead there shows nothing and grants nothing.
The lead's own database sees the names, opened from the sealed identities with the lead's
key, and refuses lead actions to a keyring without that key.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from reviewer_app.config import resolve_paths
from reviewer_app.domain.model import Role
from reviewer_app.intake import sealed as sealing
from reviewer_app.services import enrolment, identity, lead_database, moderation, policies, release
from reviewer_app.services.batches import export_batch, import_batch
from reviewer_app.services.demo import demo_identities, load_demo
from reviewer_app.services.final_exports import export_final_decisions, write_feedback_letters
from reviewer_app.services.imports import import_package
from reviewer_app.services.review_exports import export_reviews
from reviewer_app.services.roles import update_self
from reviewer_app.services.submissions import get_submission
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext

from lead_support import FA_NOT_YET, add_profile, arrive, attempt_id, score, score_as, simple_rules
from packages import make_package

PLAIN = ("Alex Example", "alex@example.org")  # tests/core/packages.py's candidate
SEALED = ("Quinn Sealed-Candidate", "quinn.sealed@example.org")
EVERYONE = [*demo_identities(), PLAIN, SEALED]


def needles() -> list[bytes]:
    """Every name and email, and each email's local part, as lower-case UTF-8."""
    out: set[str] = set()
    for name, email in EVERYONE:
        out |= {name, email, email.split("@")[0].split("//")[-1]}
    return sorted(n.lower().encode("utf-8") for n in out)


def search(folder: Path) -> list[str]:
    """Where in ``folder`` (every file, every byte) any name or email occurs."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        found += [f"{path.relative_to(folder)}: {n.decode()}" for n in needles() if n in data]
    return found


def sealed_package(folder: Path, lead_public: str, submission_id: str = "SUB-SEALED"):
    def candidate(manifest: dict) -> None:
        manifest["candidate"] = {"id": "cand-sealed", "sealed": sealing.seal(
            lead_public, "cand-sealed", SEALED[0], {"type": "email", "identity": SEALED[1]})}
    return make_package(folder, name=submission_id.lower(), submission_id=submission_id,
                        mutate_manifest=candidate)


@contextmanager
def logged(log_file: Path) -> Iterator[None]:
    """The app's log file, at DEBUG, as the app writes it; put back as it was after."""
    import logging

    from reviewer_app import logs

    root, before = logging.getLogger(), logs._configured
    level = root.level
    logs.setup_logging(log_file, level=logging.DEBUG)
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if getattr(h, "_reviewer", False)]:
            root.removeHandler(handler)
            handler.close()
        logs._configured = before
        root.setLevel(level)


@pytest.fixture
def lead_public() -> str:
    """A lead's sealing public key (the lead is elsewhere, with the private half)."""
    return sealing.public_text(X25519PrivateKey.generate())


@pytest.fixture
def reviewer_data(demo_data_dir: Path, tmp_path: Path, lead_public: str) -> Path:
    """A reviewer's data folder after a day's work: the demo (``load_demo``), a package naming
    its candidate in plain text, one with the identity sealed to the lead, reviews, exports."""
    data = demo_data_dir
    paths = resolve_paths(data_dir=data)
    with logged(paths.log_file), AppContext.open(paths) as ctx:
        assert import_package(ctx, make_package(tmp_path / "in", name="plain").path).status == "imported"
        assert import_package(ctx, sealed_package(tmp_path / "in", lead_public).path).status == "imported"
        score(ctx, "SUB-001", 1, {"planning": 2, "practice": 2, "reflection": 2})
        score(ctx, "SUB-SEALED", 1, {"planning": 3, "practice": 3, "reflection": 3})
        out = data / "exports"
        export_reviews(ctx, "csv", out / "reviews.csv")
        export_reviews(ctx, "json", out / "reviews.json")
        export_batch(ctx, out)
        identity.export_enrolment(ctx, out)
        for key in ("DEMO-1001", "SUB-001", "SUB-SEALED"):
            get_submission(ctx, key, reveal_candidate=True)
    return data


def test_a_reviewers_whole_data_folder_holds_no_name_and_no_email(reviewer_data: Path):
    assert (reviewer_data / "logs").is_dir() and list((reviewer_data / "exports").iterdir())
    assert search(reviewer_data) == []
    # The sealed identity is there, as ciphertext the reviewer cannot open.
    con = sqlite3.connect(reviewer_data / "reviewer.sqlite3")
    try:
        [(stored,)] = con.execute("SELECT a.manifest_json FROM attempt a JOIN submission s "
                                  "ON s.id = a.submission_id WHERE s.key = 'SUB-SEALED'").fetchall()
        rows = con.execute("SELECT count(*) FROM attempt WHERE candidate_display_name IS NOT NULL "
                           "OR recipient_identity IS NOT NULL").fetchone()
    finally:
        con.close()
    assert json.loads(stored)["candidate"]["sealed"]["alg"] == sealing.ALG and rows == (0,)


def test_the_search_itself_finds_a_name_where_there_is_one(tmp_path: Path):
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "x.bin").write_bytes(b"\x00...SAM.RIVERA@EXAMPLE.ORG...")
    assert search(tmp_path) == ["deep/er/x.bin: sam.rivera", "deep/er/x.bin: sam.rivera@example.org"]


def test_making_the_profile_a_lead_on_a_reviewers_laptop_shows_nothing_and_grants_nothing(
        reviewer_data: Path, tmp_path: Path):
    with AppContext.open(resolve_paths(data_dir=reviewer_data)) as ctx:
        me = update_self(ctx, role=Role.LEAD_ASSESSOR)
        assert me.role is Role.LEAD_ASSESSOR and not lead_database.is_lead_database(ctx)
        for key in ("DEMO-1001", "SUB-001"):
            shown = get_submission(ctx, key, reveal_candidate=True).candidate
            assert (shown.display_name, shown.recipient) == (None, None)
        card = tmp_path / "someone.reviewer-enrolment.json"
        shutil.copy(next((reviewer_data / "exports").glob("*.reviewer-enrolment.json")), card)
        lead_actions = [
            lambda: write_feedback_letters(ctx, tmp_path / "letters"),
            lambda: export_final_decisions(ctx, "csv", tmp_path / "final.csv"),
            lambda: moderation.list_disputes(ctx),
            lambda: release.release(ctx),
            lambda: enrolment.enrol(ctx, card, identity.identity(ctx).fingerprint),
            lambda: policies.set_policy(ctx, "fa-math", hold_for_release=False),
            lambda: import_batch(ctx, next((reviewer_data / "exports").glob("*.reviewer-batch.json"))),
        ]
        for act in lead_actions:
            with pytest.raises(lead_database.NotLeadDatabase) as refused:
                act()
            assert refused.value.message.startswith("This data folder is a reviewer's")
            assert "--role lead" in refused.value.message
    assert not (tmp_path / "letters").exists() and not (tmp_path / "final.csv").exists()
    assert search(reviewer_data) == []


@pytest.fixture
def lead_ctx(tmp_path: Path):
    """The lead's own database: made a lead's while new, then the demo loaded (its packages
    seal each candidate's identity to this lead's key)."""
    ctx = AppContext.open(resolve_paths(data_dir=tmp_path / "lead"))
    update_self(ctx, name="Lena Lead", role=Role.LEAD_ASSESSOR)
    assert lead_database.is_lead_database(ctx)
    load_demo(ctx)
    yield ctx
    ctx.close()


def test_the_lead_opens_the_sealed_identities_with_the_leads_key(lead_ctx: AppContext, tmp_path: Path):
    for key, (name, email) in (("DEMO-1001", ("Alex Morgan", "alex.morgan@example.org")),
                               ("DEMO-1002", ("Sam Rivera", "sam.rivera@example.org"))):
        shown = get_submission(lead_ctx, key, reveal_candidate=True).candidate
        assert (shown.display_name, shown.recipient.identity) == (name, email)
    # A package sealed to this lead imports with the name; one sealed to another lead, or
    # sealed for another candidate, or altered, imports with the pseudonym only.
    mine = lead_database.sealing_public_key(lead_ctx)
    import_package(lead_ctx, sealed_package(tmp_path / "in", mine, "SUB-MINE").path)
    other = sealing.public_text(X25519PrivateKey.generate())
    import_package(lead_ctx, sealed_package(tmp_path / "in", other, "SUB-OTHER").path)

    def moved(manifest: dict) -> None:
        manifest["candidate"] = {"id": "cand-else", "sealed": sealing.seal(
            mine, "cand-sealed", SEALED[0], {"type": "email", "identity": SEALED[1]})}

    import_package(lead_ctx, make_package(tmp_path / "in", name="moved", submission_id="SUB-MOVED",
                                          mutate_manifest=moved).path)
    assert get_submission(lead_ctx, "SUB-MINE", reveal_candidate=True).candidate.display_name == SEALED[0]
    for key in ("SUB-OTHER", "SUB-MOVED"):
        assert get_submission(lead_ctx, key, reveal_candidate=True).candidate.display_name is None


def test_a_sealed_identity_does_not_open_altered_or_for_another_candidate():
    key = X25519PrivateKey.generate()
    box = sealing.seal(sealing.public_text(key), "cand-1", "Ada", {"type": "email", "identity": "a@x.org"})
    assert sealing.open_sealed(key, "cand-1", box)["display_name"] == "Ada"
    flipped = dict(box, ciphertext=box["ciphertext"][:-4] + ("AAAA" if box["ciphertext"][-4:] != "AAAA"
                                                             else "BBBB"))
    for candidate, sealed_box, with_key in (("cand-2", box, key), ("cand-1", flipped, key),
                                            ("cand-1", box, X25519PrivateKey.generate())):
        with pytest.raises(sealing.CannotOpen):
            sealing.open_sealed(with_key, candidate, sealed_box)


def test_letters_greet_by_name_and_a_copy_of_the_leads_database_is_refused_without_the_key(
        lead_ctx: AppContext, tmp_path: Path, memory_keyring):
    simple_rules(lead_ctx)  # one review is final, released when made
    score_as(lead_ctx, add_profile(lead_ctx, "Rita Reviewer"), "DEMO-1002", 2, FA_NOT_YET)
    assert arrive(lead_ctx, [attempt_id(lead_ctx, "DEMO-1002", 2)]).final
    export_final_decisions(lead_ctx, "json", tmp_path / "final.json")
    assert "Sam Rivera" in (tmp_path / "final.json").read_text(encoding="utf-8")
    summary = write_feedback_letters(lead_ctx, tmp_path / "letters")
    assert summary.count >= 1 and any("Sam-Rivera" in p.name for p in summary.files)

    # Someone copies the lead's data folder to a laptop whose keyring holds another key.
    copy = tmp_path / "stolen"
    lead_ctx.close()
    shutil.copytree(tmp_path / "lead", copy)
    memory_keyring.items.clear()  # another laptop, another keyring
    with AppContext.open(resolve_paths(data_dir=copy)) as stolen:
        with pytest.raises(lead_database.NotLeadDatabase, match="bound to the lead's key"):
            write_feedback_letters(stolen, tmp_path / "stolen-letters")
        with pytest.raises(lead_database.NotLeadDatabase, match="bound to the lead's key"):
            moderation.list_disputes(stolen)
    assert not (tmp_path / "stolen-letters").exists()


def test_the_profile_command_says_plainly_what_a_role_change_on_a_reviewers_laptop_means(
        tmp_path: Path, keyring_env: dict[str, str], demo_packages: list[Path]):
    import subprocess
    import sys

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "reviewer_app", "--data-dir", str(tmp_path / "r"),
                               *args], capture_output=True, text=True, timeout=120, env=keyring_env)

    with AppContext.open(resolve_paths(data_dir=tmp_path / "r")) as ctx:  # a reviewer's imports
        for package in demo_packages:
            import_package(ctx, package)
    became = cli("profile", "--role", "lead")
    assert became.returncode == 0 and "lead actions stay refused here" in became.stdout
    shown = cli("show", "DEMO-1001")
    assert "Alex Morgan" not in shown.stdout and "alex.morgan" not in shown.stdout
    refused = cli("enrolled")
    assert refused.returncode != 0 and refused.stderr.startswith("error: This data folder is a reviewer's")
    assert search(tmp_path / "r") == []


def _as_before_0008(data: Path, role: str) -> None:
    """The database as version 0.7 left it: its schema at 0007 (the later migrations undone),
    no lead key, no reviewer-copy mark."""
    from alembic import command

    from reviewer_app.store.migrate import alembic_config

    with AppContext.open(resolve_paths(data_dir=data)) as ctx:
        cfg = alembic_config()
        with ctx.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0007")
    con = sqlite3.connect(data / "reviewer.sqlite3")
    with con:
        con.execute("DELETE FROM app_setting WHERE key IN ('lead_key', 'reviewer_copy')")
        con.execute("UPDATE profile SET role = ? WHERE is_self", (role,))
    con.close()


def test_upgrading_a_reviewers_database_erases_the_identities_it_held(tmp_path: Path):
    data = tmp_path / "data"
    with AppContext.open(resolve_paths(data_dir=data)) as ctx:  # identities stored, as 0.7 did
        update_self(ctx, role=Role.LEAD_ASSESSOR)
        import_package(ctx, make_package(tmp_path / "in").path)
    _as_before_0008(data, "reviewer")
    with AppContext.open(resolve_paths(data_dir=data)) as ctx:
        assert lead_database.is_reviewer_copy(ctx)
        assert get_submission(ctx, "SUB-001", reveal_candidate=True).candidate.display_name is None
    [backup] = (data / "backups").iterdir()  # made before the upgrade, erased after it
    assert backup.name.startswith("reviewer-0007-") and search(data) == []


def test_upgrading_a_leads_database_binds_it_to_the_first_lead_key_used(tmp_path: Path):
    data = tmp_path / "data"
    with AppContext.open(resolve_paths(data_dir=data)) as ctx:
        update_self(ctx, role=Role.LEAD_ASSESSOR)
        import_package(ctx, make_package(tmp_path / "in").path)
    _as_before_0008(data, "lead_assessor")
    with AppContext.open(resolve_paths(data_dir=data)) as ctx:
        assert lead_database.is_lead_database(ctx)
        assert moderation.list_disputes(ctx) == []  # bound now, to this lead's key
        assert get_submission(ctx, "SUB-001", reveal_candidate=True).candidate.display_name == PLAIN[0]
        mine = identity.identity(ctx).public_key
        with ctx.sessions() as s:
            assert s.get(m.AppSetting, "lead_key").value == mine
