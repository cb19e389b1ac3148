# shellcheck shell=bash
# Source this file to export the connection details of the Kafka test cluster:
#
#   source test/kafka/env.sh            # first version of STRAIT_KAFKA_VERSIONS
#   source test/kafka/env.sh 3.9.2      # a given version
#   strait_kafka_env 3.9.2              # switch later (function defined here)
#
# Values come from DIR/cluster.env when cluster.sh has started the cluster,
# otherwise they are computed the same way cluster.sh computes them (honours
# STRAIT_KAFKA_DIR and STRAIT_KAFKA_PORT_BASE, which it does not export).
# Shell options are not changed.

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export STRAIT_KAFKA_HARNESS
export STRAIT_KAFKA_VERSIONS="${STRAIT_KAFKA_VERSIONS:-$STRAIT_KAFKA_DEFAULT_VERSIONS}"

strait_kafka_env() {
  local version="${1:-}"
  if [[ -z "$version" ]]; then
    version="${STRAIT_KAFKA_VERSION:-${STRAIT_KAFKA_VERSIONS%% *}}"
  fi
  if ! [[ "$version" =~ ^[34]\.[0-9]+\.[0-9]+$ ]]; then
    echo "strait-kafka: bad Kafka version '$version'" >&2
    return 1
  fi
  local dir
  dir="$(sk_work_dir "$version")"

  export STRAIT_KAFKA_VERSION="$version"
  export STRAIT_KAFKA_CACHE
  STRAIT_KAFKA_CACHE="$(sk_cache_root)"
  export STRAIT_KAFKA_LIBS
  STRAIT_KAFKA_LIBS="$(sk_libs_dir "$version")"
  # Not STRAIT_KAFKA_DIR / STRAIT_KAFKA_PORT_BASE: those are inputs of
  # cluster.sh, and exporting them would leak one version's choice into a
  # later "cluster.sh start OTHER_VERSION".
  export STRAIT_KAFKA_WORK_DIR="$dir"
  export STRAIT_KAFKA_PLAINTEXT_PORTS STRAIT_KAFKA_SASL_PORTS STRAIT_KAFKA_SSL_PORTS STRAIT_KAFKA_CONTROLLER_PORTS
  STRAIT_KAFKA_PLAINTEXT_PORTS="$(sk_ports "$version" PLAINTEXT)"
  STRAIT_KAFKA_SASL_PORTS="$(sk_ports "$version" SASL_PLAINTEXT)"
  STRAIT_KAFKA_SSL_PORTS="$(sk_ports "$version" SSL)"
  STRAIT_KAFKA_CONTROLLER_PORTS="$(sk_ports "$version" CONTROLLER)"
  export STRAIT_KAFKA_BOOTSTRAP STRAIT_KAFKA_SASL_BOOTSTRAP STRAIT_KAFKA_SSL_BOOTSTRAP STRAIT_KAFKA_CONTROLLER_BOOTSTRAP
  STRAIT_KAFKA_BOOTSTRAP="$(sk_bootstrap "$version" PLAINTEXT)"
  STRAIT_KAFKA_SASL_BOOTSTRAP="$(sk_bootstrap "$version" SASL_PLAINTEXT)"
  STRAIT_KAFKA_SSL_BOOTSTRAP="$(sk_bootstrap "$version" SSL)"
  STRAIT_KAFKA_CONTROLLER_BOOTSTRAP="$(sk_bootstrap "$version" CONTROLLER)"
  export STRAIT_KAFKA_CA_PEM="$dir/tls/ca.pem"
  export STRAIT_KAFKA_CLIENT_CERT_PEM="$dir/tls/client.pem"
  export STRAIT_KAFKA_CLIENT_KEY_PEM="$dir/tls/client.key"
  export STRAIT_KAFKA_TRUSTSTORE="$dir/tls/truststore.p12"
  export STRAIT_KAFKA_CLIENT_KEYSTORE="$dir/tls/client.p12"
  export STRAIT_KAFKA_STORE_PASSWORD
  export STRAIT_KAFKA_SASL_MECHANISMS="PLAIN SCRAM-SHA-256 SCRAM-SHA-512"
  export STRAIT_KAFKA_SASL_USER=alice STRAIT_KAFKA_SASL_PASSWORD=alice-secret
  export STRAIT_KAFKA_SASL_ADMIN_USER=admin STRAIT_KAFKA_SASL_ADMIN_PASSWORD=admin-secret
  export STRAIT_KAFKA_CLUSTER_ID=""
  # OAUTHBEARER and the SASL_REAUTH listener: only what a started cluster
  # records in cluster.env (one started by an older cluster.sh has neither,
  # and the tests that need them skip).
  unset STRAIT_KAFKA_OAUTH_SIGNING_KEY STRAIT_KAFKA_OAUTH_JWKS STRAIT_KAFKA_OAUTH_KID \
    STRAIT_KAFKA_OAUTH_ISSUER STRAIT_KAFKA_OAUTH_AUDIENCE \
    STRAIT_KAFKA_REAUTH_PORTS STRAIT_KAFKA_REAUTH_BOOTSTRAP STRAIT_KAFKA_REAUTH_MS

  # A started cluster's own record wins (it knows the DIR and ports it used).
  if [[ -f "$dir/cluster.env" ]]; then
    local key value
    while IFS='=' read -r key value; do
      [[ "$key" =~ ^STRAIT_KAFKA_[A-Z0-9_]+$ ]] && export "$key=$value"
    done <"$dir/cluster.env"
  fi
  return 0
}

# A sourced file sees the caller's positional parameters when given none of
# its own, so only a version-shaped first argument is taken as the version.
if [[ "${1:-}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  strait_kafka_env "$1"
else
  strait_kafka_env
fi
