#!/bin/bash
# SPDX-License-Identifier: MIT
# The side-by-side comparison of issue 7: rtlab-server, nginx+nchan (1 worker) and Node ws, the
# same rtlab-bench client against each. Every server is started fresh for every run, pinned to
# CPU 0; the bench is pinned to CPU 1. Loopback only. Results: bench/results/<stamp>/*.json, and
# summary.md there (medians and ranges over the runs).
#
#   bench/run.sh [--runs N] [--servers rtlab,nchan,node[,rtlab-qt]] [--scenarios S1,S2,S3,S4,S5,S6] [--n N]
#                [--n-small N] [--build DIR] [--no-build] [--prev-server PATH]
#                [--stores memory,normal,full] [--duration S] [--server-cpus LIST]
#
# rtlab is rtlab-server on its epoll core; rtlab-qt is the same server on the portable Qt core;
# rtlab-prev is another rtlab-server binary (--prev-server: e.g. the previous commit's, built the
# same way) on its epoll core, measured by the same bench in the same session — how a change to
# the server is checked for a regression.
#
# Scenarios (N = --n, 10,000 by default; the fd limit is 20,000 per process and cannot be raised,
# so no run holds more than 19,000 connections, and the bench and the server are separate processes):
#   S1  broadcast 1 → N, WebSocket and SSE, 64 B and 1 KiB payloads, 10 messages at 2/s
#   S2  1:1 — one WebSocket subscriber, 300 messages at 100/s, with N idle keep-alive connections
#   S3  19,000 connections (WS/SSE/long poll dealt round robin): connect rate, memory, idle cost
#   S4  ramp, rate ×1.5 every 2 s: --n-small (2,000) WebSocket subscribers until p99 > 100 ms, and
#       N subscribers until p99 > 1 s
#   S5  long poll: 5,000 held polls woken by 10 publishes; and immediate one-message answers (wrk)
#   S6  slow readers: N WebSocket subscribers, 10 % stop reading (4 KiB receive window), 16,000 B at
#       4/s for 15 s; the same run with nobody slow as its baseline. Storm: N SSE subscribers,
#       2 messages/s; 4 s in, all drop and reconnect at once with Last-Event-ID
#
# The durable log (issue 15; rtlab servers only, never in the default list): every figure once per
# --stores entry in the same run, one after the other, so the machine's load weighs on each alike.
# memory: --store memory; normal, full: --store sqlite:<a fresh directory under /var/tmp (the disk,
# not a tmpfs)>/log.db --store-sync normal|full, the directory deleted after the run. /metrics is read
# before and after each run: the store's commit batch size and commit time histograms.
#   S7  acknowledged publishes/s: 1 and 16 WebSocket publishers, each with at most 64 messages
#       unacknowledged (acknowledged = the message back on its socket), publishing as fast as the
#       acknowledgements allow for --duration (5 s), 10 WebSocket subscribers; and 16 HTTP
#       publishers (one POST in flight each, acknowledged by its 202)
#   S8  publish → delivery at 1,000 publishes/s to 1,000 subscribers, WebSocket and SSE, for
#       --duration, from one WebSocket publisher whose window (1,000: a second's worth) never
#       holds the rate back, so a server that falls behind shows as latency, not as a lower rate
#
# A cluster on Redis (issue 16; never in the default list): one redis-server on a free loopback port
# and rtlab-server nodes on one log (--store redis://…), all on --server-cpus with Redis, the bench on
# CPU 1; every process stopped by its PID after each run. --cluster-nodes (3) nodes, named A, B, C, …
#   C1  publish → delivery across nodes: one WebSocket publisher on node A, 1,000 WebSocket subscribers
#       on each node, at 100 and 1,000 publishes/s for --duration; node B's and C's deliveries all
#       crossed nodes (the report's per-node latency)
#   C2  acknowledged publishes/s with 10 subscribers, 16 WebSocket publishers (window 64): one node
#       with its log in memory, one node on Redis, and the nodes on Redis (publishers spread over them)
#   C3  deliveries/s: 3 × 5,000 WebSocket subscribers (one per node) against one node with 15,000
#       (memory and Redis), ramp ×1.5 every 2 s until p99 > 1 s
#   C4  the reconnect storm: 10,000 clients (WebSocket, SSE, long poll) over the nodes, 20 publishes/s
#       (4 HTTP publishers),
#       all drop 3 s in and resume on the next node with their (epoch, id): time until every client
#       holds all that was published before, lost, duplicated, Redis commands meanwhile; and the same
#       storm against one node with its log in memory
#   C5  C1 at 1,000/s and C4 against nginx + nchan on the same Redis (nchan_redis_url, one nginx
#       with one worker per node, one channel)
#   C6  --reuse-port: one node against two nodes on one port (the kernel spreads the connections),
#       both on Redis: C3's ramp with 10,000 subscribers (all on --server-cpus: run it again with
#       --server-cpus 0,1 to let the two nodes use both cores, shared with the bench)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
runs=3
servers=rtlab,nchan,node
scenarios=S1,S2,S3,S4,S5,S6
n=10000
nsmall=2000
build=$root/build-bench
dobuild=1
prev_server=
stores=memory,normal,full
duration=5
cluster_nodes=3
server_cpus=0 # taskset's list for rtlab-server: its event loop and its store's writer thread share it
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --n) n=$2; shift 2 ;;
    --n-small) nsmall=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --no-build) dobuild=0; shift ;;
    --prev-server) prev_server=$2; shift 2 ;;
    --stores) stores=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --server-cpus) server_cpus=$2; shift 2 ;;
    --cluster-nodes) cluster_nodes=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[ "$n" -le 19000 ] || { echo "--n must be at most 19000 (fd limit 20,000)" >&2; exit 2; }

