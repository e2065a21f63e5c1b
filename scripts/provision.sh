#!/usr/bin/env bash
# Installs, idempotently, everything chalkfs needs on a fresh Debian machine:
# FUSE (fuse3 for fusermount3; libfuse3-dev and a compiler for chalkfs's own binding), the
# Docker engine, debootstrap, the benchmark peers (s3fs, rclone), libcurl's and OpenSSL's
# headers (the bench's FUSE floor in store mode, bench/fuse-floor), node modules, the
# FUSE binding (scripts/build-native.sh), a MinIO server built from a pinned revision, and
# csi-sanity (the CSI conformance suite) at a pinned version.
# Each step prints what it does and is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/versions.sh
source scripts/versions.sh

log() { printf '[provision] %s\n' "$*"; }

need_pkgs=()
for pkg in fuse3 libfuse3-dev libcurl4-openssl-dev libssl-dev pkg-config g++ make docker.io debootstrap s3fs rclone sqlite3 iproute2 procps; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${need_pkgs[*]}; run this script as root"; exit 1
  fi
  log "installing Debian packages: ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
[ -e /dev/fuse ] || { log "/dev/fuse is missing: this machine cannot mount FUSE filesystems"; exit 1; }

# Go tools chalkfs runs, built once with `go install` through the Go module proxy at a
# pinned version and cached outside the work tree:
#   go_tool_cached <binary path> <package@version> <what, for the log>
go_tool_cached() {
  local bin=$1 pkg=$2 what=$3
  [ -x "$bin" ] && return 0
  command -v go >/dev/null || { log "Go is needed to build $what (go install $pkg)"; exit 1; }
  log "building $what with go install (once per machine)"
  local gobin
  gobin=$(mktemp -d)
  GOBIN="$gobin" GOFLAGS=-buildvcs=false go install "$pkg"
  mkdir -p "$(dirname "$bin")"
  mv "$gobin/$(basename "${pkg%@*}")" "$bin"
  rm -rf "$gobin"
}

# MinIO is not packaged by Debian or npm: MinIO's documented `go install` (a few minutes).
minio_bin="$CHALKFS_CACHE_DIR/bin/minio-$MINIO_VERSION"
go_tool_cached "$minio_bin" "github.com/minio/minio@$MINIO_VERSION" "MinIO $MINIO_VERSION"
# csi-sanity, the CSI conformance suite (test/integration/csi-sanity.test.ts; about a minute).
csi_sanity_bin="$CHALKFS_CACHE_DIR/bin/csi-sanity-$CSI_SANITY_VERSION"
go_tool_cached "$csi_sanity_bin" "github.com/kubernetes-csi/csi-test/v5/cmd/csi-sanity@$CSI_SANITY_VERSION" "csi-sanity $CSI_SANITY_VERSION"

# Native modules (better-sqlite3, chalkfs's FUSE binding) build against the installed Node headers:
# no header download is possible here.
[ -d /usr/include/node ] && export npm_config_nodedir=/usr
if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing node modules"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
bash scripts/build-native.sh
log "ready (minio: $minio_bin, csi-sanity: $csi_sanity_bin)"
