#!/usr/bin/env bash
# rtlab's one entry point on a fresh Debian machine:
#   ./dev.sh run [ARGS...]   install what is missing, build, start rtlab-server (ARGS go to it)
#   ./dev.sh test            install what is missing, build, run every test
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${RTLAB_BUILD_DIR:-build}
# Debian packages the build and the tests need (Qt 6.4 from bookworm).
PACKAGES=(cmake ninja-build g++ pkg-config qt6-base-dev qt6-websockets-dev libhttp-parser-dev)

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "dev.sh: installing ${missing[*]}" >&2
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
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
    exec "$BUILD_DIR/bin/rtlab-server" "$@"
    ;;
test)
    install_missing
    build
    export QT_QPA_PLATFORM=offscreen
    ctest --test-dir "$BUILD_DIR" --output-on-failure --parallel "$(nproc)"
    ;;
*)
    echo "usage: $0 run [rtlab-server arguments] | $0 test" >&2
    exit 2
    ;;
esac
