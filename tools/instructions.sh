#!/usr/bin/env bash
# Instruction counts of two detcat binaries building the same corpus, and where they differ:
# a measure of CPU work that a noisy machine does not move (wall time on a shared 2-core VM
# varies by a third between runs of one binary; instructions by well under 0.1%).
#
#   tools/instructions.sh OLD_DETCAT NEW_DETCAT CORPUS
#
# Runs both builds under valgrind's cachegrind (instruction counts only, `--cache-sim=no`) at
# the same time, one core each (valgrind runs a program's threads one at a time): ~4 minutes
# for the full corpus. Prints each total, the change, and the functions whose counts moved
# most. Function names need symbols: compare binaries built with debug line tables (the quick
# profile of docs/benchmarks.md), not the stripped release binary, for the per-function part.
# Instructions are not time — cache misses and waiting are not counted — so pair this with
# tools/paired.py. Needs valgrind (cachegrind, cg_diff, cg_annotate).
set -euo pipefail

old=${1:?usage: tools/instructions.sh OLD_DETCAT NEW_DETCAT CORPUS}
new=${2:?usage: tools/instructions.sh OLD_DETCAT NEW_DETCAT CORPUS}
corpus=${3:?usage: tools/instructions.sh OLD_DETCAT NEW_DETCAT CORPUS}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

count() { # NAME BINARY
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$work/$1.out" \
    "$2" build --corpus "$corpus" --out "$work/$1.db" >"$work/$1.log" 2>&1
}
count old "$old" &
count new "$new" &
wait

total() { awk '/I *refs:/ {gsub(",", "", $NF); print $NF}' "$work/$1.log"; }
a=$(total old)
b=$(total new)
echo "old: $a instructions ($old)"
echo "new: $b instructions ($new)"
awk -v a="$a" -v b="$b" 'BEGIN { printf "new/old: %.4f (%+d)\n", b / a, b - a }'
echo
echo "functions whose counts moved most (negative: fewer in new):"
cg_diff "$work/old.out" "$work/new.out" >"$work/diff.out" 2>/dev/null
cg_annotate --auto=no "$work/diff.out" | sed -n '/file:function/,/^$/p' | sed -n '3,32p'
