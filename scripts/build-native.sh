#!/usr/bin/env bash
# Builds chalkfs's libfuse 3 binding (native/) with node-gyp, offline: against installed
# Node headers (npm_config_nodedir, else the running Node's own prefix, else /usr, where
# Debian's nodejs puts them) and libfuse3-dev. Nothing is downloaded.
# Two callers: development (`npm run build:native`, scripts/provision.sh), which also
# builds the test binary of the C rules (native/test), and the npm package's `install`
# script, which ships no native/test and so builds the addon alone.
# A missing prerequisite is named in one line before node-gyp runs; a failed compile
# shows the end of its log. Skipped when the build is newer than every source.
set -euo pipefail
cd "$(dirname "$0")/../native"

log() { printf '[chalkfs build-native] %s\n' "$*" >&2; }
missing() {
  log "cannot build chalkfs's FUSE binding: $*"
  exit 1
}

addon=build/Release/chalkfs_fuse.node
outputs=("$addon")
sources=(binding.gyp src)
gyp_vars=()
if [ -f test/rules_test.cc ]; then
  outputs+=(build/Release/rules_test)
  sources+=(test)
  gyp_vars+=(--chalkfs_rules_test=1)
fi
built=1
for output in "${outputs[@]}"; do [ -f "$output" ] || built=0; done
if [ "$built" = 1 ] && [ -z "$(find "${sources[@]}" -newer "$addon" -print -quit)" ]; then
  exit 0
fi

node_prefix="$(dirname "$(dirname "$(command -v node)")")"
nodedir="${npm_config_nodedir:-}"
if [ -z "$nodedir" ]; then
  for candidate in "$node_prefix" /usr; do
    if [ -f "$candidate/include/node/node_api.h" ]; then nodedir=$candidate; break; fi
  done
fi
[ -n "$nodedir" ] && [ -f "$nodedir/include/node/node_api.h" ] ||
  missing "Node.js headers not found (${nodedir:-$node_prefix or /usr}/include/node): install them (Debian: apt-get install nodejs libnode-dev) or set npm_config_nodedir"
command -v pkg-config >/dev/null || missing "pkg-config not found: apt-get install pkg-config"
pkg-config --exists fuse3 || missing "libfuse 3 headers not found: apt-get install libfuse3-dev fuse3"
command -v "${CXX:-g++}" >/dev/null || missing "C++ compiler ${CXX:-g++} not found: apt-get install g++ (or set CXX)"
command -v make >/dev/null || missing "make not found: apt-get install make"
command -v python3 >/dev/null || missing "python3 not found (node-gyp needs it): apt-get install python3"

# node-gyp: the one npm runs install scripts with, else the project's devDependency, else
# the one bundled with npm.
node_gyp="${npm_config_node_gyp:-}"
if [ -z "$node_gyp" ]; then
  for candidate in ../node_modules/node-gyp/bin/node-gyp.js \
    "$(dirname "$(readlink -f "$(command -v npm || echo /nonexistent)")")/../node_modules/node-gyp/bin/node-gyp.js"; do
    if [ -f "$candidate" ]; then node_gyp=$candidate; break; fi
  done
fi
[ -n "$node_gyp" ] && [ -f "$node_gyp" ] || missing "node-gyp not found: run \`npm rebuild chalkfs\` (npm bundles node-gyp)"

log "building the FUSE binding (node-gyp, headers from $nodedir)"
if ! node "$node_gyp" rebuild --nodedir="$nodedir" --jobs=2 "${gyp_vars[@]}" >build.log 2>&1; then
  tail -n 30 build.log >&2
  log "node-gyp failed; the whole log is in $(pwd)/build.log"
  exit 1
fi
rm -f build.log
