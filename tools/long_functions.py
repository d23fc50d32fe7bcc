#!/usr/bin/env python3
"""Lists non-test Rust functions longer than a limit (default 100 lines) under crates/.

A function's length is its lines from the `fn` keyword to its closing brace. Test code is
left out: `tests/` folders, `*tests.rs` files, `benches/`, and `#[cfg(test)]` modules inside
a file. Usage: tools/long_functions.py [--limit N] [ROOT]   (ROOT defaults to crates/)
Prints `lines path:line name`, longest first, then the count; exits 1 when any is listed.
"""

import argparse
import pathlib
import re
import sys


def blank_out(src: str) -> str:
    """The source with comments, strings and char literals replaced by spaces (newlines kept),
    so braces inside them do not count."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif (m := re.match(r'b?r(#*)"', src[i:])) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            end = '"' + m.group(1)
            j = src.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == "'" and (m := re.match(r"'(\\.[^']*|[^\\'\n])'", src[i:])):
            out.append(" " * m.end())
            i += m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def matching_brace(code: str, open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(code)):
        if code[j] == "{":
            depth += 1
        elif code[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(code) - 1


def functions(code: str):
    """(name, start offset, end offset) of every fn with a body, outside cfg(test) modules."""
    skipped = []
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", code):
        skipped.append((m.start(), matching_brace(code, m.end() - 1)))
    for m in re.finditer(r"\bfn\s+(\w+)", code):
        if any(a <= m.start() <= b for a, b in skipped):
            continue
        before = code[max(0, m.start() - 200) : m.start()]
        if re.search(r"#\[(test|tokio::test)[^\]]*\]\s*(pub\s+)?(async\s+)?$", before):
            continue
        j, paren = m.end(), 0
        while j < len(code):
            ch = code[j]
            if ch in "([":
                paren += 1
            elif ch in ")]":
                paren -= 1
            elif paren == 0 and ch == ";":
                break
            elif paren == 0 and ch == "{":
                yield m.group(1), m.start(), matching_brace(code, j)
                break
            j += 1


def is_test_file(path: pathlib.Path) -> bool:
    parts = path.parts
    return "tests" in parts or "benches" in parts or path.name.endswith("tests.rs")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", default="crates")
    ap.add_argument("--limit", type=int, default=100)
    args = ap.parse_args()
    rows = []
    for path in sorted(pathlib.Path(args.root).rglob("*.rs")):
        if is_test_file(path) or "target" in path.parts:
            continue
        code = blank_out(path.read_text(encoding="utf-8"))
        for name, start, end in functions(code):
            lines = code.count("\n", start, end) + 1
            if lines > args.limit:
                rows.append((lines, f"{path}:{code.count(chr(10), 0, start) + 1}", name))
    for lines, where, name in sorted(rows, reverse=True):
        print(f"{lines:5} {where} {name}")
    print(f"{len(rows)} non-test functions over {args.limit} lines")
    return 1 if rows else 0


if __name__ == "__main__":
    sys.exit(main())
