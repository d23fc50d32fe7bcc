#!/usr/bin/env bash
# RUSTC_WRAPPER of tools/pgo_build.sh: adds the profile flags of the phase it runs
# (DETCAT_PGO_PHASE = generate | use, profiles under DETCAT_PGO_DIR) to the crates of the
# shipped binary.
#
# Why a wrapper and not RUSTFLAGS: cargo hashes RUSTFLAGS into every build-script output
# folder's name (target/release/build/<crate>-<hash>/out), and gcc finds a C object's profile
# (its .gcda) only beside the object, under the same path it had when it was instrumented.
# Flags added here stay out of cargo's hashes, so the instrumented and the optimized builds
# compile the bundled SQLite and mimalloc into folders of the same names.
#
# Build scripts and proc macros run on the build machine, never in the shipped binary: they
# get no flags (an instrumented build script would write profiles of cargo's own work).
set -euo pipefail
rustc=$1
shift
extra=()
case " $* " in
*" --crate-name build_script_"* | *" --crate-type proc-macro "*) ;;
*)
  case "${DETCAT_PGO_PHASE:-}" in
  generate)
    # -lgcov: the C objects instrumented by gcc (-fprofile-generate) call gcc's runtime.
    extra=("-Cprofile-generate=${DETCAT_PGO_DIR:?}/raw" "-Clink-arg=-lgcov")
    ;;
  use)
    extra=("-Cprofile-use=${DETCAT_PGO_DIR:?}/detcat.profdata")
    ;;
  esac
  ;;
esac
exec "$rustc" "$@" ${extra[@]+"${extra[@]}"}
