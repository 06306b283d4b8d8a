#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The package check (CTest "package_deb"): cpack builds the .deb from the build directory, and the
# package holds the programs, the icon and the .desktop file where a desktop finds them, depends on
# the shared libraries dpkg-shlibdeps found, and unpacks into a scratch root (never the system) with
# a .desktop file whose Exec and Icon name files of the package.
#   checkpackage.sh BUILD_DIR
# Missing Debian tools skip (exit 77) unless RTLAB_REQUIRE_TOOLS is set (./dev.sh test installs them).
set -euo pipefail
build=$(cd "${1:?usage: checkpackage.sh BUILD_DIR}" && pwd)

for tool in cpack dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null 2>&1 && continue
    if [ -n "${RTLAB_REQUIRE_TOOLS:-}" ]; then
        echo "checkpackage: $tool is required (RTLAB_REQUIRE_TOOLS is set): install dpkg-dev" >&2
        exit 1
    fi
    echo "checkpackage: $tool not found: skipped (set RTLAB_REQUIRE_TOOLS=1 to make this a failure)" >&2
    exit 77
done

work=$(mktemp -d "${TMPDIR:-/tmp}/rtlab-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A directory of its own for cpack's output: the .deb found below is the one this run built.
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || {
    cat "$work/cpack.log" >&2
    echo "checkpackage: cpack failed" >&2
    exit 1
}
debs=("$work"/out/rtlab_*.deb)
[ -f "${debs[0]}" ] || { echo "checkpackage: cpack wrote no rtlab_*.deb" >&2; exit 1; }
deb=${debs[0]}
echo "checkpackage: built $(basename "$deb")"

failed=0
fail() { echo "checkpackage: $*" >&2; failed=1; }

[ "$(dpkg-deb -f "$deb" Package)" = rtlab ] || fail "the package is not named rtlab"
depends=$(dpkg-deb -f "$deb" Depends)
echo "checkpackage: Depends: $depends"
for lib in libqt6core6 libqt6network6 libqt6websockets6 libqt6widgets6 libqrencode4 qt6-qpa-plugins; do
    grep -Eq "(^|, )$lib( |,|$)" <<<"$depends" || fail "Depends does not name $lib"
done

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in usr/bin/rtlab usr/bin/rtlab-server usr/bin/rtlab-cli usr/bin/rtlab-bench \
         usr/share/icons/hicolor/256x256/apps/rtlab.png usr/share/applications/rtlab.desktop \
         usr/share/doc/rtlab/copyright; do
    grep -qx "\./$f" <<<"$contents" || fail "the package does not hold /$f"
done

root=$work/root
dpkg-deb -x "$deb" "$root"
desktop=$root/usr/share/applications/rtlab.desktop
if [ -f "$desktop" ]; then
    exec_name=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")
    icon_name=$(sed -n 's/^Icon=//p' "$desktop")
    [ -x "$root/usr/bin/$exec_name" ] || fail "the .desktop file's Exec ($exec_name) is not a program in /usr/bin"
    [ -f "$root/usr/share/icons/hicolor/256x256/apps/$icon_name.png" ] \
        || fail "the .desktop file's Icon ($icon_name) is not an icon of the package"
fi
# The unpacked programs run (with the system's Qt) from where the package puts them.
for prog in rtlab-server rtlab-cli; do
    "$root/usr/bin/$prog" --help >/dev/null 2>&1 || fail "$prog --help fails when unpacked from the package"
done

[ "$failed" -eq 0 ] && echo "checkpackage: the package holds what it should"
exit "$failed"
