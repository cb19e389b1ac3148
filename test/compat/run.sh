#!/usr/bin/env bash
# Client compatibility matrix against real Apache Kafka, directly and
# through Strait. For each Kafka line: start a 3-node cluster, start a
# gateway in front of its PLAINTEXT listener, run every client suite once
# per target, then write docs/compatibility.md from the results.
#
#   test/compat/run.sh                 # every suite, every Kafka line
#   test/compat/run.sh python java     # some suites
#   STRAIT_COMPAT_VERSIONS=4.4.0 test/compat/run.sh
#
# It also runs the fault tests of test/realkafka against each cluster
# (STRAIT_COMPAT_SKIP_FAULTS=1 skips them).
#
# On the Kafka lines in STRAIT_COMPAT_NAMESPACE_VERSIONS (default: the first
# line) every suite also runs a third time, as target "namespace": through a
# virtual cluster whose namespace (hide_prefix "tenant-x.") maps every
# topic, group and transactional id it uses; then kafka-topics --list and
# kafka-consumer-groups --list through that virtual cluster must show only
# the tenant's names (cell "namespace-listing").
#
# Several runs at once need their own STRAIT_KAFKA_PORT_BASE, STRAIT_KAFKA_DIR,
# STRAIT_COMPAT_GATEWAY_PORT, STRAIT_COMPAT_RESULTS and STRAIT_COMPAT_DOC.
# A suite may have an executable `install` beside `run`, which installs its
# client libraries (idempotent; CI calls it on a fresh machine).
#
# A suite is test/compat/clients/NAME/run, called as
#   run --bootstrap HOST:PORT --target direct|gateway --kafka-version V \
#       --expect-brokers HOST:PORT,... --out FILE.jsonl
# It appends one JSON object per cell to FILE:
#   {"suite","client","client_version","op","status":"pass|fail|n/a","detail"}
# and exits 0 even when cells fail (only a broken suite exits non-zero).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

source test/kafka/env.sh
# The record policy tests of test/realkafka validate against a real schema
# registry (started once, left running: test/registry/stop.sh stops it).
if [[ -z "${STRAIT_SCHEMA_REGISTRY_URL:-}" ]]; then
  STRAIT_SCHEMA_REGISTRY_URL="$(test/registry/start.sh)"
  export STRAIT_SCHEMA_REGISTRY_URL
