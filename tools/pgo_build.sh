#!/usr/bin/env bash
# The release binary built with profile-guided optimization (issue 19): an instrumented
# build, a training run of detcat's daily work, then the shipped profile (fat LTO, stripped)
# optimized with what the training measured — the Rust code by rustc (LLVM's PGO), the bundled
# SQLite and mimalloc by gcc (-fprofile-use). docs/benchmarks.md, "Profile-guided release
# build", has what it changes.
#
#   tools/pgo_build.sh [CORPUS]     -> target/pgo/detcat (or $CARGO_TARGET_DIR/pgo/detcat)
#
# CORPUS is the corpus the training builds a catalog of (default: $DETCAT_CORPUS when set,
# else the embedded demo corpus); the training then asks that catalog for technique pages,
# searches, fields and events on the command line and through `detcat serve`. Train on the
# real corpora: trained on the demo alone, the binary built the full corpus 0.960x as long as
# `cargo build --release`'s (0.916x trained on the full corpus) and Sigma alone 0.993x (0.968x).
# Needs rustup's llvm-tools (installed here when missing: llvm-profdata merges rustc's
# profiles), gcc (as any build of the bundled SQLite) and python3 (the HTTP requests).
# Two builds of the whole workspace from scratch: ~12 minutes on two cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
case $target in /*) ;; *) target=$root/$target ;; esac
work=$target/pgo
gen=$work/gen
use=$work/use
profiles=$work/profiles
corpus=${1:-${DETCAT_CORPUS:-}}

host=$(rustc -vV | sed -n 's/^host: //p')
profdata=$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata
if [ ! -x "$profdata" ]; then
  rustup component add llvm-tools
fi

# Both builds compile the same crates with the same visible flags (see tools/pgo_rustc.sh);
# only the wrapper's phase and CFLAGS differ. The C code keeps its optimization level
# (SQLite -Os, Cargo.toml: at -O2 with its profile it ran ~1.5% faster but made the binary
# 0.38 MB larger, over issue 19's 15 MB).
export RUSTC_WRAPPER=$root/tools/pgo_rustc.sh
export DETCAT_PGO_DIR=$profiles

echo "== instrumented build ($gen)" >&2
rm -rf "$profiles"
mkdir -p "$profiles/raw"
# Profiles of an earlier training would add up with this one's.
if [ -d "$gen/release/build" ]; then
  find "$gen/release/build" -name '*.gcda' -delete
fi
DETCAT_PGO_PHASE=generate CARGO_TARGET_DIR=$gen \
  CFLAGS="-fprofile-generate -fprofile-update=atomic" \
  cargo build --release --locked -p detcat_cli --manifest-path "$root/Cargo.toml"

echo "== training" >&2
detcat=$gen/release/detcat
catalog=$work/train.db
if [ -n "$corpus" ]; then
  "$detcat" build --corpus "$corpus" --out "$catalog" >/dev/null
else
  "$detcat" build --out "$catalog" >/dev/null
fi
# The demo catalog too: every vendor's parser and the embedded corpus' reader.
"$detcat" build --out "$work/demo.db" >/dev/null
for args in \
  "technique T1059.001 --json" "technique T1059.001" "technique T1218" "technique T1559.001 --json" \
  "search regsvr32" "search field:process.name value:regsvr32.exe --json" \
  "field process.command_line" "event sysmon:1" "stats" "stats --json" \
  "coverage --have sysmon:1 --have security:4688" "top --by gap"; do
  # shellcheck disable=SC2086 # the arguments are split on purpose
  "$detcat" $args --catalog "$catalog" >/dev/null 2>&1 || echo "training: '$args' failed" >&2
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$detcat" serve --catalog "$catalog" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
python3 - "$port" <<'PY'
import sys, time, urllib.error, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
for _ in range(100):
    try:
        urllib.request.urlopen(base + "/healthz", timeout=2).read()
        break
    except OSError:
        time.sleep(0.1)
pages = ["/", "/technique/T1059.001", "/technique/T1559.001", "/technique/T1218",
         "/search?q=regsvr32", "/field/process.command_line", "/event/sysmon:1", "/stats",
         "/coverage", "/api/technique/T1059.001", "/api/search?q=powershell"]
# Each page uncached once, then cached: as browsers ask (brotli, gzip) and without encoding.
for rounds, encodings in ((1, [None]), (300, ["br", "gzip", None])):
    for _ in range(rounds):
        for page in pages:
            for enc in encodings:
                req = urllib.request.Request(base + page)
                if enc:
                    req.add_header("Accept-Encoding", enc)
                try:
                    urllib.request.urlopen(req, timeout=10).read()
                except urllib.error.HTTPError:
                    pass
PY
kill "$server"
wait "$server" 2>/dev/null || true
trap - EXIT

echo "== merging profiles" >&2
"$profdata" merge -o "$profiles/detcat.profdata" "$profiles/raw"
# gcc writes each C object's profile beside the object; the optimized build compiles the same
# objects into folders of the same names, where gcc looks for them.
rm -rf "$use"
copied=0
while IFS= read -r gcda; do
  rel=${gcda#"$gen"/}
  mkdir -p "$use/$(dirname "$rel")"
  cp "$gcda" "$use/$rel"
  copied=$((copied + 1))
done < <(find "$gen/release/build" -name '*.gcda')
if [ "$copied" -eq 0 ]; then
  echo "no C profiles were written by the training" >&2
  exit 1
fi

echo "== optimized build ($use)" >&2
DETCAT_PGO_PHASE=use CARGO_TARGET_DIR=$use \
  CFLAGS="-fprofile-use -fprofile-correction -Wno-missing-profile" \
  cargo build --release --locked -p detcat_cli --manifest-path "$root/Cargo.toml"
# A C object compiled with its profile has hot and unlikely text sections; one compiled
# without (its .gcda not found) has neither, and gcc only warns (cc's own flag checks compile
# test files that have no profile, so the warning cannot be an error).
for object in "$use"/release/build/libsqlite3-sys-*/out/*sqlite3.o; do
  sections=$(objdump -h "$object")
  if ! grep -q '\.text\.hot\.' <<<"$sections"; then
    echo "$object was compiled without its profile" >&2
    exit 1
  fi
done
cp "$use/release/detcat" "$work/detcat"
ls -l "$work/detcat"
