#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reads a Prometheus text exposition (format 0.0.4) on stdin with the Prometheus client's own
parser and prints what it found as JSON, so that tests/tst_metrics.cpp can assert the values:
{"name": {"type": ..., "help": ..., "samples": [{"name", "labels", "value"}, ...]}, ...}
A document the parser refuses, or a family without HELP or TYPE, fails (exit 1, why on stderr)."""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    families = {}
    try:
        for family in text_string_to_metric_families(text):
            families[family.name] = {
                "type": family.type,
                "help": family.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples],
            }
    except Exception as e:  # the parser raises ValueError and friends on a bad line
        print("not a valid exposition: %r" % e, file=sys.stderr)
        return 1
    # The parser takes a family without TYPE as "unknown" and one without HELP as empty: both
    # are required here, as the docs promise them.
    for name, family in families.items():
        if family["type"] == "unknown" or not family["help"]:
            print("%s has no TYPE or no HELP line" % name, file=sys.stderr)
            return 1
    json.dump(families, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
