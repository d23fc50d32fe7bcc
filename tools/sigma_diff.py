#!/usr/bin/env python3
"""Differential check of detcat_sigma against pySigma.

For every Sigma rule under a corpus ``sigma/`` folder, load it with pySigma and compare, per
rule, the set of detection items ``(field, modifiers, value)`` with the set detcat prints
(``cargo run --release -p detcat_sigma --example dump_items -- <corpus>/sigma``). Values are
compared in detcat's wildcard syntax (``*``, ``?``, ``\\`` escapes).

Usage:
    cargo run --release -p detcat_sigma --example dump_items -- /work/shared/corpus/sigma > /tmp/ours.jsonl
    python3 tools/sigma_diff.py /work/shared/corpus/sigma /tmp/ours.jsonl [--show 20]
"""

import argparse
import collections
import json
import pathlib
import sys

from sigma.collection import SigmaCollection
from sigma.modifiers import reverse_modifier_mapping
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma import types as st


def escape(text):
    return "".join("\\" + c if c in "*?\\" else c for c in text)


def string_value(s):
    """A SigmaString in detcat's model syntax: plain text without wildcards, else a pattern."""
    if not s.contains_special() and all(isinstance(p, str) for p in s.s):
        return "".join(s.s)
    if not s.contains_special():
        return "".join(p if isinstance(p, str) else "%" + p.name + "%" for p in s.s)
    out = []
    for part in s.s:
        if isinstance(part, str):
            out.append(escape(part))
        elif part == st.SpecialChars.WILDCARD_MULTI:
            out.append("*")
        elif part == st.SpecialChars.WILDCARD_SINGLE:
            out.append("?")
        else:  # placeholders
            out.append("%" + getattr(part, "name", "?") + "%")
    return "".join(out)


def value_texts(v):
    if isinstance(v, st.SigmaExpansion):
        for x in v.values:
            yield from value_texts(x)
    elif isinstance(v, st.SigmaString):
        yield string_value(v)
    elif isinstance(v, st.SigmaRegularExpression):
        yield str(v.regexp.original) if hasattr(v.regexp, "original") else str(v.regexp)
    elif isinstance(v, st.SigmaCIDRExpression):
        yield str(v.cidr)
    elif isinstance(v, st.SigmaFieldReference):
        yield v.field
    elif isinstance(v, st.SigmaCompareExpression):
        yield str(v.number.number)
    elif isinstance(v, st.SigmaExists):
        yield "exists"
    elif isinstance(v, st.SigmaNull):
        # detcat models `field: null` as `not exists(field)`: the item is the exists check,
        # the negation lives in the tree.
        yield "exists"
    elif isinstance(v, st.SigmaBool):
        yield "true" if v.boolean else "false"
    elif isinstance(v, st.SigmaNumber):
        yield str(v.number)
    elif isinstance(v, st.Placeholder):
        yield "%" + v.name + "%"
    else:
        yield repr(v)


# Modifier aliases: pySigma's reverse mapping picks one name per class; detcat keeps the name
# as written. Compare the canonical name.
ALIASES = {"i": "ignorecase", "m": "multiline", "s": "dotall", "utf16le": "wide"}


def canon(mods):
    return tuple(ALIASES.get(m, m) for m in mods)


def items_of(det, out):
    for item in det.detection_items:
        if isinstance(item, SigmaDetection):
            items_of(item, out)
        elif isinstance(item, SigmaDetectionItem):
            mods = canon(reverse_modifier_mapping.get(m.__name__, m.__name__) for m in item.modifiers)
            for v in item.value:
                for text in value_texts(v):
                    out.add((item.field, mods, text))


def pysigma_rules(root, rel):
    text = (root / rel).read_text(encoding="utf-8", errors="replace")
    coll = SigmaCollection.from_yaml(text, collect_errors=True)
    rules = []
    for r in coll.rules:
        if isinstance(r, SigmaRule):
            items = set()
            for name, det in r.detection.detections.items():
                if name == "timeframe":
                    continue  # pySigma reads the v1 `timeframe` key as a search identifier
                items_of(det, items)
            rules.append((items, [type(e).__name__ for e in r.errors]))
        else:
            rules.append((None, []))  # correlation / filter rules: no detection items
    return rules


def classify(ours, theirs):
    """A short name for the kind of disagreement, so differences can be counted by class."""
    only_ours = ours - theirs
    only_theirs = theirs - ours
    if not theirs:
        return "pysigma-no-items"
    fields_o = {(f, m) for f, m, _ in only_ours}
    fields_t = {(f, m) for f, m, _ in only_theirs}
    if fields_o == fields_t:
        return "value-text"
    return "item-set"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sigma_root", type=pathlib.Path)
    ap.add_argument("ours", type=pathlib.Path)
    ap.add_argument("--show", type=int, default=10)
    args = ap.parse_args()
    ours_by_file = collections.defaultdict(list)
    for line in args.ours.open():
        r = json.loads(line)
        ours_by_file[r["path"]].append(r)
    compared = same = 0
    classes = collections.Counter()
    examples = collections.defaultdict(list)
    for path, rules in sorted(ours_by_file.items()):
        rel = path.removeprefix("sigma/")
        try:
            theirs = pysigma_rules(args.sigma_root, rel)
        except Exception as e:  # pySigma refuses the file
            classes["pysigma-error"] += 1
            examples["pysigma-error"].append(f"{rel}: {type(e).__name__}: {str(e)[:120]}")
            continue
        for ours, (their_items, errors) in zip(rules, theirs):
            if their_items is None:
                continue
            compared += 1
            our_items = {(f, canon(m), v) for f, m, v in ours["items"]}
            if errors:
                classes["pysigma-rule-error"] += 1
                examples["pysigma-rule-error"].append(f"{rel}: {errors}")
                continue
            if our_items == their_items:
                same += 1
                continue
            cls = classify(our_items, their_items)
            classes[cls] += 1
            examples[cls].append(
                f"{rel}\n    only detcat:  {sorted(our_items - their_items, key=str)[:4]}\n"
                f"    only pySigma: {sorted(their_items - our_items, key=str)[:4]}"
            )
    print(f"rules compared: {compared}; identical item sets: {same} ({100.0 * same / max(compared, 1):.2f}%)")
    for cls, n in classes.most_common():
        print(f"\n== {cls}: {n}")
        for ex in examples[cls][: args.show]:
            print("  " + ex)
    return 0


if __name__ == "__main__":
    sys.exit(main())
