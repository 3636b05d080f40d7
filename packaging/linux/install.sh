#!/bin/sh
# Installs Reviewer for you (no root needed), from the unpacked archive:
#
#   tar -xzf reviewer-app-VERSION-linux-x86_64.tar.gz && ./reviewer-app-VERSION/install.sh
#
# It copies the app to ~/.local/opt/reviewer-app, puts `reviewer-app` in ~/.local/bin and
# Reviewer in your desktop's menu (with its icon). Run it again to update;
# `install.sh --uninstall` removes the app (your reviews, in ~/.local/share/reviewer-app,
# stay). PREFIX=/some/dir changes ~/.local.
set -eu

name=reviewer-app
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
dest=$prefix/opt/$name
apps=$prefix/share/applications
icons=$prefix/share/icons/hicolor
desktop=$apps/$name.desktop

refresh_menus() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" 2>/dev/null || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$dest"
  rm -f "$prefix/bin/$name" "$desktop" "$prefix/share/metainfo/"*.ReviewerApp.metainfo.xml
  find "$icons" -name "$name.png" -delete 2>/dev/null || true
  rm -f "$icons/scalable/apps/$name.svg"
  refresh_menus
  echo "Reviewer is uninstalled. Your reviews are still in ~/.local/share/$name."
  exit 0
fi

[ -x "$here/$name" ] || { echo "install.sh: run it from the unpacked archive (no $here/$name)" >&2; exit 1; }

# The app: copied beside the old one, then swapped in, so a failed copy breaks nothing.
mkdir -p "$prefix/opt" "$prefix/bin" "$apps" "$icons" "$prefix/share/metainfo"
if [ "$here" != "$dest" ]; then
  rm -rf "$dest.new"
  cp -a "$here" "$dest.new"
  rm -rf "$dest"
  mv "$dest.new" "$dest"
fi
ln -sfn "$dest/$name" "$prefix/bin/$name"

# The menu entry starts the app by its full path: ~/.local/bin is not on every desktop's PATH.
sed -e "s|^Exec=.*|Exec=$dest/$name|" -e "s|^TryExec=.*|TryExec=$dest/$name|" \
  "$dest/share/applications/$name.desktop" > "$desktop.tmp"
mv "$desktop.tmp" "$desktop"
cp -R "$dest/share/icons/hicolor/." "$icons/"
cp "$dest/share/metainfo/"*.metainfo.xml "$prefix/share/metainfo/"
refresh_menus

echo "Reviewer $("$dest/$name" --version | cut -d' ' -f2) is installed in $dest."
echo "Start it from your desktop's menu (Reviewer), or run: $prefix/bin/$name"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "($prefix/bin is not on your PATH.)" ;; esac
