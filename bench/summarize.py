#!/usr/bin/env python3
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
    m = re.match(r'(S\d)-(.+)-(rtlab|nchan|node)-(\d+)\.json$', os.path.basename(path))
    if not m:
        continue
    try:
        with open(path) as f:
            data = json.loads(f.read().strip().splitlines()[-1])
    except (ValueError, IndexError):
        data = None
    runs.setdefault((m[1], m[2], m[3]), []).append(data)
for path in sorted(p for f in folders for p in glob.glob(os.path.join(f, '*.wrk'))):
    m = re.match(r'(S\d)-(.+)-(rtlab|nchan|node)-(\d+)\.wrk$', os.path.basename(path))
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
        return 'not run'
    s = fmt(med * scale, digits)
    if n > 1 and lo != hi:
        s += f' ({fmt(lo * scale, digits)}–{fmt(hi * scale, digits)})'
    return s


def ratio(key, path, scale=1.0):
    med, _, _, _ = stat(key, path)
    ref, _, _, _ = stat((key[0], key[1], 'nchan'), path)
    if med is None or not ref:
        return '—'
    return f'{med / ref:.2f}×'


servers = ['rtlab', 'nchan', 'node']
names = {'rtlab': 'rtlab-server (portable Qt layer)', 'nchan': 'nginx + nchan, 1 worker', 'node': 'Node + ws'}
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
table('S4 ramp until p99 > 100 ms', [
    ('max deliveries/s (p99 ≤ 100 ms)', 'ramp.maxDeliveriesPerSec'),
    ('vs nchan', 'ratio', 'ramp.maxDeliveriesPerSec'),
    ('at msgs/s', 'ramp.maxRateUnderThreshold', 1),
    ('peak deliveries/s (any step)', lambda d: max([x['deliveriesPerSec'] for x in get(d, 'ramp.steps') or []], default=None)),
    ('first step (2 msg/s) p99 ms', lambda d: ((get(d, 'ramp.steps') or [{}])[0].get('latencyUs') or {}).get('p99', 0) / 1000, 1),
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
