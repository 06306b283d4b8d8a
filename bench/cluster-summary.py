#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The cluster scenarios (C1-C6) of bench/run.sh as one Markdown table per scenario, one row per run
# (not medians: a cluster run is long and the rows say their load). summarize.py covers S1-S8.
#   bench/cluster-summary.py RESULTS_DIR [...]
import json
import re
import sys
from pathlib import Path


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


def last_json(path):
    """A run's report: the last line of its file (a bench that failed leaves none)."""
    try:
        return json.loads(path.read_text().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {'error': 'no JSON (see the .txt)'}


def main(folders):
    runs = {}
    files = sorted(f for folder in folders for f in Path(folder).glob('C[0-9]-*.json'))
    for path in files:
        name = re.fullmatch(r'(C\d)-(.+)-(\d+)\.json', path.name)
        if name is None:
            continue
        loads = path.with_suffix('.load')
        load = ' → '.join(l.split()[0] for l in loads.read_text().splitlines() if l.strip()) if loads.exists() else ''
        runs.setdefault(name[1], []).append((f'{name[2]} #{name[3]}', last_json(path), load))
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
