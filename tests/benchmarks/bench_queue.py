"""Queue benchmark: the main window's queue against a bare Qt table over the same SQL.

    python tests/benchmarks/bench_queue.py [--count 100000] [--big 1000000] [--rounds 5]
                                           [--workdir DIR] [--json FILE]

Each figure comes from fresh processes, the app's and the baseline's alternating, so both
see the same machine. The data folders are made first, by ``bigqueue.py`` in a process of
their own (kept in ``--workdir`` for the next run), so no process measured here ever held
a million rows in Python: its peak memory is the queue's.

Figures (median, with min-max):
- first paint at ``--count``: the main window created and shown until its first page of
  rows is painted, against a bare ``QTableView`` over a minimal model reading the same
  first page with the same SQL through ``sqlite3`` (floor: 2x); and the same from process
  start (the parent's clock before it starts the process), the app's imports included;
- each filter and search at ``--count`` and at ``--big``: the change made until its first
  page is painted (floor 100 ms), and until its count is shown; the next change waits for
  the count;
- rapid changes: five search texts applied back to back (as typed, each after the search
  box's pause), from the last one until its page is painted and its count shown; no read
  of an earlier text may answer (each must have been stopped);
- peak resident memory of the app's process at both sizes, after scrolling 20 pages (flat
  in the number of rows: floor 1.25x from ``--count`` to ``--big``);
- every process must exit with status 0 and nothing on stderr but Qt's offscreen notes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BARE_SQL = (  # the first page of the queue as services.submissions reads it
    "SELECT a.id, s.key, a.number, c.key, c.title, c.version, a.submitted_at, a.queue_status, "
    "a.evidence_count FROM attempt a JOIN submission s ON a.submission_id = s.id "
    "JOIN credential c ON a.credential_id = c.id ORDER BY a.submitted_at DESC, a.id LIMIT 200")
REPEAT = 5  # each filter change, in turn with the others
NOISE = ("propagateSizeHints", "QStandardPaths")  # what Qt's offscreen platform says anyway


# -- children ------------------------------------------------------------------------------
def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pump_until(app, done, timeout: float = 60.0) -> None:
    end = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > end:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.0002)


def child_bare(data: Path, t0: float) -> dict:
    import sqlite3

    from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
    from PySide6.QtWidgets import QApplication, QTableView

    app = QApplication([])
    conn = sqlite3.connect(data / "reviewer.sqlite3")

    class Model(QAbstractTableModel):
        def __init__(self) -> None:
            super().__init__()
            self.rows = [(r[1], str(r[2]), f"{r[4]} (v{r[5]})", r[6][:16], r[7], str(r[8]))
                         for r in conn.execute(BARE_SQL)]

        def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
            return len(self.rows)

        def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
            return 6

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            return self.rows[index.row()][index.column()] if role == Qt.ItemDataRole.DisplayRole else None

    start = time.perf_counter()
    view = QTableView()
    view.resize(1100, 680)
    view.setModel(Model())
    view.show()
    app.processEvents()
    view.viewport().repaint()
    paint = time.perf_counter() - start
    since_start = time.time() - t0
    view.close()
    conn.close()
    return {"paint_s": paint, "since_start_s": since_start, "rss_mb": _rss_mb()}


def child_app(data: Path, t0: float, *, filters: bool) -> dict:
    from PySide6.QtWidgets import QApplication

    from reviewer_app.config import resolve_paths
    from reviewer_app.gui import tasks
    from reviewer_app.gui.main_window import MainWindow
    from reviewer_app.services import submissions as svc
    from reviewer_app.store.context import AppContext

    app = QApplication([])
    ctx = AppContext.open(resolve_paths(data_dir=data))
    start = time.perf_counter()
    window = MainWindow(ctx)
    model, table = window.model, window.ui.submissionTable
    shown, counted = [], []
    model.pageShown.connect(lambda n: shown.append(time.perf_counter()))
    model.loaded.connect(lambda n: counted.append(time.perf_counter()))
    window.show()
    _pump_until(app, lambda: shown)
    table.viewport().repaint()
    out: dict = {"paint_s": time.perf_counter() - start, "since_start_s": time.time() - t0}
    _pump_until(app, lambda: counted)
    out["total"] = model.total
    if filters:
        out.update(_filters(app, window, svc, tasks, shown, counted))
    window.close()
    _pump_until(app, lambda: tasks.running() == 0)
    ctx.close()
    out["rss_mb"] = _rss_mb()
    return out


def _filters(app, window, svc, tasks, shown, counted) -> dict:
    from PySide6.QtCore import Qt

    from reviewer_app.gui import submission_model

    model, table, ui = window.model, window.ui.submissionTable, window.ui

    def timed(change) -> tuple[float, float]:
        shown.clear(), counted.clear()
        t = time.perf_counter()
        change()
        _pump_until(app, lambda: shown)
        table.viewport().repaint()
        page = time.perf_counter() - t
        _pump_until(app, lambda: counted)  # the count finishes before the next change
        return page, counted[-1] - t

    def search(text: str):
        return lambda: (ui.searchEdit.setText(text), window._search_timer.stop(), window._apply_filters())

    combo = ui.statusCombo
    changes = {
        "status: new": lambda: combo.setCurrentIndex(combo.findText("New")),
        "status: submitted": lambda: combo.setCurrentIndex(combo.findText("Submitted")),
        "status: all": lambda: combo.setCurrentIndex(0),
        "credential": lambda: ui.credentialCombo.setCurrentIndex(1),
        "credential: all": lambda: ui.credentialCombo.setCurrentIndex(0),
        "has a draft": lambda: ui.draftCheck.setChecked(True),
        "has a draft: off": lambda: ui.draftCheck.setChecked(False),
        "search id (100 match)": search("BULK-0421"),
        "search id (10% match)": search("BULK-04"),
        "search id (all match)": search("BULK"),
        "search 2 chars": search("42"),
        "search title": search("Discussion"),
        "search + status": lambda: (search("BULK-0421")(), combo.setCurrentIndex(combo.findText("New"))),
        "search: clear": lambda: (search("")(), combo.setCurrentIndex(0)),
        "sort by id": lambda: model.sort(0),
        "sort by date": lambda: model.sort(3, Qt.SortOrder.DescendingOrder),
    }
    _pump_until(app, lambda: ui.credentialCombo.count() > 1)
    results: dict[str, list] = {k: [] for k in changes}
    for _ in range(REPEAT):
        for label, change in changes.items():
            results[label].append(timed(change))
    # Rapid changes: five texts back to back; the reads of the first four must stop.
    started: list = []
    original = submission_model.run_task

    def recording(*a, **k):
        task = original(*a, **k)
        task.outcome, task.query = [], window.model.query
        task.signals.succeeded.connect(lambda *_: task.outcome.append("answered"))
        task.signals.cancelled.connect(lambda: task.outcome.append("stopped"))
        started.append(task)
        return task

    submission_model.run_task = recording
    rapid, stale_answered, final_outcomes = [], 0, []
    for _ in range(3):
        search("")()
        _pump_until(app, lambda: counted and tasks.running() == 0)
        started.clear()
        texts = ["B", "BU", "BUL", "BULK", "BULK-0421"]
        for text in texts[:-1]:
            search(text)()
        rapid.append(timed(search(texts[-1])))
        _pump_until(app, lambda: tasks.running() == 0)
        final = window.model.query
        stale_answered += sum(1 for t in started if t.outcome == ["answered"] and t.query != final)
        # (A read that ends before the bench connects to it shows no outcome: the test
        # tests/gui/test_queue_rapid_changes.py is the strict check.)
        final_outcomes.append([t.outcome for t in started if t.query == final])
    submission_model.run_task = original
    # Memory: scroll 20 pages down.
    search("")()
    _pump_until(app, lambda: counted)
    for _ in range(20):
        n = model.rowCount()
        model.fetchMore()
        _pump_until(app, lambda n=n: model.rowCount() > n)
    return {"changes": {k: v for k, v in results.items()}, "rapid": rapid,
            "stale_answered": stale_answered, "final_outcomes": final_outcomes,
            "rows_held": model.rowCount()}


# -- the parent ----------------------------------------------------------------------------
def make_data(folder: Path, count: int) -> Path:
    data = folder / "data"
    if not (folder / "made").exists():
        t = time.perf_counter()
        subprocess.run([sys.executable, str(HERE / "bigqueue.py"), str(data), str(count)], check=True,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        (folder / "made").write_text("ok")
        print(f"made {count:,} attempts in {time.perf_counter() - t:.0f} s (separate process)")
    return data


def run_child(kind: str, data: Path) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    # Compiled modules are cached, as in any installed app (the warm-up run writes them).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["BENCH_T0"] = repr(time.time())
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--data", str(data)],
                          capture_output=True, text=True, env=env, timeout=900)
    noise = [line for line in proc.stderr.splitlines()
             if line.strip() and not any(n in line for n in NOISE)]
    if proc.returncode != 0 or noise:
        raise SystemExit(f"{kind} child: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ms(values: list[float]) -> str:
    return (f"{statistics.median(values) * 1000:7.1f} ms ({min(values) * 1000:.1f}-"
            f"{max(values) * 1000:.1f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child")
    parser.add_argument("--data", type=Path)
    args = parser.parse_args()
    if args.child:
        t0 = float(os.environ["BENCH_T0"])
        result = (child_bare(args.data, t0) if args.child == "bare"
                  else child_app(args.data, t0, filters=args.child == "filters"))
        print(json.dumps(result))
        return 0

    small = make_data(args.workdir / f"reviewer-bench-queue-{args.count}", args.count)
    big = make_data(args.workdir / f"reviewer-bench-queue-{args.big}", args.big)
    app_runs, bare_runs = [], []
    run_child("app", small), run_child("bare", small)  # warm the page cache, untimed
    for _ in range(args.rounds):
        app_runs.append(run_child("app", small))
        bare_runs.append(run_child("bare", small))
    ratios = [a["paint_s"] / b["paint_s"] for a, b in zip(app_runs, bare_runs, strict=True)]
    start_ratios = [a["since_start_s"] / b["since_start_s"] for a, b in zip(app_runs, bare_runs, strict=True)]
    filt = {n: run_child("filters", data) for n, data in ((args.count, small), (args.big, big))}

    print(f"load average at the end: {os.getloadavg()[0]:.2f}; rounds: {args.rounds}, alternating")
    print(f"first paint, {args.count:,} rows: app {ms([r['paint_s'] for r in app_runs])}, "
          f"bare table {ms([r['paint_s'] for r in bare_runs])}")
    print(f"  ratio {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})   (floor 2.0)")
    print(f"from process start: app {ms([r['since_start_s'] for r in app_runs])}, "
          f"bare table {ms([r['since_start_s'] for r in bare_runs])}, "
          f"ratio {statistics.median(start_ratios):.2f} ({min(start_ratios):.2f}-{max(start_ratios):.2f})")
    worst_page = 0.0
    for result in filt.values():
        print(f"at {result['total']:,} attempts: change -> first page painted | -> count shown "
              f"({REPEAT} each)")
        for label, pairs in result["changes"].items():
            pages, counts = [p for p, _ in pairs], [c for _, c in pairs]
            if not label.startswith("sort"):
                worst_page = max(worst_page, statistics.median(pages))
            print(f"  {label:22s} {ms(pages)} | {ms(counts)}")
        rp, rc = [p for p, _ in result["rapid"]], [c for _, c in result["rapid"]]
        print(f"  {'rapid (5 texts)':22s} {ms(rp)} | {ms(rc)}; stale reads that answered: "
              f"{result['stale_answered']}")
        print(f"  peak memory {result['rss_mb']:.0f} MB holding {result['rows_held']:,} rows")
    mem_ratio = filt[args.big]["rss_mb"] / filt[args.count]["rss_mb"]
    print(f"peak memory {args.big:,} / {args.count:,}: {mem_ratio:.2f}   (floor 1.25)")
    print(f"worst filter or search median, first page: {worst_page * 1000:.1f} ms   (floor 100 ms)")
    stale = sum(r["stale_answered"] for r in filt.values())
    ok = (statistics.median(ratios) <= 2.0 and worst_page < 0.1 and mem_ratio <= 1.25 and stale == 0)
    print("PASS" if ok else "FAIL")
    if args.json:
        args.json.write_text(json.dumps({"app": app_runs, "bare": bare_runs, "ratios": ratios,
                                         "start_ratios": start_ratios,
                                         "filters": {str(k): v for k, v in filt.items()},
                                         "memory_ratio": mem_ratio, "pass": ok}, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
