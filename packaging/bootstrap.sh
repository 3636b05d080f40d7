#!/usr/bin/env bash
# Installs (as root) or names (otherwise) the Debian/Ubuntu packages Reviewer needs.
#   bash packaging/bootstrap.sh run    what the app needs: Python venv, libvlc, Qt's libraries
#   bash packaging/bootstrap.sh test   that, plus what the test suite uses (Xvfb and openbox for real
#                                      windows, ffmpeg)
#   bash packaging/bootstrap.sh package  that, plus what `make bundle` uses (icons, checks of the
#                                      menu entry and AppStream data, binutils for PyInstaller)
set -euo pipefail
profile="${1:-run}"

run_pkgs=(
  python3 python3-venv python3-pip
  # video and audio playback (python-vlc loads libvlc at run time)
  libvlc5 vlc-plugin-base vlc-plugin-video-output
  # what the Qt 6 wheels expect from the system (xcb platform plugin, fonts, GL)
  libegl1 libgl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 fonts-dejavu-core
)
test_pkgs=(ffmpeg xvfb openbox gnome-keyring dbus openssl)
package_pkgs=(librsvg2-bin desktop-file-utils appstream binutils pigz)

pkgs=("${run_pkgs[@]}")
[ "$profile" = "test" ] && pkgs+=("${test_pkgs[@]}")
[ "$profile" = "package" ] && pkgs+=("${package_pkgs[@]}")

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "bootstrap: not a Debian/Ubuntu system; install libvlc and Qt 6's system libraries yourself." >&2
  exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done
# A Python that is not Debian's (pyenv, a container image) brings its own venv.
if [ ${#missing[@]} -gt 0 ] && python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  keep=()
  for p in "${missing[@]}"; do
    case "$p" in python3|python3-venv|python3-pip) ;; *) keep+=("$p") ;; esac
  done
  missing=("${keep[@]+"${keep[@]}"}")
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Reviewer needs these system packages. Install them, then run the same command again:" >&2
  echo "" >&2
  echo "    sudo apt-get update && sudo $line" >&2
  echo "" >&2
  exit 1
fi
