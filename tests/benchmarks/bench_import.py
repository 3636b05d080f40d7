#!/usr/bin/env python3
"""Benchmark: import a package holding one large video, against ``sha256sum`` of the file.

    python tests/benchmarks/bench_import.py [--size-mb 1024] [--repeat 3] [--keep]
                                            [--workdir DIR] [--json FILE]

A script, not a test: pytest does not collect it (the name does not start with
``test_``) and it defines no ``test_`` functions. ``make bench`` runs it.

What it does, in one run:

1. Writes a video evidence file (default 1 GiB): an MP4 ``ftyp`` box that the app's
   content sniffer accepts as video, then pseudo-random, incompressible bytes (really
   written, not a sparse file), hashed as they are written. Around it, the same
   submission package twice: a folder, and a .zip whose video entry is STORED.
2. On a warm page cache, times (median of ``--repeat`` runs, interleaved round by round):
   ``sha256sum FILE``; ``python -m reviewer_app --data-dir FRESH import FOLDER``; and the
   same for the .zip. Each import goes into a fresh data folder, removed between runs
   outside the timed region. The peak resident memory of each child is measured too.
3. Prints a report and checks the floors from issue #15: import time at most 1.3 x the
   ``sha256sum`` time (from a folder and from a .zip), peak memory under 150 MB, and the
   fixed cost of an import (the same package with a 64 KiB video, into a new data folder:
   interpreter start, the app's imports, a new database) under 0.5 s. CPU-time ratios
   are reported beside the wall-time ones. Exits 1 if a floor is missed, 2 if it could not
   measure (no disk space, an import refused, ...), 0 otherwise.

The app runs as an installed app does, from cached bytecode: ``PYTHONDONTWRITEBYTECODE``
is dropped from the children's environment and an untimed import runs first.

See README.md beside this file for the figures measured so far.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024
MB = 1000 * 1000  # the floors are in MB (10^6 bytes), the stricter reading of "150 MB"
BLOCK = 8 * MIB

MAX_RATIO = 1.3
MAX_PEAK_RSS_MB = 150.0
MAX_FIXED_S = 0.5

EXIT_OK, EXIT_FLOOR_MISSED, EXIT_CANNOT_MEASURE = 0, 1, 2

# An ISO base media file type box (24 bytes: size, "ftyp", major brand mp42, minor version,
# compatible brands mp42 and isom), then an "mdat" box of size 0 ("runs to the end of the
# file"), so the file looks like an MP4 to the app's sniffer (reviewer_app/intake/sniff.py
# reads the major brand at bytes 8..12) and to anything else that looks.
MP4_HEADER = (b"\x00\x00\x00\x18ftypmp42" + b"\x00\x00\x00\x00" + b"mp42isom"
              + b"\x00\x00\x00\x00mdat")

VIDEO_ENTRY = "evidence/lesson-recording.mp4"
SUBMISSION_ID = "BENCH-0001"

RUBRIC = {
    "id": "bench-rubric",
    "version": "1",
    "title": "Benchmark rubric",
    "criteria": [{
        "id": "classroom-practice",
        "title": "Classroom practice",
        "required_level": 2,
        "levels": [
            {"value": 1, "label": "Not yet", "descriptor": "Not shown in the evidence."},
            {"value": 2, "label": "Meets", "descriptor": "Shown clearly in the evidence."},
        ],
    }],
}


class CannotMeasure(Exception):
    """The benchmark could not run; the message says why."""


# -- writing the evidence and the packages ---------------------------------------------------

def _random_blocks(seed: int):
    """Endless BLOCK-sized pseudo-random blocks, fast: numpy's PCG64 if numpy is there
    (about 3 GB/s), else os.urandom (about 350 MB/s on a small VM)."""
    try:
        import numpy as np
    except ImportError:
        while True:
            yield os.urandom(BLOCK)
    bits = np.random.PCG64(seed)
    while True:
        yield bits.random_raw(BLOCK // 8).tobytes()


def random_source_name() -> str:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return "os.urandom"
    return "numpy PCG64"


def write_video(path: Path, size: int, seed: int = 20260501) -> str:
    """Write ``size`` bytes of MP4-looking video to ``path``; returns its SHA-256."""
    if size < len(MP4_HEADER):
        raise CannotMeasure(f"the evidence file must be at least {len(MP4_HEADER)} bytes")
    digest = hashlib.sha256()
    blocks = _random_blocks(seed)
    with open(path, "wb") as out:
        out.write(MP4_HEADER)
        digest.update(MP4_HEADER)
        left = size - len(MP4_HEADER)
        while left > 0:
            block = next(blocks)
            if left < len(block):
                block = block[:left]
            out.write(block)
            digest.update(block)
            left -= len(block)
        out.flush()
        # On disk before anything is timed, so no write-back of our own dirty pages
        # competes with the import's writes and fsync.
        os.fsync(out.fileno())
    return digest.hexdigest()


def _manifest(sha256: str, size: int) -> dict:
    return {
        "format": "mcred-submission/1",
        "submission_id": SUBMISSION_ID,
        "attempt": 1,
        "submitted_at": "2026-05-01T14:30:00+02:00",
        "credential": {"id": "bench-credential", "title": "Benchmark credential", "version": "1"},
        "candidate": {"id": "bench-candidate"},
        "rubric": "rubric.json",
        "evidence": [{
            "id": "lesson-recording",
            "kind": "video",
            "path": VIDEO_ENTRY,
            "sha256": sha256,
            "size": size,
            "title": "Recording of a whole lesson",
            "criteria": ["classroom-practice"],
        }],
    }


def write_folder_package(folder: Path, video: Path, sha256: str) -> None:
    """A folder package; ``video`` must already be at ``folder / VIDEO_ENTRY``."""
    assert video == folder / VIDEO_ENTRY
    (folder / "manifest.json").write_text(
        json.dumps(_manifest(sha256, video.stat().st_size), indent=2), "utf-8")
    (folder / "rubric.json").write_text(json.dumps(RUBRIC, indent=2), "utf-8")


def write_zip_package(path: Path, video: Path, sha256: str) -> None:
    """The same package as a .zip: JSON deflated, the video STORED (as producers should)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(_manifest(sha256, video.stat().st_size), indent=2),
                    zipfile.ZIP_DEFLATED)
        zf.writestr("rubric.json", json.dumps(RUBRIC, indent=2), zipfile.ZIP_DEFLATED)
        zf.write(video, VIDEO_ENTRY, zipfile.ZIP_STORED)
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def warm(*paths: Path) -> None:
    """Read each file once so that every timed run starts on a warm page cache."""
    buf = bytearray(BLOCK)
    for path in paths:
        with open(path, "rb", buffering=0) as fh:
            while fh.readinto(buf):
                pass


