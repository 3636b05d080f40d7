"""One sync pass: push the outbox in batches, then pull assigned submissions. No Qt.

``run_pass`` holds the data folder's sync lock for its whole run, so two passes (the
window's and ``reviewer-app sync``) never send at the same time; a pass killed outright
(even SIGKILL) releases it with the process. At the start it queues any submitted review
that has no outbox entry yet and puts back in the queue the entries a dead pass left
"sending".

Push: claim a batch of due entries, send it, record each answer; a failed try puts the
batch back with exponential backoff and jitter. The database work (claiming, recording)
runs on one writer thread beside the sending, a batch ahead, so that it overlaps the
issuer's time. The pass waits for entries coming due
for at most ``patience`` seconds, and stops after ``max_failures`` failed tries in a row
(the issuer is unreachable: the entries stay queued for the next pass). Pull: page
through the assignments since the stored cursor, download each new package (resuming)
and import it through the same importer as a local package.

Progress and cancellation go through a ``reviewer_app.jobs.Job``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from sqlalchemy import select

from reviewer_app.errors import PackageError, UserError
from reviewer_app.jobs import Job, cycle_collector_paused
from reviewer_app.store import models as m
from reviewer_app.store.context import AppContext
from reviewer_app.store.types import utcnow
from reviewer_app.sync import issuer_profiles, outbox
from reviewer_app.sync.adapters import make_adapter
from reviewer_app.sync.adapters.base import IssuerAdapter, SplitBatch
from reviewer_app.sync.client import IssuerRefused, TransientError
from reviewer_app.sync.downloads import fetch_package
from reviewer_app.sync.secrets import TokenStore, default_store

log = logging.getLogger(__name__)


class SyncBusy(UserError):
    """Another sync pass holds this data folder's sync lock."""


@dataclass(frozen=True)
class SyncSettings:
    #: Decisions per request, at most what the adapter's issuer takes (the reference API: 500).
    batch_size: int = 500
    backoff: outbox.Backoff = field(default_factory=outbox.Backoff)
    #: How long a pass waits for queued entries to come due (their backoff) before ending.
    patience: float = 20.0
    #: Failed tries in a row after which the issuer counts as unreachable for this pass.
    max_failures: int = 5
    pull: bool = True
    download_tries: int = 5
    #: Seconds to wait for another pass to finish (0: refuse at once).
    lock_timeout: float = 0.0


@dataclass
class SyncReport:
    profile: str
    online: bool = False
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    pending: int = 0
    refreshed: int = 0
    imported: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rejections: list[tuple[str, str]] = field(default_factory=list)  # (submission, reason)
    next_attempt_at: datetime | None = None
    finished_at: datetime | None = None

    def summary(self) -> str:
        delivered = self.accepted + self.duplicates
        parts = [f"{delivered} decision{'s' if delivered != 1 else ''} delivered"]
        if self.rejected:
            parts.append(f"{self.rejected} rejected")
        parts.append(f"{self.pending} pending")
        if self.imported:
            count = len(self.imported)
            parts.append(f"{count} submission{'s' if count != 1 else ''} downloaded")
        return f"{self.profile}: " + ", ".join(parts) + ("" if self.online else " (issuer unreachable)")


def _held(ctx: AppContext, submission_id: str, attempt: int) -> bool:
    with ctx.sessions() as session:
        return session.scalar(
            select(m.Attempt.id).join(m.Submission, m.Attempt.submission_id == m.Submission.id)
            .where(m.Submission.key == submission_id, m.Attempt.number == attempt)) is not None


# Imports a pulled package (services.imports.import_package).
PackageImport = Callable[[AppContext, Path, Job], Any]


@dataclass(frozen=True)
class AuditHeads:
    """The lead's signed audit head, for the issuers that remember it: ``signed()`` the head
    now (services.audit_head.signed_head), ``still_holds(entry, hash)`` what is wrong if this
    log no longer holds that entry with that hash (None if it does)."""

    signed: Callable[[], dict[str, Any]]
    still_holds: Callable[[int, str], str | None]


