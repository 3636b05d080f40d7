"""CPU time of video playback: the workspace's media pane against raw python-vlc.

    python tests/benchmarks/bench_playback.py [--video FILE] [--kind pattern|still ...]
                                              [--seconds 30] [--runs 2] [--json FILE]

Plays the same 1080p30 H.264 file (made with ffmpeg unless ``--video`` is given) in turns:

* **raw**: python-vlc alone, libvlc drawing into its own native window (its choice of video
  output: OpenGL through GLX where the X server has it, which on Xvfb is Mesa's software
  renderer in the process; ``--raw-vout xcb_x11`` for plain X11); only ``--aout=dummy
  --quiet`` and no title or OSD, not the app's libvlc arguments;
* **pane**: the workspace's :class:`MediaPane` in a window (libvlc's video callbacks, pictures
  copied into QImages and painted by Qt), as the app plays video.

Each side runs in its own process on an X server (a private Xvfb unless ``--display`` is
given; Xvfb needs no GPU, so both sides draw in software). Measured over ``--seconds`` of
playback, once the first picture is shown: the process's CPU time (user + system, every
thread: libvlc's decoder and video output included), the X server's CPU time (the drawing
each side asks of it; only for the private Xvfb), and the media time played (a sanity check
that both played in real time). Figures are CPU seconds per minute of playback; medians over
``--runs`` turns of each side. Not a test: figures depend on the machine and its load.

``--kind pattern`` is ffmpeg's moving test pattern (every picture new); ``--kind still`` a
still slide encoded with ``-tune stillimage`` (the case of issue #17: libvlc repeats one
picture; the pane drops repeats before they reach Qt).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------- children --
def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child_raw(video: str, seconds: float) -> dict:
    import vlc

    vout = os.environ.get("BENCH_RAW_VOUT")
    instance = vlc.Instance(["--quiet", "--aout=dummy", "--no-video-title-show", "--no-osd",
                             *([f"--vout={vout}"] if vout else [])])
    player = instance.media_player_new()
    player.set_media(instance.media_new_path(video))
    player.play()
    player.set_rate(float(os.environ.get("BENCH_RATE", "1")))
    deadline = time.monotonic() + 15
    while player.get_time() <= 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    start_ms, cpu0, wall0 = player.get_time(), _cpu(), time.monotonic()
    time.sleep(seconds)
    cpu1, wall1, end_ms = _cpu(), time.monotonic(), player.get_time()
    player.stop()
    return {"cpu_s": cpu1 - cpu0, "wall_s": wall1 - wall0, "played_ms": end_ms - start_ms}


def _child_pane(video: str, seconds: float) -> dict:
    os.environ["REVIEWER_APP_NO_AUDIO"] = "1"  # --aout=dummy, as the raw side
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from reviewer_app.gui.media.media_pane import MediaPane

    def pump(until, timeout: float) -> None:
        loop = QEventLoop()
        check = QTimer()
        check.setInterval(10)
        begun = time.monotonic()
        check.timeout.connect(
            lambda: loop.quit() if until() or time.monotonic() - begun > timeout else None)
        check.start()
        loop.exec()
        check.stop()

    pane = MediaPane()
    pane.resize(1280, 800)
    pane.show()
    pictures = [0]
    pane.engine().imageChanged.connect(lambda _image: pictures.__setitem__(0, pictures[0] + 1))
    pane.load(Path(video))
    pump(lambda: pane.current_frame() is not None and pane.engine().settled(), 15)
    start_at = pane.position()
    pane.set_rate(float(os.environ.get("BENCH_RATE", "1")))
    pane.play()
    pump(lambda: pane.position() > start_at, 15)
    start_ms, cpu0, wall0, shown0 = pane.position(), _cpu(), time.monotonic(), pictures[0]
    # The clock against libvlc's own media time: get_time() moves every 250 ms, so the gap
    # (position minus media time) is read each time it has just moved.
    gaps: list[tuple[float, int]] = []  # (seconds since start, gap in ms)
    last_media = [None]

    def sample() -> None:
        media = pane.engine().media_time()
        if media is not None and media != last_media[0] and pane.state() == "playing":
            if last_media[0] is not None:
                gaps.append((time.monotonic() - wall0, pane.position() - media))
            last_media[0] = media

    sampler = QTimer()
    sampler.setInterval(2)
    sampler.timeout.connect(sample)
    sampler.start()
    pump(lambda: False, seconds)
    sampler.stop()
    cpu1, wall1, end_ms = _cpu(), time.monotonic(), pane.position()
    result = {"cpu_s": cpu1 - cpu0, "wall_s": wall1 - wall0, "played_ms": end_ms - start_ms,
              "pictures": pictures[0] - shown0, "drift": _drift(gaps, wall1 - wall0),
              "frame_ms": pane.engine().frame_ms()}
    pane.close_media()
    app.processEvents()
    return result


def _drift(gaps: list[tuple[float, int]], seconds: float) -> dict:
    """How far the pane's clock moved from libvlc's media time: the median gap over the
    run's first and last quarter (each read just after get_time() moved), per minute."""
    quarter = seconds / 4
    early = [g for t, g in gaps if t <= quarter]
    late = [g for t, g in gaps if t >= seconds - quarter]
    if not early or not late:
        return {"samples": len(gaps)}
    change = statistics.median(late) - statistics.median(early)
    # and the least-squares slope over every reading (the position is whole frames, so a
    # median can move by a frame's phase; the slope averages that out)
    slope = statistics.linear_regression([t for t, _ in gaps], [g for _, g in gaps]).slope
    return {"samples": len(gaps), "slope_ms_per_min": slope * 60,
            "gap_early_ms": statistics.median(early),
            "gap_late_ms": statistics.median(late),
            "ms_per_min": change / ((seconds - quarter) / 60),
            "gap_min_ms": min(g for _, g in gaps), "gap_max_ms": max(g for _, g in gaps)}


