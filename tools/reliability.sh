#!/usr/bin/env bash
# The heavy cases of the reliability suite (issue 18), run by hand: they print figures and
# never fail on time. The fast cases run in CI as `cargo test` (tests/reliability.rs of
# detcat_web, detcat_cli, detcat_catalog and detcat_sigma).
#
#   tools/reliability.sh [WORKDIR]      (default: a fresh temporary directory)
#
# 1. a Sigma file of 60,000 YAML documents (0.9 MB): build time;
# 2. an all-hostile corpus (that file, a flat OR chain of 200k items, a 3.9 MB title, deep
#    nesting, symlinks to /etc, /dev/zero, a loop, a dangling one, a FIFO): build time and peak
#    RSS, input vs catalog size, and the skipped entries in `detcat stats`;
# 3. the 3,000-field search against a running server: status and time;
# 4. 20,000 idle sockets held open (tools/idle_sockets.py), then /healthz 20 times: status,
#    time, and the server's RSS/threads/descriptors.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
cd "$root"
cargo build --release -q -p detcat_cli
bin="${CARGO_TARGET_DIR:-$root/target}/release/detcat"

corpus="$work/hostile"
rm -rf "$corpus" "$work/outside"
mkdir -p "$corpus/sigma/rules" "$work/outside"
python3 - "$corpus" "$work/outside" <<'PY'
import os, sys
root, outside = sys.argv[1], sys.argv[2]
rules = os.path.join(root, "sigma", "rules")
def w(name, text):
    with open(os.path.join(rules, name), "w") as f:
        f.write(text)
head = "logsource: {product: windows, category: process_creation}\n"
w("many-documents.yml", "---\n".join("title: t%d\n" % i for i in range(60000)))
w("or-chain.yml", "title: or chain\n" + head + "detection:\n  sel: {Image: a.exe}\n  condition: "
  + " or ".join(["sel"] * 200000) + "\n")
w("huge-title.yml", "title: " + "T" * 3_900_000 + "\n" + head + "detection:\n  sel: {Image: a.exe}\n  condition: sel\n")
w("deep.yml", "title: deep\n" + head + "detection:\n  sel: " + "[" * 10000 + "]" * 10000 + "\n  condition: sel\n")
with open(os.path.join(outside, "x.yml"), "w") as f:
    f.write("title: outside\n" + head + "detection:\n  sel: {Image: a.exe}\n  condition: sel\n")
os.symlink(os.path.join(outside, "x.yml"), os.path.join(rules, "to-outside.yml"))
os.symlink("/etc/passwd", os.path.join(rules, "to-etc.yml"))
os.symlink("/dev/zero", os.path.join(rules, "to-zero.yml"))
os.symlink(os.path.join(rules, "gone.yml"), os.path.join(rules, "dangling.yml"))
os.symlink(rules, os.path.join(rules, "loop"))
os.mkfifo(os.path.join(rules, "pipe.yml"))
PY

echo "== 1. 60,000-document file alone"
mkdir -p "$work/many/sigma/rules"
cp "$corpus/sigma/rules/many-documents.yml" "$work/many/sigma/rules/"
/usr/bin/time -f "   wall %e s, peak RSS %M KiB" "$bin" build --corpus "$work/many" --out "$work/many.db" >/dev/null

echo "== 2. all-hostile corpus"
/usr/bin/time -f "   wall %e s, peak RSS %M KiB" "$bin" build --corpus "$corpus" --out "$work/hostile.db" >/dev/null
echo "   input $(du -sb "$corpus" | cut -f1) bytes -> catalog $(stat -c %s "$work/hostile.db") bytes"
"$bin" stats --catalog "$work/hostile.db" | sed -n '1,20p' | grep -E "vendor|sigma|skipped" || true

echo "== 3. 3,000-field search and 4. idle sockets (server on loopback)"
log="$work/serve.log"
port=$(( 20000 + RANDOM % 20000 ))
"$bin" serve --catalog "$work/hostile.db" --addr "127.0.0.1:$port" 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
q="$(python3 -c 'print("+".join("field:F%dx" % i for i in range(3000)))')"
curl -s -o /dev/null -w "   3000-field search: HTTP %{http_code} in %{time_total} s\n" "http://127.0.0.1:$port/api/search?q=$q"
# 20,000 idle sockets from two client processes (one may not hold 20,000 descriptors under a
# 20,000 hard limit); /healthz timed 20 times while they are held; the server's RSS, threads
# and descriptors before, during and after.
python3 tools/idle_sockets.py "127.0.0.1:$port" "$server" 20000 2 | sed 's/^/   /' || true
