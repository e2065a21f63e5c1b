#!/usr/bin/env bash
# Makes sure a Docker engine answers, idempotently. No engine runs by default on the
# machines chalkfs is developed on (no systemd), so when none answers this starts
# Debian's dockerd in the background, logs to a file, waits until `docker info` works,
# and records its pid so that scripts/stop-docker.sh stops only an engine we started.
#
# Networking: chalkfs containers need none (the orchestrator runs them with
# --network none). dockerd's default bridge needs iptables NAT; where the kernel or
# sandbox refuses that, dockerd exits at start, and this script retries without it
# (--iptables=false --ip6tables=false --bridge=none) instead of failing.
set -euo pipefail

log() { printf '[provision-docker] %s\n' "$*" >&2; }

state_dir="${CHALKFS_DOCKERD_STATE_DIR:-/run/chalkfs}"
pid_file="$state_dir/dockerd.pid"
flags_file="$state_dir/dockerd.flags"
log_file="${CHALKFS_DOCKERD_LOG:-/var/log/chalkfs/dockerd.log}"
ready_timeout_s="${CHALKFS_DOCKERD_TIMEOUT_S:-60}"

engine_answers() { docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

if engine_answers; then
  log "Docker engine $(docker info --format '{{.ServerVersion}}' 2>/dev/null) is running"
  exit 0
fi

# An engine configured elsewhere (DOCKER_HOST pointing at a remote or custom socket) is
# not ours to start.
if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix:///var/run/docker.sock" ]; then
  log "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine, or unset DOCKER_HOST"
  exit 1
fi
command -v dockerd >/dev/null || { log "dockerd is not installed; run scripts/provision.sh (Debian docker.io)"; exit 1; }
command -v docker >/dev/null || { log "the docker CLI is not installed; run scripts/provision.sh (Debian docker.io)"; exit 1; }
if [ "$(id -u)" != 0 ]; then
  log "no Docker engine answers and starting dockerd needs root; run this script as root"
  exit 1
fi

# A live (not zombie) process; with `dockerd` as its command unless $2 is "any" (right
# after the fork the child still carries the shell's name for a moment).
pid_alive() {
  local stat
  [ -n "$1" ] && stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  [ "$(awk '{print $1}' <<<"${stat##*)}")" != Z ] || return 1
  [ "${2:-}" = any ] || [ "$(cat "/proc/$1/comm" 2>/dev/null)" = dockerd ]
}

mkdir -p "$state_dir" "$(dirname "$log_file")"
if [ -f "$pid_file" ]; then
  old_pid="$(cat "$pid_file")"
  if pid_alive "$old_pid"; then
    log "dockerd (pid $old_pid, started by chalkfs) is running but does not answer yet; waiting"
  else
    rm -f "$pid_file" "$flags_file"
  fi
fi

# Starts dockerd with the given extra flags and waits until it answers. Returns 1 if it
# exits or does not answer in time (then it is stopped again).
start_dockerd() {
  local started_pid
  log "starting dockerd ${*:-(default flags)}; log: $log_file"
  printf '\n==== %s dockerd %s\n' "$(date -Is)" "$*" >>"$log_file"
  # setsid: dockerd must outlive this script and whatever process group ran it.
  setsid dockerd "$@" >>"$log_file" 2>&1 </dev/null &
  started_pid=$!
  echo "$started_pid" >"$pid_file"
  printf '%s\n' "$*" >"$flags_file"
  local deadline=$((SECONDS + ready_timeout_s))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! pid_alive "$started_pid" any; then
      log "dockerd exited during start-up; last lines of its log:"
      tail -n 5 "$log_file" | sed 's/^/    /' >&2
      rm -f "$pid_file" "$flags_file"
      return 1
    fi
    if engine_answers; then
      log "dockerd (pid $started_pid) is ready"
      return 0
    fi
    sleep 0.5
  done
  log "dockerd (pid $started_pid) did not answer within ${ready_timeout_s}s; stopping it"
  kill "$started_pid" 2>/dev/null || true
  rm -f "$pid_file" "$flags_file"
  return 1
}

if [ -f "$pid_file" ]; then
  # A dockerd we started earlier is still coming up: give it the usual time.
  deadline=$((SECONDS + ready_timeout_s))
  while [ "$SECONDS" -lt "$deadline" ] && ! engine_answers; do sleep 0.5; done
  engine_answers && { log "dockerd (pid $(cat "$pid_file")) is ready"; exit 0; }
  log "dockerd (pid $(cat "$pid_file")) does not answer; see $log_file"
  exit 1
fi

if start_dockerd; then exit 0; fi
if grep -qiE 'iptables|bridge|network controller' <(tail -n 20 "$log_file"); then
  log "retrying without iptables and the default bridge (containers here need no network)"
  start_dockerd --iptables=false --ip6tables=false --bridge=none && exit 0
fi
log "could not start a Docker engine; see $log_file"
exit 1
