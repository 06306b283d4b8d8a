#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rtlab's one entry point on a fresh Debian machine:
#   ./dev.sh run [ARGS...]   install what is missing, build, start the rtlab desktop client (which
#                            starts its own rtlab-server); ARGS go to rtlab (--help lists them)
#   ./dev.sh test            install what is missing, build with warnings as errors, run every test
#                            (the format check and the .deb included), then build the unit and
#                            integration tests with ASan+UBSan in build-asan and run them there, then
#                            build the parsers' fuzz targets with clang in build-fuzz and run each 60 s
#   ./dev.sh fuzz            that last stage alone (RTLAB_FUZZ_SECONDS=N for another duration)
set -euo pipefail
cd "$(dirname "$0")"

BUILD_DIR=${RTLAB_BUILD_DIR:-build}
SANITIZE_BUILD_DIR=${RTLAB_SANITIZE_BUILD_DIR:-build-asan}
FUZZ_BUILD_DIR=${RTLAB_FUZZ_BUILD_DIR:-build-fuzz}
FUZZ_SECONDS=${RTLAB_FUZZ_SECONDS:-60}
# Debian packages the build and the tests need (Qt 6.4 from bookworm).
PACKAGES=(cmake ninja-build g++ pkg-config qt6-base-dev qt6-websockets-dev libhttp-parser-dev
          libqrencode-dev fonts-dejavu-core python3-jsonschema python3-prometheus-client)

# What the browser tests (tests/browser) need on top, as "command package": each package is installed
# only if its command is missing, so a newer Node.js that came from elsewhere is left alone.
TEST_COMMANDS=("chromium chromium" "node nodejs" "npm npm")

# The X-ray tab exports its diagrams as SVG (Qt Svg).
PACKAGES+=(qt6-svg-dev)
# The durable log store (--store sqlite:PATH).
PACKAGES+=(libsqlite3-dev)
# The shared log of a cluster (--store redis://…): hiredis, and the redis-server that the tests and
# the "Scale out" lesson start themselves on a free loopback port (the system service is not used).
PACKAGES+=(libhiredis-dev redis-server redis-tools)
# The test command checks the format (clang-format) and builds the .deb (cpack's DEB generator
# calls dpkg-shlibdeps, from dpkg-dev, for the package's Depends).
PACKAGES+=(clang-format dpkg-dev)
# tests/tst_reverseproxy starts a real nginx from docs/deploy/nginx.conf, TLS with a certificate
# openssl makes (it skips without them). The test runs its own nginx as this user on a free
# loopback port; the system service Debian starts with the package is not used.
PACKAGES+=(nginx openssl)
# The fuzz targets (fuzz/) need clang and its libFuzzer runtime.
PACKAGES+=(clang libclang-rt-14-dev)

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

# configure DIR [CMAKE ARGS...]: ccache when it is there (a second build directory, or a switch of
# RTLAB_WERROR, then mostly hits the cache).
configure() {
    local dir=$1
    shift
    local launcher=()
    if command -v ccache >/dev/null 2>&1; then
        launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
        # Paths relative to the checkout's parent, so that every checkout (a worktree, a CI
        # directory) shares the cache instead of missing on its absolute paths.
        export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$PWD")} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
    fi
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" "$@" >/dev/null
}

# The unit and integration tests once more, built with ASan and UBSan (-O1: fast enough to run,
# stacks still readable). Only what those tests run is built (target rtlab_check_targets): not the
# widgets. A report fails its test: UBSan is fatal by its compile flags, ASan halts on the first
# error, LeakSanitizer runs at exit with the suppressions for Qt's own one-off allocations.
# Left out: clang-format (not compiled code).
sanitizer_tests() {
    configure "$SANITIZE_BUILD_DIR" -DRTLAB_WERROR=ON "-DRTLAB_SANITIZE=address;undefined" \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g -DNDEBUG"
    cmake --build "$SANITIZE_BUILD_DIR" --parallel "$(nproc)" --target rtlab_check_targets
    export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:check_initialization_order=1
    export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    local log=$SANITIZE_BUILD_DIR/sanitizer-ctest.log
    ctest --test-dir "$SANITIZE_BUILD_DIR" --output-on-failure --parallel "$(nproc)" \
        -L 'unit|integration' -E '^clang-format$' 2>&1 | tee "$log" && return 0
    # A sanitizer report fails the run, always. A test that failed without one failed on this
    # machine's load under the sanitizers' slowdown (a real timer, such as Auto's 3 s health check,
    # does not stretch with the tests' waits): it runs once more, alone, and must pass then.
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log"; then
        return 1
    fi
    echo "dev.sh: no sanitizer report; running the failed tests once more" >&2
    ctest --test-dir "$SANITIZE_BUILD_DIR" --output-on-failure --rerun-failed
}

