"""The GUI's client of the out-of-process PDF renderer.

PyMuPDF holds the GIL while it renders, so a worker *thread* would still freeze the
window; the work runs in 1-2 separate processes instead, each a one-process
``ProcessPoolExecutor`` of its own (a *slot*) on a ``spawn`` context (the GUI process has
Qt threads, and forking it is unsafe), so that stopping one renderer never disturbs the
other. A slot's process starts on its first job; all stop when the application quits,
and on Linux the kernel kills them if the application dies (``render.pdf.init_worker``).

What the client adds to the pool:

* **A queue of its own, by priority.** At most one job per worker is handed to the pool
  at a time; everything else waits here, most urgent first (the page on screen, then a
  document's info and search, then neighbouring pages, then thumbnails), so a stale
  request can still be dropped (``discard``) before it costs anything.
* **Results on the GUI thread.** ``future.add_done_callback`` runs on the pool's own
  thread; it turns the pixels into a ``QImage`` there (off the GUI thread) and emits a
  queued signal, so the rest happens on the GUI thread.
* **A cache of rendered pages**, LRU by (document, page, zoom bucket, kind), capped in
  bytes (``CACHE_BYTES``). A page asked for again comes back at once.
* **Survival.** A renderer that dies (``BrokenProcessPool``) is replaced by a new one;
  the job that was in flight is retried once, then reported as failed. A job that runs
  past ``JOB_TIMEOUT`` seconds gets its renderer killed and is reported as failed, and
  its page is remembered as hung: asked for again (any zoom, or as a thumbnail), it
  fails at once, without another renderer spinning on it. Nothing waits forever.
  After a hung page, the document's other pages are drawn only when shown (no
  thumbnails, nothing drawn ahead), so a PDF whose every page hangs costs a renderer
  only while the reviewer waits on one of its pages.
* **Fairness.** One document's renders never hold every renderer (with two or more): a
  document whose pages hang cannot delay another document.

Jobs belong to *owners* (a token from ``new_owner()``, one per pane). An owner's
callbacks are never called after ``release(owner)``.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from reviewer_app.gui.pdf.renderer_pools import (  # noqa: F401 - check_pdf: the pre-check's entry
    NOT_DRAWN_AHEAD,
    RENDERER_HUNG,
    RENDERER_STOPPED,
    check_pdf,
    new_pool,
    shutdown_checks,
    stop_pool,
    submit,
)
from reviewer_app.render import pdf as pdf_render

log = logging.getLogger(__name__)

CACHE_BYTES = 256 * 1024 * 1024
JOB_TIMEOUT = 20.0  # seconds; a render that takes longer is taken as hung (a heavy page takes 1-2)

# Priorities: lower runs first.
PRIORITY_VIEW = 0  # the page on screen
PRIORITY_INFO = 1  # opening a document, searching
PRIORITY_PREFETCH = 2  # the pages either side
PRIORITY_THUMB = 3  # thumbnails



def default_workers() -> int:
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def zoom_bucket(zoom: float) -> float:
    """The cache key of a zoom (pixels per point): two decimals."""
    return round(max(0.01, float(zoom)), 2)


@dataclass(frozen=True)
class DocRef:
    """A document as the cache knows it: its path and the file's modification time and
    size, so a file replaced on disk is never shown from stale pixels."""

    path: str
    mtime_ns: int = 0
    size: int = -1

    @classmethod
    def of(cls, path: str | Path) -> DocRef:
        path = os.path.abspath(str(path))
        try:
            st = os.stat(path)
        except OSError:
            return cls(path)
        return cls(path, st.st_mtime_ns, st.st_size)


@dataclass(frozen=True)
class PageKey:
    doc: DocRef
    page: int
    zoom: float  # a zoom_bucket (page) or the box (w * 100000 + h) of a thumbnail
    kind: str = "page"  # "page" or "thumb"


@dataclass(eq=False)
class _Job:
    seq: int
    priority: int
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    owners: set[int]
    key: PageKey | None = None  # render jobs only
    slot: int = -1  # the renderer it runs on
    callback: Callable[[Any, str | None], None] | None = None  # generic jobs only
    attempts: int = 0
    future: Future[Any] | None = None
    pool: ProcessPoolExecutor | None = None
    started: float = 0.0
    timed_out: bool = False
    # set on the pool's thread, read on the GUI thread
    result: Any = None
    image: QImage | None = None
    error: BaseException | None = None


def _to_image(page: pdf_render.RenderedPage) -> QImage:
    fmt = QImage.Format.Format_RGB888 if page.channels == 3 else QImage.Format.Format_RGBX8888
    image = QImage(page.samples, page.width, page.height, page.stride, fmt)
    # RGB32 is what the raster painter draws fastest; the conversion also copies the
    # pixels out of the Python bytes object.
    return image.convertToFormat(QImage.Format.Format_RGB32)


class RenderClient(QObject):
    """Sends PDF work to renderer processes; results come back as signals on the GUI thread."""

    pageReady = Signal(object, QImage)  # PageKey, image (device pixels; set the ratio to draw)
    pageFailed = Signal(object, str)  # PageKey, message in plain words
    _delivered = Signal(object)  # a finished _Job, from the pool's thread

    def __init__(self, parent: QObject | None = None, *, workers: int | None = None,
                 cache_bytes: int = CACHE_BYTES, job_timeout: float = JOB_TIMEOUT) -> None:
        super().__init__(parent)
        self.workers = max(1, workers or default_workers())
        self.cache_bytes = cache_bytes
        self.job_timeout = job_timeout
        self._pools: list[ProcessPoolExecutor | None] = [None] * self.workers  # one per slot
        self._hung: set[tuple[DocRef, int]] = set()  # (document, page) that ran past the timeout
        self._slow: set[DocRef] = set()  # documents with a hung page: drawn only when shown
        self._pending: list[_Job] = []
        self._running: set[_Job] = set()
        self._by_key: dict[PageKey, _Job] = {}
        self._cache: OrderedDict[PageKey, QImage] = OrderedDict()
        self._cache_used = 0
        self._seq = itertools.count()
        self._owners = itertools.count(1)
        self._closed = False
        self.restarts = 0  # how many times a broken pool was replaced (diagnostics, tests)
        # Always queued, even when a future completes on the GUI thread itself.
        self._delivered.connect(self._on_delivered, Qt.ConnectionType.QueuedConnection)
        self._watchdog = QTimer(self)
        self._watchdog.setInterval(1000)
        self._watchdog.timeout.connect(self._check_hung)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- owners ---------------------------------------------------------------------

    def new_owner(self) -> int:
        return next(self._owners)

    def release(self, owner: int) -> None:
        """Forget an owner: its queued jobs that nobody else wants are dropped, and none of
        its callbacks will be called."""
        self.discard(owner, lambda job: True)
        for job in self._running:
            job.owners.discard(owner)

    # -- the cache ------------------------------------------------------------------

    def cached(self, key: PageKey) -> QImage | None:
        image = self._cache.get(key)
        if image is not None:
            self._cache.move_to_end(key)
        return image

    def best_cached(self, doc: DocRef, page: int, kind: str = "page", near: float = 1.0) -> QImage | None:
        """Any cached image of that page, the one nearest in zoom to ``near`` (a stand-in,
        scaled, while the right one renders)."""
        best: tuple[float, QImage] | None = None
        for key, image in self._cache.items():
            if key.doc == doc and key.page == page and key.kind == kind:
                dist = abs(math.log(max(key.zoom, 1e-6) / max(near, 1e-6)))
                if best is None or dist < best[0]:
                    best = (dist, image)
        return best[1] if best else None

    def _remember(self, key: PageKey, image: QImage) -> None:
        size = image.sizeInBytes()
        if size > self.cache_bytes:
            return
        old = self._cache.pop(key, None)
        if old is not None:
            self._cache_used -= old.sizeInBytes()
        self._cache[key] = image
        self._cache_used += size
        while self._cache_used > self.cache_bytes and self._cache:
            _, dropped = self._cache.popitem(last=False)
            self._cache_used -= dropped.sizeInBytes()

    def cache_used(self) -> int:
        return self._cache_used

    def forget(self, doc: DocRef) -> None:
        for key in [k for k in self._cache if k.doc == doc]:
            self._cache_used -= self._cache.pop(key).sizeInBytes()

    # -- requests -------------------------------------------------------------------

    def render(self, doc: DocRef, page: int, zoom: float, password: str | None = None, *,
               owner: int = 0, priority: int = PRIORITY_VIEW) -> tuple[PageKey, QImage | None]:
        """The page at ``zoom`` pixels per point: from the cache at once, or ``None`` and
        later ``pageReady(key, image)`` / ``pageFailed(key, message)``."""
        key = PageKey(doc, page, zoom_bucket(zoom), "page")
        return key, self._request(key, pdf_render.render_page, (doc.path, page, key.zoom, password),
                                  owner, priority)

    def render_thumbnail(self, doc: DocRef, page: int, max_width: int, max_height: int,
                         password: str | None = None, *, owner: int = 0,
                         priority: int = PRIORITY_THUMB) -> tuple[PageKey, QImage | None]:
        key = PageKey(doc, page, float(max_width * 100000 + max_height), "thumb")
        args = (doc.path, page, max_width, max_height, password)
        return key, self._request(key, pdf_render.render_thumbnail, args, owner, priority)

    def _request(self, key: PageKey, fn: Callable[..., Any], args: tuple[Any, ...], owner: int,
                 priority: int) -> QImage | None:
        image = self.cached(key)
        if image is not None:
            return image
        refused = self._refusal(key, priority)
        if refused:
            QTimer.singleShot(0, self, lambda: self.pageFailed.emit(key, refused))
            return None
        job = self._by_key.get(key)
        if job is not None:
            job.owners.add(owner)
            if priority < job.priority:
                job.priority = priority
            return None
        job = _Job(next(self._seq), priority, fn, args, {owner}, key=key)
        self._by_key[key] = job
        self._pending.append(job)
        self._dispatch()
        return None

    def call(self, fn: Callable[..., Any], *args: Any, callback: Callable[[Any, str | None], None],
             owner: int = 0, priority: int = PRIORITY_INFO) -> None:
        """Run ``fn(*args)`` (a picklable, Qt-free function) in a renderer process; then
        ``callback(result, None)`` or ``callback(None, message)`` on the GUI thread."""
        self._pending.append(_Job(next(self._seq), priority, fn, args, {owner}, callback=callback))
        self._dispatch()

    def discard(self, owner: int, predicate: Callable[[_Job], bool]) -> int:
        """Drop ``owner``'s interest in its queued (not yet started) jobs that match; a job
        nobody wants any more is removed. Returns how many were removed."""
        kept: list[_Job] = []
        removed = 0
        for job in self._pending:
            if owner in job.owners and predicate(job):
                job.owners.discard(owner)
                if not job.owners:
                    removed += 1
                    if job.key is not None:
                        self._by_key.pop(job.key, None)
                    continue
            kept.append(job)
        self._pending = kept
        return removed

    def discard_pages(self, owner: int, doc: DocRef | None, keep: Iterable[PageKey] = (),
                      kinds: Iterable[str] = ("page",)) -> int:
        keep_set, kinds_set = set(keep), set(kinds)
        return self.discard(owner, lambda job: job.key is not None and job.key.kind in kinds_set
                            and (doc is None or job.key.doc == doc) and job.key not in keep_set)

    def pending_count(self) -> int:
        return len(self._pending) + len(self._running)

    # -- the pool -------------------------------------------------------------------

    def _ensure_pool(self, slot: int) -> ProcessPoolExecutor:
        pool = self._pools[slot]
        if pool is None:
            pool = self._pools[slot] = new_pool()
            self._watchdog.start()
        return pool

    def warm_up(self) -> None:
        """Start the renderer processes now (they load PyMuPDF) rather than on the first page."""
        if not self._closed:
            self.call(pdf_render.worker_pid, callback=lambda result, error: None, priority=PRIORITY_THUMB)

    def _dispatch(self) -> None:
        while not self._closed and self._pending:
            busy = {job.slot for job in self._running}
            free = [slot for slot in range(self.workers) if slot not in busy]
            job = self._next_job() if free else None
            if job is None:
                return
            self._pending.remove(job)
            self._submit(job, free[0])

    def _next_job(self) -> _Job | None:
        """The most urgent queued job, except renders of a document whose renders already
        hold as many renderers as one document may: all but one, when there are two or
        more (drawing is what can spin for minutes; opening and searching run beside it)."""
        limit = max(1, self.workers - 1)
        held: dict[DocRef, int] = {}
        for job in self._running:
            if job.key is not None:
                held[job.key.doc] = held.get(job.key.doc, 0) + 1
        for job in sorted(self._pending, key=lambda j: (j.priority, j.seq)):
            if job.key is None or held.get(job.key.doc, 0) < limit:
                return job
        return None

    def _refusal(self, key: PageKey, priority: int) -> str:
        """Why a render is not even tried ("" when it is): its page hung, or it is a
        thumbnail or a page drawn ahead of a document with a hung page."""
        if (key.doc, key.page) in self._hung:
            return RENDERER_HUNG
        if key.doc in self._slow and priority > PRIORITY_VIEW:
            return NOT_DRAWN_AHEAD
        return ""

    def _fail_hung_pending(self) -> None:
        """Queued renders that are no longer tried (``_refusal``) fail now, without a renderer."""
        for job in list(self._pending):
            refused = self._refusal(job.key, job.priority) if job.key is not None else ""
            if refused:
                self._pending.remove(job)
                self._by_key.pop(job.key, None)  # type: ignore[arg-type]
                self.pageFailed.emit(job.key, refused)

    def _submit(self, job: _Job, slot: int) -> None:
        job.attempts += 1
        job.started = time.monotonic()
        job.slot = slot
        self._running.add(job)
        for _ in range(2):
            pool = self._ensure_pool(slot)
            try:
                job.future = submit(pool, job.fn, *job.args)
            except (BrokenProcessPool, RuntimeError):  # broken, or shut down under us
                self._replace_pool(pool)
                continue
            job.pool = pool
            job.future.add_done_callback(lambda fut, job=job: self._finished_off_thread(job, fut))
            return
        job.error = BrokenProcessPool(RENDERER_STOPPED)
        self._delivered.emit(job)

    def _finished_off_thread(self, job: _Job, fut: Future[Any]) -> None:
        """On the pool's result thread (or wherever the future completed): unpack, then
        hand the job to the GUI thread."""
        try:
            job.result = fut.result()
            if isinstance(job.result, pdf_render.RenderedPage):
                job.image = _to_image(job.result)
                job.result = None  # the bytes are no longer needed
        except CancelledError:
            job.error = CancelledError()
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the GUI thread
            job.error = exc
        try:
            self._delivered.emit(job)
        except RuntimeError:  # the client was deleted (application exit)
            pass

    def _replace_pool(self, broken: ProcessPoolExecutor | None) -> None:
        if broken is None or broken not in self._pools:
            return
        log.warning("PDF renderer process stopped; a new one starts on the next job")
        self._pools[self._pools.index(broken)] = None
        self.restarts += 1
        stop_pool(broken)

    @Slot(object)
    def _on_delivered(self, job: _Job) -> None:
        self._running.discard(job)
        if self._closed:
            return
        err = job.error
        if isinstance(err, BrokenProcessPool) or (err is not None and job.timed_out):
            self._replace_pool(job.pool)
            if job.attempts < 2 and not job.timed_out and not self._closed and job.owners:
                job.error = None
                job.future = None
                self._pending.append(job)  # retried once, on the new pool
                self._dispatch()
                return
            message = RENDERER_HUNG if job.timed_out else RENDERER_STOPPED
        elif isinstance(err, CancelledError):
            message = ""
        elif isinstance(err, pdf_render.RenderError):
            message = err.message
        elif err is not None:
            log.error("PDF renderer job failed", exc_info=err)
            message = "This page could not be drawn."
        else:
            message = None
        if job.key is not None:
            self._by_key.pop(job.key, None)
            if message is None and job.image is not None:
                self._remember(job.key, job.image)
                self.pageReady.emit(job.key, job.image)
            elif message:
                self.pageFailed.emit(job.key, message)
        elif job.callback is not None and job.owners and message != "":
            try:
                job.callback(job.result if message is None else None, message)
            except Exception:
                log.exception("PDF renderer callback failed")
        self._dispatch()

    @Slot()
    def _check_hung(self) -> None:
        now = time.monotonic()
        for job in list(self._running):
            if not job.timed_out and now - job.started > self.job_timeout:
                log.warning("PDF renderer job ran past %.0f s; stopping the renderer (%s)",
                            self.job_timeout, job.key or getattr(job.fn, "__name__", job.fn))
                job.timed_out = True
                if job.key is not None:
                    self._hung.add((job.key.doc, job.key.page))
                    self._slow.add(job.key.doc)
                    self._fail_hung_pending()
                if job.pool is not None:
                    stop_pool(job.pool)  # its futures fail with BrokenProcessPool

    @property
    def closed(self) -> bool:
        """True once ``shutdown`` ran: the client renders nothing more."""
        return self._closed

    def shutdown(self) -> None:
        """Stop the renderer processes now, without waiting for a render in progress."""
        if self is _shared:
            shutdown_checks()
        self._closed = True
        self._watchdog.stop()
        self._pending.clear()
        self._by_key.clear()
        pools, self._pools = self._pools, [None] * self.workers
        for pool in pools:
            if pool is not None:
                stop_pool(pool)

    def is_running(self) -> bool:
        return any(pool is not None for pool in self._pools)

    def worker_pids(self) -> list[int]:
        pids = []
        for pool in self._pools:
            procs = getattr(pool, "_processes", None) or {}
            pids += [p.pid for p in procs.values() if p.pid]
        return pids


_shared: RenderClient | None = None


def shared_client() -> RenderClient:
    """The application's one renderer client (its processes are shared by every PDF pane)."""
    global _shared
    alive = _shared is not None and not _shared.closed
    if alive:
        try:
            _shared.objectName()  # type: ignore[union-attr]
        except RuntimeError:  # deleted with the application
            alive = False
    if not alive:
        _shared = RenderClient(QCoreApplication.instance())
    return _shared  # type: ignore[return-value]
