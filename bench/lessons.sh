#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every lesson headless (rtlab --lesson ID --export) and prints a Markdown table of what each
# measured and whether its claim held on this machine. Each lesson starts its own bundled server on
# a loopback port from the OS; the whole run takes about five minutes.
#   bench/lessons.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
echo "| lesson | holds | measured |"
echo "|---|---|---|"
for id in $(build/bin/rtlab --list-lessons); do
    if build/bin/rtlab --lesson "$id" --export "$out/$id.json" >"$out/$id.log" 2>&1; then
        python3 - "$out/$id.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["claims"][0]
holds = {True: "✓", False: "✗", None: "–"}[c["holds"]]
print(f'| `{d["lesson"]}` | {holds} | {c["summary"]} |')
PY
    else
        echo "| \`$id\` | could not run | see $out/$id.log |"
    fi
done
echo
echo "exports: $out" >&2
