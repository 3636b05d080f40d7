"""Size and start time of the bundle beside the source install (a script, not a test).

    python packaging/bench_bundle.py [--runs 7] [--bundle dist/reviewer-app]

Sizes: the bundle folder and its archive; for the source install, what
``pip install reviewer-app[gui]`` puts in a virtual environment (the installed files of
reviewer-app and every distribution it needs, found through their metadata in the
environment running this script; the Python interpreter itself not counted) plus the
system's libvlc and VLC plugins it relies on.

Start time: from launching the process to the main window's first paint, measured by the
app itself (``REVIEWER_APP_PROBE=startup``, packaging/bundle_probe.py), on a data folder
holding the demo submissions, offscreen. The bundle runs its executable; the source install
runs the same entry script (packaging/reviewer_app_main.py) with this Python. Each is run
once to warm the disk cache, then ``--runs`` times, alternating; medians are reported.
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

ROOT = Path(__file__).resolve().parents[1]


def du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
    return total


def mb(n: int) -> str:
    return f"{n / 1e6:.0f} MB"


def installed_size(top: str = "reviewer-app", extras: tuple[str, ...] = ("gui",)) -> tuple[int, int]:
    """(bytes, distributions) of ``top[extras]`` and everything it requires, as installed."""
    from importlib import metadata

    from packaging.requirements import Requirement

    seen: set[str] = set()
    total = 0
    todo = [(top, extras)]
    while todo:
        name, wanted = todo.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen.add(key)
        for f in dist.files or []:
            path = Path(str(f.locate()))
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in (*wanted, "")):
                todo.append((req.name, tuple(req.extras)))
    return total, len(seen)


def system_vlc_size() -> tuple[int, str]:
    try:
        sys.path.insert(0, str(ROOT))
        import vlc

        from reviewer_app.diagnostics import loaded_library
    except Exception as exc:  # noqa: BLE001
        return 0, f"(no system libvlc: {exc})"
    library = Path(loaded_library(vlc.dll, "libvlc_get_version"))
    core = list(library.parent.glob("libvlccore.so*"))
    plugins = library.parent / "vlc"
    size = du(library) + sum(du(c) for c in core if not c.is_symlink()) + du(plugins)
    return size, f"{library} and {plugins}"


def start_once(cmd: list[str], env: dict[str, str], report: Path) -> tuple[float, float]:
    report.unlink(missing_ok=True)
    t0 = time.time()
    result = subprocess.run(cmd, env={**env, "REVIEWER_APP_PROBE_REPORT": str(report)},
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or not report.exists():
        raise SystemExit(f"{cmd[0]} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    facts = json.loads(report.read_text())
    return facts["shown_at"] - t0, facts["python_ready_at"] - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "reviewer-app")
    args = parser.parse_args()
    exe = args.bundle / "reviewer-app"
    if not exe.exists():
        raise SystemExit(f"no bundle at {args.bundle}: run 'make bundle' first")
    archives = sorted((args.bundle.parent).glob("reviewer-app-*-linux-*.tar.gz"))

    print("Size")
    print(f"  bundle folder        {mb(du(args.bundle))}  ({args.bundle})")
    if archives:
        print(f"  bundle archive       {mb(du(archives[-1]))}  ({archives[-1].name})")
    env_size, dists = installed_size()
    vlc_size, vlc_where = system_vlc_size()
    print(f"  source install       {mb(env_size + vlc_size)}  (reviewer-app[gui] and its {dists - 1} "
          f"dependencies: {mb(env_size)}; system libvlc and plugins: {mb(vlc_size)}, {vlc_where}; "
          "Python not counted)")

    work = Path(tempfile.mkdtemp(prefix="reviewer-bench-bundle-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VLC_"))}
    env.update(QT_QPA_PLATFORM=env.get("QT_QPA_PLATFORM", "offscreen"), REVIEWER_APP_NO_AUDIO="1",
               REVIEWER_APP_DATA=str(work / "data"), REVIEWER_APP_PROBE="startup")
    subprocess.run([str(exe), "demo"], env={k: v for k, v in env.items() if k != "REVIEWER_APP_PROBE"},
                   check=True, capture_output=True, timeout=120)
    commands = {"bundle": [str(exe)],
                "source": [sys.executable, str(ROOT / "packaging" / "reviewer_app_main.py")]}
    shown: dict[str, list[float]] = {k: [] for k in commands}
    ready: dict[str, list[float]] = {k: [] for k in commands}
    for name, cmd in commands.items():  # warm-up
        start_once(cmd, env, work / f"{name}.json")
    for _ in range(args.runs):
        for name, cmd in commands.items():
            s, r = start_once(cmd, env, work / f"{name}.json")
            shown[name].append(s)
            ready[name].append(r)

    print(f"\nStart to main window shown ({args.runs} runs each after a warm-up, "
          f"QT_QPA_PLATFORM={env['QT_QPA_PLATFORM']})")
    print(f"  {'':8} {'median':>8} {'min':>8} {'max':>8}   {'entry script reached (median)':>30}")
    for name in commands:
        values = shown[name]
        print(f"  {name:8} {statistics.median(values):7.2f}s {min(values):7.2f}s "
              f"{max(values):7.2f}s   {statistics.median(ready[name]):29.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