# -- running and measuring a child -----------------------------------------------------------

@dataclass
class Run:
    wall_s: float
    cpu_s: float  # user + system time of the command
    peak_rss_bytes: int
    returncode: int
    stdout: str
    stderr: str


# The wrapper each measured command runs under (``python -I -S -c WRAPPER RESULT CMD...``):
# it forks, execs CMD, reaps it with wait4 and writes "wall_s cpu_s ru_maxrss exit_status"
# to RESULT. Only builtin modules, so it starts in a few milliseconds and stays small.
WRAPPER = """\
import os, sys, time
result, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(result, "w") as fh:
    cpu = usage.ru_utime + usage.ru_stime
    fh.write(f"{wall!r} {cpu!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``cmd``; return its wall time and the peak resident memory of that one process.

    How the peak is measured, and why this way:

    * ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the maximum over *every* child
      this process has ever waited for; once a big child has run, a smaller one cannot
      show, so deltas of it mean nothing.
    * ``os.wait4(pid)`` returns the rusage of exactly the child it reaps (plus children
      that child waited for; the importer has none). But on Linux a child's ``ru_maxrss``
      also counts the memory it had between fork and exec: ``exec`` folds the old address
      space's high-water mark into it. Python's subprocess forks with vfork, sharing *our*
      address space, so every child reported at least this script's own peak (about
      60 MB here, with numpy and the write buffers) - sha256sum showed 62 MB.
    * So the command runs under a tiny wrapper (``WRAPPER``: builtin modules only, about
      7 MB) that forks, execs the command and reaps it with ``wait4``. The reported peak is
      the command's own, floored at the wrapper's size (``floor_rss_bytes`` in the JSON,
      measured with ``true``). GNU ``/usr/bin/time -v`` works the same way, with a smaller
      floor, but is not installed everywhere. ``ru_maxrss`` is KiB on Linux, bytes on macOS.

    Wall time is taken inside the wrapper, from just before its fork to the reap, so the
    wrapper's own start-up is not counted. Output goes to temporary files (no pipe can
    fill up and stall the child).
    """
    with tempfile.TemporaryDirectory(prefix="reviewer-bench-run-") as tmp:
        result = Path(tmp) / "result"
        with open(Path(tmp) / "out", "w+b") as out, open(Path(tmp) / "err", "w+b") as err:
            proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", WRAPPER, str(result), *cmd],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                    start_new_session=True)
            try:
                proc.wait()
            except BaseException:
                # Ctrl-C: stop the wrapper and the command it runs (its own session).
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise
            out.seek(0)
            err.seek(0)
            stdout = out.read().decode("utf-8", "replace")
            stderr = err.read().decode("utf-8", "replace")
        if proc.returncode != 0 or not result.is_file():
            raise CannotMeasure(f"the measuring wrapper failed (exit {proc.returncode}) "
                                f"running {cmd[0]}: {stderr.strip()}")
        wall, cpu, maxrss, status = result.read_text().split()
    scale = 1 if sys.platform == "darwin" else 1024
    return Run(float(wall), float(cpu), int(maxrss) * scale, int(status), stdout, stderr)


