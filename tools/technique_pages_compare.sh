#!/usr/bin/env bash
# Compares `detcat technique ID --json` of two binaries, each on its own catalog, for every
# technique id of the catalog (ATT&CK's and those only rules name) — byte for byte. Used to
# check that a change of how technique pages are computed or stored (issue 19) leaves every
# page as it was.
#
#   tools/technique_pages_compare.sh OLD_BIN OLD.db NEW_BIN NEW.db [--include-deprecated]
#
# Prints the number of ids compared, identical and different (with the first differing ids
# and a diff of the first); exits 1 when any differs. Give both catalogs the same file name
# (in two directories): a not-found message names the file.
#
# RERUNS=N (default 0): when the outputs differ, run OLD up to N more times and count the id
# as identical if one run matches — for an OLD binary whose order of tied rows changes from
# run to run (before 2026-11-30 the guide left rows tied on rules, reach, field and value
# in hash-map order, which is random per process).
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 OLD_BIN OLD.db NEW_BIN NEW.db [extra technique options]" >&2
    exit 2
fi
old_bin=$1 old_db=$2 new_bin=$3 new_db=$4
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sqlite3 "$new_db" "SELECT id FROM techniques UNION SELECT technique_id FROM rule_techniques ORDER BY 1" >"$work/ids"
sqlite3 "$old_db" "SELECT id FROM techniques UNION SELECT technique_id FROM rule_techniques ORDER BY 1" >"$work/old_ids"
if ! cmp -s "$work/ids" "$work/old_ids"; then
    echo "the two catalogs have different technique ids" >&2
    exit 1
fi
reruns=${RERUNS:-0}
same=0 rerun_same=0 differ=0 first=""
while read -r id; do
    "$old_bin" technique "$id" --json --catalog "$old_db" "$@" >"$work/old" 2>&1 || true
    "$new_bin" technique "$id" --json --catalog "$new_db" "$@" >"$work/new" 2>&1 || true
    if cmp -s "$work/old" "$work/new"; then
        same=$((same + 1))
        continue
    fi
    matched=0
    for _ in $(seq 1 "$reruns"); do
        "$old_bin" technique "$id" --json --catalog "$old_db" "$@" >"$work/old" 2>&1 || true
        if cmp -s "$work/old" "$work/new"; then
            matched=1
            break
        fi
    done
    if [ "$matched" = 1 ]; then
        rerun_same=$((rerun_same + 1))
        echo "identical after rerunning OLD: $id"
    else
        differ=$((differ + 1))
        if [ -z "$first" ]; then
            first=$id
            diff <(python3 -m json.tool "$work/old" 2>/dev/null || cat "$work/old") \
                <(python3 -m json.tool "$work/new" 2>/dev/null || cat "$work/new") | head -40 >"$work/first.diff" || true
        fi
        [ "$differ" -le 20 ] && echo "differs: $id"
    fi
done <"$work/ids"
echo "technique ids: $((same + rerun_same + differ)), identical: $same, identical to a rerun of OLD: $rerun_same, different: $differ"
if [ "$differ" -gt 0 ]; then
    echo "first difference ($first):"
    cat "$work/first.diff"
    exit 1
fi
