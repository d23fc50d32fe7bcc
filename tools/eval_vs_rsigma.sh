#!/usr/bin/env bash
# detcat's evaluator beside rsigma (docs/benchmarks.md, "Evaluator"): every active Sigma rule of
# the corpus over the same events — the regression events flattened the way rsigma reads them,
# repeated COPIES times — measured two ways, both printed here:
#
#   1. the events phase, rules already loaded and compiled: reading, parsing and evaluating the
#      events (in-process timers: `eval_bench --sigma-file` and `rsigma-harness`; for the rsigma
#      CLI, whole runs over the file minus whole runs over its first event);
#   2. the whole commands, paired runs (tools/paired.py): `detcat match --vendor sigma --json`
#      against rsigma's engine as `rsigma engine eval` runs it (one thread) and as its library
#      runs on every core (`--batch`: `Engine::evaluate_batch` with rayon).
#
# Then the match counts of each side. Nothing here asserts a time.
#
#   tools/eval_vs_rsigma.sh CATALOG [COPIES] [PAIRS]
#
# CATALOG is a catalog of the corpus (`detcat build --corpus $DETCAT_CORPUS --out CATALOG`).
# Binaries from the environment, with these defaults:
#   DETCAT=target/profiling/detcat  EVAL_BENCH=target/profiling/examples/eval_bench
#   HARNESS=tools/rsigma_harness/target/release/rsigma-harness
#   RSIGMA=<an rsigma 0.23 binary>  (optional: the CLI itself)
set -euo pipefail

corpus=${DETCAT_CORPUS:-../shared/corpus}
catalog=${1:?usage: tools/eval_vs_rsigma.sh CATALOG [COPIES] [PAIRS]}
copies=${2:-420}
pairs=${3:-7}
detcat=${DETCAT:-target/profiling/detcat}
bench=${EVAL_BENCH:-target/profiling/examples/eval_bench}
harness=${HARNESS:-tools/rsigma_harness/target/release/rsigma-harness}
rsigma=${RSIGMA:-}
work=${TMPDIR:-/tmp}/detcat_vs_rsigma
mkdir -p "$work"

# The same rules both sides: the active Sigma folders (detcat's catalog holds these, minus
# `deprecated` and `unsupported`, which rsigma would load too).
rules=$work/sigma_rules
if [ ! -d "$rules" ]; then
  mkdir -p "$rules"
  for d in "$corpus"/sigma/rules*; do cp -r "$d" "$rules/"; done
fi
events=$work/flat_$copies.jsonl
[ -s "$events" ] || "$bench" --flat "$corpus/sigma/regression_data" "$copies" "$events"
head -n 1 "$events" > "$work/first.jsonl"
echo "events: $(wc -l < "$events") lines, $(du -m "$events" | cut -f1) MB ($events); $(nproc) cores"

echo
echo "== events phase (rules loaded first), 3 rounds"
for _ in 1 2 3; do
  "$bench" --sigma-file "$catalog" "$events"
  "$harness" "$rules" "$events" 2>&1 >/dev/null | sed 's/^/rsigma: /' | tail -n 1
  "$harness" "$rules" "$events" --batch 4096 2>&1 >/dev/null | sed 's/^/rsigma: /' | tail -n 1
done
if [ -n "$rsigma" ]; then
  python3 - "$rsigma" "$rules" "$events" "$work/first.jsonl" <<'EOF'
import statistics, subprocess, sys, time
rsigma, rules, events, first = sys.argv[1:]
n = sum(1 for _ in open(events))
def wall(f):
    t = time.perf_counter()
    subprocess.run([rsigma, "engine", "eval", "-r", rules, "-e", "@" + f],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t
full, one = [], []
for _ in range(3):
    one.append(wall(first))
    full.append(wall(events))
phase = statistics.median(full) - statistics.median(one)
print(f"rsigma engine eval (CLI): whole {statistics.median(full):.2f} s, first event only "
      f"{statistics.median(one):.2f} s; events phase {phase:.2f} s: {(n - 1) / phase:.0f} events/s")
EOF
fi

echo
echo "== whole commands, $pairs pairs each (A: detcat match --vendor sigma --json)"
a=("$detcat" match "$events" --vendor sigma --catalog "$catalog" --json)
echo "-- B: rsigma's engine, one thread (what \`rsigma engine eval\` does)"
python3 tools/paired.py -n "$pairs" --vs "$harness $rules $events" -- "${a[@]}"
echo "-- B: rsigma's engine, evaluate_batch on every core"
python3 tools/paired.py -n "$pairs" --vs "$harness $rules $events --batch 4096" -- "${a[@]}"
if [ -n "$rsigma" ]; then
  echo "-- B: rsigma engine eval (the CLI)"
  python3 tools/paired.py -n "$pairs" --vs "$rsigma engine eval -r $rules -e @$events" -- "${a[@]}"
fi

echo
echo "== matches (and the rules that fire on one side only)"
"${a[@]}" > "$work/detcat.json"
"$harness" "$rules" "$events" > "$work/rsigma.jsonl" 2>/dev/null
python3 - "$work/detcat.json" "$work/rsigma.jsonl" <<'EOF'
import collections, json, sys
files = json.load(open(sys.argv[1]))
ours = collections.Counter()
for f in files:
    for r in f["rules"]:
        ours[r["id"]] += len(r["fired_on"])
theirs = collections.Counter()
for line in open(sys.argv[2]):
    m = json.loads(line)
    theirs[m.get("rule_id") or m["rule_title"]] += 1
ours = +ours
print(f"detcat: {sum(ours.values())} matches, {len(ours)} rules fire")
print(f"rsigma: {sum(theirs.values())} matches, {len(theirs)} rules fire")
both = ours.keys() & theirs.keys()
same = sum(1 for r in both if ours[r] == theirs[r])
print(f"rules firing on both sides: {len(both)} ({same} with the same count); "
      f"only detcat: {len(ours.keys() - theirs.keys())}; only rsigma: {len(theirs.keys() - ours.keys())}")
EOF