if [ $dobuild = 1 ]; then
    cmake -S "$root" -B "$build" -G Ninja >/dev/null
    cmake --build "$build" --target rtlab-server rtlab-bench
fi
[ -d "$here/node_modules/ws" ] || (cd "$here" && npm install --no-audit --no-fund)
command -v wrk >/dev/null || { sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo; $sudo apt-get install -y -q wrk; }
ulimit -n "$(ulimit -Hn)"

bench=$build/bin/rtlab-bench
server_bin=$build/bin/rtlab-server
stamp=$(date +%Y%m%d-%H%M%S)
out=$here/results/$stamp
mkdir -p "$out"
port=$((20000 + RANDOM % 20000))
server_pids=
server_kill=
store=memory # the store the next rtlab server is started with: memory, normal or full

{
    echo "date: $(date -Is)"
    echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null) (working tree may differ)"
    echo "kernel: $(uname -r); cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo)"
    echo "fd limit: $(ulimit -n)"
    echo "nginx: $(nginx -v 2>&1); nchan: $(dpkg-query -W -f='${Version}' libnginx-mod-nchan 2>/dev/null)"
    echo "node: $(node --version); ws: $(node -p "require('$here/node_modules/ws/package.json').version")"
    echo "qt: $(dpkg-query -W -f='${Version}' qt6-base-dev 2>/dev/null)"
    echo "loadavg at start: $(cat /proc/loadavg)"
    echo "runs: $runs; N: $n; N small: $nsmall; rtlab-server on CPU $server_cpus, the bench on CPU 1"
    case $scenarios in *C[1-6]*)
        echo "cluster: $cluster_nodes nodes and $(redis-server --version | sed 's/.*v=\([^ ]*\).*/redis-server \1/') on CPU $server_cpus" ;;
    esac
    case $scenarios in *S7* | *S8*)
        echo "stores: $stores; duration: $duration s; SQLite files on: $(df -T /var/tmp | awk 'NR == 2 { print $2 " (" $1 ")" }')"
        echo "sqlite: $(dpkg-query -W -f='${Version}' libsqlite3-0 2>/dev/null)" ;;
    esac
} > "$out/machine.txt"
cat "$out/machine.txt" >&2

stop_server() {
    if [ -n "$server_kill" ]; then
        eval "$server_kill" 2>/dev/null || true
        # Bounded wait for the port to be free.
        for _ in $(seq 50); do
            ss -ltn "sport = :$port" | grep -q LISTEN || break
            sleep 0.1
        done
    fi
    server_kill=
    server_pids=
}
trap stop_server EXIT

wait_port() {
    for _ in $(seq 100); do
        ss -ltn "sport = :$port" | grep -q LISTEN && return 0
        sleep 0.05
    done
    echo "server did not listen on $port" >&2
    return 1
}

