#!/bin/sh
# One target of the nightly cargo-fuzz campaign (docs/fuzzing.md), at the lowest priority.
#   fuzz/campaign.sh TARGET [RUNS] [SECONDS] [extra libFuzzer flags…]
# Builds with `--sanitizer none` (the workspace forbids unsafe code: a safe-Rust panic, an
# overflow under debug assertions, a stack overflow, a timeout or an OOM is what we look for)
# and debug assertions on. Seeds are `corpus/TARGET/` (not committed), dictionaries `dict/`.
set -eu
cd "$(dirname "$0")"
target=$1
runs=${2:-100000000}
secs=${3:-0}
[ $# -gt 3 ] && shift 3 || shift $#
case $target in
  event_readers) max_len=131072 ;;
  stix) max_len=65536 ;;
  yaml | sigma_rule) max_len=16384 ;;
  spl) max_len=8192 ;;
  *) max_len=4096 ;;
esac
mkdir -p "corpus/$target" "artifacts/$target"
exec nice -n 19 cargo +nightly fuzz run --sanitizer none -a -O "$target" "corpus/$target" -- \
  -dict="dict/$target.dict" -max_len=$max_len -timeout=10 -rss_limit_mb=2048 \
  -runs="$runs" -max_total_time="$secs" -print_final_stats=1 "$@"
