#!/usr/bin/env bash
# Builds chalkfs's libfuse 3 binding (native/) and the test binary of its C rules with
# node-gyp, offline: against the installed Node headers (--nodedir=/usr, Debian's
# nodejs headers) and libfuse3-dev. Nothing is downloaded. Skipped when the build is
# newer than every source.
set -euo pipefail
cd "$(dirname "$0")/../native"

log() { printf '[build-native] %s\n' "$*"; }

addon=build/Release/chalkfs_fuse.node
tests=build/Release/rules_test
if [ -f "$addon" ] && [ -f "$tests" ] && [ -z "$(find binding.gyp src test -newer "$addon" -print -quit)" ]; then
  exit 0
fi
[ -f /usr/include/node/node_api.h ] || { log "Node headers missing (/usr/include/node): install Debian's nodejs headers"; exit 1; }
pkg-config --exists fuse3 || { log "libfuse 3 headers missing: install libfuse3-dev"; exit 1; }
log "building the FUSE binding"
node ../node_modules/node-gyp/bin/node-gyp.js rebuild --nodedir=/usr --jobs=2 >build.log 2>&1 || {
  cat build.log >&2
  rm -f build.log
  exit 1
}
rm -f build.log
