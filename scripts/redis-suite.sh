#!/usr/bin/env bash
# Runs Redis's own test suite (the Tcl units of Debian's redis 7.0 source package) against a
# sealkv started on a free port, in Redis's external-server mode, and prints ok/err per unit.
#   npm run redis-suite                      every unit listed below
#   npm run redis-suite -- unit/type/list    just these units
#   npm run redis-suite -- --servers [units]  the harness's normal mode: it starts a server of its
#     own for each start_server block, with its own config file and overrides, so the tests tagged
#     external:skip run too, and the integration/ units (replication, failover, shutdown, logging,
#     redis-cli, redis-benchmark...: `--servers integration/redis-cli`) can run. src/redis-server in the source tree is then scripts/redis-suite-shim/
#     redis-server (sealkv with the harness's config file), src/redis-cli and src/redis-benchmark
#     Debian's tools. Without units: the units that hold external:skip tests.
#   npm run redis-suite -- --sentinel [tests]  Redis's sentinel suite (tests/sentinel) against
#     sealkv servers and Debian's redis-sentinel: scripts/redis-suite-sentinel.sh.
# Environment: SEALKV_ARGS extra server flags (e.g. "--seal-keys yes"); SUITE_PORT sealkv's port
# and SUITE_HARNESS_PORT the harness's own (both fixed instead of picked at random, for a machine
# where ports are handed out; with --servers the harness's servers take the ports from
# SUITE_HARNESS_PORT + 32 up, SUITE_PORT_COUNT of them, default 16: introspection keeps a listener on one for the rest of its unit and needs more than 8); logs go to .tmp/redis-suite[-SUITE_TAG]-<unit>.log.
# Needs tclsh (Debian: tcl) and the source package (fetched with `apt-get source` into
# .tmp/redis-src once; a deb-src line for bookworm is added if apt has none). Tests tagged
# needs:debug are skipped (sealkv has no DEBUG command), and encodings and DEBUG DIGEST are not
# checked (sealkv derives OBJECT ENCODING from content: README, deliberate differences).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SRC=.tmp/redis-src
if ! ls -d "$SRC"/redis-7.0*/tests >/dev/null 2>&1; then
  mkdir -p "$SRC"
  if ! grep -rqs '^Types: deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      > /etc/apt/sources.list.d/sealkv-redis-src.sources
    apt-get update -qq
  fi
  (cd "$SRC" && apt-get source --download-only redis >/dev/null 2>&1 && tar xzf redis_7.0*.orig.tar.gz) || {
    echo "redis-suite: could not fetch Debian's redis source package" >&2; exit 2; }
