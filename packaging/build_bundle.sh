#!/usr/bin/env bash
# Builds the Linux desktop bundle (`make bundle` runs it):
#   dist/reviewer-app/                                 the one-folder bundle, with share/ (menu
#                                                      entry, icons, AppStream) and install.sh
#   dist/reviewer-app-VERSION-linux-ARCH.tar.gz        the same, to download; installed with
#     tar -xzf reviewer-app-VERSION-linux-ARCH.tar.gz && ./reviewer-app-VERSION/install.sh
# Usage: bash packaging/build_bundle.sh [PYTHON]   (a Python with the 'package' extra)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-.venv/bin/python}
started=$(date +%s)

read -r name version < <("$python" -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print(p["name"], p["version"])')
metainfo=$(ls packaging/linux/*.metainfo.xml)
desktop=packaging/linux/$name.desktop

# The menu entry and the AppStream data are checked before anything is built.
if ! grep -q "<release version=\"$version\"" "$metainfo"; then
  echo "bundle: $metainfo has no <release version=\"$version\">; add one for this version" >&2
  exit 1
fi
desktop-file-validate "$desktop"
appstreamcli validate --no-net "$metainfo"

# The app, Python, Qt, libvlc and its plugins (packaging/reviewer-app.spec).
"$python" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/reviewer-app.spec

# Desktop integration, inside the bundle folder so that the archive carries it.
bundle=dist/$name
bash packaging/make_icons.sh resources/icons/reviewer.svg "$bundle/share/icons/hicolor" "$name"
install -D -m 644 "$desktop" "$bundle/share/applications/$name.desktop"
install -D -m 644 "$metainfo" "$bundle/share/metainfo/$(basename "$metainfo")"
install -m 755 packaging/linux/install.sh "$bundle/install.sh"

archive=dist/$name-$version-linux-$(uname -m).tar.gz
rm -f dist/"$name"-*-linux-*.tar.gz
gzip_cmd=gzip
command -v pigz >/dev/null && gzip_cmd=pigz
tar -C dist --sort=name --owner=0 --group=0 --numeric-owner \
  --transform "s,^$name\(/\|\$\),$name-$version\1," -cf - "$name" | $gzip_cmd -6 > "$archive"

echo "bundle: $bundle ($(du -sh "$bundle" | cut -f1)), $archive ($(du -h "$archive" | cut -f1)), built in $(( $(date +%s) - started )) s"
