"""Renderer processes for PDF work, and the PDF check that runs in one.

Each renderer is a one-process ``ProcessPoolExecutor`` on a ``spawn`` context. Three
things are done the same way for every one of them, here:

* **Started from a thread that lives as long as the app.** On Linux a renderer asks the
  kernel to kill it when its parent goes (``render.pdf.init_worker``); the kernel means
  the parent *thread* that started it. A renderer started from a worker thread would be
  killed when that thread ends, so ``submit`` starts processes on the main thread or on
  one launcher thread of its own, never on a short-lived worker.
* **With a blank ``__main__``** while a process starts (``_main_module_hidden``).
* **Stopped without ever hanging** (``stop_pool``).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from reviewer_app.render import pdf as pdf_render

log = logging.getLogger(__name__)

RENDERER_STOPPED = "The PDF renderer stopped unexpectedly."
RENDERER_HUNG = ("Drawing it took too long, so it was stopped: the PDF may be damaged or too "
                 "complex to show here.")
NOT_DRAWN_AHEAD = "Not drawn ahead: a page of this PDF took too long to draw; pages are drawn when shown."


def new_pool() -> ProcessPoolExecutor:
    """One renderer process (started on its first job)."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=pdf_render.init_worker)


_launcher: ThreadPoolExecutor | None = None
_launcher_lock = threading.Lock()


def submit(pool: ProcessPoolExecutor, fn: Callable[..., Any], *args: Any) -> Future[Any]:
    """``pool.submit(fn, *args)`` (which is where a pool starts its process), from the main
    thread or from the launcher thread, with ``__main__`` hidden. Raises as ``submit`` does."""
    global _launcher
    if threading.current_thread() is threading.main_thread():
        with _main_module_hidden():
            return pool.submit(fn, *args)
    with _launcher_lock:
        if _launcher is None:
            _launcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-renderer-launcher")
        launcher = _launcher

    def start() -> Future[Any]:
        with _main_module_hidden():
            return pool.submit(fn, *args)

    return launcher.submit(start).result()


_MAIN_LOCK = threading.RLock()


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """While a renderer process is being started, show ``multiprocessing`` a blank
    ``__main__``, so the child does not re-run the parent's main script (``spawn`` would:
    a script without an ``if __name__ == "__main__"`` guard would open a second window,
    and even a guarded one costs the child its imports). Renderer jobs only name
    functions of ``reviewer_app.render``, never of ``__main__``."""
    with _MAIN_LOCK:  # the GUI thread and pre-check threads may start processes at once
        real = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if real is not None:
                sys.modules["__main__"] = real


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Shut a pool down now, killing renders in progress, without ever hanging.

    A renderer killed while it was sending back a result leaves half a message in the
    result pipe, and the pool's own thread would wait forever for the rest of it (and the
    interpreter, at exit, for that thread). So once every renderer is gone, the parent's
    copy of the pipe's writing end is closed too: the reader then meets end-of-file, the
    pool counts as broken, and its thread finishes."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    results = getattr(pool, "_result_queue", None)  # shutdown() forgets it
    try:
        pool.shutdown(wait=False, cancel_futures=True)
    except Exception:  # noqa: BLE001
        pass
    for proc in procs:
        try:
            proc.kill()
        except Exception:  # noqa: BLE001 - already gone
            pass
    sentinels = []
    for proc in procs:
        try:
            sentinels.append(proc.sentinel)
        except Exception:  # noqa: BLE001
            pass
    deadline = time.monotonic() + 2.0
    pending = list(sentinels)
    while pending and time.monotonic() < deadline:  # they die at once; this never waits long
        ready = multiprocessing.connection.wait(pending, timeout=deadline - time.monotonic())
        pending = [s for s in pending if s not in ready]
    if not pending:
        writer = getattr(results, "_writer", None)
        if writer is not None:
            try:
                writer.close()
            except OSError:
                pass


# ---------------------------------------------------------------------------------------
# Checking a PDF from a worker thread (the pre-check when a submission opens)

CHECK_TIMEOUT = 60.0
CHECKERS = 2  # renderers for checks at most: a document that hangs holds one, never all
_checks = threading.Condition()
_idle_checkers: list[ProcessPoolExecutor] = []
_all_checkers: set[ProcessPoolExecutor] = set()


def _take_checker() -> ProcessPoolExecutor:
    with _checks:
        while not _idle_checkers and len(_all_checkers) >= CHECKERS:
            _checks.wait()
        if _idle_checkers:
            return _idle_checkers.pop()
        pool = new_pool()
        _all_checkers.add(pool)
        return pool


def _give_back(pool: ProcessPoolExecutor, broken: bool) -> None:
    with _checks:
        if broken or pool not in _all_checkers:
            _all_checkers.discard(pool)
        else:
            _idle_checkers.append(pool)
        _checks.notify()
    if broken:
        stop_pool(pool)


def check_pdf(path: str | Path, timeout: float = CHECK_TIMEOUT) -> str:
    """"" when every page of the PDF at ``path`` can be shown, else what is wrong in plain
    words (not a PDF, damaged, pages unreadable, password-protected).

    Blocks until the answer comes: call it from a worker thread, never the GUI thread. The
    document is opened in a renderer process (PyMuPDF would hold the interpreter, and so
    the window, even on a thread); safe to call from several threads, which share up to
    ``CHECKERS`` renderers, so one document that takes long does not hold up the rest."""
    for _attempt in range(2):
        pool = _take_checker()
        try:
            future = submit(pool, pdf_render.open_info, str(path))
        except (BrokenProcessPool, RuntimeError):
            _give_back(pool, broken=True)
            continue
        try:
            info = future.result(timeout=timeout)
        except FutureTimeout:
            _give_back(pool, broken=True)
            return "This PDF took too long to open; it may be damaged."
        except BrokenProcessPool:
            _give_back(pool, broken=True)
            continue
        except Exception:
            log.exception("PDF check failed")
            _give_back(pool, broken=False)
            return "This PDF could not be checked."
        _give_back(pool, broken=False)
        return pdf_render.problem(info)
    return "This PDF could not be checked: " + RENDERER_STOPPED[0].lower() + RENDERER_STOPPED[1:]


def shutdown_checks() -> None:
    """Stop the pre-check renderers (the application is quitting); a check in progress
    then reports that the renderer stopped."""
    with _checks:
        pools = list(_all_checkers)
        _all_checkers.clear()
        _idle_checkers.clear()
        _checks.notify_all()
    for pool in pools:
        stop_pool(pool)