# start_server NAME — sets server_pids (comma list for /proc) and the URLs.
start_server() {
    port=$((port + 1))
    base=http://127.0.0.1:$port
    case $1 in
    rtlab | rtlab-qt | rtlab-prev)
        local core=epoll binary=$server_bin
        [ "$1" = rtlab-qt ] && core=qt
        if [ "$1" = rtlab-prev ]; then
            [ -x "$prev_server" ] || { echo "rtlab-prev needs --prev-server PATH" >&2; exit 2; }
            binary=$prev_server
        fi
        local store_args=() dbdir=
        if [ "$store" != memory ]; then
            dbdir=$(mktemp -d /var/tmp/rtlab-store.XXXXXX)
            store_args=(--store "sqlite:$dbdir/log.db" --store-sync "$store")
        fi
        taskset -c "$server_cpus" "$binary" --core $core --port $port --tick-rate 0 "${store_args[@]}" \
            >>"$out/server-$1.log" 2>&1 &
        local pid=$!
        server_pids=$pid
        server_kill="kill $pid; wait $pid"
        [ -z "$dbdir" ] || server_kill="$server_kill; rm -rf $dbdir"
        ws_url=ws://127.0.0.1:$port/ws; sse_url=$base/events; lp_url=$base/poll; pub_url=$base/send
        idle_url=$base/healthz; lp_style=cursor
        ;;
    nchan)
        local prefix
        prefix=$(mktemp -d /tmp/rtlab-nchan.XXXXXX)
        local master
        master=$(taskset -c 0 "$here/peers/start-nchan.sh" $port "$prefix")
        sleep 0.2
        local worker
        worker=$(pgrep -P "$master" | head -1)
        server_pids=$master,$worker
        server_kill="kill -QUIT $master; for _ in \$(seq 50); do kill -0 $master 2>/dev/null || break; sleep 0.1; done; cp $prefix/error.log $out/nchan-error-$port.log; rm -rf $prefix"
        local ch=c$RANDOM$RANDOM
        ws_url=ws://127.0.0.1:$port/sub/$ch; sse_url=$base/sub/$ch; lp_url=$base/sub/$ch; pub_url=$base/pub/$ch
        idle_url=$base/healthz; lp_style=headers
        ;;
    node)
        taskset -c 0 node "$here/peers/ws-server.js" $port >"$out/server-node.log" 2>&1 &
        local pid=$!
        server_pids=$pid
        server_kill="kill $pid; wait $pid"
        ws_url=ws://127.0.0.1:$port/ws; sse_url=$base/events; lp_url=$base/poll; pub_url=$base/pub
        idle_url=$base/healthz; lp_style=cursor
        ;;
    esac
    wait_port
}

# The next loopback port nothing listens on.
next_port() {
    port=$((port + 1))
    while ss -ltn "sport = :$port" | grep -q LISTEN; do port=$((port + 1)); done
}