fi
command -v tclsh >/dev/null || { echo "redis-suite: tclsh missing (apt-get install tcl)" >&2; exit 2; }
TESTS=$(ls -d "$ROOT/$SRC"/redis-7.0*/ | head -1)
node scripts/ensure-built.mjs
SERVERS=0; MODE_TAG=
# Redis's sentinel suite: a harness of its own (tests/instances.tcl), see that script.
if [ "${1:-}" = --sentinel ]; then shift; exec bash scripts/redis-suite-sentinel.sh "$TESTS" "$@"; fi
if [ "${1:-}" = --servers ]; then SERVERS=1; MODE_TAG=-servers; shift; fi
UNITS=("$@")
if [ ${#UNITS[@]} -eq 0 ] && [ $SERVERS = 1 ]; then
  # Every unit with tests tagged external:skip (all of the first row's are).
  UNITS=(unit/auth unit/acl unit/acl-v2 unit/info unit/maxmemory unit/limits unit/obuf-limits
         unit/memefficiency unit/networking unit/shutdown unit/client-eviction unit/replybufsize
         unit/oom-score-adj unit/pendingquerybuf unit/querybuf
         unit/type/string unit/type/incr unit/type/list unit/type/list-2 unit/type/list-3 unit/type/set
         unit/type/zset unit/type/hash unit/type/stream unit/type/stream-cgroups unit/keyspace unit/expire
         unit/multi unit/scripting unit/functions unit/introspection unit/introspection-2 unit/pubsub
         unit/tracking unit/latency-monitor unit/lazyfree unit/other)
elif [ ${#UNITS[@]} -eq 0 ]; then
  # The unit/ part of test_helper.tcl's all_tests, in its order (integration/ tests start servers of their own).
  UNITS=(unit/printver unit/dump unit/auth unit/protocol unit/keyspace unit/scan unit/info unit/info-command
         unit/type/string unit/type/incr unit/type/list unit/type/list-2 unit/type/list-3 unit/type/set
         unit/type/zset unit/type/hash unit/type/stream unit/type/stream-cgroups unit/sort unit/expire
         unit/other unit/multi unit/quit unit/aofrw unit/acl unit/acl-v2 unit/latency-monitor unit/pubsub
         unit/pubsubshard unit/slowlog unit/scripting unit/functions unit/maxmemory unit/introspection
         unit/introspection-2 unit/limits unit/obuf-limits unit/bitops unit/bitfield unit/geo
         unit/memefficiency unit/hyperloglog unit/lazyfree unit/wait unit/pause unit/querybuf
         unit/pendingquerybuf unit/tls unit/tracking unit/oom-score-adj unit/shutdown unit/networking
         unit/cluster unit/client-eviction unit/violations unit/replybufsize unit/cluster-scripting
         unit/cluster/misc unit/cluster/links)
fi
if [ $SERVERS = 1 ]; then
  . scripts/redis-suite-shim/harness-setup.sh
  link_harness_tools "$TESTS/src" "$ROOT/scripts/redis-suite-shim/redis-server" redis-cli redis-benchmark
  use_shared_master_key "$ROOT"
fi
total_ok=0; total_err=0
for unit in "${UNITS[@]}"; do
  [ -f "$TESTS/tests/$unit.tcl" ] || { echo "$unit: no such unit"; continue; }
  # An exception (a command sealkv lacks, a reply the harness cannot read) stops a unit: skip
  # that test and run the unit again, up to 25 times, counting each skipped test as failed.
  skips=(); exc=0
  for attempt in $(seq 25); do
    LOG=$ROOT/.tmp/redis-suite${SUITE_TAG:+-$SUITE_TAG}$MODE_TAG-$(echo "$unit" | tr / -).log
    if [ $SERVERS = 0 ]; then
      PORT=${SUITE_PORT:-}
      [ -n "$PORT" ] || PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
      # shellcheck disable=SC2086 # SEALKV_ARGS is a list of flags
      node bin/sealkv.js --port "$PORT" --bind 127.0.0.1 ${SEALKV_ARGS:-} > "$LOG.server" 2>&1 &
      PID=$!
      for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
      TARGET=(--host 127.0.0.1 --port "$PORT")
    else
      PID=; TARGET=(--portcount "${SUITE_PORT_COUNT:-16}" --dump-logs)
    fi
    # A base port of its own, so runs side by side do not race for the harness's ports; below
    # Linux's ephemeral range (32768 up), where a busy machine's own connections take ports.
    # The harness listens on the first free port of [baseport - 32, baseport).
    BASEPORT=$((RANDOM % 20000 + 11000))
    [ -z "${SUITE_HARNESS_PORT:-}" ] || BASEPORT=$((SUITE_HARNESS_PORT + 32))
    (cd "$TESTS" && timeout 900 ./runtest "${TARGET[@]}" --single "$unit" --clients 1 --baseport "$BASEPORT" \
       --timeout 120 --tags -needs:debug --ignore-encoding --ignore-digest "${skips[@]}" > "$LOG" 2>&1)
    [ -z "$PID" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
    # The harness could not listen on its port (taken meanwhile): no test ran, try another.
    # (A test of an integration unit may fail to reach a server it stopped on purpose: that is
    # no harness port.)
    grep -q "^couldn't open socket" "$LOG" && ! grep -q "Testing $unit" "$LOG" && { echo "  $unit: harness port taken, running again" >&2; continue; }
    # A unit that made no progress for --timeout seconds is ended by the harness: count that test.
    grep -q '^\[.*TIMEOUT.*\]:' "$LOG" && { exc=$((exc + 1)); echo "  $unit: timed out (no progress for 120 s), counted as one failed test" >&2; break; }
    grep -q '\[.*exception.*\]:' "$LOG" || break
    # The test's name as its source gives it, in braces or in quotes (integration units use both).
    name=$(grep -o '^"test \({[^}]*}\|"[^"]*"\)' "$LOG" | tail -1 | sed 's/^"test .//; s/.$//')
    why=$(sed 's/\x1b\[[0-9;]*m//g' "$LOG" | grep -m1 '^\[exception\]:' | sed 's/^\[exception\]: //' | cut -c1-160)
    [ -n "$name" ] || { exc=$((exc + 1)); echo "  $unit: exception outside a test: $why" >&2; break; }
    # A name built from variables ("... ($how)") cannot be skipped by its source text: stop there.
    printf '%s\n' "${skips[@]}" | grep -qxF -- "$name" && { echo "  $unit: exception in \"$name\" again ($why), unit stopped" >&2; break; }
    exc=$((exc + 1)); skips+=(--skiptest "$name")
    echo "  $unit: exception in \"$name\" ($why), skipped, running again" >&2
  done
  # Distinct tests: a finished unit repeats each failure in its closing "*** [err]" summary.
  plain=$(sed 's/\x1b\[[0-9;]*m//g' "$LOG")
  ok=$(grep -c '^\[ok\]:' <<< "$plain"); err=$(grep '^\[err\]:' <<< "$plain" | sort -u | wc -l)
  total_ok=$((total_ok + ok)); total_err=$((total_err + err + exc))
  printf '%-28s ok %4d   err %4d   (%d of them exceptions)\n' "$unit" "$ok" "$((err + exc))" "$exc"
done
echo "total: ok $total_ok, err $total_err (logs in .tmp/redis-suite-*.log)"
