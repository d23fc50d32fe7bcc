#!/usr/bin/env python3
"""Make an N-times corpus for scaling runs (issue 19: "4x corpus <= 6 s, <= 500 MiB").

    python3 tools/scale_corpus.py ../shared/corpus /tmp/corpus4 4

Copy k (2..N) of every rule file goes beside the original, under a `_copy<k>` folder of the
same rule directory, so each vendor reads it as its own rule; its id is replaced by a new one
derived from (k, old id), so the (vendor, id) pairs stay unique and nothing is deduplicated.
Everything else (ATT&CK, Splunk macros and lookups, SOURCES.md) is there once. Files are
hard-linked where they are not changed. The output is scratch data: never commit it.
"""

import hashlib
import os
import re
import shutil
import sys

# Rule directories per vendor, and the line that carries a rule's id.
RULE_DIRS = {
    "sigma": ["rules", "rules-compliance", "rules-dfir", "rules-emerging-threats",
              "rules-placeholder", "rules-threat-hunting", "deprecated", "unsupported"],
    "elastic": ["rules", "rules_building_block"],
    "splunk": ["detections"],
}
ID_LINE = {
    "sigma": re.compile(r"^(id:\s*['\"]?)([0-9A-Za-z-]+)", re.M),
    "elastic": re.compile(r"^(rule_id\s*=\s*['\"])([0-9A-Za-z-]+)", re.M),
    "splunk": re.compile(r"^(id:\s*['\"]?)([0-9A-Za-z-]+)", re.M),
}
SKIP_TOP = {"regression_data"}


def new_id(copy, old):
    h = hashlib.md5(f"{copy}:{old}".encode()).hexdigest()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def link_or_copy(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if os.path.exists(dst):
        sys.exit(f"{dst} exists; remove it first")
    rule_files = 0
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        parts = [] if rel == "." else rel.split(os.sep)
        if len(parts) >= 2 and parts[0] == "sigma" and parts[1] in SKIP_TOP:
            dirs[:] = []
            continue
        for name in files:
            link_or_copy(os.path.join(root, name), os.path.join(dst, rel, name))
        vendor = parts[0] if parts else None
        if vendor not in RULE_DIRS or len(parts) < 2 or parts[1] not in RULE_DIRS[vendor]:
            continue
        for name in files:
            if not name.endswith((".yml", ".yaml", ".toml")):
                continue
            with open(os.path.join(root, name), encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
            rule_files += 1
            for k in range(2, n + 1):
                copied = ID_LINE[vendor].sub(lambda m: m.group(1) + new_id(k, m.group(2)), text, count=1)
                out = os.path.join(dst, parts[0], parts[1], f"_copy{k}", *parts[2:], name)
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with open(out, "w", encoding="utf-8", errors="surrogateescape") as f:
                    f.write(copied)
    print(f"{rule_files} rule files x {n} -> {dst}")


if __name__ == "__main__":
    main()
