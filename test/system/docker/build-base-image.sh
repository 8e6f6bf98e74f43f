#!/usr/bin/env bash
# Builds a local stand-in for the official node:20-bookworm-slim image, for machines that cannot
# pull from a registry: a minimal Debian 12 (debootstrap --variant=minbase) plus THIS machine's
# Node 20 binary and its bundled npm, laid out as the official image does (/usr/local/bin/node,
# /usr/local/lib/node_modules/npm, npm/npx symlinks). The tag is the cache: when it already
# exists nothing is rebuilt (debootstrap takes minutes); FORCE=1 rebuilds.
#
# Usage: test/system/docker/build-base-image.sh [TAG]      (default node:20-bookworm-slim)
# Env:   DOCKER (default /usr/bin/docker), DEBIAN_MIRROR (default http://deb.debian.org/debian)
set -euo pipefail

TAG="${1:-node:20-bookworm-slim}"
DOCKER="${DOCKER:-/usr/bin/docker}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
log() { echo "build-base-image: $*" >&2; }

if [ "${FORCE:-0}" != 1 ] && "$DOCKER" image inspect "$TAG" >/dev/null 2>&1; then
  log "$TAG already present, reusing it"
  exit 0
fi

[ "$(id -u)" = 0 ] || { log "debootstrap needs root"; exit 1; }
command -v debootstrap >/dev/null || { log "debootstrap not installed (apt-get install debootstrap)"; exit 1; }

NODE_BIN="$(readlink -f "$(command -v node)")"
NODE_VERSION="$("$NODE_BIN" --version)"
case "$NODE_VERSION" in v20.*) ;; *) log "host node is $NODE_VERSION, need v20.x"; exit 1 ;; esac
# npm's own directory (…/node_modules/npm), found from the npm launcher on PATH.
NPM_DIR="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
[ -f "$NPM_DIR/package.json" ] || { log "cannot find npm's directory (got $NPM_DIR)"; exit 1; }
# The binary must only need libraries a minbase Debian has (nodesource/official builds do;
# Debian's own nodejs package links libnode, libuv… and would not run in the stand-in).
if ldd "$NODE_BIN" | grep -Ev 'linux-vdso|ld-linux|lib(c|m|dl|pthread|rt|stdc\+\+|gcc_s)\.so' | grep -q '=>'; then
  log "host node links libraries beyond libc/libstdc++: $(ldd "$NODE_BIN" | tr '\n' ' ')"
  exit 1
fi

WORK="$(mktemp -d /var/tmp/sealkv-base.XXXXXX)"
cleanup() {
  # debootstrap may leave proc/sys mounted when it fails half-way.
  for m in proc sys dev/pts dev; do umount -l "$WORK/root/$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
ROOT="$WORK/root"

start=$(date +%s)
log "debootstrap bookworm (minbase) from $MIRROR into $ROOT"
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -n 40 "$WORK/debootstrap.log" >&2
  exit 1
}

log "adding node $NODE_VERSION ($NODE_BIN) and npm $(node -p "require('$NPM_DIR/package.json').version") ($NPM_DIR)"
install -D -m 0755 "$NODE_BIN" "$ROOT/usr/local/bin/node"
mkdir -p "$ROOT/usr/local/lib/node_modules"
cp -a "$NPM_DIR" "$ROOT/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOT/usr/local/bin/npx"

# Trim as the official slim image does: no apt lists or package caches, no docs/man pages.
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb \
  "$ROOT"/var/cache/debconf/*-old "$ROOT"/var/log/* "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* \
  "$ROOT"/usr/share/info/* "$ROOT"/tmp/* "$ROOT"/root/.npm 2>/dev/null || true

log "importing as $TAG"
tar --numeric-owner --xattrs -C "$ROOT" \
  --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
  "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=${NODE_VERSION#v}" \
    --change 'LABEL org.sealkv.base-stand-in=true' \
    --change 'CMD ["node"]' \
    - "$TAG" >/dev/null

"$DOCKER" run --rm "$TAG" sh -c 'node --version && npm --version' >/dev/null
log "built $TAG in $(($(date +%s) - start))s"
