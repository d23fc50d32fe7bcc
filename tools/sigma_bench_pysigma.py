#!/usr/bin/env python3
"""Times pySigma loading the same files detcat's bench parses (every YAML rule under the
rules*/, deprecated/ and unsupported/ folders), for comparison with
`cargo run --release -p detcat_sigma --example bench_sigma -- <corpus>/sigma`.

Usage: python3 tools/sigma_bench_pysigma.py /work/shared/corpus/sigma
"""

import pathlib
import resource
import sys
import time

from sigma.collection import SigmaCollection


def main():
    root = pathlib.Path(sys.argv[1])
    started = time.perf_counter()
    texts = [
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(root.rglob("*.yml"))
        if p.relative_to(root).parts[0] != "regression_data"
    ]
    read = time.perf_counter() - started
    parse_start = time.perf_counter()
    rules = errors = 0
    for text in texts:
        try:
            coll = SigmaCollection.from_yaml(text, collect_errors=True)
            rules += len(coll.rules)
        except Exception:
            errors += 1
    parse = time.perf_counter() - parse_start
    print(f"files            {len(texts)}")
    print(f"rules            {rules} (files refused: {errors})")
    print(f"read             {read * 1e3:.1f} ms")
    print(f"parse            {parse * 1e3:.1f} ms")
    print(f"rules/s (parse)  {rules / parse:.0f}")
    print(f"peak RSS         {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