def run_pass(ctx: AppContext, profile_name: str | None = None, job: Job | None = None, *,
             store: TokenStore | None = None, settings: SyncSettings | None = None,
             transport=None, heads: AuditHeads | None = None,  # noqa: ANN001 - an httpx transport (tests)
             importer: PackageImport | None = None) -> SyncReport:
    """Push pending decisions, then pull assigned submissions; returns what happened.

    ``heads``: the lead's signed audit head, for issuers that keep it (the reference issuer);
    given by the services layer (services.sync), which this layer sits below; so is
    ``importer``, which imports a pulled package keeping what the database's role allows of
    the candidate's identity (by default nothing: blind)."""
    job = job or Job()
    settings = settings or SyncSettings()
    profile = issuer_profiles.get_profile(ctx.sessions, profile_name)
    store = store or default_store()
    lock = FileLock(str(ctx.paths.data_dir / "sync.lock"))
    try:
        lock.acquire(timeout=settings.lock_timeout)
    except Timeout:
        raise SyncBusy("Another sync is running for this data folder; try again when it ends.") from None
    report = SyncReport(profile.name)
    try:
        queued = outbox.enqueue_missing(ctx.sessions)
        recovered = outbox.recover(ctx.sessions)
        if queued or recovered:
            log.info("sync: %d older decisions queued, %d interrupted sends queued again",
                     queued, recovered)
        recipients = outbox.Recipients(ctx.sessions)
        with make_adapter(profile, store, recipient_lookup=recipients, transport=transport) as adapter:
            adapter.require_sign_in()  # no sign-in: say so before anything else
            carries = heads if adapter.carries_audit_head else None
            if carries is not None:
                _check_remembered_head(carries, adapter)
            with cycle_collector_paused():
                failures = _push(ctx, adapter, job, settings, report, carries, recipients)
            if carries is not None and report.sent == 0 and failures == 0:
                _show_head(carries, adapter, report)
            if failures < settings.max_failures:
                _pull(ctx, adapter, profile, job, settings, report, importer)
            if not adapter.contacted and failures == 0:
                try:
                    adapter.ping()
                except TransientError as exc:
                    report.problems.append(f"The issuer did not answer ({exc}).")
            report.online = adapter.contacted and failures < settings.max_failures
            report.refreshed = adapter.refreshes
            if adapter.contacted:
                issuer_profiles.mark_synced(ctx.sessions, profile.name)
    finally:
        lock.release()
        counts = outbox.counts(ctx.sessions)
        report.pending = counts[outbox.QUEUED] + counts[outbox.SENDING]
        report.finished_at = utcnow()
    log.info("sync pass: %s", report.summary())
    return report



@dataclass(frozen=True)
class _Claim:
    """A claimed batch, made ready to send: its recipients and the audit head to send with it."""

    batch: list[outbox.Claimed]
    recipients: dict
    head: dict[str, Any] | None