# start_cluster KIND NODES [reuse] — KIND: rtlab-memory (one node, no Redis), rtlab (nodes on one
# Redis log), nchan (nginx + nchan per node on one Redis). With "reuse", every node listens on one
# port (--reuse-port). Sets cluster_urls (the bench's --url per node), server_pids, redis_port.
start_cluster() {
    local kind=$1 nodes=$2 reuse=${3:-}
    cluster_urls=()
    server_pids=
    server_kill=
    redis_port=
    local tmp
    tmp=$(mktemp -d /tmp/rtlab-cluster.XXXXXX)
    server_kill="rm -rf $tmp"
    if [ "$kind" != rtlab-memory ]; then
        next_port
        redis_port=$port
        taskset -c "$server_cpus" redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
            --dir "$tmp" --daemonize no >"$out/redis-$redis_port.log" 2>&1 &
        local rpid=$!
        server_kill="kill $rpid; wait $rpid; $server_kill"
        for _ in $(seq 100); do
            [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
            sleep 0.05
        done
        server_pids=$rpid
    fi
    local shared_port= i name
    [ -z "$reuse" ] || { next_port; shared_port=$port; }
    channel=c$RANDOM$RANDOM
    for i in $(seq "$nodes"); do
        name=$(echo ABCDEFGHIJKLMNOPQRSTUVWXYZ | cut -c"$i")
        if [ -n "$shared_port" ]; then port=$shared_port; else next_port; fi
        case $kind in
        rtlab-memory)
            taskset -c "$server_cpus" "$server_bin" --port "$port" --tick-rate 0 >>"$out/server-cluster.log" 2>&1 & ;;
        rtlab)
            taskset -c "$server_cpus" "$server_bin" --port "$port" --tick-rate 0 --node "$name" \
                --store "redis://127.0.0.1:$redis_port" --log bench ${shared_port:+--reuse-port} \
                >>"$out/server-cluster.log" 2>&1 & ;;
        nchan)
            local prefix=$tmp/nchan-$name master
            master=$(NCHAN_REDIS_URL="redis://127.0.0.1:$redis_port" taskset -c "$server_cpus" \
                "$here/peers/start-nchan.sh" "$port" "$prefix")
            sleep 0.2
            server_pids=$server_pids,$master,$(pgrep -P "$master" | head -1)
            server_kill="kill -QUIT $master; for _ in \$(seq 50); do kill -0 $master 2>/dev/null || break; sleep 0.1; done; cp $prefix/error.log $out/nchan-error-$port.log; $server_kill"
            cluster_urls+=(--url "http://127.0.0.1:$port")
            wait_port || return 1
            continue ;;
        esac
        local pid=$!
        server_pids=$server_pids${server_pids:+,}$pid
        server_kill="kill $pid; wait $pid; $server_kill"
        wait_port || return 1
        [ -n "$shared_port" ] && [ "$i" -gt 1 ] || cluster_urls+=(--url "http://127.0.0.1:$port")
    done
    server_pids=${server_pids#,}
}

