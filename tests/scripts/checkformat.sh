#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The format check (CTest "clang-format", label unit): every C++ file of the source tree is formatted
# as the repo's .clang-format says, and every source file names its licence in an SPDX line near its
# top. In a git checkout the files are the tracked ones (a scratch file of one's own is not checked);
# from a tarball, a glob over the tree that leaves out build directories and node_modules.
#   checkformat.sh SOURCE_DIR
# A missing clang-format skips (exit 77) unless RTLAB_REQUIRE_TOOLS is set, as the other tool-bound
# tests do: ./dev.sh test installs it and sets RTLAB_REQUIRE_TOOLS.
set -euo pipefail
src=${1:?usage: checkformat.sh SOURCE_DIR}
cd "$src"
clang_format=${CLANG_FORMAT:-clang-format}

list_files() { # patterns...
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z -- "$@"
    else
        local names=()
        for p in "$@"; do names+=(-o -name "$p"); done
        find . \( -name node_modules -o -name .git -o -path './build*' \) -prune \
            -o -type f \( "${names[@]:1}" \) -print0
    fi
}

failed=0

if ! command -v "$clang_format" >/dev/null 2>&1; then
    if [ -n "${RTLAB_REQUIRE_TOOLS:-}" ]; then
        echo "checkformat: $clang_format is required (RTLAB_REQUIRE_TOOLS is set): install clang-format" >&2
        exit 1
    fi
    echo "checkformat: $clang_format not found: skipped (set RTLAB_REQUIRE_TOOLS=1 to make this a failure)" >&2
    exit 77
fi
# --Werror makes each slip a diagnostic with its file and line; xargs returns non-zero if any run failed.
if ! list_files '*.cpp' '*.h' | xargs -0 -r "$clang_format" --dry-run --Werror; then
    echo "checkformat: files above are not formatted: run clang-format -i on them" >&2
    failed=1
fi

# Source files: C++, CMake, scripts (by extension, or by a #! line for the ones without), web sources.
while IFS= read -r -d '' f; do
    case "$f" in
    *.cpp | *.h | *CMakeLists.txt | *.cmake | *.sh | *.py | *.js | *.mjs | *.css) ;;
    *) head -c 2 "$f" | grep -q '^#!' || continue ;;
    esac
    if ! head -n 5 "$f" | grep -q 'SPDX-License-Identifier:'; then
        echo "checkformat: $f: no SPDX-License-Identifier line in its first 5 lines" >&2
        failed=1
    fi
done < <(list_files '*')

[ "$failed" -eq 0 ] && echo "checkformat: all files formatted, every source file has an SPDX line"
exit "$failed"