def _push(ctx: AppContext, adapter: IssuerAdapter, job: Job, settings: SyncSettings,
          report: SyncReport, heads: AuditHeads | None, recipients: outbox.Recipients) -> int:
    """Send due entries until none is due within the patience; returns failures in a row.

    The database work runs on one writer thread beside the sending: while a batch is on its
    way, the writer records the previous batch's answers and claims the next batch (with its
    recipients, and the audit head as it stands then), so the issuer's time and the
    database's overlap instead of adding up. Entries stay "sending" from their claim until
    their answers are recorded or they are released, as before: a crash leaves them to
    ``outbox.recover``, and the issuer answers a resend with "duplicate".
    """
    sessions = ctx.sessions
    counts = outbox.counts(sessions)
    total = counts[outbox.QUEUED] + counts[outbox.SENDING]
    job.start(total, f"Sending {total} decision{'s' if total != 1 else ''} to {adapter.profile.name}")
    size = max(1, min(settings.batch_size, adapter.max_batch))
    failures = 0
    issuer = adapter.profile.name

    def claim(size: int) -> _Claim:
        batch = outbox.claim(sessions, size, str(uuid.uuid4()))
        if not batch:
            return _Claim([], {}, None)
        # One query for the batch's recipients, not one per decision; the head signed now:
        # the log grows as answers are recorded.
        return _Claim(batch, recipients.read(batch), heads.signed() if heads is not None else None)

    def record(batch: list[outbox.Claimed], outcomes: list[outbox.Outcome]) -> tuple[dict, int]:
        sent = {e.uid for e in batch}
        answered = {o.uid for o in outcomes}
        missing = [e for e in batch if e.uid not in answered]
        got = outbox.acknowledge(sessions, [o for o in outcomes if o.uid in sent], issuer)
        if missing:
            outbox.release(sessions, missing, "the issuer's reply did not mention it", settings.backoff)
        return got, len(missing)

    with ThreadPoolExecutor(1, thread_name_prefix="sync-writer") as writer:
        recording: list[tuple[list[outbox.Claimed], list[outbox.Outcome], Future]] = []

        def write(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            return writer.submit(fn, *args, **kwargs).result()

        def settle(wait: bool = True) -> None:
            """Count the answers recorded so far (all of them, waiting for the writer)."""
            while recording and (wait or recording[0][2].done()):
                batch, outcomes, future = recording.pop(0)
                got, missing = future.result()
                report.accepted += got["accepted"]
                report.duplicates += got["duplicate"]
                report.rejected += got["rejected"]
                labels = {e.uid: e.label for e in batch}
                report.rejections += [(labels[o.uid], o.reason or "rejected") for o in outcomes
                                      if o.result == "rejected" and o.uid in labels]
                job.advance(len(batch) - missing)

        def give_back(ahead: Future) -> None:
            """Put a batch claimed ahead and not sent back in the queue as it was (no try
            counted, its last error kept)."""
            claimed = ahead.result()
            if claimed.batch:
                write(outbox.release, sessions, claimed.batch, None, settings.backoff, count_try=False)

        ahead: Future | None = writer.submit(claim, size)
        try:
            while True:
                job.check()
                claimed, ahead = ahead.result(), None
                batch = claimed.batch
                if not batch:
                    settle()
                    due = outbox.next_pending_at(sessions)
                    if due is None:
                        break
                    wait = (due - utcnow()).total_seconds()
                    if wait > settings.patience:
                        report.next_attempt_at = due
                        break
                    if wait > 0 and job.cancel_event.wait(wait):
                        job.check()
                    ahead = writer.submit(claim, size)
                    continue
                ahead = writer.submit(claim, size)  # the next batch, while this one travels
                recipients.use(claimed.recipients)
                try:
                    if heads is not None:
                        adapter.audit_head = claimed.head
                    outcomes = adapter.push(batch)
                except SplitBatch as exc:
                    write(outbox.release, sessions, batch, f"sent again in smaller batches ({exc})",
                          settings.backoff, count_try=len(batch) == 1)
                    give_back(ahead)
                    size = max(1, len(batch) // 2)
                    ahead = writer.submit(claim, size)
                    continue
                except TransientError as exc:
                    when = write(outbox.release, sessions, batch, str(exc), settings.backoff)
                    failures += 1
                    log.info("sync: %d decisions not delivered (%s); next try after %s",
                             len(batch), exc, when)
                    if failures >= settings.max_failures:
                        give_back(ahead)
                        ahead = None
                        settle()
                        report.next_attempt_at = outbox.next_pending_at(sessions)
                        report.problems.append(f"The issuer did not answer ({exc}); the decisions "
                                               "stay queued and are sent at the next sync.")
                        break
                    continue
                except BaseException as exc:  # sign-in needed, refused, cancelled: nothing was lost
                    write(outbox.release, sessions, batch,
                          f"not sent: {getattr(exc, 'message', '') or type(exc).__name__}",
                          settings.backoff, count_try=False)
                    raise
                failures = 0
                report.sent += len(batch)
                recording.append((batch, outcomes, writer.submit(record, batch, outcomes)))
                settle(wait=False)
        finally:
            if ahead is not None:
                give_back(ahead)
            settle()
    return failures


def _check_remembered_head(heads: AuditHeads, adapter: IssuerAdapter) -> None:
    """Before sending: does this log still hold the head the issuer last saw from this key?
    (The issuer refuses a head that goes backwards; this catches a log cut back and then
    grown past the head it remembers.)"""
    try:
        seen = adapter.remembered_head()
    except TransientError:
        return  # the push will find out whether the issuer answers
    if not seen or not isinstance(seen.get("entry"), int) or not isinstance(seen.get("hash"), str):
        return
    if seen.get("public_key") != heads.signed()["public_key"]:
        return  # another key: the issuer refuses the head itself, and says so
    problem = heads.still_holds(seen["entry"], seen["hash"])
    if problem:
        raise IssuerRefused(
            f"Not sent to the issuer \u201c{adapter.profile.name}\u201d: the audit log on this "
            f"computer was cut back or rewritten since the issuer last saw it (it saw entry "
            f"{seen['entry']} as the head; now {problem}). Nothing was sent; the decisions stay in "
            "the outbox. Check the log with 'reviewer-app audit verify' (Lead \u203a Audit Log "
            "\u203a Verify) before anything else.", details=f"head seen by the issuer: {seen}")


def _show_head(heads: AuditHeads, adapter: IssuerAdapter, report: SyncReport) -> None:
    """With nothing to send, show the issuer the signed audit head all the same (an empty
    batch), so a log cut back and rewound is caught at the next sync, not the next decision."""
    try:
        adapter.audit_head = heads.signed()
        adapter.push([])
    except (TransientError, SplitBatch) as exc:
        report.problems.append(f"The issuer did not answer ({exc}).")


def _pull(ctx: AppContext, adapter: IssuerAdapter, profile: issuer_profiles.IssuerProfile, job: Job,
          settings: SyncSettings, report: SyncReport, importer: PackageImport | None) -> None:
    if not (settings.pull and adapter.can_pull and profile.option("pull")):
        return
    from reviewer_app.intake.importer import BLIND, import_package_as

    import_package = importer or (lambda c, p, j: import_package_as(c, p, BLIND, j))

    folder = ctx.paths.data_dir / "sync" / "downloads"
    cursor = profile.pull_cursor
    while True:
        job.check()
        try:
            page = adapter.assignments(cursor)
        except TransientError as exc:
            report.problems.append(f"Could not list the assigned submissions ({exc}); "
                                   "the next sync tries again.")
            return
        refused = False
        for item in page.items:
            if item.status != "assigned" or item.package is None:
                continue
            if _held(ctx, item.submission_id, item.attempt):
                continue
            label = f"{item.submission_id} attempt {item.attempt}"
            try:
                path = fetch_package(adapter, item.package, folder, label, job,
                                     tries=settings.download_tries)
            except TransientError as exc:
                report.problems.append(f"The download of {label} was interrupted ({exc}); "
                                       "it resumes at the next sync.")
                return
            except IssuerRefused as exc:  # e.g. a link to another site: the others still come
                report.problems.append(f"{label}: {exc.message}")
                refused = True
                continue
            try:
                outcome = import_package(ctx, path, job)
                report.imported.append(f"{label}: {outcome.status}")
            except PackageError as exc:
                report.problems.append(f"{label}: {exc.reason}"
                                       + (f" (Details: {exc.details})" if exc.details else ""))
            finally:
                path.unlink(missing_ok=True)
        if refused:
            return  # the cursor stays: the next sync asks for this page again
        if page.next_since and page.next_since != cursor:
            cursor = page.next_since
            issuer_profiles.set_pull_cursor(ctx.sessions, profile.name, cursor)
        if not page.has_more:
            return
