#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The cluster scenarios (C1-C6) of bench/run.sh as one Markdown table per scenario, one row per run
# (not medians: a cluster run is long and the rows say their load). summarize.py covers S1-S8.
#   bench/cluster-summary.py RESULTS_DIR [...]
import glob
import json
import os
import re
import sys


def ms(us):
    return '' if us is None else f'{us / 1000:.1f}'


def row(name, d, load):
    lat = d.get('latencyUs', {})
    nodes = d.get('nodes', {}).get('subscriberNodes', [])
    per_node = ' / '.join(ms(n.get('latencyUs', {}).get('p99')) for n in nodes)
    pub = d.get('publishers', {})
    ramp = d.get('ramp', {})
    storm = d.get('storm', {})
    redis = storm.get('redis') or d.get('redis') or {}
    conn = d.get('connections', {})
    cells = [
        name, load, f"{conn.get('openAtPublish', '')}/{conn.get('subscribers', '')}",
        d.get('acked', ''), pub.get('ackedPerSec', ''),
        ms(lat.get('p50')), ms(lat.get('p99')), per_node,
        ramp.get('maxDeliveriesPerSec', d.get('deliveriesPerSec', '')),
        storm.get('allOpenMs', ''), storm.get('allResumedMs', ''),
        d.get('lost', ''), d.get('duplicates', ''),
        redis.get('commands', ''), redis.get('perNode', ''), redis.get('cpuMs', ''),
    ]
    return '| ' + ' | '.join(str(c) for c in cells) + ' |'


def main(folders):
    runs = {}
    for path in sorted(p for f in folders for p in glob.glob(os.path.join(f, 'C[0-9]-*.json'))):
        m = re.match(r'(C\d)-(.+)-(\d+)\.json$', os.path.basename(path))
        if not m:
            continue
        try:
            with open(path) as f:
                data = json.loads(f.read().strip().splitlines()[-1])
        except (ValueError, IndexError):
            data = {'error': 'no JSON (see the .txt)'}
        load = ''
        if os.path.exists(path[:-5] + '.load'):
            load = ' → '.join(line.split()[0] for line in open(path[:-5] + '.load') if line.strip())
        runs.setdefault(m.group(1), []).append((f'{m.group(2)} #{m.group(3)}', data, load))
    head = ('| run | load 1 min (start → end) | open/subscribers | acked | acked/s | p50 ms | p99 ms '
            '| p99 ms by subscriber node | deliveries/s (ramp: max) | storm: all open ms '
            '| storm: all resumed ms | lost | dup | Redis commands | per node | Redis CPU ms |')
    for scenario in sorted(runs):
        print(f'\n### {scenario}\n')
        print(head)
        print('|' + '---|' * head.count(' | ') + '---|')
        for name, data, load in runs[scenario]:
            print(row(name, data, load))


if __name__ == '__main__':
    main(sys.argv[1:] or ['.'])