# ------------------------------------------------------------------------------ parent --
def _make_video(kind: str, seconds: float, folder: Path) -> Path:
    out = folder / f"{kind}-1080p30.mp4"
    length = f"{seconds + 15:g}"
    sound = ["-f", "lavfi", "-i", "sine=frequency=440"]
    if kind == "pattern":
        picture = ["-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30"]
        encode = ["-c:v", "libx264", "-preset", "veryfast"]
    elif kind == "black":  # issue #17's black, low-bitrate recording
        picture = ["-f", "lavfi", "-i", "color=black:s=1920x1080:r=30"]
        encode = ["-c:v", "libx264", "-b:v", "10k"]
    else:
        picture = ["-f", "lavfi", "-i", "color=c=0x3060a0:s=1920x1080:r=30"]
        encode = ["-vf", "drawbox=x=300:y=200:w=900:h=500:color=yellow:t=fill", "-c:v",
                  "libx264", "-tune", "stillimage"]
    subprocess.run(["ffmpeg", "-v", "error", "-y", *picture, *sound, *encode, "-c:a", "aac",
                    "-t", length, "-pix_fmt", "yuv420p", str(out)], check=True, timeout=600)
    return out


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    for number in range(340, 400):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and \
                not Path(f"/tmp/.X{number}-lock").exists():
            break
    display = f":{number}"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten",
                               "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit("Xvfb did not start")
        time.sleep(0.05)
    return server, display


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run_child(side: str, video: Path, seconds: float, display: str,
               server: subprocess.Popen | None, vout: str) -> dict:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "BENCH_RAW_VOUT": vout,
           "BENCH_RATE": os.environ.get("BENCH_RATE", "1"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    x0 = _process_cpu(server.pid) if server else None
    done = subprocess.run([sys.executable, __file__, "--child", side, str(video),
                           str(seconds)], env=env, capture_output=True, text=True, check=False,
                          timeout=seconds + 120)
    x1 = _process_cpu(server.pid) if server else None
    if done.returncode != 0:
        raise SystemExit(f"{side} failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if x0 is not None:
        result["x_cpu_s"] = x1 - x0  # the whole child's life: start-up drawing included
    return result


def _per_minute(run: dict, key: str) -> float:
    return run[key] / run["wall_s"] * 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, help="a video to play (default: made here)")
    parser.add_argument("--kind", nargs="+", choices=("pattern", "still", "black"), default=["pattern"])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=1.0, help="playback speed (0.25 to 4)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--display", help="an X display to use instead of a private Xvfb")
    parser.add_argument("--raw-vout", help="libvlc's video output for the raw side "
                        "(default: libvlc's choice, OpenGL where there is GLX; xcb_x11: plain X11)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["BENCH_RATE"] = os.environ.get("BENCH_RATE") or f"{args.rate:g}"
    if args.child:
        side, video, seconds = args.child
        run = _child_raw if side == "raw" else _child_pane
        print(json.dumps(run(video, float(seconds))))
        return 0

    server = None
    display = args.display
    if display is None:
        if not shutil.which("Xvfb"):
            raise SystemExit("Xvfb is needed (apt-get install xvfb), or pass --display")
        server, display = _start_xvfb()
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "load_before": os.getloadavg()[0]},
                    "seconds": args.seconds, "runs": args.runs, "kinds": {},
                    "raw_vout": args.raw_vout or "libvlc's choice", "rate": args.rate}
    work = Path(tempfile.mkdtemp(prefix="bench-playback-"))
    try:
        videos = [(args.video.name, args.video)] if args.video else \
            [(kind, _make_video(kind, args.seconds * max(1.0, args.rate), work)) for kind in args.kind]
        for name, video in videos:
            runs: dict[str, list[dict]] = {"raw": [], "pane": []}
            for _ in range(args.runs):
                for side in ("raw", "pane"):  # in turns: drift in the machine hits both
                    runs[side].append(_run_child(side, video, args.seconds, display, server,
                                                 args.raw_vout or ""))
                    print(f"{name} {side}: {runs[side][-1]}", file=sys.stderr)
            summary = {}
            for side, results in runs.items():
                summary[side] = {
                    "cpu_s_per_min": statistics.median(_per_minute(r, "cpu_s") for r in results),
                    "played_per_wall": statistics.median(
                        r["played_ms"] / 1000 / r["wall_s"] for r in results),
                }
                if server is not None:
                    summary[side]["x_cpu_s"] = statistics.median(r["x_cpu_s"] for r in results)
            summary["ratio"] = summary["pane"]["cpu_s_per_min"] / summary["raw"]["cpu_s_per_min"]
            report["kinds"][name] = {"summary": summary, "runs": runs}
            print(f"\n{name}: CPU seconds per minute of playback (median of {args.runs}), "
                  f"{args.seconds:g} s each")
            for side in ("raw", "pane"):
                s = summary[side]
                x = f", X server {s['x_cpu_s']:.1f} s per run" if "x_cpu_s" in s else ""
                print(f"  {side:5} {s['cpu_s_per_min']:6.1f} s/min "
                      f"({s['cpu_s_per_min'] / 60:.0%} of a core), media played "
                      f"{s['played_per_wall']:.3f} s per s{x}")
            print(f"  pane / raw: {summary['ratio']:.2f}")
            for run in runs["pane"]:
                d, frame = run["drift"], run["frame_ms"]
                if "ms_per_min" in d:
                    print(f"  pane's clock against libvlc's media time: {d['slope_ms_per_min']:+.1f} ms per "
                          f"minute ({d['slope_ms_per_min'] / frame:+.2f} frames; floor 1 frame; "
                          f"least squares), quarters' medians {d['ms_per_min']:+.1f} ms, gap "
                          f"{d['gap_early_ms']:.0f} -> {d['gap_late_ms']:.0f} ms (range "
                          f"{d['gap_min_ms']}..{d['gap_max_ms']}, {d['samples']} readings); "
                          f"against wall time {run['played_ms'] - run['wall_s'] * 1000 * args.rate:+.0f} ms "
                          f"over {run['wall_s']:.0f} s")
        report["machine"]["load_after"] = os.getloadavg()[0]
        print(f"\nload average {report['machine']['load_before']:.1f} before, "
              f"{report['machine']['load_after']:.1f} after, {os.cpu_count()} CPUs")
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
