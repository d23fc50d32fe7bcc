#!/usr/bin/env bash
# The performance suite of issue 19 in one command: whole-process timings with
# tools/paired.py (paired runs, medians), side by side with the peers it finds installed.
#
#   tools/bench.sh CORPUS [OLD_DETCAT]
#
# CORPUS is a corpus directory (sigma/ elastic/ splunk/ attack/, e.g. ../shared/corpus).
# OLD_DETCAT, when given, is an older detcat binary: the full build is then paired with it.
# Peers, each only when present: rsigma on PATH (or $RSIGMA), pySigma and eql importable by
# python3 (rsigma: `cargo install rsigma --version 0.23.0 --locked --root DIR`; without
# `--locked` a newer tree-sitter-iter needing a newer rustc is chosen and the build fails).
# Nothing here asserts a time; record the medians in docs/benchmarks.md with the date,
# machine and commit.
set -euo pipefail

corpus=${1:?usage: tools/bench.sh CORPUS [OLD_DETCAT]}
old=${2:-}
corpus=$(cd "$corpus" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${BENCH_RUNS:-9}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet --profile release -p detcat_cli --manifest-path "$repo/Cargo.toml"
detcat="$repo/target/release/detcat"
bench() { python3 "$repo/tools/paired.py" -n "$runs" "$@"; }

echo "== machine: $(nproc) cores, $(git -C "$repo" rev-parse --short HEAD), $(date -u +%F)"
ls -la "$detcat" | awk '{print "== release binary:", $5, "bytes"}'

echo "== full build of $corpus"
if [ -n "$old" ]; then
  bench --vs "$old build --corpus $corpus --out $work/old.db" \
    -- "$detcat" build --corpus "$corpus" --out "$work/full.db"
else
  bench -- "$detcat" build --corpus "$corpus" --out "$work/full.db"
fi
"$detcat" build --corpus "$corpus" --out "$work/full.db" >/dev/null

echo "== detcat technique T1059.001 --json (whole process, the biggest technique page)"
bench -- "$detcat" technique T1059.001 --json --catalog "$work/full.db"

echo "== coverage --have sysmon:1 --json (whole process)"
bench -- "$detcat" coverage --have sysmon:1 --json --catalog "$work/full.db"

# A corpus of the Sigma rules alone (and ATT&CK), for the parser peers.
# (copies as hard links where possible: the build does not follow symlinks out of a corpus)
mkdir -p "$work/sigma-only"
cp -al "$corpus/sigma" "$work/sigma-only/sigma" 2>/dev/null || cp -a "$corpus/sigma" "$work/sigma-only/sigma"
if [ -d "$corpus/attack" ]; then
  cp -al "$corpus/attack" "$work/sigma-only/attack" 2>/dev/null || cp -a "$corpus/attack" "$work/sigma-only/attack"
fi
rsigma=${RSIGMA:-$(command -v rsigma || true)}
if [ -n "$rsigma" ]; then
  # The same files on both sides: every Sigma folder (rsigma 0.23 takes them with `-r`).
  echo "== Sigma-only catalog build vs rsigma rule fields (A/B < 1: detcat faster)"
  bench --vs "$rsigma rule fields -r $corpus/sigma" \
    -- "$detcat" build --corpus "$work/sigma-only" --out "$work/sigma.db"
  mkdir -p "$work/sigma-no-attack"
  cp -al "$corpus/sigma" "$work/sigma-no-attack/sigma" 2>/dev/null || cp -a "$corpus/sigma" "$work/sigma-no-attack/sigma"
  echo "== the same without ATT&CK (no bundle to read: the rules alone, as rsigma reads them)"
  bench --vs "$rsigma rule fields -r $corpus/sigma" \
    -- "$detcat" build --corpus "$work/sigma-no-attack" --out "$work/sigma-no-attack.db"
else
  echo "== Sigma-only catalog build (rsigma not found: set RSIGMA or put it on PATH)"
  bench -- "$detcat" build --corpus "$work/sigma-only" --out "$work/sigma.db"
fi
if python3 -c 'import sigma' 2>/dev/null; then
  echo "== Sigma-only catalog build vs pySigma SigmaCollection.from_yaml on the same files"
  bench --vs "python3 $repo/tools/sigma_bench_pysigma.py $corpus/sigma" \
    -- "$detcat" build --corpus "$work/sigma-only" --out "$work/sigma.db"
fi
if python3 -c 'import eql' 2>/dev/null; then
  mkdir -p "$work/elastic-only"
  cp -al "$corpus/elastic" "$work/elastic-only/elastic" 2>/dev/null || cp -a "$corpus/elastic" "$work/elastic-only/elastic"
  echo "== Elastic-only catalog build vs eql.parse_query over the same EQL rules"
  bench --vs "python3 $repo/tools/eql_bench.py $corpus/elastic" \
    -- "$detcat" build --corpus "$work/elastic-only" --out "$work/elastic.db"
fi
