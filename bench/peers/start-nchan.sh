#!/bin/sh
# SPDX-License-Identifier: MIT
# Starts nginx + nchan for the benchmarks on 127.0.0.1:PORT under a private prefix (no system
# config, no system logs), one worker. Prints the master's pid on stdout; the worker is its child.
#   [NCHAN_REDIS_URL=redis://…] bench/peers/start-nchan.sh PORT [PREFIX]     stop: kill -QUIT $(cat PREFIX/nginx.pid)
# Installs Debian's nginx and libnginx-mod-nchan if missing. Extra: CPU pinning is the caller's
# (run.sh starts this under taskset -c 0; nginx's worker inherits the affinity).
set -eu
port=${1:?usage: start-nchan.sh PORT [PREFIX]}
prefix=${2:-$(mktemp -d /tmp/rtlab-nchan.XXXXXX)}
here=$(cd "$(dirname "$0")" && pwd)
module=/usr/share/nginx/modules/ngx_nchan_module.so
if ! command -v nginx >/dev/null 2>&1 || [ ! -f "$module" ]; then
    sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q nginx libnginx-mod-nchan >&2
fi
mkdir -p "$prefix"
# NCHAN_REDIS_URL=redis://127.0.0.1:PORT: channels and messages live in that Redis (nchan's cluster
# of nginx servers on one Redis), not in this nginx's shared memory.
redis=
[ -z "${NCHAN_REDIS_URL:-}" ] || redis="nchan_redis_url \"$NCHAN_REDIS_URL\"; nchan_use_redis on;"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" -e "s|@MODULE@|$module|g" -e "s|@REDIS@|$redis|g" \
    "$here/nchan.conf" > "$prefix/nginx.conf"
rm -f "$prefix/nginx.pid"
nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log"
i=0
while [ ! -s "$prefix/nginx.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$prefix/nginx.pid" ] || { echo "nginx did not start; see $prefix/error.log" >&2; exit 1; }
cat "$prefix/nginx.pid"
