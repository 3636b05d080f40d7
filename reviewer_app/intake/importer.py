"""Import one submission package, all or nothing.

1. Open the package and check its structure (``package.py``), then the manifest and the
   rubric (``manifest.py``) and that every evidence file is present with its declared size.
2. Stream every evidence file into a private staging folder, checking size, SHA-256 and
   that the content matches its kind as the bytes pass (one read; constant memory).
3. Under the store's lock, publish the staged files and commit the rows in one
   transaction. If anything fails, the rows roll back and the files this import added go.

Any refusal is a ``PackageError``: its message names the package and says, in a
reviewer's words, what is wrong and what to do; its details name the file and the
technical reason (``refusals``). ``import_package_as`` (through
services.imports.import_package: the CLI, the window and a sync pull) also writes a refused
package to the audit log (``package.refuse``: its name and SHA-256, the reason in the
reviewer's words and the details) in a transaction of its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reviewer_app.domain.model import EvidenceKind
from reviewer_app.errors import PackageError
from reviewer_app.intake.manifest import (
    MAX_JSON_BYTES,
    FormatError,
    Manifest,
    RubricDef,
    canonical_sha256,
    parse_manifest,
    parse_rubric,
    pseudonymous,
)
from reviewer_app.intake.package import Package, PackageFault, open_package, safe_relpath
from reviewer_app.intake.refusals import (
    CONFLICT,
    DB_REFUSED,
    DISK_FULL,
    EVIDENCE_DAMAGED,
    EVIDENCE_MISSING,
    EVIDENCE_WRONG_KIND,
    NO_EVIDENCE,
    NOT_A_PACKAGE,
    RACE,
    UNREADABLE,
    evidence_words,
    refusal,
    size_words,
)
from reviewer_app.intake.sniff import ContentMismatch, KindSniffer
from reviewer_app.intake.transfer import Unsupported, copy_span
from reviewer_app.jobs import Job
from reviewer_app.store import audit
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.store.evidence import EvidenceStore, StagedFile

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024  # read at a time where the bytes cannot be copied in the kernel
DISK_MARGIN = 64 * 1024 * 1024


@dataclass(frozen=True)
class ImportOutcome:
    source: Path
    status: Literal["imported", "already imported"]
    submission_key: str
    attempt: int
    evidence_count: int
    bytes_copied: int = 0

    def describe(self) -> str:
        what = f"submission {self.submission_key} attempt {self.attempt}"
        if self.status == "already imported":
            return f"{self.source.name}: {what} is already imported; nothing changed"
        return f"{self.source.name}: imported {what} ({self.evidence_count} evidence files)"


@dataclass(frozen=True)
class IdentityPolicy:
    """What this database keeps of a candidate's identity (blind by design).

    A reviewer's database (the default, ``BLIND``) keeps the pseudonym only: a name or badge
    recipient in the package is dropped before anything is stored, and a sealed identity
    stays sealed. A lead's database keeps the identity, opening a sealed one with ``opener``
    (``(candidate id, sealed) -> {"display_name", "recipient"}`` or None when it is not
    sealed to this lead).
    """

    keep: bool = False
    opener: Callable[[str, dict[str, Any]], dict[str, Any] | None] | None = None


BLIND = IdentityPolicy()


@dataclass(frozen=True)
class _Identity:
    display_name: str | None
    recipient_type: str | None
    recipient_identity: str | None


@dataclass(frozen=True)
class _Checked:
    manifest: Manifest
    rubric: RubricDef
    manifest_sha256: str  # over the manifest without the candidate's identity
    paths: dict[str, str]  # evidence id -> entry name in the package
    identified_sha256: str = ""  # over the whole manifest (attempts imported before 0.8)


class Importer:
    def __init__(self, session_factory, evidence: EvidenceStore,  # noqa: ANN001
                 identity: IdentityPolicy = BLIND) -> None:
        self._sessions = session_factory
        self._evidence = evidence
        self._identity = identity

    def import_path(self, path: Path, job: Job | None = None) -> ImportOutcome:
        job = job or Job()
        source = Path(path)
        label = source.name or str(source)
        try:
            with open_package(source) as package:
                checked = self._check(package)
                already = self._already_imported(checked)
                if already is not None:
                    self._learn_identity(already.id, checked)
                    return ImportOutcome(source, "already imported", checked.manifest.submission_id,
                                         checked.manifest.attempt, len(checked.manifest.evidence))
                return self._import(source, package, checked, job)
        except (PackageFault, FormatError) as exc:
            error = refusal(label, exc)
            log.info("refused %s: %s (%s)", source, error.details, getattr(exc, "kind", ""))
            raise error from None

    # -- step 1: everything that can be checked without copying ----------------------------
    def _check(self, package: Package) -> _Checked:
        if "manifest.json" not in package.entries:
            raise PackageFault("manifest.json is missing from the package root", NOT_A_PACKAGE)
        raw_manifest = package.read_limited("manifest.json", MAX_JSON_BYTES)
        manifest = parse_manifest(raw_manifest)
        if not manifest.evidence:
            raise PackageFault("manifest.json lists no evidence (field 'evidence' is an empty list)",
                               kind=NO_EVIDENCE)
        rubric_name = _entry_name(manifest.rubric, "field 'rubric'")
        if rubric_name not in package.entries:
            raise PackageFault(f"the rubric file {manifest.rubric!r} named in manifest.json is missing")
        rubric = parse_rubric(package.read_limited(rubric_name, MAX_JSON_BYTES), rubric_name)
        criteria = {c.id for c in rubric.criteria}
        paths: dict[str, str] = {}
        for index, item in enumerate(manifest.evidence):
            name = _entry_name(item.path, f"field 'evidence[{index}].path'")
            entry = package.entries.get(name)
            what = evidence_words(item.kind, item.title)
            if entry is None:
                raise PackageFault(f"evidence file {item.path!r} (evidence {item.id!r}) is missing "
                                   "from the package", EVIDENCE_MISSING, what=what)
            if entry.size != item.size:
                raise PackageFault(f"{name}: size is {entry.size:,} bytes but manifest.json "
                                   f"declares {item.size:,}", EVIDENCE_DAMAGED, what=what)
            unknown = [c for c in item.criteria if c not in criteria]
            if unknown:
                raise PackageFault(f"manifest.json: evidence {item.id!r} names criterion "
                                   f"{unknown[0]!r}, which the rubric does not have")
            paths[item.id] = name
        data = json.loads(raw_manifest.decode("utf-8-sig"))
        return _Checked(manifest, rubric, canonical_sha256(pseudonymous(data, keep_sealed=False)),
                        paths, canonical_sha256(data))

    def _already_imported(self, checked: _Checked) -> m.Attempt | None:
        mf = checked.manifest
        with self._sessions() as session:
            attempt = session.scalars(
                select(m.Attempt).join(m.Submission)
                .where(m.Submission.key == mf.submission_id, m.Attempt.number == mf.attempt)
            ).first()
        if attempt is None:
            return None
        if attempt.manifest_sha256 not in (checked.manifest_sha256, checked.identified_sha256):
            raise PackageFault(f"submission {mf.submission_id} attempt {mf.attempt} is already "
                               "imported from a different package; a resubmission needs a new "
                               "attempt number", CONFLICT)
        return attempt

    # -- step 2 and 3 -------------------------------------------------------------------
    def _import(self, source: Path, package: Package, checked: _Checked, job: Job) -> ImportOutcome:
        mf = checked.manifest
        # Every file is read and verified; one whose bytes the store already holds is only
        # hashed, not written again.
        new = {item.id for item in mf.evidence if not self._evidence.has(item.sha256)}
        need = sum(item.size for item in mf.evidence if item.id in new)
        self._check_space(need)
        job.start(sum(item.size for item in mf.evidence), f"Importing {source.name}")
        staged: list[StagedFile] = []
        with self._evidence.staging() as folder:
            for item in mf.evidence:
                job.check()
                copy = self._verify(package, checked.paths[item.id], item,
                                    folder if item.id in new else None, job)
                if copy is not None:
                    staged.append(copy)
            with self._evidence.lock():
                self._evidence.recover(self._is_referenced)
                journal = self._evidence.publish(staged)
                try:
                    self._commit_rows(checked)
                except BaseException:
                    self._evidence.rollback(journal)
                    raise
                self._evidence.finish(journal)
        log.info("imported %s: submission %s attempt %d, %d evidence files, %d bytes copied",
                 source, mf.submission_id, mf.attempt, len(mf.evidence), need)
        return ImportOutcome(source, "imported", mf.submission_id, mf.attempt, len(mf.evidence), need)

    def _check_space(self, need: int) -> None:
        root = self._evidence.root
        root.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(root).free
        if need + DISK_MARGIN > free:
            raise PackageFault(f"not enough disk space: the evidence needs {need:,} bytes (and a "
                               f"margin of {DISK_MARGIN:,}) and {free:,} are free in {root}",
                               DISK_FULL, need=size_words(need + DISK_MARGIN), free=size_words(free))

    def _verify(self, package: Package, name: str, item, folder: Path | None,  # noqa: ANN001
                job: Job) -> StagedFile | None:
        """Stream one evidence file, checking size, kind and SHA-256 as it passes.

        With a ``folder`` the bytes are also written there (and fsynced) for publishing:
        copied in the kernel where they lie verbatim (``transfer.copy_span``: what is checked
        is then read back from the copy), else written as they are read.
        """
        kind = EvidenceKind(item.kind)
        what = evidence_words(item.kind, item.title)
        sniffer = KindSniffer(kind)
        digest = hashlib.sha256()
        target = folder / item.sha256 if folder is not None else None
        copied = 0

        def feed(chunk: bytes | memoryview) -> None:
            nonlocal copied
            copied += len(chunk)
            if copied > item.size:
                raise PackageFault(f"{name}: holds more than the {item.size:,} bytes "
                                   "manifest.json declares", EVIDENCE_DAMAGED, what=what)
            sniffer.feed(chunk)
            digest.update(chunk)
            job.advance(len(chunk))

        try:
            if target is None or not self._copy_in_kernel(package, name, item.size, target,
                                                          feed, job):
                with package.open(name) as src, \
                        (open(target, "wb") if target is not None else open(os.devnull, "wb")) as out:
                    while True:
                        job.check()
                        chunk = src.read(CHUNK)
                        if not chunk:
                            break
                        feed(chunk)
                        if target is not None:
                            out.write(chunk)
                    if target is not None:
                        out.flush()
                        os.fsync(out.fileno())
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise PackageFault(f"{name}: the zip entry is damaged ({exc})", EVIDENCE_DAMAGED,
                               what=what) from None
        except ContentMismatch as exc:
            raise PackageFault(f"{name}: declared as {kind.value}, but {exc}", EVIDENCE_WRONG_KIND,
                               what=what) from None
        except OSError as exc:
            raise PackageFault(f"{name}: cannot be read ({exc.strerror or exc})", UNREADABLE) from None
        if copied != item.size:
            raise PackageFault(f"{name}: holds {copied:,} bytes but manifest.json declares {item.size:,}",
                               EVIDENCE_DAMAGED, what=what)
        try:
            sniffer.finish()
        except ContentMismatch as exc:
            raise PackageFault(f"{name}: declared as {kind.value}, but {exc}", EVIDENCE_WRONG_KIND,
                               what=what) from None
        actual = digest.hexdigest()
        if actual != item.sha256:
            raise PackageFault(f"{name}: SHA-256 checksum does not match manifest.json "
                               f"(declared {item.sha256[:12]}\u2026, actual {actual[:12]}\u2026)",
                               EVIDENCE_DAMAGED, what=what)
        return StagedFile(actual, copied, target) if target is not None else None

    @staticmethod
    def _copy_in_kernel(package: Package, name: str, size: int, target: Path,
                        feed: Callable[[memoryview], None], job: Job) -> bool:
        """Copy the entry with ``transfer.copy_span`` where it can; False (nothing written)
        where it cannot."""
        span = package.open_span(name)
        if span is None:
            return False
        src, offset, ends = span
        with src:
            try:
                copied = copy_span(src.fileno(), offset, size, target, feed, job.check)
            except Unsupported:
                return False
            if copied == size and ends and os.pread(src.fileno(), 1, offset + size):
                feed(memoryview(b"\0"))  # one byte more than declared: refused as such
        return True

    def _is_referenced(self, sha256: str) -> bool:
        with self._sessions() as session:
            return bool(session.scalar(select(exists().where(m.EvidenceItem.sha256 == sha256))))

    def _identity_of(self, mf: Manifest) -> _Identity | None:
        """The candidate's identity this database may keep: None in a reviewer's database."""
        if not self._identity.keep:
            return None
        cand = mf.candidate
        if cand.identified:
            rec = cand.recipient
            return _Identity(cand.display_name, rec.type if rec else None, rec.identity if rec else None)
        if cand.sealed is None or self._identity.opener is None:
            return None
        opened = self._identity.opener(cand.id, cand.sealed.model_dump(mode="json"))
        if not opened:
            return None
        rec = opened.get("recipient") if isinstance(opened.get("recipient"), dict) else None
        name = opened.get("display_name")
        return _Identity(name if isinstance(name, str) else None,
                         str(rec["type"]) if rec and "type" in rec else None,
                         str(rec["identity"]) if rec and "identity" in rec else None)

    def _learn_identity(self, attempt_id: int, checked: _Checked) -> None:
        """The lead's copy of an attempt held without its identity fills it in."""
        who = self._identity_of(checked.manifest)
        if who is None:
            return
        with self._sessions() as session, session.begin():
            row = session.get(m.Attempt, attempt_id)
            if row is not None and row.candidate_display_name is None and row.recipient_identity is None:
                row.candidate_display_name = who.display_name
                row.recipient_type, row.recipient_identity = who.recipient_type, who.recipient_identity

    def _commit_rows(self, checked: _Checked) -> None:
        try:
            with self._sessions() as session, session.begin():
                _insert(session, checked, self._identity_of(checked.manifest))
        except IntegrityError as exc:
            mf = checked.manifest
            try:
                raced = self._already_imported(checked) is not None
            except PackageFault:
                raced = True  # a different package for the attempt got there first
            if raced:
                raise PackageFault(f"submission {mf.submission_id} attempt {mf.attempt} was "
                                   "imported by another process at the same time; nothing "
                                   "was changed", RACE) from None
            log.error("the database refused an import: %s", exc)
            raise PackageFault(f"the database refused the package ({exc.orig})", DB_REFUSED) from None