# run_cluster KIND NODES SCENARIO VARIANT RUN [reuse] -- bench arguments (@nodeA@, @nodeB@, … in
# an argument: that node's base URL). The bench gets every node's --url (nchan: and the channel, so
# it uses nchan's paths), and --redis for Redis's commands.
run_cluster() {
    local kind=$1 nodes=$2 scenario=$3 variant=$4 run=$5 reuse=
    shift 5
    [ "$1" = reuse ] && { reuse=1; shift; }
    shift # --
    if ! start_cluster "$kind" "$nodes" $reuse; then
        echo "   ($kind did not start: see $out/server-cluster.log; skipped)" >&2
        stop_server
        return 0
    fi
    local args=() a i
    for a in "$@"; do
        for i in $(seq "$nodes"); do
            a=${a//@node$(echo ABCDEFGHIJKLMNOPQRSTUVWXYZ | cut -c"$i")@/${cluster_urls[$((2 * i - 1))]:-}}
        done
        args+=("$a")
    done
    local extra=()
    [ -z "$redis_port" ] || extra+=(--redis "redis://127.0.0.1:$redis_port")
    [ "$kind" != nchan ] || extra+=(--nchan-channel "$channel")
    local file=$out/$scenario-$variant-$kind-$run.json
    echo "== $scenario $variant $kind ($nodes nodes${reuse:+, one port}) run $run (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    cut -d' ' -f1-3 /proc/loadavg >"${file%.json}.load"
    if ! timeout 600 taskset -c 1 "$bench" "${cluster_urls[@]}" "${extra[@]}" --server-pid "$server_pids" --json \
        --label "$scenario/$variant/$kind" "${args[@]}" >"$file" 2>"${file%.json}.txt"; then
        echo "   (bench exited non-zero; see $file and .txt)" >&2
    fi
    cut -d' ' -f1-3 /proc/loadavg >>"${file%.json}.load"
    grep -v '^nginx: \[warn\]' "${file%.json}.txt" | sed -n '1,22p' >&2
    stop_server
}

# run_bench SERVER SCENARIO VARIANT RUN -- bench arguments
run_bench() {
    local server=$1 scenario=$2 variant=$3 run=$4
    shift 5
    start_server "$server"
    # @base@ in an argument: this server's base URL, known only now (every run has its own port).
    local args=("${@//@base@/$base}")
    set -- "${args[@]}"
    local file=$out/$scenario-$variant-$server-$run.json
    echo "== $scenario $variant $server run $run (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    cut -d' ' -f1-3 /proc/loadavg >"${file%.json}.load"
    if ! timeout 600 taskset -c 1 "$bench" --ws-url "$ws_url" --sse-url "$sse_url" --lp-url "$lp_url" \
        --pub-url "$pub_url" --idle-url "$idle_url" --lp-style "$lp_style" --server-pid "$server_pids" \
        --json --label "$scenario/$variant/$server" "$@" >"$file" 2>"$out/$scenario-$variant-$server-$run.txt"; then
        echo "   (bench exited non-zero; see $file and .txt)" >&2
    fi
    cut -d' ' -f1-3 /proc/loadavg >>"${file%.json}.load"
    sed -n '2,12p' "$out/$scenario-$variant-$server-$run.txt" >&2
    stop_server
}

has() { case ",$scenarios," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

for r in $(seq "$runs"); do
    for s in ${servers//,/ }; do
        if has S1; then
            for t in ws sse; do
                for size in 64 1024; do
                    run_bench $s S1 "$t-$size" $r -- --transport $t --subscribers $n --size $size \
                        --rate 2 --messages 10 --publishers 1 --settle 1
                done
            done
        fi
        if has S2; then
            run_bench $s S2 ws-1to1 $r -- --transport ws --subscribers 1 --idle-conns $n --rate 100 \
                --messages 300 --publishers 1 --settle 1
        fi
        if has S3; then
            run_bench $s S3 mixed-19000 $r -- --idle --transport ws,sse,lp --subscribers 19000 --duration 5 \
                --connect-timeout 120 --settle 1
        fi
        if has S4; then
            # At N = 10,000 one broadcast takes ~100 ms to fan out on every server here, so a 100 ms
            # p99 stops the ramp at its first step for all of them: the 100 ms ramp runs with
            # --n-small subscribers, and N ramps until p99 passes 1 s (where a server falls behind).
            run_bench $s S4 ws-ramp-$nsmall $r -- --transport ws --subscribers $nsmall --ramp --ramp-start 2 \
                --ramp-factor 1.5 --ramp-step 2 --ramp-p99 100 --ramp-max-steps 16 --publishers 4 --settle 1
            run_bench $s S4 ws-ramp-$n $r -- --transport ws --subscribers $n --ramp --ramp-start 1 \
                --ramp-factor 1.5 --ramp-step 2 --ramp-p99 1000 --ramp-max-steps 14 --publishers 4 --settle 1
        fi
        if has S6; then
            for f in 0 0.1; do
                run_bench $s S6 "slow-$f" $r -- --transport ws --subscribers $n --slow-fraction $f --size 16000 \
                    --rate 4 --messages 60 --publishers 1 --settle 1
            done
            run_bench $s S6 storm $r -- --transport sse --subscribers $n --size 64 --rate 2 --messages 20 \
                --storm-at 4 --publishers 1 --settle 1
        fi
        case $s in rtlab | rtlab-qt | rtlab-prev) durable=1 ;; *) durable=0 ;; esac
        # Stores innermost: the figures compared (NORMAL / memory) are taken a few seconds apart.
        if has S7 && [ $durable = 1 ]; then
            for p in ws1 ws16 http16; do
                for st in ${stores//,/ }; do
                    store=$st
                    case $p in
                    ws*) pub=(--pub-transport ws --publishers "${p#ws}" --window 64) ;;
                    http*) pub=(--pub-transport http --publishers "${p#http}") ;;
                    esac
                    run_bench $s S7 "$p-$st" $r -- --saturate "${pub[@]}" --transport ws --subscribers 10 \
                        --duration "$duration" --metrics-url @base@/metrics --settle 1
                done
            done
            store=memory
        fi
        if has S8 && [ $durable = 1 ]; then
            for t in ws sse; do
                for st in ${stores//,/ }; do
                    store=$st
                    run_bench $s S8 "$t-1000-$st" $r -- --transport $t --subscribers 1000 --rate 1000 \
                        --duration "$duration" --pub-transport ws --publishers 1 --window 1000 \
                        --metrics-url @base@/metrics --settle 1
                done
            done
            store=memory
        fi
        if has S5; then
            run_bench $s S5 lp-held-5000 $r -- --transport lp --subscribers 5000 --rate 2 --messages 10 \
                --publishers 1 --settle 1
            # Immediate answers carrying one message: the log holds one message and the poll asks
            # for what follows 0 (nchan: a long poll with an If-Modified-Since in the past).
            start_server "$s"
            curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
                -d '{"type":"chat","from":"bench","text":"one message for the immediate long-poll answers"}' "$pub_url"
            case $s in
            nchan) wrk_args=(-H 'If-Modified-Since: Thu, 01 Jan 1970 00:00:01 GMT' -H 'If-None-Match: 0' "$lp_url") ;;
            *) wrk_args=("$lp_url?after=0") ;;
            esac
            echo "== S5 lp-immediate $s run $r" >&2
            taskset -c 1 wrk -t1 -c50 -d5s "${wrk_args[@]}" >"$out/S5-lp-immediate-$s-$r.wrk" 2>&1 || true
            grep -E 'Requests/sec|Latency|Non-2xx' "$out/S5-lp-immediate-$s-$r.wrk" >&2 || true
            stop_server
        fi
    done
