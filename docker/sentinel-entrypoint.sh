#!/bin/sh
# Entry point of the sealkv-sentinel image: Debian's redis-sentinel with its configuration file on
# a tmpfs. Sentinel rewrites that file while it runs (known replicas and sentinels, the current
# epoch, every failover), so it cannot live on the read-only root, and since it may hold
# `auth-pass` it must not reach a disk either: a /sentinel that is not a tmpfs is refused.
#
# Either mount a complete sentinel.conf read-only at $SEALKV_SENTINEL_CONF_TEMPLATE (default
# /etc/sealkv-sentinel/sentinel.conf; it is copied, never changed), or let this script write one:
#
#   SEALKV_SENTINEL_MONITOR        "HOST PORT QUORUM" of the initial primary (required)
#   SEALKV_SENTINEL_MASTER_NAME    the name clients ask for (default sealkv)
#   SEALKV_SENTINEL_DOWN_AFTER_MS  down-after-milliseconds (default 5000)
#   SEALKV_SENTINEL_FAILOVER_TIMEOUT_MS  failover-timeout (default 30000)
#   SEALKV_SENTINEL_ANNOUNCE_IP    announce-ip (e.g. the pod IP; default: what Sentinel sees)
#   SEALKV_SENTINEL_AUTH_PASS_FILE a file holding the sealkv nodes' requirepass (auth-pass)
#   SEALKV_SENTINEL_PORT           default 26379
#   SEALKV_SENTINEL_DIR            where the config is written (default /sentinel; must be a tmpfs)
#
# Arguments after the image name are passed on to redis-sentinel (e.g. --loglevel verbose).
set -eu

dir="${SEALKV_SENTINEL_DIR:-/sentinel}"
conf="$dir/sentinel.conf"
template="${SEALKV_SENTINEL_CONF_TEMPLATE:-/etc/sealkv-sentinel/sentinel.conf}"
fail() { echo "sealkv-sentinel-entrypoint: $*" >&2; exit 1; }

[ "$(stat -f -c %T "$dir" 2>/dev/null)" = tmpfs ] ||
  fail "$dir is not a tmpfs: mount one there (docker run --tmpfs $dir:size=16m,mode=1770,uid=10001,gid=10001)"

umask 077
if [ -f "$template" ]; then
  cp "$template" "$conf"
else
  [ -n "${SEALKV_SENTINEL_MONITOR:-}" ] ||
    fail "set SEALKV_SENTINEL_MONITOR=\"HOST PORT QUORUM\" or mount a sentinel.conf at $template"
  name="${SEALKV_SENTINEL_MASTER_NAME:-sealkv}"
  # shellcheck disable=SC2086 # HOST PORT QUORUM are three words on purpose
  set -- $SEALKV_SENTINEL_MONITOR "$@"
  [ $# -ge 3 ] || fail "SEALKV_SENTINEL_MONITOR must be \"HOST PORT QUORUM\""
  host=$1 port=$2 quorum=$3
  shift 3
  {
    echo "port ${SEALKV_SENTINEL_PORT:-26379}"
    echo "dir $dir"
    echo "sentinel resolve-hostnames yes"
    echo "sentinel announce-hostnames yes"
    [ -z "${SEALKV_SENTINEL_ANNOUNCE_IP:-}" ] || echo "sentinel announce-ip $SEALKV_SENTINEL_ANNOUNCE_IP"
    echo "sentinel monitor $name $host $port $quorum"
    echo "sentinel down-after-milliseconds $name ${SEALKV_SENTINEL_DOWN_AFTER_MS:-5000}"
    echo "sentinel failover-timeout $name ${SEALKV_SENTINEL_FAILOVER_TIMEOUT_MS:-30000}"
    echo "sentinel parallel-syncs $name 1"
  } >"$conf"
  if [ -n "${SEALKV_SENTINEL_AUTH_PASS_FILE:-}" ]; then
    [ -r "$SEALKV_SENTINEL_AUTH_PASS_FILE" ] || fail "cannot read SEALKV_SENTINEL_AUTH_PASS_FILE $SEALKV_SENTINEL_AUTH_PASS_FILE"
    # The password goes into the tmpfs file only, never onto a command line or into the environment.
    printf 'sentinel auth-pass %s %s\n' "$name" "$(tr -d '\r\n' <"$SEALKV_SENTINEL_AUTH_PASS_FILE")" >>"$conf"
  fi
fi

exec redis-sentinel "$conf" "$@"
