#!/usr/bin/env bash
# The namespace listing check of the compatibility matrix: what Kafka's own
# tools list through a namespaced virtual cluster must be exactly the
# tenant's names, with the prefix hidden.
#
#   namespace-listing.sh KAFKA_VERSION DIRECT_BOOTSTRAP NAMESPACE_BOOTSTRAP PREFIX
#
# Prints one cell (suite contract of run.sh) on stdout: op namespace-listing,
# pass when kafka-topics --list and kafka-consumer-groups --list through the
# namespace show every tenant topic and group (backend name = PREFIX+name),
# nothing else, and no internal topic.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KT="$here/../kafka/kafka-tool.sh"
v="$1" direct="$2" ns="$3" prefix="$4"

cell() {
  printf '{"suite":"namespace","client":"java (kafka tools)","client_version":"%s","op":"namespace-listing","status":"%s","detail":"%s"}\n' "$v" "$1" "$2"
}

list() { timeout 120 "$KT" "$v" "$@" 2>/dev/null | sed '/^$/d' | sort; }

direct_topics=$(list kafka-topics --bootstrap-server "$direct" --list)
ns_topics=$(list kafka-topics --bootstrap-server "$ns" --list)
direct_groups=$(list kafka-consumer-groups --bootstrap-server "$direct" --list)
ns_groups=$(list kafka-consumer-groups --bootstrap-server "$ns" --list)

want_topics=$(grep -F "$prefix" <<<"$direct_topics" | sed -n "s/^${prefix//./\\.}//p" | sort || true)
want_groups=$(grep -F "$prefix" <<<"$direct_groups" | sed -n "s/^${prefix//./\\.}//p" | sort || true)

problems=()
[[ -n $want_topics ]] || problems+=("no tenant topics exist directly: the suites made none")
[[ "$ns_topics" == "$want_topics" ]] || problems+=("topics through the namespace differ from the tenant's: $(diff <(echo "$want_topics") <(echo "$ns_topics") | grep '^[<>]' | head -5 | tr '\n' ' ')")
[[ "$ns_groups" == "$want_groups" ]] || problems+=("groups through the namespace differ from the tenant's: $(diff <(echo "$want_groups") <(echo "$ns_groups") | grep '^[<>]' | head -5 | tr '\n' ' ')")
grep -q '^__' <<<"$ns_topics" && problems+=("internal topics are listed")
others=$(grep -vcF "$prefix" <<<"$direct_topics" || true)
if ((${#problems[@]} == 0)); then
  cell pass "$(wc -l <<<"$ns_topics") tenant topics and $(grep -c . <<<"$ns_groups" || true) groups listed; $others other backend topics hidden"
else
  cell fail "$(IFS='; '; echo "${problems[*]}" | tr '"' "'")"
fi
