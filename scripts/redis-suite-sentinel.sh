#!/usr/bin/env bash
# Runs Redis's sentinel suite (tests/sentinel of Debian's redis 7.0 source package) against
# sealkv: `npm run redis-suite -- --sentinel [tests]` (scripts/redis-suite.sh fetches the source
# and builds, then hands over here with the source tree as first argument).
#   tests   words matched against the test files' names (e.g. 00-base 07-down); all without.
# The harness (tests/instances.tcl) starts five servers and five sentinels and runs the files in
# order against them, as ./runtest-sentinel does: src/redis-server is scripts/redis-suite-shim/
# redis-server (sealkv with the harness's config file), src/redis-sentinel and src/redis-cli
# Debian's. Prints ok/err per test file.
# An error that is not an assertion (a command sealkv refuses on purpose) ends its file there:
# that test is then skipped and the file run again, up to 5 times, each skipped test counted as
# failed, so the tests after it run too.
# Environment: SUITE_HARNESS_PORT the servers' first port (random 11000-30999 unless set),
# SUITE_PORT_COUNT how many ports each kind may use (default 100; the sentinels' come right
# after the servers'); SEALKV_ARGS extra server flags; SUITE_TAG a name for the logs
# (.tmp/redis-suite[-TAG]-sentinel[-rerun-N].log; the instances' own logs stay in
# tests/sentinel/tmp). Every run is bounded by `timeout 1200`.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SRCROOT=${1:?source tree}; shift
# SUITE_REFERENCE_SERVER (e.g. /usr/bin/redis-server) runs the same suite against that server
# instead of sealkv: the baseline the counts are read beside.
. scripts/redis-suite-shim/harness-setup.sh
link_harness_tools "$SRCROOT/src" "${SUITE_REFERENCE_SERVER:-$ROOT/scripts/redis-suite-shim/redis-server}" redis-cli redis-sentinel
use_shared_master_key "$ROOT"
export SENTINEL_SUITE_PORT=${SUITE_HARNESS_PORT:-$((RANDOM % 20000 + 11000))}
export SENTINEL_SUITE_PORT_COUNT=${SUITE_PORT_COUNT:-100}
export SENTINEL_SUITE_SKIP=
BASE=$ROOT/.tmp/redis-suite${SUITE_TAG:+-$SUITE_TAG}-sentinel

# The log without colours and without the shim's start-up line (printed for the unit harness, it
# can split a test's line in two).
plain() { sed -z 's/redis-suite shim: [^\n]*\n//g' "$1" | sed 's/\x1b\[[0-9;]*m//g'; }

# "<file> <ok> <err>" per test file of a log. Each test prints "<time>> <name>: OK", "...:
# FAILED: <assertion>" or, for an error that ends the file, "...: FAILED: caught an error in the
# test <message>"; skipped ones "...: SKIPPED". An error outside any test ends the file on a line
# of its own, with its message (without one, that line follows a failed assertion, counted).
count() {
  plain "$1" | awk '
    /^Testing unit: / { unit = $3; units[++n] = unit; ok[unit] = 0; err[unit] = 0; next }
    unit == "" { next }
    /^[0-9:]+> .*: OK$/ { ok[unit]++ }
    /^[0-9:]+> .*: (FAILED|SKIPPED)/ { err[unit]++ }
    /^FAILED: caught an error in the test ./ { err[unit]++ }
    END { for (i = 1; i <= n; i++) print units[i], ok[units[i]], err[units[i]] }'
}

# The tests whose error ended their file: "<file> <test name>" per line.
stoppers() {
  plain "$1" | awk '
    /^Testing unit: / { unit = $3; next }
    /^[0-9:]+> .*: FAILED: caught an error in the test/ {
      sub(/^[0-9:]+> /, ""); sub(/: FAILED: caught an error in the test.*/, ""); print unit, $0 }'
}

run() { # log, then --single patterns
  local log=$1; shift
  (cd "$SRCROOT" && timeout 1200 tclsh "$ROOT/scripts/redis-suite-shim/sentinel-run.tcl" --dont-clean "$@" > "$log" 2>&1)
}

singles=(); for t in "$@"; do singles+=(--single "$t"); done
run "$BASE.log" "${singles[@]}"
declare -A result; order=()
while read -r unit ok err; do result[$unit]="$ok $err"; order+=("$unit"); done < <(count "$BASE.log")
skip=
for round in 1 2 3 4 5; do
  found=$(stoppers "${LOG:-$BASE.log}")
  [ -n "$found" ] || break
  files=(); while read -r unit name; do
    echo "  $unit: error in \"$name\", skipped, running the file again" >&2
    skip+="$name"$'\n'; files+=(--single "$unit")
  done <<< "$found"
  export SENTINEL_SUITE_SKIP=$skip
  LOG=$BASE-rerun-$round.log
  run "$LOG" "${files[@]}"
  while read -r unit ok err; do result[$unit]="$ok $err"; done < <(count "$LOG")
done
total_ok=0; total_err=0
for unit in "${order[@]}"; do
  read -r ok err <<< "${result[$unit]}"
  total_ok=$((total_ok + ok)); total_err=$((total_err + err))
  printf '%-28s ok %4d   err %4d\n' "$unit" "$ok" "$err"
done
echo "total: ok $total_ok, err $total_err (logs in $BASE*.log)"
