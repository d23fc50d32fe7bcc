#!/usr/bin/env python3
"""Times Elastic's own `eql` package parsing every EQL rule of an Elastic corpus folder: the
peer side of `tools/bench.sh` (whole process: reading the TOML files and parsing each query,
as a detcat build of the same folder does).

    pip install eql
    python3 tools/eql_bench.py /work/shared/corpus/elastic
"""

import os
import sys
import time

import eql

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eql_diff import eql_rules  # noqa: E402


def main():
    root = sys.argv[1]
    started = time.perf_counter()
    parsed = failed = 0
    for _, rule in eql_rules(root):
        try:
            with eql.parser.elasticsearch_syntax, eql.parser.ignore_missing_functions:
                eql.parse_query(rule.get("query", ""))
            parsed += 1
        except eql.EqlError:
            failed += 1
    elapsed = time.perf_counter() - started
    print(f"eql: {parsed} EQL queries parsed, {failed} rejected, {elapsed:.2f} s")


if __name__ == "__main__":
    main()
