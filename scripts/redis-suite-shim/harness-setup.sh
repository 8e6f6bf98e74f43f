# Sourced by scripts/redis-suite.sh (--servers) and scripts/redis-suite-sentinel.sh: what both
# harness modes need in the source tree before Redis's Tcl harness starts servers of its own.

# link_harness_tools <src dir> <redis-server to run> <Debian tool>...: src/redis-server is the
# given server (sealkv's shim, or a reference redis-server), the tools are Debian's.
link_harness_tools() {
  local src=$1 server=$2 tool
  shift 2
  ln -sf "$server" "$src/redis-server"
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "redis-suite: $tool missing (apt-get install redis-tools redis-sentinel)" >&2; exit 2; }
    ln -sf "$(command -v "$tool")" "$src/$tool"
  done
}

# use_shared_master_key <project root>: one master key for every server of a run (made once,
# owner-only), passed on by the shim through SEALKV_ARGS: the harness makes replicas of its
# servers, and a replica refuses a master with another key.
use_shared_master_key() {
  local keyfile=$1/.tmp/redis-suite-master.key
  [ -s "$keyfile" ] || (umask 077 && head -c 32 /dev/urandom > "$keyfile")
  export SEALKV_ARGS="${SEALKV_ARGS:-} --master-key-file $keyfile"
}