# One fuzz target for FUZZ_SECONDS from its seed corpus (fuzz/corpus/NAME, read only: what it finds
# goes to FUZZ_BUILD_DIR/fuzz-run/NAME/corpus). A crash, a sanitizer report or a difference between
# feedings fails it, and the path of the input that did it is printed with the command that replays it.
run_fuzzer() {
    local name=$1
    local dir=$FUZZ_BUILD_DIR/fuzz-run/$name
    local target=$FUZZ_BUILD_DIR/fuzz/fuzz_$name
    rm -rf "$dir"
    mkdir -p "$dir/corpus"
    # -max_len: the parsers' rules are all within a few KiB; -timeout per input; -rss_limit_mb so
    # that two targets at once (one per core) stay within the machine.
    if "$target" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" "fuzz/corpus/$name" >"$dir/log" 2>&1; then
        echo "dev.sh: fuzz_$name: $(grep -m1 '^Done' "$dir/log" || echo done)" >&2
        return 0
    fi
    echo "dev.sh: fuzz_$name FAILED; the end of $dir/log:" >&2
    tail -n 40 "$dir/log" >&2
    local unit
    for unit in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*; do
        [ -e "$unit" ] && echo "dev.sh: reproducer: $unit (replay: $target $unit)" >&2
    done
    return 1
}

# The parsers' libFuzzer targets with ASan+UBSan (clang, FUZZ_BUILD_DIR: only the targets and the
# parsers they link are built), each for FUZZ_SECONDS, as many at once as there are cores.
fuzz_tests() {
    configure "$FUZZ_BUILD_DIR" -DCMAKE_CXX_COMPILER=clang++ -DRTLAB_FUZZ=ON -DRTLAB_WERROR=ON
    cmake --build "$FUZZ_BUILD_DIR" --parallel "$(nproc)" --target rtlab_fuzz_targets
    local running=0 failed=0 name
    for name in httprequest httpresponse sse messagecodec wsframe; do
        if [ "$running" -ge "$(nproc)" ]; then
            wait -n || failed=1
            running=$((running - 1))
        fi
        run_fuzzer "$name" &
        running=$((running + 1))
    done
    while [ "$running" -gt 0 ]; do
        wait -n || failed=1
        running=$((running - 1))
    done
    return "$failed"
}

case "${1:-}" in
run)
    shift
    install_missing
    # Warnings do not stop a user's build (the same directory may have been built by the test command).
    configure "$BUILD_DIR" -DRTLAB_WERROR=OFF
    cmake --build "$BUILD_DIR" --parallel "$(nproc)"
    exec "$BUILD_DIR/bin/rtlab" "$@"
    ;;
test)
    install_missing
    install_test_tools
    # CI's build: a new warning fails it.
    configure "$BUILD_DIR" -DRTLAB_WERROR=ON
    cmake --build "$BUILD_DIR" --parallel "$(nproc)"
    export QT_QPA_PLATFORM=offscreen
    # Installed above: a test that needs a tool fails instead of skipping when it is missing.
    export RTLAB_REQUIRE_TOOLS=1
    ctest --test-dir "$BUILD_DIR" --output-on-failure --parallel "$(nproc)"
    sanitizer_tests
    fuzz_tests
    ;;
fuzz)
    install_missing
    fuzz_tests
    ;;
*)
    echo "usage: $0 run [rtlab arguments] | $0 test | $0 fuzz" >&2
    exit 2
    ;;
esac
