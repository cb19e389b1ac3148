# shellcheck shell=bash
# Shared helpers of the schema registry harness, sourced by fetch.sh,
# start.sh, stop.sh and env.sh. Defines variables and functions only.

STRAIT_REGISTRY_HARNESS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC2034 # used by the files that source this one
STRAIT_REGISTRY_VERSION="2.4.2.Final"

sr_die() {
  echo "strait-registry: $*" >&2
  exit 1
}

sr_log() {
  echo "strait-registry: $*" >&2
}

sr_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    echo "$JAVA_HOME/bin/java"
  else
    echo java
  fi
}

sr_cache_root() {
  echo "${STRAIT_REGISTRY_CACHE:-$HOME/.cache/strait/registry}"
}

# Directory holding the built runner jar and its lib/.
sr_app_dir() {
  echo "$(sr_cache_root)/apicurio-$STRAIT_REGISTRY_VERSION/app"
}

sr_port() {
  local port="${1:-${STRAIT_REGISTRY_PORT:-28081}}"
  [[ "$port" =~ ^[0-9]+$ && "$port" -gt 0 && "$port" -lt 65536 ]] || sr_die "bad port '$port'"
  echo "$port"
}

sr_work_dir() {
  echo "${STRAIT_REGISTRY_DIR:-/tmp/strait-registry-$1}"
}

# Base URL of the Confluent-compatible API of the registry on PORT.
sr_url() {
  echo "http://127.0.0.1:$1/apis/ccompat/v7"
}

# sr_ready PORT: the registry answers its Confluent API.
sr_ready() {
  curl -sf -o /dev/null --max-time 2 "$(sr_url "$1")/subjects"
}

# sr_running DIR: the PID recorded in DIR is alive; prints it.
sr_running() {
  local pid
  [[ -f "$1/registry.pid" ]] || return 1
  pid="$(cat "$1/registry.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}