def sha256sum_cmd(path: Path) -> list[str]:
    exe = shutil.which("sha256sum")
    if exe is None:
        raise CannotMeasure("sha256sum is not installed (it is in GNU coreutils); it is the "
                            "yardstick the import is measured against")
    return [exe, str(path)]


def import_cmd(data_dir: Path, package: Path) -> list[str]:
    # ``python -m reviewer_app`` with this interpreter, so the script measures the app
    # installed wherever it is run from (any venv), not a console script on PATH.
    return [sys.executable, "-m", "reviewer_app", "--data-dir", str(data_dir), "import",
            str(package)]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The data folder's own SQLite, whatever the caller's shell points the app at.
    env.pop("REVIEWER_APP_DATABASE_URL", None)
    env.pop("REVIEWER_APP_DATA", None)
    # Bytecode cached as an installed app has it (pip compiles it); a shell that forbids
    # writing it would otherwise time compiling every module at every start.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_sha256sum(path: Path, expected: str) -> Run:
    run = run_measured(sha256sum_cmd(path))
    if run.returncode != 0:
        raise CannotMeasure(f"sha256sum failed ({run.returncode}): {run.stderr.strip()}")
    got = run.stdout.split()[0] if run.stdout.split() else ""
    if got != expected:
        raise CannotMeasure(f"sha256sum says {got!r}, the file was written with {expected}")
    return run


def run_import(package: Path, data_dir: Path, sha256: str, size: int) -> Run:
    """One timed import into a fresh ``data_dir``, checked, then removed (untimed)."""
    _remove(data_dir)
    os.sync()  # settle write-back (e.g. of the previous run's deleted blob) outside the timing
    run = run_measured(import_cmd(data_dir, package), child_env())
    try:
        if run.returncode != 0:
            raise CannotMeasure(f"the import of {package.name} failed (exit {run.returncode}): "
                                f"{(run.stderr or run.stdout).strip()}")
        if "imported submission" not in run.stdout:
            raise CannotMeasure(f"the import of {package.name} did not import anything: "
                                f"{run.stdout.strip()}")
        blob = data_dir / "evidence" / "sha256" / sha256[:2] / sha256
        if not blob.is_file() or blob.stat().st_size != size:
            raise CannotMeasure(f"after importing {package.name}, the evidence is not at {blob}")
    finally:
        _remove(data_dir)
    return run


