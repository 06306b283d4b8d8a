#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The wire capture's memory bound: a loopback rtlab-server at --tick-rate 1000 and rtlab-cli --har on
# each transport for 40 s, recording every exchange, event and frame into its WireCapture. Prints the
# client's RSS over time (flat once the capture's rings are full) and what the HAR says they dropped.
#   bench/capture-memory.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
build/bin/rtlab-server --host 127.0.0.1 --port 0 --tick-rate 1000 >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$out/server.log" && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$out/server.log" | head -1 | cut -d: -f2)
for t in ws sse lp; do
    build/bin/rtlab-cli --url "http://127.0.0.1:$port" --transport "$t" --only reset --duration 40 \
        --har "$out/$t.har" >/dev/null 2>"$out/$t.err" &
    cli=$!
    line="$t:"
    prev=0
    for s in 5 10 20 30 38; do
        sleep $((s - prev))
        prev=$s
        line="$line ${s} s $(awk '/VmRSS/{print $2}' /proc/$cli/status) kB;"
    done
    wait $cli
    echo "$line"
    python3 - "$out/$t.har" <<'PY'
import json, os, sys
log = json.load(open(sys.argv[1]))["log"]
print(f'  {len(log["entries"])} entries, {os.path.getsize(sys.argv[1])} bytes; {log.get("comment", "nothing dropped")}')
PY
done
