#!/usr/bin/env bash
# Smoke test of a running harness cluster (see cluster.sh): on each of the
# PLAINTEXT, SASL_PLAINTEXT (SCRAM-SHA-512 as alice) and SSL listeners create
# a topic with 3 partitions and replication factor 3, produce 10 messages with
# kafka-console-producer and read them back with kafka-console-consumer.
# On 4.x it also reads a topic through a share group (console share consumer).
#
#   smoke.sh VERSION [DIR]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

[[ $# -ge 1 && $# -le 2 ]] || sk_die "usage: smoke.sh VERSION [DIR]"
VERSION="$1"
sk_check_version "$VERSION"
MAJOR="$(sk_major "$VERSION")"
WORK="${2:-$(sk_work_dir "$VERSION")}"
[[ -f "$WORK/cluster.env" ]] || sk_die "no running cluster in $WORK (run cluster.sh start $VERSION first)"

tool() {
  "$HERE/kafka-tool.sh" "$VERSION" "$@"
}

# 4.x renamed --producer.config/--consumer.config to --command-config.
if [[ "$MAJOR" == 4 ]]; then
  PRODUCER_CONFIG=--command-config
  CONSUMER_CONFIG=--command-config
else
  PRODUCER_CONFIG=--producer.config
  CONSUMER_CONFIG=--consumer.config
fi

RUN="$(date +%s)-$$"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
failures=0

check_listener() { # LABEL LISTENER CLIENT_CONFIG
  local label="$1" bootstrap config="$WORK/$3" topic="strait-smoke-$1-$RUN"
  bootstrap="$(sk_bootstrap "$VERSION" "$2")"
  seq 1 10 | sed "s/^/$label-/" >"$OUT/$label.want"

  tool kafka-topics --bootstrap-server "$bootstrap" --command-config "$config" \
    --create --topic "$topic" --partitions 3 --replication-factor 3 >/dev/null
  local desc
  desc="$(tool kafka-topics --bootstrap-server "$bootstrap" --command-config "$config" \
    --describe --topic "$topic")"
  if ! grep -q 'PartitionCount: 3' <<<"$desc" || ! grep -q 'ReplicationFactor: 3' <<<"$desc"; then
    sk_die "$label: topic $topic has the wrong layout: $desc"
  fi

  tool kafka-console-producer --bootstrap-server "$bootstrap" "$PRODUCER_CONFIG" "$config" \
    --topic "$topic" <"$OUT/$label.want"
  tool kafka-console-consumer --bootstrap-server "$bootstrap" "$CONSUMER_CONFIG" "$config" \
    --topic "$topic" --group "strait-smoke-$label-$RUN" --from-beginning \
    --max-messages 10 --timeout-ms 60000 >"$OUT/$label.got" 2>"$OUT/$label.err" || true

  if diff <(sort "$OUT/$label.want") <(sort "$OUT/$label.got") >/dev/null; then
    echo "ok   $label ($2 $bootstrap): 10 messages produced and consumed"
  else
    echo "FAIL $label ($2 $bootstrap): got $(wc -l <"$OUT/$label.got") of 10 messages"
    cat "$OUT/$label.err" >&2
    failures=$((failures + 1))
  fi
}

check_share_group() {
  local bootstrap topic="strait-smoke-share-$RUN" group="strait-smoke-share-$RUN"
  bootstrap="$(sk_bootstrap "$VERSION" PLAINTEXT)"
  seq 1 10 | sed 's/^/share-/' >"$OUT/share.want"
  tool kafka-topics --bootstrap-server "$bootstrap" --create --topic "$topic" \
    --partitions 3 --replication-factor 3 >/dev/null
  tool kafka-configs --bootstrap-server "$bootstrap" --alter --entity-type groups \
    --entity-name "$group" --add-config share.auto.offset.reset=earliest >/dev/null
  tool kafka-console-producer --bootstrap-server "$bootstrap" --topic "$topic" <"$OUT/share.want"
  tool kafka-console-share-consumer --bootstrap-server "$bootstrap" --topic "$topic" \
    --group "$group" --max-messages 10 --timeout-ms 60000 >"$OUT/share.got" 2>"$OUT/share.err" || true
  if diff <(sort "$OUT/share.want") <(sort "$OUT/share.got") >/dev/null; then
    echo "ok   share group (PLAINTEXT $bootstrap): 10 messages produced and consumed"
  else
    echo "FAIL share group (PLAINTEXT $bootstrap): got $(wc -l <"$OUT/share.got") of 10 messages"
    cat "$OUT/share.err" >&2
    failures=$((failures + 1))
  fi
}

check_listener plaintext PLAINTEXT client-plaintext.properties
check_listener sasl-scram-sha-512 SASL_PLAINTEXT client-scram-sha-512.properties
check_listener ssl SSL client-ssl.properties
if [[ "$MAJOR" == 4 ]]; then
  check_share_group
fi

passed=3
[[ "$MAJOR" == 4 ]] && passed=4
passed=$((passed - failures))
echo "smoke: $passed passed, $failures failed"
[[ "$failures" == 0 ]]