def run_list(data_dir: Path) -> Run:
    run = run_measured([sys.executable, "-m", "reviewer_app", "--data-dir", str(data_dir), "list"],
                       child_env())
    if run.returncode != 0 or SUBMISSION_ID not in run.stdout:
        raise CannotMeasure(f"'list' failed (exit {run.returncode}): {run.stderr.strip()}")
    return run


def _remove(path: Path) -> None:
    if path.exists():
        # The store makes published blobs read-only; that does not stop unlinking them.
        shutil.rmtree(path)


# -- the benchmark -----------------------------------------------------------------------------

@dataclass
class Series:
    label: str
    runs: list[Run] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def peak_rss_bytes(self) -> int:
        return max(r.peak_rss_bytes for r in self.runs)

    @property
    def median_cpu_s(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    def throughput_mb_s(self, size: int) -> float:
        return size / self.median_s / MB

    def as_json(self, size: int) -> dict:
        return {
            "label": self.label,
            "runs_s": [round(r.wall_s, 4) for r in self.runs],
            "median_s": round(self.median_s, 4),
            "cpu_runs_s": [round(r.cpu_s, 4) for r in self.runs],
            "median_cpu_s": round(self.median_cpu_s, 4),
            "throughput_MB_per_s": round(self.throughput_mb_s(size), 1),
            "peak_rss_bytes": self.peak_rss_bytes,
            "peak_rss_MB": round(self.peak_rss_bytes / MB, 1),
            "peak_rss_per_run_bytes": [r.peak_rss_bytes for r in self.runs],
        }


def check_disk(folder: Path, size: int) -> None:
    # The video, its copy inside the .zip, and one imported copy in the data folder (the
    # importer itself wants 64 MiB spare on top), plus room for logs and the database.
    need = 3 * size + 256 * MIB
    free = shutil.disk_usage(folder).free
    if free < need:
        raise CannotMeasure(f"not enough disk space in {folder.parent}: the benchmark needs "
                            f"{need / 2**30:.2f} GiB free and {free / 2**30:.2f} GiB are; "
                            "pass a smaller --size-mb or another --workdir")


def bench(work: Path, size: int, repeat: int, log) -> dict:
    check_disk(work, size)
    load_before = os.getloadavg()[0]
    folder_pkg = work / "package-folder"
    zip_pkg = work / "package.zip"
    video = folder_pkg / VIDEO_ENTRY
    video.parent.mkdir(parents=True)

    log(f"writing {size:,} bytes of video ({random_source_name()}) to {video} ...")
    t = time.perf_counter()
    sha256 = write_video(video, size)
    log(f"  {time.perf_counter() - t:.1f} s, sha256 {sha256}")
    write_folder_package(folder_pkg, video, sha256)
    log(f"writing {zip_pkg} (video STORED) ...")
    t = time.perf_counter()
    write_zip_package(zip_pkg, video, sha256)
    log(f"  {time.perf_counter() - t:.1f} s")

    # Fixed cost: the same package with a tiny video (interpreter start, app imports,
    # a fresh database): what an import costs whatever its size (floor: MAX_FIXED_S). It
    # also checks the package is accepted before the long runs.
    tiny_folder = work / "tiny-package"
    tiny_video = tiny_folder / VIDEO_ENTRY
    tiny_video.parent.mkdir(parents=True)
    tiny_sha = write_video(tiny_video, 64 * 1024)
    write_folder_package(tiny_folder, tiny_video, tiny_sha)

    # What the wrapper alone reports as peak memory (see run_measured): the smallest
    # figure any measured command can show.
    floor_rss = run_measured([shutil.which("true") or "true"]).peak_rss_bytes

    data_dir = work / "data"
    log("warming the page cache and checking a tiny import ...")
    warm(video, zip_pkg)
    fixed = Series("import (64 KiB video, folder): fixed cost")
    run_import(tiny_folder, data_dir, tiny_sha, 64 * 1024)  # untimed: writes the bytecode
    for _ in range(max(repeat, 5)):
        fixed.runs.append(run_import(tiny_folder, data_dir, tiny_sha, 64 * 1024))
    listing = Series("list (a current database)")
    _remove(data_dir)
    run_measured(import_cmd(data_dir, tiny_folder), child_env())
    for _ in range(max(repeat, 5)):
        listing.runs.append(run_list(data_dir))
    _remove(data_dir)

    # One untimed full-size import of each form first. Besides warming the code paths, it
    # puts memory the kernel will hand out to the import's page cache into use once: on a
    # VM (measured on a Firecracker guest) the first touch of never-used guest RAM costs a
    # host page fault per page, which made a first 1 GiB import up to 2x slower than the
    # next and the figures depend on how long the machine had been up.
    log("untimed warm-up import of each full-size package ...")
    run_import(folder_pkg, data_dir, sha256, size)
    run_import(zip_pkg, data_dir, sha256, size)

    sha = Series("sha256sum")
    folder = Series("import (folder)")
    zipped = Series("import (zip, stored)")
    for round_no in range(1, repeat + 1):
        # Interleaved round by round, so drift in the machine's speed hits all three alike.
        warm(video, zip_pkg)
        os.sync()
        sha.runs.append(run_sha256sum(video, sha256))
        folder.runs.append(run_import(folder_pkg, data_dir, sha256, size))
        zipped.runs.append(run_import(zip_pkg, data_dir, sha256, size))
        log(f"round {round_no}/{repeat}: sha256sum {sha.runs[-1].wall_s:.2f} s, "
            f"folder {folder.runs[-1].wall_s:.2f} s, zip {zipped.runs[-1].wall_s:.2f} s")

    results: dict = {
        "size_bytes": size,
        "sha256": sha256,
        "repeat": repeat,
        "data": random_source_name(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "python_executable": sys.executable,
            "sha256sum": _tool_version(sha256sum_cmd(video)[0]),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg()[0],
        },
        "floors": {"max_ratio": MAX_RATIO, "max_peak_rss_MB": MAX_PEAK_RSS_MB,
                   "max_fixed_s": MAX_FIXED_S},
        "sha256sum": sha.as_json(size),
        "fixed_cost": fixed.as_json(64 * 1024),
        "list": listing.as_json(1),
        "floor_rss_bytes": floor_rss,
    }
    results["fixed_cost"]["fixed_pass"] = fixed.median_s < MAX_FIXED_S
    results["list"]["fixed_pass"] = listing.median_s < MAX_FIXED_S
    passed = results["fixed_cost"]["fixed_pass"] and results["list"]["fixed_pass"]
    for key, series in (("import_folder", folder), ("import_zip", zipped)):
        entry = series.as_json(size)
        entry["ratio"] = round(series.median_s / sha.median_s, 3)
        entry["cpu_ratio"] = round(series.median_cpu_s / sha.median_cpu_s, 3)
        entry["ratio_pass"] = series.median_s / sha.median_s <= MAX_RATIO
        entry["peak_rss_pass"] = series.peak_rss_bytes / MB < MAX_PEAK_RSS_MB
        passed = passed and entry["ratio_pass"] and entry["peak_rss_pass"]
        results[key] = entry
    results["passed"] = passed
    return results


def _tool_version(exe: str) -> str:
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
        return out.stdout.splitlines()[0] if out.stdout else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def report(r: dict) -> str:
    size = r["size_bytes"]
    m = r["machine"]
    lines = [
        "",
        "Reviewer import benchmark",
        f"  machine:   {m['cpus']} CPUs, {m['platform']}, Python {m['python']}, {m['sha256sum']}",
        f"  evidence:  {size:,} bytes ({size / MIB:,.0f} MiB) of video, "
        f"sha256 {r['sha256'][:16]}...",
        f"  method:    median of {r['repeat']} runs each, warm page cache, fresh data folder per "
        "import; MB = 10^6 bytes",
        "",
        f"  {'':28}{'median':>9}{'throughput':>13}{'ratio':>7}{'peak RSS':>11}{'CPU':>8}"
        "   runs (s)",
    ]

    def row(label: str, e: dict, ratio: str) -> str:
        runs = " ".join(f"{x:.2f}" for x in e["runs_s"])
        speed = f"{e['throughput_MB_per_s']:>8.0f} MB/s" if ratio else " " * 13
        return (f"  {label:28}{e['median_s']:>7.2f} s{speed}{ratio:>7}"
                f"{e['peak_rss_MB']:>8.1f} MB{e['median_cpu_s']:>6.2f} s   {runs}")

    folder, zipped = r["import_folder"], r["import_zip"]
    lines.append(row("sha256sum", r["sha256sum"], "1.00"))
    lines.append(row("import, folder package", folder, f"{folder['ratio']:.2f}"))
    lines.append(row("import, zip (video stored)", zipped, f"{zipped['ratio']:.2f}"))
    lines.append(row("(fixed cost: 64 KiB import)", r["fixed_cost"], ""))
    lines.append(row("(fixed cost: list)", r["list"], ""))
    lines.append("  CPU = user + system time of the process. CPU-time ratios: folder "
                 f"{folder['cpu_ratio']:.2f}, zip {zipped['cpu_ratio']:.2f}.")
    lines.append(f"  Load average (1 min) before / after: {m['loadavg_before']:.2f} / "
                 f"{m['loadavg_after']:.2f}; other work on the machine makes the times noisy.")
    lines.append(f"  Peak RSS is measured under a wrapper; its floor (what 'true' shows) is "
                 f"{r['floor_rss_bytes'] / MB:.1f} MB.")
    lines += ["", f"  floors: import time / sha256sum time <= {MAX_RATIO}, "
                  f"peak RSS < {MAX_PEAK_RSS_MB:.0f} MB, fixed cost < {MAX_FIXED_S} s"]
    for label, e in (("folder", folder), ("zip", zipped)):
        ratio_ok = "PASS" if e["ratio_pass"] else "FAIL"
        rss_ok = "PASS" if e["peak_rss_pass"] else "FAIL"
        lines.append(f"    {label:7} ratio {e['ratio']:.2f}  {ratio_ok}"
                     f"    peak {e['peak_rss_MB']:.1f} MB  {rss_ok}")
    for label, e in (("import", r["fixed_cost"]), ("list", r["list"])):
        lines.append(f"    {label:7} fixed cost {e['median_s']:.2f} s (CPU {e['median_cpu_s']:.2f} s)"
                     f"  {'PASS' if e['fixed_pass'] else 'FAIL'}")
    lines += ["", f"  RESULT: {'PASS' if r['passed'] else 'FAIL'}", ""]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Time importing a package with one large video against sha256sum of the "
                    "same file, and measure the import's peak memory.")
    p.add_argument("--size-mb", type=int, default=1024, metavar="N",
                   help="size of the video evidence in MiB (default: 1024, i.e. 1 GiB)")
    p.add_argument("--repeat", type=int, default=3, metavar="N",
                   help="runs of each measurement; the median counts (default: 3)")
    p.add_argument("--workdir", type=Path, metavar="DIR",
                   help="make the work folder inside DIR (default: the system temp folder, "
                        "usually /tmp); it needs about 3 x the size free")
    p.add_argument("--keep", action="store_true",
                   help="keep the work folder (the packages) instead of deleting it")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    args = p.parse_args(argv)
    if args.size_mb < 1:
        p.error("--size-mb must be at least 1")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    # Our own folder inside --workdir: cleaning up never touches anything we did not make.
    work = Path(tempfile.mkdtemp(prefix="reviewer-bench-", dir=args.workdir))
    try:
        results = bench(work, args.size_mb * MIB, args.repeat, log)
    except CannotMeasure as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_MEASURE
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            log(f"kept the work folder {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(report(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
        log(f"wrote {args.json}")
    return EXIT_OK if results["passed"] else EXIT_FLOOR_MISSED


if __name__ == "__main__":
    sys.exit(main())
