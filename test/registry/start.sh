#!/usr/bin/env bash
# Start Apicurio Registry (in-memory storage) on 127.0.0.1:PORT, building it
# first if the cache lacks it (fetch.sh), wait until its Confluent API
# answers, and print that API's base URL, e.g.
#   http://127.0.0.1:28081/apis/ccompat/v7
#
# Usage: start.sh [PORT]            default $STRAIT_REGISTRY_PORT or 28081
#
# Idempotent: a registry this script started on PORT that still runs is
# only checked for readiness. Its PID and log are in the work dir
# ($STRAIT_REGISTRY_DIR or /tmp/strait-registry-PORT). Storage is in
# memory: a restart forgets every schema, and ids start again at 1.
#
# Environment: STRAIT_REGISTRY_CACHE, STRAIT_REGISTRY_MAVEN_REPO (fetch.sh),
# STRAIT_REGISTRY_DIR, STRAIT_REGISTRY_START_TIMEOUT (seconds, default
# 120), STRAIT_REGISTRY_JAVA_OPTS, JAVA_HOME.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -le 1 ]] || sr_die "usage: start.sh [PORT]"
PORT="$(sr_port "${1:-}")"
DIR="$(sr_work_dir "$PORT")"
TIMEOUT="${STRAIT_REGISTRY_START_TIMEOUT:-120}"
JAVA_OPTS="${STRAIT_REGISTRY_JAVA_OPTS:--Xms64m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"

command -v curl >/dev/null || sr_die "curl not found on PATH"
APP="$("$STRAIT_REGISTRY_HARNESS/fetch.sh")"

mkdir -p "$DIR"
exec 9>"$DIR.lock"
flock -w 120 9 || sr_die "$DIR.lock is held by another start.sh or stop.sh"

if pid="$(sr_running "$DIR")"; then
  sr_log "already running (pid $pid)"
else
  if sr_ready "$PORT"; then
    sr_die "port $PORT already serves a registry that this script did not start from $DIR"
  fi
  # fd 9 (the lock) is closed for the JVM: a registry holding it would
  # keep stop.sh waiting forever.
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  setsid "$(sr_java)" $JAVA_OPTS \
    -Dquarkus.http.host=127.0.0.1 \
    -Dquarkus.http.port="$PORT" \
    -Djava.io.tmpdir="$DIR" \
    -jar "$APP/registry-runner.jar" >"$DIR/registry.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$DIR/registry.pid"
  sr_log "started pid $pid, log $DIR/registry.log"
fi

deadline=$((SECONDS + TIMEOUT))
until sr_ready "$PORT"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 30 "$DIR/registry.log" >&2 || true
    rm -f "$DIR/registry.pid"
    sr_die "registry exited before it was ready"
  fi
  if ((SECONDS >= deadline)); then
    tail -n 30 "$DIR/registry.log" >&2 || true
    kill "$pid" 2>/dev/null || true
    rm -f "$DIR/registry.pid"
    sr_die "registry not ready after ${TIMEOUT}s"
  fi
  sleep 0.5
done
sr_url "$PORT"
