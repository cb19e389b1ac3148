#!/usr/bin/env bash
# Stop the registry start.sh started on PORT: SIGTERM to the recorded PID,
# SIGKILL after STRAIT_REGISTRY_STOP_TIMEOUT seconds (default 20). Nothing
# else is signalled. KEEP=1 keeps the work dir (its log), else it goes.
#
# Usage: stop.sh [PORT]             default $STRAIT_REGISTRY_PORT or 28081
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -le 1 ]] || sr_die "usage: stop.sh [PORT]"
PORT="$(sr_port "${1:-}")"
DIR="$(sr_work_dir "$PORT")"
[[ -d "$DIR" ]] || exit 0
exec 9>"$DIR.lock"
flock -w 120 9 || sr_die "$DIR.lock is held by another start.sh or stop.sh"

if pid="$(sr_running "$DIR")"; then
  kill "$pid" 2>/dev/null || true
  deadline=$((SECONDS + ${STRAIT_REGISTRY_STOP_TIMEOUT:-20}))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      sr_log "pid $pid still running; SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  sr_log "stopped pid $pid"
fi
rm -f "$DIR/registry.pid"
if [[ "${KEEP:-}" != 1 ]]; then
  rm -rf "$DIR"
fi

