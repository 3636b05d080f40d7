"""Start-up benchmark: from process start to the main window's first paint.

    python tests/benchmarks/bench_startup.py [--rounds 15] [--offscreen] [--json FILE]

Rounds alternate, so drift on a shared machine hits both sides alike:

  bare  a PySide6 program (no Reviewer code) that shows a QMainWindow the way the app shows
        its main window: maximised on a small screen (below 1440x900 available), otherwise
        1100x680, on the same platform and screen.
  app   ``python -m reviewer_app --data-dir D`` on the demo data (loaded into D first, not
        timed), with REVIEWER_APP_FIRST_PAINT_FILE set: the window writes the moment of its
        first paint and of the queue's first page on screen, then quits
        (reviewer_app/gui/first_paint.py; unset, it is not imported). The window paints
        before the database is open; the start to the queue's rows is printed too
        (information: no floor).

Both run with compiled modules cached, as an installed app has them (PYTHONDONTWRITEBYTECODE
is dropped; the caches go to the work folder through PYTHONPYCACHEPREFIX and are filled by
two untimed runs of each side). Both are timed from a ``time.monotonic()`` taken by this
script just before it starts the process (fork and exec counted on both sides) to the first
paint event of any widget of the window, on the same clock. The process's CPU seconds at
that moment (``time.process_time()``) are reported too. By default the screen is an Xvfb
1366x768 with openbox as the window manager (the xcb platform, as on a desktop);
``--offscreen`` uses Qt's offscreen platform instead.
After the rounds the app runs once more under ``python -X importtime``: the imports that
had finished by its first paint, the heaviest (cumulative) first, are listed.

Floor: the app's median at most 2x the bare one. Exit status 0 when it holds, 1 when it
does not, 2 when a run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLOOR = 2.0

BARE = r"""
import json, os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setWindowTitle("Bare")

class FirstPaint(QObject):
    done = False
    def eventFilter(self, obj, event):
        if not self.done and event.type() == QEvent.Type.Paint and isinstance(obj, QWidget) \
                and obj.window() is window:
            self.done = True
            now, cpu = time.monotonic(), time.process_time()
            with open(os.environ["REVIEWER_APP_FIRST_PAINT_FILE"], "w") as out:
                json.dump({"monotonic": now, "cpu": cpu}, out)
            QTimer.singleShot(0, app.quit)
        return False

watcher = FirstPaint()
app.installEventFilter(watcher)
available = app.primaryScreen().availableGeometry()
if available.width() < 1440 or available.height() < 900:
    window.showMaximized()
else:
    window.resize(1100, 680)
    window.show()