done

# The cluster scenarios: once per run, not per --servers entry (C5 is nchan's).
for r in $(seq "$runs"); do
    k=$cluster_nodes
    if has C1; then
        for rate in 100 1000; do
            pub=(--pub-transport http --publishers 16 --rate $rate --duration "$duration" --settle 1)
            run_cluster rtlab-memory 1 C1 "ws-$rate-1node" $r -- --transport ws --subscribers 1000 "${pub[@]}"
            run_cluster rtlab "$k" C1 "ws-$rate" $r -- --transport ws --subscribers $((1000 * k)) \
                --pub-node @nodeA@ "${pub[@]}"
        done
    fi
    if has C2; then
        sat=(--saturate --pub-transport ws --publishers 16 --window 64 --transport ws --subscribers 10
            --duration "$duration" --settle 1)
        run_cluster rtlab-memory 1 C2 memory-1node $r -- "${sat[@]}"
        run_cluster rtlab 1 C2 redis-1node $r -- "${sat[@]}"
        run_cluster rtlab "$k" C2 "redis-${k}nodes" $r -- "${sat[@]}"
    fi
    ramp=(--transport ws --ramp --ramp-start 1 --ramp-factor 1.5 --ramp-step 2 --ramp-p99 1000 --ramp-max-steps 14
        --publishers 4 --connect-timeout 120 --settle 1)
    if has C3; then
        run_cluster rtlab "$k" C3 "ws-${k}x5000" $r -- --subscribers $((5000 * k)) "${ramp[@]}"
        run_cluster rtlab 1 C3 "ws-1x$((5000 * k))-redis" $r -- --subscribers $((5000 * k)) "${ramp[@]}"
        run_cluster rtlab-memory 1 C3 "ws-1x$((5000 * k))-memory" $r -- --subscribers $((5000 * k)) "${ramp[@]}"
    fi
    storm1=(--subscribers 10000 --rate 20 --messages 120 --storm-at 3 --publishers 4 --connect-timeout 120
        --settle 1 --drain 5)
    storm=("${storm1[@]}" --storm-move)
    if has C4; then
        run_cluster rtlab "$k" C4 storm-10000 $r -- --transport ws,sse,lp "${storm[@]}"
        # The same storm on one node with its log in memory (no move: there is no other node).
        run_cluster rtlab-memory 1 C4 storm-10000-1node $r -- --transport ws,sse,lp "${storm1[@]}"
    fi
    if has C5; then
        # nchan's WebSocket carries no message id to resume from: its storm is SSE and long poll.
        run_cluster nchan "$k" C5 ws-1000 $r -- --transport ws --subscribers $((1000 * k)) --pub-node @nodeA@ \
            --pub-transport http --publishers 16 --rate 1000 --duration "$duration" --settle 1
        run_cluster nchan "$k" C5 storm-10000 $r -- --transport sse,lp "${storm[@]}"
        run_cluster rtlab "$k" C5 storm-10000-sse-lp $r -- --transport sse,lp "${storm[@]}"
    fi
    if has C6; then
        run_cluster rtlab 1 C6 ramp-10000-1node $r -- --subscribers 10000 "${ramp[@]}"
        run_cluster rtlab 2 C6 ramp-10000-2nodes-one-port $r reuse -- --subscribers 10000 "${ramp[@]}"
    fi
done

python3 "$here/summarize.py" "$out" >"$out/summary.md"
python3 "$here/cluster-summary.py" "$out" >>"$out/summary.md"
cat "$out/summary.md"
echo "results: $out" >&2
