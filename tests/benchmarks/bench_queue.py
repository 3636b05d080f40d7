"""Queue benchmark: the main window over 100,000 submission attempts.

    python tests/benchmarks/bench_queue.py [--count 100000] [--workdir DIR]

Measures, offscreen: time from creating the window to its first painted page of rows;
time from a filter change (status, credential, search, has-a-draft, sort) to the new
first page on screen; resident memory of the process at the end (peak). Floors: first
paint < 1 s, each filter change < 100 ms, peak RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bigqueue import make_big_queue  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.gettempdir()) / f"reviewer-bench-queue-{args.count}"
    marker = work / "made"
    if not marker.exists():
        shutil.rmtree(work, ignore_errors=True)
        t = time.perf_counter()
        make_big_queue(work / "data", args.count)
        marker.write_text("ok")
        print(f"made a data folder of {args.count:,} attempts in {time.perf_counter() - t:.1f} s")

    from PySide6.QtWidgets import QApplication

    from reviewer_app.config import resolve_paths
    from reviewer_app.gui.main_window import MainWindow
    from reviewer_app.store.context import AppContext

    app = QApplication.instance() or QApplication([])
    ctx = AppContext.open(resolve_paths(data_dir=work / "data"))

    def wait(signal, timeout: float = 30.0) -> None:  # noqa: ANN001
        done = []
        signal.connect(lambda *a: done.append(1))
        end = time.perf_counter() + timeout
        while not done and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.0005)
        if not done:
            raise SystemExit("timed out")

    t0 = time.perf_counter()
    window = MainWindow(ctx)
    window.show()
    wait(window.model.pageShown)
    window.ui.submissionTable.viewport().repaint()
    first_paint = time.perf_counter() - t0
    wait(window.model.loaded)
    total = window.model.total

    def timed(label: str, change) -> tuple[str, float]:  # noqa: ANN001
        window.model.pageShown.disconnect()
        t = time.perf_counter()
        change()
        wait(window.model.pageShown)
        window.ui.submissionTable.viewport().repaint()
        return label, time.perf_counter() - t

    ui = window.ui
    changes = []
    for _ in range(3):
        changes += [
            timed("status: new", lambda: ui.statusCombo.setCurrentIndex(ui.statusCombo.findText("New"))),
            timed("status: submitted", lambda: ui.statusCombo.setCurrentIndex(ui.statusCombo.findText("Submitted"))),
            timed("status: all", lambda: ui.statusCombo.setCurrentIndex(0)),
            timed("credential", lambda: ui.credentialCombo.setCurrentIndex(1)),
            timed("credential: all", lambda: ui.credentialCombo.setCurrentIndex(0)),
            timed("has a draft", lambda: ui.draftCheck.setChecked(True)),
            timed("has a draft: off", lambda: ui.draftCheck.setChecked(False)),
            timed("search id", lambda: window.model.set_query(window.model.query.__class__(search="BULK-0421"))),
            timed("search title", lambda: window.model.set_query(window.model.query.__class__(search="Discussion"))),
            timed("search: clear", lambda: window.model.set_query(window.model.query.__class__())),
            timed("sort by id", lambda: window.model.sort(0)),
            timed("sort by date", lambda: window.model.sort(3)),
        ]
    by_label: dict[str, list[float]] = {}
    for label, seconds in changes:
        by_label.setdefault(label, []).append(seconds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    worst = max(statistics.median(v) for v in by_label.values())
    print(f"attempts in the queue:      {total:,}")
    print(f"first paint:                {first_paint * 1000:7.1f} ms   (floor 1000 ms)")
    for label, values in by_label.items():
        print(f"filter change, {label:18s} {statistics.median(values) * 1000:7.1f} ms median of {len(values)}")
    print(f"worst filter change median: {worst * 1000:7.1f} ms   (floor 100 ms)")
    print(f"peak resident memory:       {peak_mb:7.1f} MB   (floor 300 MB)")
    ok = first_paint < 1.0 and worst < 0.1 and peak_mb < 300
    print("PASS" if ok else "FAIL")
    if args.json:
        args.json.write_text(json.dumps({"count": total, "first_paint_s": first_paint,
                                         "filter_change_median_s": {k: statistics.median(v) for k, v in by_label.items()},
                                         "peak_rss_mb": peak_mb, "pass": ok}, indent=2))
    window.close()
    ctx.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
