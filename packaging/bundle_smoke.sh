#!/usr/bin/env bash
# Smoke test of the built bundle (`make bundle-smoke`, after `make bundle`).
#
# It installs the archive the way the README says (into a throwaway home) and runs the
# installed app, never the source tree, with QT_QPA_PLATFORM=offscreen and a clean
# environment (empty LD_LIBRARY_PATH). As root it runs inside `unshare --mount` with the
# system's VLC hidden (a tmpfs over its plugin folders, /dev/null over every libvlc and
# libvlccore the dynamic linker knows), and with this source tree and the Python that built
# the bundle hidden too; without unshare it says so and relies on the clean environment.
#
# Checks: --version, --diagnose (the libvlc and plugins in use live inside the bundle, even
# when the environment points at the system's VLC), demo, list, and `open DEMO-1001` with
# the probe (packaging/bundle_probe.py): a real decoded frame of the demo video, not black,
# playback advancing, the lesson plan's page rendered, and no libvlc file from outside the
# bundle in the process. Pictures and the probe's report land in dist/smoke/.
#
# Usage: bash packaging/bundle_smoke.sh [BUILD_PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$(date +%s)
build_python=${1:-.venv/bin/python}

name=$(sed -n 's/^name = "\(.*\)"$/\1/p' pyproject.toml | head -n 1)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -n 1)
archive=dist/$name-$version-linux-$(uname -m).tar.gz
[ -f "$archive" ] || { echo "bundle-smoke: no $archive; run 'make bundle' first" >&2; exit 1; }

work=$(mktemp -d /tmp/reviewer-bundle-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "bundle-smoke: FAILED: $*" >&2; exit 1; }
step() { echo "bundle-smoke: $*"; }

# -- the one-line install, into a throwaway home ---------------------------------------------
tar -xzf "$archive" -C "$work"
env -i HOME="$work/home" PATH=/usr/bin:/bin sh "$work/$name-$version/install.sh" > "$work/install.log" \
  || { cat "$work/install.log"; fail "install.sh"; }
app=$work/home/.local/opt/$name/$name
root=$work/home/.local/opt/$name/_internal
[ -x "$app" ] || fail "install.sh did not install $app"
entry=$work/home/.local/share/applications/$name.desktop
desktop-file-validate "$entry" || fail "the installed menu entry is not valid"
grep -qx "Exec=$app" "$entry" || fail "the menu entry does not start $app"
[ -f "$work/home/.local/share/icons/hicolor/48x48/apps/$name.png" ] || fail "no 48x48 icon installed"
[ -L "$work/home/.local/bin/$name" ] || fail "no $name in ~/.local/bin"
step "installed with install.sh into a throwaway home"

# The app's environment: nothing from this shell (no PYTHONPATH, no VLC paths, no venv).
clean_env=(env -i HOME="$work/home" PATH=/usr/bin:/bin LD_LIBRARY_PATH= LANG=C.UTF-8
           QT_QPA_PLATFORM=offscreen REVIEWER_APP_NO_AUDIO=1 REVIEWER_APP_DATA="$work/data")

# -- even when the environment points at the system's VLC, the bundled one is used -----------
system_libvlc=$(ldconfig -p 2>/dev/null | awk '/libvlc\.so/ && !seen {print $NF; seen = 1}' || true)
if [ -n "$system_libvlc" ]; then
  system_plugins=$(dirname "$(readlink -f "$system_libvlc")")/vlc/plugins
  out=$("${clean_env[@]}" PYTHON_VLC_LIB_PATH="$system_libvlc" VLC_PLUGIN_PATH="$system_plugins" \
        PYTHON_VLC_MODULE_PATH="$system_plugins" "$app" --diagnose)
  grep -q "^libvlc: .*($root/libvlc.so.5)$" <<<"$out" || { echo "$out"; fail "with the system's VLC in the environment, the bundle did not use its own libvlc"; }
  step "with PYTHON_VLC_LIB_PATH and VLC_PLUGIN_PATH naming the system's VLC, the bundle still loads its own"
fi