def _entry_name(path: str, field: str) -> str:
    try:
        return safe_relpath(path)
    except PackageFault as exc:
        raise PackageFault(f"manifest.json: {field}: {exc}", exc.kind) from None


def _get_or_create_rubric(session: Session, rubric: RubricDef) -> m.Rubric:
    sha = rubric.content_sha256()
    row = session.scalars(select(m.Rubric).where(m.Rubric.key == rubric.id,
                                                 m.Rubric.version == rubric.version)).first()
    if row is not None:
        if row.content_sha256 != sha:
            raise PackageFault(f"rubric {rubric.id!r} version {rubric.version} is already known "
                               "with different content; a changed rubric needs a new version", CONFLICT)
        return row
    row = m.Rubric(key=rubric.id, version=rubric.version, title=rubric.title, content_sha256=sha)
    for position, crit in enumerate(rubric.criteria):
        row.criteria.append(m.Criterion(
            key=crit.id, position=position, title=crit.title, guidance=crit.guidance or "",
            required_level=crit.required_level,
            levels=[m.CriterionLevel(value=lv.value, label=lv.label, descriptor=lv.descriptor)
                    for lv in sorted(crit.levels, key=lambda lv: lv.value)]))
    session.add(row)
    return row


def _insert(session: Session, checked: _Checked, who: _Identity | None) -> None:
    mf = checked.manifest
    cred = session.scalars(select(m.Credential).where(
        m.Credential.key == mf.credential.id, m.Credential.version == mf.credential.version)).first()
    if cred is None:
        cred = m.Credential(key=mf.credential.id, version=mf.credential.version,
                            title=mf.credential.title)
        session.add(cred)
    rubric = _get_or_create_rubric(session, checked.rubric)
    sub = session.scalars(select(m.Submission).where(m.Submission.key == mf.submission_id)).first()
    if sub is None:
        sub = m.Submission(key=mf.submission_id, credential_key=mf.credential.id,
                           candidate_key=mf.candidate.id)
        session.add(sub)
    elif sub.candidate_key != mf.candidate.id or sub.credential_key != mf.credential.id:
        raise PackageFault(f"submission {mf.submission_id} is already known for another "
                           "candidate or credential; the package contradicts it", CONFLICT)
    stored = mf.model_dump(mode="json")
    attempt = m.Attempt(
        submission=sub, number=mf.attempt, credential=cred, rubric=rubric,
        submitted_at=mf.submitted_at_dt, candidate_display_name=who.display_name if who else None,
        recipient_type=who.recipient_type if who else None,
        recipient_identity=who.recipient_identity if who else None,
        manifest_sha256=checked.manifest_sha256, evidence_count=len(mf.evidence),
        # a reviewer's database never stores the identity, not even inside the manifest
        manifest_json=json.dumps(stored if who else pseudonymous(stored), ensure_ascii=False))
    for position, item in enumerate(mf.evidence):
        attempt.evidence.append(m.EvidenceItem(
            key=item.id, position=position, kind=EvidenceKind(item.kind), title=item.title,
            path=checked.paths[item.id], sha256=item.sha256, size=item.size,
            criteria_keys=" ".join(item.criteria)))
    for position, refl in enumerate(mf.reflections):
        attempt.reflections.append(m.Reflection(position=position, prompt=refl.prompt, text=refl.text))
    session.add(attempt)
    session.flush()


def import_package_as(ctx: AppContext, path: Path, identity: IdentityPolicy,
                      job: Job | None = None) -> ImportOutcome:
    """Import one package, all or nothing, keeping of the candidate's identity what
    ``identity`` says (services.imports.import_package chooses it by the database's role);
    raises ``PackageError`` when it is refused."""
    path = Path(path)
    try:
        return Importer(ctx.sessions, ctx.evidence, identity).import_path(path, job)
    except PackageError as exc:
        details = {"package": path.name, "reason": exc.reason, "details": exc.details}
        digest = audit.file_sha256(path)
        if digest is not None:
            details["file_sha256"] = digest
        audit.record_refusal(ctx, audit.PACKAGE_REFUSED, f"package {path.name}", details)
        raise
