#!/usr/bin/env bash
# Stops the dockerd that scripts/provision-docker.sh started, and only that one: an
# engine somebody else runs (systemd, another tool) is left alone.
set -euo pipefail

log() { printf '[stop-docker] %s\n' "$*" >&2; }

state_dir="${CHALKFS_DOCKERD_STATE_DIR:-/run/chalkfs}"
pid_file="$state_dir/dockerd.pid"
stop_timeout_s="${CHALKFS_DOCKERD_STOP_TIMEOUT_S:-60}"

if [ ! -f "$pid_file" ]; then
  log "no dockerd started by chalkfs (no $pid_file); nothing to stop"
  exit 0
fi
pid="$(cat "$pid_file")"
if [ ! -d "/proc/$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
  log "dockerd (pid $pid) is no longer running"
  rm -f "$pid_file" "$state_dir/dockerd.flags"
  exit 0
fi

# SIGTERM lets dockerd stop its containers and containerd cleanly.
log "stopping dockerd (pid $pid)"
kill -TERM "$pid"
deadline=$((SECONDS + stop_timeout_s))
while [ -d "/proc/$pid" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
if [ -d "/proc/$pid" ]; then
  log "dockerd did not stop within ${stop_timeout_s}s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$pid_file" "$state_dir/dockerd.flags"
log "stopped"
