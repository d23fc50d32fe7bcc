#!/usr/bin/env python3
"""Differential check of detcat's EQL parser against Elastic's own `eql` package.

For every EQL rule of an Elastic corpus folder: does Elastic's parser accept it, does ours,
and do both read the same set of fields? Our side comes from
`cargo run -p detcat_elastic --example fields -- <corpus>/elastic` (JSON lines); pass a
ready file with --ours to skip the cargo run.

    pip install eql
    python3 tools/eql_diff.py /work/shared/corpus/elastic [--ours ours.jsonl] [-v]

Exit status 0 when every query Elastic's parser accepts is accepted by ours with the same
field set, 1 otherwise.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tomllib

import eql


def field_name(node):
    """`Field(base, path)` as dotted text; list indices as `[i]` like our parser writes."""
    parts = [node.base]
    out = node.base
    for p in node.path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += "." + str(p)
        parts.append(p)
    return out


def oracle_fields(query):
    """Fields Elastic's parser sees, or None with the error when it rejects the query."""
    with eql.parser.elasticsearch_syntax, eql.parser.ignore_missing_functions, eql.parser.skip_optimizations:
        try:
            ast = eql.parse_query(query)
        except eql.EqlError as e:  # syntax and semantic errors alike
            lines = str(e).splitlines()
            return None, (lines[1] if len(lines) > 1 else (lines[0] if lines else type(e).__name__))
    fields = set()
    for node in ast:
        if isinstance(node, eql.ast.Field):
            fields.add(field_name(node))
    return fields, None


def load_ours(corpus, ours_path):
    if ours_path:
        with open(ours_path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    else:
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        out = subprocess.run(
            ["cargo", "run", "-q", "-p", "detcat_elastic", "--example", "fields", "--", corpus],
            cwd=repo, check=True, capture_output=True, text=True,
        )
        lines = out.stdout.splitlines()
    ours = {}
    for line in lines:
        if line.strip():
            rec = json.loads(line)
            ours[rec["path"]] = rec
    return ours


def eql_rules(corpus):
    """Every EQL rule of an Elastic corpus folder: its path as the catalog names it, and its
    TOML `rule` table (tools/eql_bench.py reads the same rules)."""
    for dirpath, _, names in os.walk(corpus):
        for name in sorted(names):
            if not name.endswith(".toml"):
                continue
            full = os.path.join(dirpath, name)
            rel = "elastic/" + os.path.relpath(full, corpus).replace(os.sep, "/")
            with open(full, "rb") as f:
                try:
                    rule = tomllib.load(f).get("rule", {})
                except tomllib.TOMLDecodeError:
                    continue
            if rule.get("language") == "eql":
                yield rel, rule


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", help="the corpus's elastic/ folder")
    ap.add_argument("--ours", help="JSON lines from the `fields` example (default: run it)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every disagreement")
    args = ap.parse_args()

    ours = load_ours(args.corpus, args.ours)
    total = oracle_ok = ours_ok = both = agree = 0
    oracle_rejects, we_reject, differ = [], [], []
    for rel, rule in eql_rules(args.corpus):
        total += 1
        theirs, err = oracle_fields(rule.get("query", ""))
        mine = ours.get(rel)
        mine_ok = mine is not None and mine["errors"] == 0
        ours_ok += mine_ok
        if theirs is None:
            oracle_rejects.append((rel, err))
            continue
        oracle_ok += 1
        if not mine_ok:
            we_reject.append(rel)
            continue
        both += 1
        mine_fields = set(mine["fields"])
        if mine_fields == theirs:
            agree += 1
        else:
            differ.append((rel, sorted(theirs - mine_fields), sorted(mine_fields - theirs)))

    print(f"EQL rules: {total}")
    print(f"accepted by Elastic's eql {eql.__version__}: {oracle_ok}; by detcat: {ours_ok}")
    print(f"accepted by Elastic but not by detcat: {len(we_reject)}")
    print(f"field sets agree: {agree}/{both}")
    print(f"rejected by Elastic's parser (not compared): {len(oracle_rejects)}")
    reasons = {}
    for _, err in oracle_rejects:
        key = re.sub(r"line:\d+,column:\d+", "…", err or "")
        reasons[key] = reasons.get(key, 0) + 1
    for key, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        print(f"  {n:4}  {key}")
    for rel in we_reject:
        print(f"WE REJECT {rel}")
    for rel, only_theirs, only_ours in differ if args.verbose else differ[:20]:
        print(f"DIFFER {rel}: only Elastic {only_theirs}; only detcat {only_ours}")
    return 0 if not we_reject and not differ else 1


if __name__ == "__main__":
    sys.exit(main())
