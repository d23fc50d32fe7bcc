#!/usr/bin/env bash
# Load test of the detcat web server on loopback, with wrk (bounded: fixed duration).
#
#   tools/loadtest.sh [CATALOG.db] [SECONDS] [PATH...]
#
# CATALOG defaults to the embedded demo (say so when reporting figures). Build a full one with
#   cargo run --release -p detcat_cli -- build --corpus /work/shared/corpus --out /tmp/full.db
# (or `cargo run --release -p detcat_web --example build_catalog -- CORPUS OUT.db`).
# The server is `detcat_web::serve_blocking` — the code `detcat serve` calls — through the
# crate's `serve` example (release build), bound to 127.0.0.1 on a free port, stopped at the
# end. Each path gets a warm-up and then `wrk -t2 -c16 -d${SECONDS}s --latency`, twice: as
# is (served from the response cache) and with a unique `?r=<random>` per request — the
# cache-bypass attack of issue 18, which must be served from the cache too (unknown query
# parameters are not part of the cache key). Then once per coding of ENCODINGS (default
# "gzip br"; wrk itself sends no Accept-Encoding, so the first two runs move the whole
# uncompressed page), with `-H 'Accept-Encoding: <coding>'` as a browser would.
set -euo pipefail

catalog="${1:-}"
secs="${2:-10}"
shift $(( $# > 2 ? 2 : $# )) || true
paths=("$@")
[ ${#paths[@]} -gt 0 ] || paths=(/technique/T1559.001 /api/technique/T1559.001)

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -q -p detcat_web --example serve
bin="${CARGO_TARGET_DIR:-$root/target}/release/examples/serve"

log="$(mktemp)"
bypass="$(mktemp --suffix=.lua)"
cat >"$bypass" <<'LUA'
-- A unique query parameter per request: the cache-bypass attack.
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", wrk.path .. "?r=" .. counter .. "-" .. math.random(1000000000))
end
LUA
"$bin" "$catalog" 127.0.0.1:0 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log" "$bypass"' EXIT

url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -n1 || true)"
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "server did not start" >&2; cat "$log" >&2; exit 1; }
echo "server: $url ($(grep -o 'serving .* at' "$log" | head -n1))"

for p in "${paths[@]}"; do
  code="$(curl -s -o /dev/null -w '%{http_code}' "$url$p")"
  echo
  echo "== $p (HTTP $code, $(curl -s "$url$p" | wc -c) bytes)"
  wrk -t2 -c16 -d"${secs}s" --latency "$url$p" | grep -E 'Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx|timeout'
  echo "-- $p?r=<unique per request> (cache bypass attempt)"
  wrk -t2 -c16 -d"${secs}s" --latency -s "$bypass" "$url$p" | grep -E 'Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx|timeout'
  for enc in ${ENCODINGS-gzip br}; do
    echo "-- $p with Accept-Encoding: $enc ($(curl -s -H "Accept-Encoding: $enc" "$url$p" | wc -c) bytes)"
    wrk -t2 -c16 -d"${secs}s" --latency -H "Accept-Encoding: $enc" "$url$p" | grep -E 'Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx|timeout'
  done
done
