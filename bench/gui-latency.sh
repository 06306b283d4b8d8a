#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Is the latency the desktop lanes show the network's, or the GUI thread's? Runs the rtlab window
# (Compare shown, all three lanes subscribed) and rtlab-cli side by side on the same bundled server
# while a publisher sends RATE msg/s and, with --busy, a loop keeps the second core busy; prints
# both sets of percentiles. Everything on loopback, bounded in time; stops only what it started.
#   bench/gui-latency.sh [--busy] [--rate 2000] [--seconds 16] [--tab compare|chat] [--display :71]
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=2000 SECONDS_RUN=16 DISPLAY_NUM=:71 BUSY=0 TAB=compare
while [ $# -gt 0 ]; do
    case "$1" in
    --busy) BUSY=1 ;;
    --rate) RATE=$2; shift ;;
    --seconds) SECONDS_RUN=$2; shift ;;
    --display) DISPLAY_NUM=$2; shift ;;
    --tab) TAB=$2; shift ;;
    *) echo "usage: $0 [--busy] [--rate N] [--seconds S] [--tab compare|chat] [--display :N]" >&2; exit 2 ;;
    esac
    shift
done
[ -d bench/node_modules/ws ] || (cd bench && npm install --no-audit --no-fund --loglevel=error >/dev/null)
out=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
Xvfb "$DISPLAY_NUM" -screen 0 1280x720x24 >/dev/null 2>&1 & pids+=($!)
sleep 1
HOME="$out" DISPLAY="$DISPLAY_NUM" build/bin/rtlab --compare --tab "$TAB" \
    --measure-responsiveness "$SECONDS_RUN" >"$out/gui.out" 2>"$out/gui.err" & gui=$!; pids+=($gui)
for _ in $(seq 100); do grep -q 'listening on' "$out/gui.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$out/gui.out" | head -1)
sleep 2 # the lanes subscribe
cli_seconds=$((SECONDS_RUN - 4))
build/bin/rtlab-cli --url "http://127.0.0.1:$port" --transport ws --duration "$cli_seconds" --stats \
    >"$out/cli.out" 2>/dev/null & cli=$!; pids+=($cli)
if [ "$BUSY" = 1 ]; then
    timeout "$SECONDS_RUN" taskset -c 1 sh -c 'while :; do :; done' & pids+=($!)
fi
node bench/publish-ws.js "$port" $((RATE * (cli_seconds - 2))) "$RATE" >/dev/null
wait "$cli" || true
wait "$gui" || true
echo "gui: $(tail -1 "$out/gui.out")"
echo "cli: $(tail -1 "$out/cli.out" | python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]; w=s["transports"]["ws"] if "transports" in s else s["ws"]; print(json.dumps({"messages": w["messages"], "latencyUs": w["latencyUs"]}))' 2>/dev/null || tail -c 600 "$out/cli.out")"
rm -rf "$out"
