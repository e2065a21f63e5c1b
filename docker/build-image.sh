#!/usr/bin/env bash
# Builds the container images chalkfs runs (chalkfs/python:<version>-<suite>) without a
# registry: a Debian minbase rootfs with python3 is bootstrapped from the mirror this
# host's apt sources name (read at run time), then `docker import`ed. Takes about a
# minute per image; an image that already exists is kept unless --rebuild is given.
#
#   docker/build-image.sh [--rebuild] [3.11] [3.13]
#
# The work is done by orchestrator/build-image.ts (the same code Image.debianSlim() uses
# when a container needs an image that is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision-docker.sh
[ -f dist/orchestrator/build-image.js ] && [ ! orchestrator/build-image.ts -nt dist/orchestrator/build-image.js ] || npm run --silent build
exec node dist/orchestrator/build-image.js "$@"
