#!/usr/bin/env bash
# The app's icon in every size a Linux desktop asks for, made from the one source.
#   bash packaging/make_icons.sh SOURCE.svg HICOLOR_DIR NAME
# writes HICOLOR_DIR/{16x16,...,512x512}/apps/NAME.png and HICOLOR_DIR/scalable/apps/NAME.svg
# (rsvg-convert: Debian/Ubuntu package librsvg2-bin).
set -euo pipefail
src=$1 out=$2 name=$3
command -v rsvg-convert >/dev/null || { echo "make_icons: rsvg-convert is missing (apt-get install librsvg2-bin)" >&2; exit 1; }
for size in 16 22 24 32 48 64 128 256 512; do
  dir="$out/${size}x${size}/apps"
  mkdir -p "$dir"
  rsvg-convert --width "$size" --height "$size" --keep-aspect-ratio "$src" -o "$dir/$name.png"
done
mkdir -p "$out/scalable/apps"
cp "$src" "$out/scalable/apps/$name.svg"
