#!/usr/bin/env bash
# Run one of Kafka's command line tools by its usual script name, without the
# bin/ scripts of a Kafka distribution:
#
#   kafka-tool.sh VERSION TOOL [ARGS...]
#   kafka-tool.sh 4.4.0 kafka-topics --bootstrap-server 127.0.0.1:24092 --list
#   kafka-tool.sh 3.9.2 kafka-run-class kafka.tools.DumpLogSegments --files ...
#   kafka-tool.sh VERSION --list        # tools available for VERSION
#
# TOOL may be given with or without the "kafka-" prefix and ".sh" suffix.
# The Kafka jars are fetched first if needed (see fetch.sh).
#
# Environment: STRAIT_KAFKA_TOOL_OPTS (extra JVM options), STRAIT_KAFKA_CACHE.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

[[ $# -ge 2 ]] || sk_die "usage: kafka-tool.sh VERSION TOOL [ARGS...]   (kafka-tool.sh VERSION --list)"
VERSION="$1"
TOOL="$2"
shift 2
sk_check_version "$VERSION"

# Candidate main classes for each tool, newest location first. Kafka moved
# most tools from the Scala core (kafka.admin.*, kafka.tools.*) to the Java
# tools module (org.apache.kafka.tools.*) during 3.x and 4.0; the first class
# present in this version's jars wins.
declare -A CLASSES=(
  [topics]="org.apache.kafka.tools.TopicCommand kafka.admin.TopicCommand"
  [console-producer]="org.apache.kafka.tools.ConsoleProducer kafka.tools.ConsoleProducer"
  [console-consumer]="org.apache.kafka.tools.consumer.ConsoleConsumer kafka.tools.ConsoleConsumer"
  [console-share-consumer]="org.apache.kafka.tools.consumer.ConsoleShareConsumer"
  [share-consumer]="org.apache.kafka.tools.consumer.ConsoleShareConsumer"
  [consumer-groups]="org.apache.kafka.tools.consumer.group.ConsumerGroupCommand kafka.admin.ConsumerGroupCommand"
  [share-groups]="org.apache.kafka.tools.consumer.group.ShareGroupCommand"
  [streams-groups]="org.apache.kafka.tools.streams.StreamsGroupCommand"
  [groups]="org.apache.kafka.tools.GroupsCommand"
  [configs]="org.apache.kafka.tools.ConfigCommand kafka.admin.ConfigCommand"
  [acls]="org.apache.kafka.tools.AclCommand kafka.admin.AclCommand"
  [transactions]="org.apache.kafka.tools.TransactionsCommand"
  [verifiable-producer]="org.apache.kafka.tools.VerifiableProducer"
  [verifiable-consumer]="org.apache.kafka.tools.VerifiableConsumer"
  [verifiable-share-consumer]="org.apache.kafka.tools.VerifiableShareConsumer"
  [producer-perf-test]="org.apache.kafka.tools.ProducerPerformance"
  [consumer-perf-test]="org.apache.kafka.tools.ConsumerPerformance"
  [share-consumer-perf-test]="org.apache.kafka.tools.ShareConsumerPerformance"
  [e2e-latency]="org.apache.kafka.tools.EndToEndLatency kafka.tools.EndToEndLatency"
  [reassign-partitions]="org.apache.kafka.tools.reassign.ReassignPartitionsCommand kafka.admin.ReassignPartitionsCommand"
  [storage]="kafka.tools.StorageTool"
  [broker-api-versions]="org.apache.kafka.tools.BrokerApiVersionsCommand kafka.admin.BrokerApiVersionsCommand"
  [features]="org.apache.kafka.tools.FeatureCommand kafka.admin.FeatureCommand"
  [metadata-quorum]="org.apache.kafka.tools.MetadataQuorumCommand"
  [cluster]="org.apache.kafka.tools.ClusterTool kafka.tools.ClusterTool"
  [delete-records]="org.apache.kafka.tools.DeleteRecordsCommand kafka.admin.DeleteRecordsCommand"
  [leader-election]="org.apache.kafka.tools.LeaderElectionCommand kafka.admin.LeaderElectionCommand"
  [log-dirs]="org.apache.kafka.tools.LogDirsCommand kafka.admin.LogDirsCommand"
  [get-offsets]="org.apache.kafka.tools.GetOffsetShell kafka.tools.GetOffsetShell"
  [dump-log]="org.apache.kafka.tools.DumpLogSegments kafka.tools.DumpLogSegments"
  [delegation-tokens]="org.apache.kafka.tools.DelegationTokenCommand kafka.admin.DelegationTokenCommand"
  [client-metrics]="org.apache.kafka.tools.ClientMetricsCommand"
  [replica-verification]="org.apache.kafka.tools.ReplicaVerificationTool kafka.tools.ReplicaVerificationTool"
  [streams-application-reset]="org.apache.kafka.tools.StreamsResetter kafka.tools.StreamsResetter"
  [jmx]="org.apache.kafka.tools.JmxTool kafka.tools.JmxTool"
)

LIBS="$("$HERE/fetch.sh" "$VERSION")"
INDEX="$(sk_cache_root)/$VERSION/classes.txt"

has_class() {
  grep -qxF "$1" "$INDEX"
}

resolve() { # short tool name -> main class, or empty
  local c
  for c in ${CLASSES[$1]:-}; do
    if has_class "$c"; then
      echo "$c"
      return 0
    fi
  done
  return 0
}

if [[ "$TOOL" == "--list" || "$TOOL" == "list" ]]; then
  for name in $(printf '%s\n' "${!CLASSES[@]}" | sort); do
    c="$(resolve "$name")"
    [[ -n "$c" ]] && printf 'kafka-%-28s %s\n' "$name" "$c"
  done
  exit 0
fi

name="${TOOL%.sh}"
name="${name#kafka-}"
if [[ "$name" == "run-class" ]]; then
  [[ $# -ge 1 ]] || sk_die "usage: kafka-tool.sh VERSION kafka-run-class CLASS [ARGS...]"
  MAIN="$1"
  shift
else
  [[ -n "${CLASSES[$name]:-}" ]] || sk_die "unknown tool '$TOOL' (see: kafka-tool.sh $VERSION --list)"
  MAIN="$(resolve "$name")"
  [[ -n "$MAIN" ]] || sk_die "tool '$TOOL' does not exist in Kafka $VERSION (looked for: ${CLASSES[$name]})"
fi

if [[ "$(sk_major "$VERSION")" == 4 ]]; then
  LOG_OPTS=("-Dlog4j2.configurationFile=$HERE/tools-log4j2.properties")
else
  LOG_OPTS=("-Dlog4j.configuration=file:$HERE/tools-log4j.properties")
fi

# Short-lived admin tools start much faster with the C1 compiler only and the
# serial collector; load generators keep the full JIT.
case "$name" in
  *perf-test | e2e-latency | verifiable-*) JIT_OPTS=() ;;
  *) JIT_OPTS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC) ;;
esac

read -ra EXTRA_OPTS <<<"${STRAIT_KAFKA_TOOL_OPTS:-}"
exec "$(sk_java)" -Xmx512m "${JIT_OPTS[@]+"${JIT_OPTS[@]}"}" -Djava.awt.headless=true "${LOG_OPTS[@]}" \
  "${EXTRA_OPTS[@]+"${EXTRA_OPTS[@]}"}" -cp "$LIBS/*" "$MAIN" "$@"