# -- the checks, run where the system's VLC cannot be seen ------------------------------------
checks() {
  set -euo pipefail
  fail() { echo "bundle-smoke: FAILED: $*" >&2; exit 1; }
  if [ "$mode" = unshare ]; then
    hidden=0
    for dir in /usr/lib/*/vlc /usr/lib/vlc /usr/lib64/vlc /usr/local/lib/vlc; do
      [ -d "$dir" ] && mount -t tmpfs -o size=64k,mode=755 tmpfs "$dir" && hidden=$((hidden + 1))
    done
    # libvlc, and the FFmpeg libraries its plugins decode with
    for lib in $(ldconfig -p | awk '/lib(vlc|vlccore|avcodec|avformat|avutil|swscale|swresample|postproc)\.so/ {print $NF}'); do
      real=$(readlink -f "$lib")
      [ -f "$real" ] && [ -s "$real" ] && mount --bind /dev/null "$real" && hidden=$((hidden + 1))
    done
    mount -t tmpfs -o size=64k tmpfs "$repo"    # the source tree (and a .venv inside it)
    [ -n "$python_prefix" ] && [ -d "$python_prefix" ] && mount -t tmpfs -o size=64k tmpfs "$python_prefix"
    echo "bundle-smoke: hidden: $hidden system VLC folders, VLC and FFmpeg libraries; the source tree${python_prefix:+; $python_prefix}"
    if [ -n "$system_libvlc" ] && [ -s "$(readlink -f "$system_libvlc")" ]; then
      fail "the system's libvlc is still readable"
    fi
  fi
  run() { "${clean_env[@]}" "$@"; }

  out=$(run "$app" --version)
  [ "$out" = "$name $version" ] || fail "--version said '$out'"
  echo "bundle-smoke: --version: $out"

  out=$(run "$app" --diagnose)
  echo "$out" | sed 's/^/    /'
  grep -q "^Installed as: *bundle in $root$" <<<"$out" || fail "--diagnose: not running from the bundle"
  grep -q "^libvlc: *3\.[0-9.]* .*($root/libvlc.so.5)$" <<<"$out" || fail "--diagnose: libvlc is not the bundle's"
  grep -q "^VLC plugins: *$root/vlc/plugins$" <<<"$out" || fail "--diagnose: VLC plugins are not the bundle's"
  grep -q "^MuPDF: *[0-9]" <<<"$out" || fail "--diagnose: no MuPDF"
  grep -q "^Qt: *6\." <<<"$out" || fail "--diagnose: no Qt"

  out=$(run "$app" demo)
  grep -q "imported submission DEMO-1001" <<<"$out" || { echo "$out"; fail "demo"; }
  out=$(run "$app" list)
  grep -q "^DEMO-1001 " <<<"$out" && grep -q "^DEMO-2001 " <<<"$out" || { echo "$out"; fail "list"; }
  echo "bundle-smoke: demo and list: $(grep -c '^DEMO-' <<<"$out") submission attempts"
  out=$(run "$app" --diagnose)
  grep -q "^Schema revision: .*(newest)$" <<<"$out" || fail "--diagnose: schema not at the newest revision"

  # The window, on a demo submission, checked from inside by the probe.
  if ! run REVIEWER_APP_PROBE=workspace REVIEWER_APP_PROBE_REPORT="$work/probe/report.json" \
       timeout 180 "$app" open DEMO-1001 > "$work/probe.log" 2>&1; then
    cat "$work/probe.log"
    fail "the window on DEMO-1001 (see dist/smoke/report.json)"
  fi
  grep -q "^PROBE OK" "$work/probe.log" || { cat "$work/probe.log"; fail "the probe did not report"; }
  echo "bundle-smoke: window: $(grep -o '"workspace_title": "[^"]*"' "$work/probe/report.json")"
}

python_prefix=""
if [ -x "$build_python" ]; then
  python_prefix=$("$build_python" -c 'import sys; print(sys.base_prefix)' 2>/dev/null || true)
  case "$python_prefix" in /usr|/usr/local|/) python_prefix="" ;; esac  # never hide the system
fi
mode=env
if [ "$(id -u)" -eq 0 ] && unshare --mount --propagation private true 2>/dev/null; then
  mode=unshare
else
  echo "bundle-smoke: cannot use 'unshare --mount' here: the system's VLC is hidden by the clean environment only"
fi
export work app root name version repo mode python_prefix system_libvlc
status=0
if [ "$mode" = unshare ]; then
  unshare --mount --propagation private bash -c "$(declare -p clean_env); $(declare -f checks); checks" || status=$?
else
  bash -c "$(declare -p clean_env); $(declare -f checks); checks" || status=$?
fi

rm -rf dist/smoke
mkdir -p dist/smoke
cp "$work"/probe/* dist/smoke/ 2>/dev/null || true
cp "$work/probe.log" dist/smoke/ 2>/dev/null || true
[ "$status" -eq 0 ] || exit "$status"
python3 - "$work/probe/report.json" <<'EOF' || true
import json, sys
r = json.load(open(sys.argv[1]))
t0 = r["python_ready_at"]
print(f"bundle-smoke: probe: workspace after {r['workspace_at'] - t0:.1f} s, first frame "
      f"{r['first_frame']['bar_name']} bar (brightness {r['first_frame']['brightness']}), "
      f"played to {r['played_to_ms']} ms, PDF page after {r['pdf_page_at'] - t0:.1f} s, "
      f"{len(r['vlc_files'])} libvlc files and plugins loaded, all inside the bundle")
names = sorted({p.rsplit("/", 1)[-1].split(".so")[0] for p in r.get("system_libraries", [])})
print(f"bundle-smoke: from the system (by design): {', '.join(names)}")
EOF
echo "bundle-smoke: OK ($mode) in $(( $(date +%s) - started )) s"
