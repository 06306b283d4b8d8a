#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rtlab's one entry point on a fresh Debian machine:
#   ./dev.sh run [ARGS...]   install what is missing, build, start the rtlab desktop client (which
#                            starts its own rtlab-server); ARGS go to rtlab (--help lists them)
#   ./dev.sh test            install what is missing, build, run every test
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${RTLAB_BUILD_DIR:-build}
# Debian packages the build and the tests need (Qt 6.4 from bookworm).
PACKAGES=(cmake ninja-build g++ pkg-config qt6-base-dev qt6-websockets-dev libhttp-parser-dev
          libqrencode-dev fonts-dejavu-core python3-jsonschema)

# What the browser tests (tests/browser) need on top, as "command package": each package is installed
# only if its command is missing, so a newer Node.js that came from elsewhere is left alone.
TEST_COMMANDS=("chromium chromium" "node nodejs" "npm npm")

# The X-ray tab exports its diagrams as SVG (Qt Svg).
PACKAGES+=(qt6-svg-dev)

apt_install() {
    [ $# -eq 0 ] && return 0
    echo "dev.sh: installing $*" >&2
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >&2
}

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    apt_install "${missing[@]}"
}

install_test_tools() {
    local missing=() command package
    for pair in "${TEST_COMMANDS[@]}"; do
        read -r command package <<<"$pair"
        command -v "$command" >/dev/null 2>&1 || missing+=("$package")
    done
    apt_install "${missing[@]}"
    # npm ci only when node_modules is missing or the lock file changed since the last one.
    local dir=tests/browser
    local stamp=$dir/node_modules/.rtlab-package-lock.sha256
    local sum
    sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && return 0
    echo "dev.sh: npm ci in $dir" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$sum" >"$stamp"
}

build() {
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$BUILD_DIR" --parallel "$(nproc)"
}

case "${1:-}" in
run)
    shift
    install_missing
    build
    exec "$BUILD_DIR/bin/rtlab" "$@"
    ;;
test)
    install_missing
    install_test_tools
    build
    export QT_QPA_PLATFORM=offscreen
    # Installed above: a test that needs a tool fails instead of skipping when it is missing.
    export RTLAB_REQUIRE_TOOLS=1
    ctest --test-dir "$BUILD_DIR" --output-on-failure --parallel "$(nproc)"
    ;;
*)
    echo "usage: $0 run [rtlab arguments] | $0 test" >&2
    exit 2
    ;;
esac
