#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Summarize bench/run.sh results folders as markdown: medians (and ranges) per scenario and
server over every run found in the folders given, with the ratio to nchan.

    bench/summarize.py bench/results/STAMP [bench/results/STAMP2 ...]"""
import glob
import json
import os
import re
import statistics
import sys

folders = sys.argv[1:]
out = folders[0]
runs = {}
for path in sorted(p for f in folders for p in glob.glob(os.path.join(f, '*.json'))):
    m = re.match(r'(S\d)-(.+)-(rtlab-prev|rtlab-qt|rtlab|nchan|node)-(\d+)\.json$', os.path.basename(path))
    if not m:
        continue
    try:
        with open(path) as f:
            data = json.loads(f.read().strip().splitlines()[-1])
    except (ValueError, IndexError):
        data = None
    load = path[:-5] + '.load'  # the load average (1, 5, 15 min) before and after the run
    if data is not None and os.path.exists(load):
        data['load'] = [float(line.split()[0]) for line in open(load) if line.strip()]
    runs.setdefault((m[1], m[2], m[3]), []).append(data)
for path in sorted(p for f in folders for p in glob.glob(os.path.join(f, '*.wrk'))):
    m = re.match(r'(S\d)-(.+)-(rtlab-prev|rtlab-qt|rtlab|nchan|node)-(\d+)\.wrk$', os.path.basename(path))
    text = open(path).read()
    rps = re.search(r'Requests/sec:\s*([\d.]+)', text)
    lat = re.search(r'Latency\s+([\d.]+)(\w+)', text)
    non2xx = re.search(r'Non-2xx or 3xx responses:\s*(\d+)', text)
    d = {'rps': float(rps[1]) if rps else None,
         'latencyMs': (float(lat[1]) * {'us': 0.001, 'ms': 1, 's': 1000}.get(lat[2], 1)) if lat else None,
         'non2xx': int(non2xx[1]) if non2xx else 0}
    runs.setdefault((m[1], m[2], m[3]), []).append(d)


def get(d, path):
    if callable(path):
        return path(d)
    for k in path.split('.'):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def stat(key, path):
    vals = [get(d, path) for d in runs.get(key, []) if d is not None]
    vals = [v for v in vals if isinstance(v, (int, float))]
    if not vals:
        return None, None, None, 0
    return statistics.median(vals), min(vals), max(vals), len(vals)


def fmt(v, digits=0):
    if v is None:
        return '—'
    if digits == 0:
        return f'{v:,.0f}'
    return f'{v:,.{digits}f}'


def cell(key, path, digits=0, scale=1.0):
    if isinstance(path, str) and path.startswith('text:'):
        vals = sorted({str(get(d, path[5:])) for d in runs.get(key, []) if d is not None})
        return ', '.join(vals) if vals else 'not run'
    med, lo, hi, n = stat(key, path)
    if med is None:
        return '—' if key in runs else 'not run'  # run, but without this figure (memory: no commits)
    s = fmt(med * scale, digits)
    if n > 1 and lo != hi:
        s += f' ({fmt(lo * scale, digits)}–{fmt(hi * scale, digits)})'
    return s


def ratio(key, path, ref_key=None):
    med, _, _, _ = stat(key, path)
    ref, _, _, _ = stat(ref_key or (key[0], key[1], 'nchan'), path)
    if med is None or not ref:
        return '—'
    return f'{med / ref:.2f}×'


servers = ['rtlab', 'rtlab-prev', 'nchan', 'node', 'rtlab-qt']
names = {'rtlab': 'rtlab-server (epoll core)', 'rtlab-qt': 'rtlab-server (portable Qt core)', 'rtlab-prev': 'rtlab-server, previous build (epoll core)', 'nchan': 'nginx + nchan, 1 worker', 'node': 'Node + ws'}
variants = sorted({(k[0], k[1]) for k in runs})
print('Results: ' + ', '.join(f'`{os.path.basename(os.path.normpath(f))}`' for f in folders)
      + '. Medians over the runs, (min–max) when they differ; ratios are against nchan.\n')
for f in folders:
    if os.path.exists(os.path.join(f, 'machine.txt')):
        print('```\n' + open(os.path.join(f, 'machine.txt')).read().strip() + '\n```\n')


def table(title, columns, scenario_variants):
    rows = [(sv, s) for sv in scenario_variants for s in servers if (sv[0], sv[1], s) in runs]
    if not rows:
        return
    print(f'### {title}\n')
    print('| scenario | server | runs | ' + ' | '.join(c[0] for c in columns) + ' |')
    print('|' + '---|' * (3 + len(columns)))
    for sv, s in rows:
        key = (sv[0], sv[1], s)
        n = len([d for d in runs[key] if d is not None])
        cells = []
        for c in columns:
            if c[1] == 'ratio':
                cells.append(ratio(key, c[2]))
            elif c[1] == 'ratio-variant':
                cells.append(ratio(key, c[2], (key[0], c[3], key[2])))
            elif c[1] == 'ratio-memory':  # against the memory store, same scenario, same session
                cells.append(ratio(key, c[2], (key[0], key[1].rsplit('-', 1)[0] + '-memory', key[2])))
            else:
                cells.append(cell(key, c[1], c[2] if len(c) > 2 else 0, c[3] if len(c) > 3 else 1.0))
        print(f'| {sv[0]} {sv[1]} | {names[s]} | {n} | ' + ' | '.join(cells) + ' |')
    print()


lat = [('p50 ms', 'latencyUs.p50', 1, 0.001), ('p99 ms', 'latencyUs.p99', 1, 0.001),
       ('max ms', 'latencyUs.max', 1, 0.001)]
table('S1 broadcast 1 → N', [
    ('subscribers open', 'connections.openAtPublish'),
    ('server CPU µs/delivery', 'server.cpuUsPerDelivery', 2),
    ('CPU vs nchan', 'ratio', 'server.cpuUsPerDelivery'),
    *lat,
    ('p99 vs nchan', 'ratio', 'latencyUs.p99'),
    ('deliveries/s', 'deliveriesPerSec'),
    ('lost', 'lost'), ('dup', 'duplicates'), ('errors', 'errors')],
    [v for v in variants if v[0] == 'S1'])
table('S2 1:1 with N idle keep-alive connections', [
    ('idle open', 'connections.opened'),
    ('p50 ms', 'latencyUs.p50', 2, 0.001), ('p50 vs nchan', 'ratio', 'latencyUs.p50'),
    ('p99 ms', 'latencyUs.p99', 2, 0.001), ('p99 vs nchan', 'ratio', 'latencyUs.p99'),
    ('server CPU µs/message', 'server.cpuUsPerDelivery', 1),
    ('server wake-ups/s', 'server.wakeupsPerSec'),
    ('lost', 'lost'), ('errors', 'errors')],
    [v for v in variants if v[0] == 'S2'])
table('S3 many connections (WS/SSE/LP round robin), then 5 s idle', [
    ('opened', 'connections.opened'), ('failed', 'connections.failed'),
    ('connects/s', 'connections.perSec'), ('connect rate vs nchan', 'ratio', 'connections.perSec'),
    ('server RSS per connection, B', 'server.rssPerConnectionBytes'),
    ('server CPU to accept, ms', 'server.connectCpuMs'),
    ('idle wake-ups/s', 'server.wakeupsPerSec', 1),
    ('idle CPU %', 'server.cpuPercent', 2),
    ('errors', 'errors')],
    [v for v in variants if v[0] == 'S3'])
table('S4 ramp: the rate ×1.5 every 2 s until p99 passes the threshold', [
    ('p99 threshold ms', 'ramp.p99ThresholdMs'),
    ('max deliveries/s (p99 ≤ threshold)', 'ramp.maxDeliveriesPerSec'),
    ('vs nchan', 'ratio', 'ramp.maxDeliveriesPerSec'),
    ('at msgs/s', 'ramp.maxRateUnderThreshold', 1),
    ('peak deliveries/s (any step)', lambda d: max([x['deliveriesPerSec'] for x in get(d, 'ramp.steps') or []], default=None)),
    ('first step p99 ms', lambda d: ((get(d, 'ramp.steps') or [{}])[0].get('latencyUs') or {}).get('p99', 0) / 1000, 1),
    ('subscribers', 'connections.openAtPublish'),
    ('steps publisher-limited', lambda d: sum(1 for x in get(d, 'ramp.steps') or [] if x.get('publisherLimited'))),
    ('stopped because', 'text:ramp.stopReason')],
    [v for v in variants if v[0] == 'S4'])
table('S5 long poll: held polls woken by publishes', [
    ('polls open', 'connections.openAtPublish'),
    *lat,
    ('server CPU µs/delivery', 'server.cpuUsPerDelivery', 2),
    ('poll requests', 'pollRequests'),
    ('lost', 'lost'), ('dup', 'duplicates'), ('errors', 'errors')],
    [v for v in variants if v[0] == 'S5' and not v[1].endswith('immediate')])
table('S5 long poll: immediate answers with one message (wrk -t1 -c50 -d5s)', [
    ('requests/s', 'rps'), ('vs nchan', 'ratio', 'rps'), ('mean latency ms', 'latencyMs', 2),
    ('non-2xx', 'non2xx')],
    [v for v in variants if v[1].endswith('immediate')])
table('S6 slow readers: 10 % of the WebSocket subscribers stop reading (16,000 B at 4/s, 15 s)', [
    ('slow readers', 'slow.subscribers'),
    ('others', 'connections.openAtPublish'),
    ('others p50 ms', 'latencyUs.p50', 1, 0.001), ('others p99 ms', 'latencyUs.p99', 1, 0.001),
    ('p99 vs nobody slow', 'ratio-variant', 'latencyUs.p99', 'slow-0'),
    ('server RSS growth, KiB', 'server.rssGrowthKiB'),
    ('kernel TCP buffers growth, KiB', 'server.kernelTcpGrowthKiB'),
    ('server CPU µs/delivery', 'server.cpuUsPerDelivery', 2),
    ('slow: got everything', 'slow.complete'), ('slow: cut by server', 'slow.cutByServer'),
    ('lost', 'lost'), ('errors', 'errors')],
    [v for v in variants if v[0] == 'S6' and v[1].startswith('slow')])
table('S6 reconnect storm: every SSE subscriber drops and reconnects at once (Last-Event-ID)', [
    ('subscribers', 'storm.dropped'),
    ('all reopened in ms', 'storm.allOpenMs', 1),
    ('storm vs nchan', 'ratio', 'storm.allOpenMs'),
    ('reopened/s', 'storm.reopenedPerSec'),
    ('p99 ms', 'latencyUs.p99', 1, 0.001), ('max ms', 'latencyUs.max', 1, 0.001),
    ('server RSS growth, KiB', 'server.rssGrowthKiB'),
    ('lost', 'lost'), ('dup', 'duplicates'), ('errors', 'errors')],
    [v for v in variants if v[0] == 'S6' and v[1] == 'storm'])



# The durable log (issue 15): S7, S8 once per store. The store's histograms come from /metrics
# (storeMetrics: the change over the run, per-bucket counts).
def histogram(d, want):
    for name, h in (get(d, 'storeMetrics') or {}).items():
        if isinstance(h, dict) and want(name):
            return h
    return None


def batch_rows(d):
    return histogram(d, lambda n: n.startswith('rtlab_store_commit_batch_rows'))


def commit_time(d):
    return histogram(d, lambda n: n.startswith('rtlab_store_commit') and 'batch' not in n)


def quantile(h, q):
    """The upper edge of the bucket holding quantile q (the last finite edge for +Inf)."""
    if not h or not h.get('count'):
        return None
    seen, last = 0, None
    for b in h['buckets']:
        if b['le'] != '+Inf':
            last = float(b['le'])
        seen += b['count']
        if seen >= q * h['count']:
            return last
    return last


def rows_per_commit(d):
    # The counters, exact (the batch histogram has no _sum).
    rows, commits = get(d, 'storeMetrics.rtlab_store_rows_total'), get(d, 'storeMetrics.rtlab_store_commits_total')
    return rows / commits if rows and commits else None


def commits_per_sec(d):
    # acknowledged/s ÷ rows per commit: every acknowledged publish is one committed row.
    rpc, acked = rows_per_commit(d), get(d, 'publishers.ackedPerSec') or get(d, 'publishRate')
    return acked / rpc if rpc and acked else None


def commit_ms(q):
    def f(d):
        h = commit_time(d)
        if not h:
            return None
        v = h.get('mean') if q is None else quantile(h, q)
        # seconds (Prometheus' unit) or µs, by the name
        scale = 1000.0 if 'seconds' in next(n for n, x in get(d, 'storeMetrics').items() if x is h) else 0.001
        return v * scale if v is not None else None
    return f


load1 = ('load (1 min) at start', lambda d: (d.get('load') or [None])[0], 1)


def cpu_per_publish(d):
    # The server's CPU (every thread: the event loop and the store's writer) per acknowledged publish.
    cpu, acked = get(d, 'server.runCpuMs'), get(d, 'acked')
    return cpu * 1000.0 / acked if cpu and acked else None


def capacity(d):
    # What one whole core would acknowledge at that cost: the figure the load on a shared machine hides.
    c = cpu_per_publish(d)
    return 1e6 / c if c else None

table('S7 acknowledged publishes/s, as fast as acknowledgements allow, 10 WebSocket subscribers', [
    ('acked/s', 'publishers.ackedPerSec'), ('vs memory', 'ratio-memory', 'publishers.ackedPerSec'),
    ('ack p50 ms', 'publishers.ackLatencyUs.p50', 1, 0.001), ('ack p99 ms', 'publishers.ackLatencyUs.p99', 1, 0.001),
    ('rows/commit', rows_per_commit, 1), ('commits/s', commits_per_sec),
    ('commit p50 ms (bucket edge)', commit_ms(0.5), 3), ('commit p99 ms (bucket edge)', commit_ms(0.99), 2),
    ('server CPU %', 'server.cpuPercent'), ('server CPU µs/publish', cpu_per_publish, 1),
    ('acked/s at one whole core', capacity), load1,
    ('lost', 'lost'), ('publish errors', 'publishErrors')],
    [v for v in variants if v[0] == 'S7'])
table('S8 publish → delivery at 1,000 publishes/s to 1,000 subscribers (one WebSocket publisher)', [
    ('subscribers open', 'connections.openAtPublish'), ('published/s', 'publishRate'),
    *lat, ('p99 vs memory', 'ratio-memory', 'latencyUs.p99'),
    ('rows/commit', rows_per_commit, 1), ('commit p99 ms (bucket edge)', commit_ms(0.99), 2),
    ('server CPU %', 'server.cpuPercent'), load1,
    ('lost', 'lost'), ('publish errors', 'publishErrors')],
    [v for v in variants if v[0] == 'S8'])


def batch_distribution():
    """Share of commits per batch-size bucket, pooled over the runs of each SQLite variant."""
    rows = []
    for sv in variants:
        if sv[0] not in ('S7', 'S8') or sv[1].endswith('-memory'):
            continue
        for s in servers:
            pooled = {}
            total = 0
            for d in runs.get((sv[0], sv[1], s), []):
                h = batch_rows(d) if d else None
                for b in (h or {}).get('buckets', []):
                    pooled[b['le']] = pooled.get(b['le'], 0) + b['count']
                    total += b['count']
            if total:
                rows.append((sv, s, pooled, total))
    if not rows:
        return
    les = list(rows[0][2].keys())
    heads, prev = [], 0
    for le in les:
        if le == '+Inf':
            heads.append(f'> {prev}')
        else:
            v = int(float(le))
            heads.append(str(v) if v == prev + 1 else f'{prev + 1}–{v}')
            prev = v
    print('### The commit batch size: share of commits by rows per commit (pooled over the runs)\n')
    print('| scenario | commits | ' + ' | '.join(heads) + ' |')
    print('|' + '---|' * (2 + len(heads)))
    for sv, s, pooled, total in rows:
        cells = [f'{100 * pooled.get(le, 0) / total:.1f} %' if pooled.get(le) else '·' for le in les]
        print(f'| {sv[0]} {sv[1]} | {total:,.0f} | ' + ' | '.join(cells) + ' |')
    print()


batch_distribution()

# The chart: every ratio target as "times better than nchan" (nchan = 1; right of 1 is better),
# on a log scale, one bar per server, with the target as a tick. Written with --chart.
def chart(path):
    metrics = [  # label, (scenario, variant), path, lower is better, target (times better)
        ('S1 ws 64 B: CPU per delivery', ('S1', 'ws-64'), 'server.cpuUsPerDelivery', True, 1 / 0.8),
        ('S1 ws 64 B: p99', ('S1', 'ws-64'), 'latencyUs.p99', True, 1.0),
        ('S1 ws 1 KiB: CPU per delivery', ('S1', 'ws-1024'), 'server.cpuUsPerDelivery', True, 1 / 0.8),
        ('S1 ws 1 KiB: p99', ('S1', 'ws-1024'), 'latencyUs.p99', True, 1.0),
        ('S1 sse 64 B: CPU per delivery', ('S1', 'sse-64'), 'server.cpuUsPerDelivery', True, 1 / 0.8),
        ('S1 sse 64 B: p99', ('S1', 'sse-64'), 'latencyUs.p99', True, 1.0),
        ('S1 sse 1 KiB: CPU per delivery', ('S1', 'sse-1024'), 'server.cpuUsPerDelivery', True, 1 / 0.8),
        ('S1 sse 1 KiB: p99', ('S1', 'sse-1024'), 'latencyUs.p99', True, 1.0),
        ('S2 1:1 with 10k idle: p50', ('S2', 'ws-1to1'), 'latencyUs.p50', True, 1 / 1.1),
        ('S2 1:1 with 10k idle: p99', ('S2', 'ws-1to1'), 'latencyUs.p99', True, 1 / 1.5),
        ('S3 19k connections: connect rate (bench-bound)', ('S3', 'mixed-19000'), 'connections.perSec', False, 1.5),
        ('S3 19k connections: CPU to accept', ('S3', 'mixed-19000'), 'server.connectCpuMs', True, 1.5),
        ('S3 19k connections: memory each', ('S3', 'mixed-19000'), 'server.rssPerConnectionBytes', True, None),
        ('S4 ramp, 2,000 subs, p99 ≤ 100 ms', ('S4', 'ws-ramp-2000'), 'ramp.maxDeliveriesPerSec', False, 1.2),
        ('S4 ramp, 10,000 subs, p99 ≤ 1 s', ('S4', 'ws-ramp-10000'), 'ramp.maxDeliveriesPerSec', False, 1.2),
        ('S5 held polls: p99', ('S5', 'lp-held-5000'), 'latencyUs.p99', True, None),
        ('S5 immediate answers: req/s', ('S5', 'lp-immediate'), 'rps', False, 0.9),
        ('S6 slow readers: kernel buffers', ('S6', 'slow-0.1'), 'server.kernelTcpGrowthKiB', True, None),
        ('S6 storm: all reconnected', ('S6', 'storm'), 'storm.allOpenMs', True, None),
    ]
    shown = [s for s in ['rtlab', 'node', 'rtlab-qt'] if any(k[2] == s for k in runs)]
    colours = {'rtlab': '#2a7ab0', 'node': '#9a9a9a', 'rtlab-qt': '#d9a13b'}
    rows = []
    for label, sv, p, lower, target in metrics:
        ref = stat((sv[0], sv[1], 'nchan'), p)[0]
        vals = {}
        for s in shown:
            v = stat((sv[0], sv[1], s), p)[0]
            if v and ref:
                vals[s] = (ref / v) if lower else (v / ref)
        if vals:
            rows.append((label, vals, target))
    import math
    left, width, bar, gap = 260, 460, 9, 8
    lo, hi = math.log10(1 / 30), math.log10(30)
    xs = lambda r: left + (math.log10(min(max(r, 1 / 30), 30)) - lo) / (hi - lo) * width
    row_h = len(shown) * bar + gap
    height = 70 + len(rows) * row_h + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 40}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="18" font-size="13" font-weight="bold">rtlab-server vs nginx+nchan (= 1), '
           f'medians; right of 1 is better</text>']
    for i, s in enumerate(shown):
        out.append(f'<rect x="{10 + i * 180}" y="28" width="10" height="10" fill="{colours[s]}"/>'
                   f'<text x="{24 + i * 180}" y="37">{names[s]}</text>')
    out.append(f'<rect x="{10 + len(shown) * 180}" y="28" width="2" height="10" fill="#c0392b"/>'
               f'<text x="{18 + len(shown) * 180}" y="37">target</text>')
    top = 55
    for t in [1 / 30, 0.1, 0.3, 1, 3, 10, 30]:
        x = xs(t)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 25}" '
                   f'stroke="{"#333" if t == 1 else "#ddd"}"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">'
                   f'{("%g" % t) if t >= 1 else "1/%g" % round(1 / t)}×</text>')
    for j, (label, vals, target) in enumerate(rows):
        y = top + 8 + j * row_h
        out.append(f'<text x="{left - 8}" y="{y + len(shown) * bar / 2 + 4:.1f}" text-anchor="end">{label}</text>')
        for i, s in enumerate(shown):
            if s not in vals:
                continue
            x0, x1 = xs(1), xs(vals[s])
            out.append(f'<rect x="{min(x0, x1):.1f}" y="{y + i * bar}" width="{abs(x1 - x0):.1f}" '
                       f'height="{bar - 1}" fill="{colours[s]}"><title>{names[s]}: {vals[s]:.2f}×</title></rect>')
            tx, anchor = (x1 + 3, 'start') if vals[s] >= 1 else (x1 - 3, 'end')
            out.append(f'<text x="{tx:.1f}" y="{y + i * bar + bar - 2}" font-size="9" '
                       f'text-anchor="{anchor}">{vals[s]:.2f}×</text>')
        if target:
            x = xs(target)
            out.append(f'<rect x="{x - 1:.1f}" y="{y - 2}" width="2" height="{len(shown) * bar + 3}" fill="#c0392b"/>')
    out.append('</svg>')
    with open(path, 'w') as f:
        f.write('\n'.join(out) + '\n')


if os.environ.get('RTLAB_CHART'):
    chart(os.environ['RTLAB_CHART'])