app.exec()
"""


class Screen:
    """Xvfb with openbox, or Qt's offscreen platform."""

    def __init__(self, offscreen: bool, size: str, pycache: Path) -> None:
        self.procs: list[subprocess.Popen] = []
        # Compiled modules are cached, as in any installed app (the warm-up runs write them,
        # into the work folder, for both sides alike).
        self.env = dict(os.environ, PYTHONPATH=str(ROOT), REVIEWER_APP_NO_AUDIO="1",
                        PYTHONPYCACHEPREFIX=str(pycache))
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env.pop("QT_QPA_PLATFORM", None)
        if offscreen:
            self.env["QT_QPA_PLATFORM"] = "offscreen"
            self.name = "offscreen (Qt's default 800x800 screen: main windows open maximised)"
            return
        if not (shutil.which("Xvfb") and shutil.which("openbox")):
            raise SystemExit("Xvfb and openbox are needed (or use --offscreen)")
        read, write = os.pipe()
        xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size}x24"],
                                pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        self.procs.append(xvfb)
        with os.fdopen(read) as pipe:
            display = pipe.readline().strip()
        if not display:
            raise SystemExit("Xvfb did not start")
        self.env.update(DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb")
        self.procs.append(subprocess.Popen(["openbox"], env=self.env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL))
        time.sleep(1.0)  # openbox takes the screen (not timed)
        self.name = f"Xvfb {size} with openbox (xcb)"

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            proc.wait(10)


def first_paint(cmd: list[str], env: dict[str, str], mark: Path) -> tuple[float, float, dict, str]:
    """Start ``cmd``; seconds from its start to its first paint, its CPU seconds by then,
    what it wrote (with "rows" made seconds from the start), and its stderr."""
    mark.unlink(missing_ok=True)
    env = dict(env, REVIEWER_APP_FIRST_PAINT_FILE=str(mark))
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 or not mark.exists():
        print(f"{cmd[1:]}: exit {proc.returncode}, no first paint\n{proc.stderr[-3000:]}")
        raise SystemExit(2)
    data = json.loads(mark.read_text())
    if "rows" in data:
        data["rows"] -= start
    return data["monotonic"] - start, data["cpu"], data, proc.stderr


def importtime(cmd: list[str], env: dict[str, str], mark: Path, top: int) -> list[str]:
    """The imports done by the first paint, heaviest (cumulative) first."""
    _, _, data, stderr = first_paint([cmd[0], "-X", "importtime", *cmd[1:]], env, mark)
    loaded = set(data.get("modules", ()))
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_us, cumulative_us, name = line[len("import time:"):].split("|")
        module = name.strip()
        if module in loaded:
            rows.append((int(cumulative_us), len(name) - len(name.lstrip()), module))
    rows.sort(reverse=True)
    total = max((r[0] for r in rows if r[1] <= 1), default=0)
    out = [f"(all imports by the first paint: {sum(r[0] for r in rows if r[1] <= 1) / 1000:.0f} ms "
           f"cumulative at top level; the largest {total / 1000:.0f} ms)"]
    out += [f"{us / 1000:8.1f} ms  {'  ' * ((depth - 1) // 2)}{module}" for us, depth, module in rows[:top]]
    return out


def spread(xs: list[float]) -> str:
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return (f"min {min(xs) * 1000:.0f}, q1 {q[0] * 1000:.0f}, median {statistics.median(xs) * 1000:.0f}, "
            f"q3 {q[2] * 1000:.0f}, max {max(xs) * 1000:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--offscreen", action="store_true", help="Qt's offscreen platform, not Xvfb")
    parser.add_argument("--size", default="1366x768", help="the Xvfb screen (default 1366x768)")
    parser.add_argument("--top", type=int, default=25, help="imports listed (default 25)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    screen = Screen(args.offscreen, args.size, work / "pycache")
    try:
        env, python, data = screen.env, sys.executable, work / "data"
        demo = subprocess.run([python, "-m", "reviewer_app", "--data-dir", str(data), "demo"],
                              env=env, capture_output=True, text=True)
        if demo.returncode != 0:
            print(f"loading the demo data failed:\n{demo.stderr[-3000:]}")
            return 2
        mark = work / "first-paint.json"
        sides = {"bare": [python, "-c", BARE],
                 "app": [python, "-m", "reviewer_app", "--data-dir", str(data)]}
        for cmd in sides.values():  # twice each, not counted: files and modules cached
            first_paint(cmd, env, mark)
            first_paint(cmd, env, mark)
        wall: dict[str, list[float]] = {k: [] for k in sides}
        cpu: dict[str, list[float]] = {k: [] for k in sides}
        rows: list[float] = []
        noise = set()
        for _ in range(args.rounds):
            for side, cmd in sides.items():
                seconds, used, written, stderr = first_paint(cmd, env, mark)
                wall[side].append(seconds)
                cpu[side].append(used)
                if "rows" in written:
                    rows.append(written["rows"])
                noise.update(line for line in stderr.splitlines() if line.strip())
        load = os.getloadavg()
        imports = importtime(sides["app"], env, mark, args.top)
    finally:
        screen.close()
        shutil.rmtree(work, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in wall.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    ratio, cpu_ratio = med["app"] / med["bare"], med_cpu["app"] / med_cpu["bare"]
    print(f"screen: {screen.name}; {args.rounds} rounds, alternating; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (after the rounds)")
    print(f"start to first paint: app {med['app'] * 1000:.0f} ms, bare PySide6 {med['bare'] * 1000:.0f} ms, "
          f"ratio {ratio:.2f} (floor {FLOOR:.0f})")
    print(f"    app:  {spread(wall['app'])}")
    print(f"    bare: {spread(wall['bare'])}")
    print(f"CPU by first paint:   app {med_cpu['app'] * 1000:.0f} ms, bare {med_cpu['bare'] * 1000:.0f} ms, "
          f"ratio {cpu_ratio:.2f}")
    if rows:
        print(f"start to the queue's first page on screen (app; information): {spread(rows)}")
    if noise:
        print("stderr lines seen: " + "; ".join(sorted(noise))[:600])
    print("imports finished by the app's first paint (python -X importtime), heaviest first:")
    print("\n".join(imports))
    ok = ratio <= FLOOR
    print("PASS" if ok else "FAIL")
    if args.json:
        args.json.write_text(json.dumps({"screen": screen.name, "load": load, "wall": wall, "cpu": cpu,
                                         "ratio": ratio, "cpu_ratio": cpu_ratio,
                                         "rows": rows}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
