# shellcheck shell=bash
# Shared helpers for the Kafka test harness. Sourced by fetch.sh, cluster.sh,
# kafka-tool.sh and env.sh; it only defines variables and functions and does
# not change shell options, so it is safe to source from an interactive shell.

# shellcheck disable=SC2034 # used by the files that source this one
STRAIT_KAFKA_HARNESS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Versions exercised by the integration tests (newest 4.x first, then the
# newest 3.9.x that resolves on Maven Central with all of its dependencies).
# shellcheck disable=SC2034
STRAIT_KAFKA_DEFAULT_VERSIONS="4.4.0 3.9.2"

sk_die() {
  echo "strait-kafka: $*" >&2
  exit 1
}

sk_log() {
  echo "strait-kafka: $*" >&2
}

# sk_major VERSION -> "4" for 4.4.0
sk_major() {
  echo "${1%%.*}"
}

sk_check_version() {
  [[ "${1:-}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || sk_die "bad Kafka version '${1:-}' (want e.g. 4.4.0 or 3.9.2)"
  local major
  major="$(sk_major "$1")"
  [[ "$major" == 3 || "$major" == 4 ]] || sk_die "Kafka $1: only the 3.x and 4.x lines are supported"
}

# The java launcher: $JAVA_HOME/bin/java when JAVA_HOME is set, else java.
sk_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    echo "$JAVA_HOME/bin/java"
  else
    echo java
  fi
}

sk_cache_root() {
  echo "${STRAIT_KAFKA_CACHE:-$HOME/.cache/strait/kafka}"
}

sk_libs_dir() {
  echo "$(sk_cache_root)/$1/libs"
}

sk_stamp_file() {
  echo "$(sk_cache_root)/$1/.complete"
}

# Default work directory of the cluster for VERSION (overridable with
# STRAIT_KAFKA_DIR or the DIR argument of cluster.sh).
sk_work_dir() {
  echo "${STRAIT_KAFKA_DIR:-/tmp/strait-kafka-$1}"
}

# Base port: PLAINTEXT of node 1, below Linux's ephemeral range (32768+)
# so client connections never hold a broker's port. 4.x defaults to 24092, 3.x to 24192 so both
# lines can run side by side.
sk_port_base() {
  if [[ -n "${STRAIT_KAFKA_PORT_BASE:-}" ]]; then
    echo "$STRAIT_KAFKA_PORT_BASE"
  elif [[ "$(sk_major "$1")" == 4 ]]; then
    echo 24092
  else
    echo 24192
  fi
}

# Port layout relative to the base B, for node n in 1..3:
#   PLAINTEXT      B + (n-1)
#   SASL_PLAINTEXT B + 10 + (n-1)
#   SSL            B + 20 + (n-1)
#   CONTROLLER     B + 30 + (n-1)
#   SASL_REAUTH    B + 40 + (n-1)   (SASL_PLAINTEXT, connections.max.reauth.ms)
sk_port() { # VERSION LISTENER NODE
  local base off
  base="$(sk_port_base "$1")"
  case "$2" in
    PLAINTEXT) off=0 ;;
    SASL_PLAINTEXT) off=10 ;;
    SSL) off=20 ;;
    CONTROLLER) off=30 ;;
    SASL_REAUTH) off=40 ;;
    *) sk_die "unknown listener $2" ;;
  esac
  echo $((base + off + $3 - 1))
}

sk_ports() { # VERSION LISTENER -> "p1,p2,p3"
  echo "$(sk_port "$1" "$2" 1),$(sk_port "$1" "$2" 2),$(sk_port "$1" "$2" 3)"
}

sk_bootstrap() { # VERSION LISTENER
  local n out=""
  for n in 1 2 3; do
    out+="${out:+,}127.0.0.1:$(sk_port "$1" "$2" "$n")"
  done
  echo "$out"
}

# Password of every keystore/truststore the harness writes.
# shellcheck disable=SC2034
STRAIT_KAFKA_STORE_PASSWORD="strait-secret"
