#!/bin/sh
# Grade the JavaScript example through the file protocol (spec ADP-6, ADP-7): export the inputs,
# run node on them, grade the results file. Exits with the code of `bpspec check` (0 pass, 1 fail,
# 2 unusable input). The options (--vectors DIR, --suite S, --case GLOB, --dtype D) go to both
# commands. A failing run keeps its inputs and results for a look; a passing one removes them.
#
#   examples/run_js.sh [--vectors DIR] [--suite S ...] [--case GLOB] [--dtype D]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bpspec=${BPSPEC:-bpspec}
work=$(mktemp -d "${TMPDIR:-/tmp}/bpspec-js.XXXXXX")
trap 'rm -rf "$work"' EXIT
$bpspec export-inputs --out "$work/inputs" "$@"
node "$here/js/backprop.mjs" "$work/inputs" "$work/results.csv"
status=0
$bpspec check --results "$work/results.csv" "$@" || status=$?
if [ "$status" -eq 1 ]; then
    trap - EXIT
    echo "inputs and results kept in $work" >&2
fi
exit "$status"