fi
versions="${STRAIT_COMPAT_VERSIONS:-$STRAIT_KAFKA_VERSIONS}"
ns_versions="${STRAIT_COMPAT_NAMESPACE_VERSIONS:-${versions%% *}}"
ns_prefix="tenant-x."
suites=("$@")
if [[ ${#suites[@]} -eq 0 ]]; then
  for d in "$here"/clients/*/; do
    [[ -x "$d/run" ]] && suites+=("$(basename "$d")")
  done
fi
results="${STRAIT_COMPAT_RESULTS:-$root/.cache/compat}"
rm -rf "$results"; mkdir -p "$results"

strait="$results/strait"
go build -o "$strait" ./cmd/strait
for s in "${suites[@]}"; do
  if [[ -x "$here/clients/$s/install" ]]; then "$here/clients/$s/install"; fi
done

gw_pid=""
cleanup() {
  [[ -n "$gw_pid" ]] && kill "$gw_pid" 2>/dev/null && wait "$gw_pid" 2>/dev/null || true
  for v in $versions; do test/kafka/cluster.sh stop "$v" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

for v in $versions; do
  echo "== Kafka $v"
  test/kafka/fetch.sh "$v" >/dev/null
  test/kafka/cluster.sh start "$v"
  strait_kafka_env "$v"

  # The gateway: bootstrap on GW, brokers 1-3 on GW+1.. (min_broker_id 1).
  gw=$(( ${STRAIT_COMPAT_GATEWAY_PORT:-29092} ))
  admin="127.0.0.1:$(( gw + 20 ))"
  cfg="$results/gateway-$v.yaml"
  quoted=$(echo "$STRAIT_KAFKA_BOOTSTRAP" | sed 's/[^,]*/"&"/g')
  cat > "$cfg" <<YAML
admin: {address: "$admin"}
observability: {log_level: info}
runtime: {drain_duration: 2s}
backend_clusters:
  - {name: kafka, bootstrap_servers: [$quoted], metadata_update_interval: 5s}
virtual_clusters:
  - {name: compat, destination: kafka}
  - {name: tenant, destination: kafka, namespace: {mode: hide_prefix, prefix: "$ns_prefix"}}
listeners:
  - name: plain
    ports: ["$gw-$(( gw + 10 ))"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: compat, advertised_host: 127.0.0.1, min_broker_id: 1}
  - name: tenant
    ports: ["$(( gw + 30 ))-$(( gw + 40 ))"]
    policies:
      - type: forward_to_virtual_cluster
        config: {type: port_mapping, destination: tenant, advertised_host: 127.0.0.1, min_broker_id: 1}
YAML
  "$strait" run -c "$cfg" >"$results/gateway-$v.log" 2>&1 &
  gw_pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://$admin/health/ready" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fs "http://$admin/health/ready" >/dev/null || { echo "gateway not ready"; cat "$results/gateway-$v.log"; exit 1; }

  direct_brokers="$STRAIT_KAFKA_BOOTSTRAP"
  gw_brokers="127.0.0.1:$((gw + 1)),127.0.0.1:$((gw + 2)),127.0.0.1:$((gw + 3))"
  ns_brokers="127.0.0.1:$((gw + 31)),127.0.0.1:$((gw + 32)),127.0.0.1:$((gw + 33))"
  targets=(direct gateway)
  [[ " $ns_versions " == *" $v "* ]] && targets+=(namespace)
  for s in "${suites[@]}"; do
    for target in "${targets[@]}"; do
      case $target in
        direct) boot="${STRAIT_KAFKA_BOOTSTRAP%%,*}"; expect="$direct_brokers" ;;
        gateway) boot="127.0.0.1:$gw"; expect="$gw_brokers" ;;
        namespace) boot="127.0.0.1:$((gw + 30))"; expect="$ns_brokers" ;;
      esac
      out="$results/$v-$s-$target.jsonl"
      echo "-- $s ($target, Kafka $v)"
      start=$(date +%s)
      if ! "$here/clients/$s/run" --bootstrap "$boot" --target "$target" --kafka-version "$v" \
          --expect-brokers "$expect" --out "$out" >"$results/$v-$s-$target.log" 2>&1; then
        echo "suite $s failed to run ($target, Kafka $v):"; tail -30 "$results/$v-$s-$target.log"
        echo "{\"suite\":\"$s\",\"client\":\"$s\",\"op\":\"suite\",\"status\":\"fail\",\"detail\":\"suite crashed, see log\"}" >> "$out"
      fi
      passed=$(grep -c '"pass"' "$out" 2>/dev/null) || true
      failed=$(grep -c '"fail"' "$out" 2>/dev/null) || true
      echo "   ${passed:-0} passed, ${failed:-0} failed in $(( $(date +%s) - start ))s"
    done
  done
  if [[ " ${targets[*]} " == *" namespace "* ]]; then
    echo "-- namespace listings (Kafka $v)"
    test/compat/namespace-listing.sh "$v" "${STRAIT_KAFKA_BOOTSTRAP%%,*}" "127.0.0.1:$((gw + 30))" "$ns_prefix" \
      >>"$results/$v-namespace-namespace.jsonl" 2>"$results/$v-namespace-listing.log" || {
      echo "namespace listing check failed to run:"; tail -20 "$results/$v-namespace-listing.log"; exit 1; }
    tail -1 "$results/$v-namespace-namespace.jsonl"
  fi
  kill "$gw_pid"; wait "$gw_pid" 2>/dev/null || true; gw_pid=""

  if [[ -z "${STRAIT_COMPAT_SKIP_FAULTS:-}" ]]; then
    echo "-- faults (Kafka $v)"
    STRAIT_REQUIRE_REAL_KAFKA=1 go test -count=1 -timeout 15m ./test/realkafka | tee "$results/$v-faults.log"
  fi
  cp "$results/gateway-$v.log" "$results/gateway-$v.log.done"
  test/kafka/cluster.sh stop "$v"
done

go run ./test/compat/report -results "$results" -known test/compat/known.tsv -out "${STRAIT_COMPAT_DOC:-docs/compatibility.md}"
