#!/usr/bin/env bash
# Run a 3-node Apache Kafka KRaft cluster on loopback for integration tests.
#
#   cluster.sh start  VERSION [DIR]   format (first time), start, wait until ready
#   cluster.sh stop   VERSION [DIR]   stop the nodes this harness started, then
#                                     delete DIR (keep it with KEEP=1)
#   cluster.sh status VERSION [DIR]   print whether each node is up (exit 1 if not all)
#
# DIR defaults to $STRAIT_KAFKA_DIR or /tmp/strait-kafka-VERSION. Every node is
# a combined broker+controller (node ids 1, 2, 3) with these listeners, all on
# 127.0.0.1 (B = STRAIT_KAFKA_PORT_BASE, 24092 for 4.x and 24192 for 3.x):
#   PLAINTEXT      B+0..2    (inter-broker listener)
#   SASL_PLAINTEXT B+10..12  PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
#                            users admin/admin-secret, alice/alice-secret,
#                            bob/bob-secret and carol/carol-secret;
#                            OAUTHBEARER (see below)
#   SSL            B+20..22  ssl.client.auth=requested, CA in DIR/tls/ca.pem
#   CONTROLLER     B+30..32
#   SASL_REAUTH    B+40..42  SASL_PLAINTEXT with PLAIN and OAUTHBEARER and
#                            connections.max.reauth.ms=5000 (KIP-368)
#
# OAUTHBEARER tokens are validated by Kafka's
# OAuthBearerValidatorCallbackHandler against DIR/oauth/jwks.json (a file://
# URL, allowed by -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls, which
# 4.x requires and 3.9 honours when set): RS256 tokens signed with the RSA
# key DIR/oauth/signing.key (PKCS#8 PEM), key id strait-test, with iss
# strait-test-idp, aud strait-kafka, sub, iat and exp. The principal is the
# token's sub.
#
# ACLs are enforced by StandardAuthorizer with super.users User:ANONYMOUS
# (every PLAINTEXT client, the inter-broker and controller listeners
# included) and User:admin, and allow.everyone.if.no.acl.found=true: a
# resource that no ACL names stays open to every principal, so suites that
# create no ACLs see no difference. SASL users other than admin, and SSL
# clients with a certificate (User:CN=strait-client for DIR/tls/client.pem),
# are ordinary principals.
#
# Environment: STRAIT_KAFKA_PORT_BASE, STRAIT_KAFKA_DIR, STRAIT_KAFKA_CACHE,
#   STRAIT_KAFKA_HEAP_OPTS (default "-Xmx512m -Xms256m"), STRAIT_KAFKA_JVM_OPTS,
#   STRAIT_KAFKA_START_TIMEOUT (seconds, default 180),
#   STRAIT_KAFKA_STOP_TIMEOUT (seconds, default 30), STRAIT_KAFKA_LOCK_TIMEOUT
#   (seconds, default 600), KEEP=1 (stop keeps DIR).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

usage() {
  sk_die "usage: cluster.sh start|stop|status VERSION [DIR]; NODE=N cluster.sh stop-node|start-node VERSION [DIR]"
}

[[ $# -ge 2 && $# -le 3 ]] || usage
CMD="$1"
VERSION="$2"
sk_check_version "$VERSION"
MAJOR="$(sk_major "$VERSION")"
WORK="${3:-$(sk_work_dir "$VERSION")}"
mkdir -p "$(dirname "$WORK")"
WORK="$(cd "$(dirname "$WORK")" && pwd)/$(basename "$WORK")"
MARKER="$WORK/.strait-kafka"
NODES=(1 2 3)
PASS="$STRAIT_KAFKA_STORE_PASSWORD"
TLS="$WORK/tls"
OAUTH="$WORK/oauth"
OAUTH_KID=strait-test
OAUTH_ISSUER=strait-test-idp
OAUTH_AUDIENCE=strait-kafka
JWKS_URL="file://$OAUTH/jwks.json"
REAUTH_MS=5000

tool() {
  "$HERE/kafka-tool.sh" "$VERSION" "$@"
}

node_dir() {
  echo "$WORK/node$1"
}

# PID recorded for node N, if that process is still the broker we started.
live_pid() {
  local pidfile pid
  pidfile="$(node_dir "$1")/pid"
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  # Guard against PID reuse: the command line must name this node's config.
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $(node_dir "$1")/server.properties" || return 1
  echo "$pid"
}

# Client listeners of this cluster's nodes: SASL_REAUTH only when the node
# configs have it (a cluster started by an older cluster.sh and still
# running does not).
client_listeners() {
  echo PLAINTEXT SASL_PLAINTEXT SSL
  if grep -q '^listener.name.sasl_reauth' "$(node_dir 1)/server.properties" 2>/dev/null; then
    echo SASL_REAUTH
  fi
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

random_uuid() { # Kafka-style base64url UUID that does not start with '-'
  local id
  while :; do
    id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && break
  done
  echo "$id"
}

log_tail() {
  local n
  for n in "${NODES[@]}"; do
    for f in "$(node_dir "$n")/logs/server.log" "$(node_dir "$n")/stdout.log"; do
      [[ -s "$f" ]] || continue
      echo "----- $f (last 25 lines) -----" >&2
      tail -n 25 "$f" >&2
    done
  done
}

gen_tls() {
  [[ -f "$TLS/.complete" ]] && return 0
  command -v openssl >/dev/null || sk_die "openssl not found"
  rm -rf "$TLS"
  mkdir -p "$TLS"
  (
    cd "$TLS"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
      -subj "/CN=Strait Test CA" -keyout ca.key -out ca.pem \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >broker.ext
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >client.ext
    for who in broker client; do
      local cn="localhost"
      [[ "$who" == client ]] && cn="strait-client"
      openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$cn" \
        -keyout "$who.key" -out "$who.csr" 2>/dev/null
      openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
        -days 3650 -sha256 -extfile "$who.ext" -out "$who.pem" 2>/dev/null
      openssl pkcs12 -export -in "$who.pem" -inkey "$who.key" -certfile ca.pem \
        -name "$who" -passout "pass:$PASS" -out "$who.p12"
    done
    keytool -importcert -noprompt -alias ca -file ca.pem -storetype PKCS12 \
      -keystore truststore.p12 -storepass "$PASS" >/dev/null 2>&1
    rm -f ./*.csr ./*.ext ca.srl
    chmod 600 ./*.key
  )
  touch "$TLS/.complete"
}

# OAuth key material: the RSA key tests sign tokens with and the JWKS that
# holds its public half. The modulus is converted from openssl's hex to
# base64url with coreutils' basenc.
gen_oauth() {
  [[ -f "$OAUTH/.complete" ]] && return 0
  rm -rf "$OAUTH"
  mkdir -p "$OAUTH"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$OAUTH/signing.key" 2>/dev/null
  chmod 600 "$OAUTH/signing.key"
  openssl pkey -in "$OAUTH/signing.key" -noout -text 2>/dev/null | grep -q 'publicExponent: 65537' ||
    sk_die "unexpected RSA public exponent in $OAUTH/signing.key"
  local modulus n e=AQAB # base64url of 65537
  modulus="$(openssl rsa -in "$OAUTH/signing.key" -noout -modulus 2>/dev/null)"
  n="$(printf '%s' "${modulus#Modulus=}" | basenc --base16 -d | basenc --base64url -w0 | tr -d '=')"
  [[ -n "$n" ]] || sk_die "could not read the modulus of $OAUTH/signing.key"
  printf '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"%s","n":"%s","e":"%s"}]}\n' \
    "$OAUTH_KID" "$n" "$e" >"$OAUTH/jwks.json"
  touch "$OAUTH/.complete"
}

write_client_configs() {
  local jaas_plain='org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="alice-secret";'
  local jaas_scram='org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-secret";'
  : >"$WORK/client-plaintext.properties"
  printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=%s\n' "$jaas_plain" >"$WORK/client-sasl-plain.properties"
  printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\nsasl.jaas.config=%s\n' "$jaas_scram" >"$WORK/client-scram-sha-256.properties"
  printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=%s\n' "$jaas_scram" >"$WORK/client-scram-sha-512.properties"
  cat >"$WORK/client-ssl.properties" <<EOF
security.protocol=SSL
ssl.truststore.type=PKCS12
ssl.truststore.location=$TLS/truststore.p12
ssl.truststore.password=$PASS
ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS/client.p12
ssl.keystore.password=$PASS
ssl.key.password=$PASS
EOF
}

write_node_config() {
  local n="$1" dir
  dir="$(node_dir "$n")"
  mkdir -p "$dir/data" "$dir/logs"
  local p s t c r
  p="$(sk_port "$VERSION" PLAINTEXT "$n")"
  s="$(sk_port "$VERSION" SASL_PLAINTEXT "$n")"
  t="$(sk_port "$VERSION" SSL "$n")"
  c="$(sk_port "$VERSION" CONTROLLER "$n")"
  r="$(sk_port "$VERSION" SASL_REAUTH "$n")"

  local quorum advertised
  advertised="PLAINTEXT://127.0.0.1:$p,SASL_PLAINTEXT://127.0.0.1:$s,SSL://127.0.0.1:$t,SASL_REAUTH://127.0.0.1:$r"
  if [[ "$MAJOR" == 4 ]]; then
    # Dynamic quorum (KIP-853): voters are fixed at format time.
    quorum="controller.quorum.bootstrap.servers=$(sk_bootstrap "$VERSION" CONTROLLER)"
    advertised+=",CONTROLLER://127.0.0.1:$c"
  else
    local voters="" m
    for m in "${NODES[@]}"; do
      voters+="${voters:+,}$m@127.0.0.1:$(sk_port "$VERSION" CONTROLLER "$m")"
    done
    quorum="controller.quorum.voters=$voters"
  fi

  cat >"$dir/server.properties" <<EOF
# Strait integration-test node $n (Kafka $VERSION), generated by cluster.sh.
node.id=$n
process.roles=broker,controller
$quorum
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$p,SASL_PLAINTEXT://127.0.0.1:$s,SSL://127.0.0.1:$t,CONTROLLER://127.0.0.1:$c,SASL_REAUTH://127.0.0.1:$r
advertised.listeners=$advertised
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT,SASL_REAUTH:SASL_PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data

sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret" user_carol="carol-secret";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler

# OAUTHBEARER: tokens signed by the key of DIR/oauth (see gen_oauth).
sasl.oauthbearer.jwks.endpoint.url=$JWKS_URL
sasl.oauthbearer.expected.issuer=$OAUTH_ISSUER
sasl.oauthbearer.expected.audience=$OAUTH_AUDIENCE

# SASL_REAUTH: sessions last at most ${REAUTH_MS} ms (KIP-368); a client
# re-authenticates on its connection, or is disconnected at its next request
# other than a SaslHandshake.
listener.name.sasl_reauth.sasl.enabled.mechanisms=PLAIN,OAUTHBEARER
listener.name.sasl_reauth.connections.max.reauth.ms=$REAUTH_MS
listener.name.sasl_reauth.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret" user_carol="carol-secret";
listener.name.sasl_reauth.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.sasl_reauth.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler

ssl.keystore.type=PKCS12
ssl.keystore.location=$TLS/broker.p12
ssl.keystore.password=$PASS
ssl.key.password=$PASS
ssl.truststore.type=PKCS12
ssl.truststore.location=$TLS/truststore.p12
ssl.truststore.password=$PASS
ssl.client.auth=requested

# ACLs (the ACL equivalence suite creates its own, named per run). The
# PLAINTEXT listeners, CONTROLLER included, authenticate as User:ANONYMOUS:
# as a super user it keeps brokers, controllers and PLAINTEXT clients at
# full rights. Principals without a matching ACL keep access to resources
# that no ACL names.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS;User:admin
allow.everyone.if.no.acl.found=true

num.partitions=3
default.replication.factor=3
min.insync.replicas=1
auto.create.topics.enable=true
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
group.initial.rebalance.delay.ms=0

# Small machine: fewer threads than the defaults.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
EOF
  if [[ "$MAJOR" == 4 ]]; then
    cat >>"$dir/server.properties" <<EOF
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
EOF
  fi

  if [[ "$MAJOR" == 4 ]]; then
    cat >"$dir/log4j2.properties" <<EOF
status = error
name = strait-kafka-node$n
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $dir/logs/server.log
appender.file.filePattern = $dir/logs/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
  else
    cat >"$dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$dir/logs/server.log
log4j.appender.file.MaxFileSize=50MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
EOF
  fi
}

format_storage() {
  local n args=() pids=() cluster_id
  if [[ -f "$WORK/cluster.id" ]]; then
    cluster_id="$(cat "$WORK/cluster.id")"
  else
    cluster_id="$(random_uuid)"
    echo "$cluster_id" >"$WORK/cluster.id"
  fi
  local user mech
  for mech in SCRAM-SHA-256 SCRAM-SHA-512; do
    for user in admin alice bob carol; do
      args+=(--add-scram "$mech=[name=$user,password=$user-secret]")
    done
  done
  if [[ "$MAJOR" == 4 ]]; then
    local initial="" dirid
    for n in "${NODES[@]}"; do
      [[ -f "$(node_dir "$n")/directory.id" ]] || random_uuid >"$(node_dir "$n")/directory.id"
      dirid="$(cat "$(node_dir "$n")/directory.id")"
      initial+="${initial:+,}$n@127.0.0.1:$(sk_port "$VERSION" CONTROLLER "$n"):$dirid"
    done
    args+=(--initial-controllers "$initial")
  fi
  for n in "${NODES[@]}"; do
    [[ -f "$(node_dir "$n")/data/meta.properties" ]] && continue
    tool kafka-storage format --cluster-id "$cluster_id" \
      --config "$(node_dir "$n")/server.properties" "${args[@]}" \
      >"$(node_dir "$n")/format.log" 2>&1 &
    pids+=($!)
  done
  local rc=0 pid
  for pid in "${pids[@]}"; do
    wait "$pid" || rc=1
  done
  if [[ "$rc" != 0 ]]; then
    cat "$WORK"/node*/format.log >&2
    sk_die "formatting storage failed"
  fi
}

start_node() {
  local n="$1" dir pid log_opts heap_opts jvm_opts
  dir="$(node_dir "$n")"
  read -ra heap_opts <<<"${STRAIT_KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
  read -ra jvm_opts <<<"${STRAIT_KAFKA_JVM_OPTS:-}"
  if [[ "$MAJOR" == 4 ]]; then
    log_opts="-Dlog4j2.configurationFile=$dir/log4j2.properties"
  else
    log_opts="-Dlog4j.configuration=file:$dir/log4j.properties"
  fi
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  # setsid: the node outlives this script and the caller's process group.
  # The inner shell records its own PID and then becomes the JVM (exec).
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$dir/pid" \
    "$(sk_java)" "${heap_opts[@]}" \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    "-Dkafka.logs.dir=$dir/logs" "$log_opts" \
    "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=$JWKS_URL" \
    "${jvm_opts[@]+"${jvm_opts[@]}"}" \
    -cp "$LIBS/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >"$dir/stdout.log" 2>&1 8>&- &
  # Wait for the PID file so stop/status can find the node at once.
  local _
  for _ in $(seq 1 50); do
    [[ -s "$dir/pid" ]] && break
    sleep 0.1
  done
  pid="$(cat "$dir/pid" 2>/dev/null || true)"
  [[ -n "$pid" ]] || sk_die "node $n did not start"
  echo "$pid" >>"$WORK/pids"
}

brokers_registered() { # number of brokers in a metadata response
  local out
  out="$(tool kafka-broker-api-versions --bootstrap-server "$(sk_bootstrap "$VERSION" PLAINTEXT)" 2>/dev/null)" || {
    echo 0
    return 0
  }
  grep -cE '^[^ ]+ \(id: [0-9]+ rack' <<<"$out" || true
}

wait_ready() {
  local timeout="${STRAIT_KAFKA_START_TIMEOUT:-180}" deadline n l
  deadline=$((SECONDS + timeout))
  while :; do
    for n in "${NODES[@]}"; do
      if ! live_pid "$n" >/dev/null; then
        log_tail
        sk_die "node $n (Kafka $VERSION) exited during startup; logs in $(node_dir "$n")"
      fi
    done
    local ports_up=1
    for n in "${NODES[@]}"; do
      for l in $(client_listeners); do
        port_open "$(sk_port "$VERSION" "$l" "$n")" || ports_up=0
      done
    done
    if [[ "$ports_up" == 1 && "$(brokers_registered)" == 3 ]]; then
      # The metadata request worked and names all three brokers; make sure
      # topic metadata can be listed as well.
      if tool kafka-topics --bootstrap-server "$(sk_bootstrap "$VERSION" PLAINTEXT)" --list >/dev/null 2>&1; then
        return 0
      fi
    fi
    if ((SECONDS >= deadline)); then
      log_tail
      sk_die "Kafka $VERSION cluster in $WORK not ready after ${timeout}s"
    fi
    sleep 1
  done
}

write_env_file() {
  # KEY=VALUE lines without spaces: readable by env.sh, a shell or Go.
  cat >"$WORK/cluster.env" <<EOF
STRAIT_KAFKA_VERSION=$VERSION
STRAIT_KAFKA_WORK_DIR=$WORK
STRAIT_KAFKA_PLAINTEXT_PORTS=$(sk_ports "$VERSION" PLAINTEXT)
STRAIT_KAFKA_SASL_PORTS=$(sk_ports "$VERSION" SASL_PLAINTEXT)
STRAIT_KAFKA_SSL_PORTS=$(sk_ports "$VERSION" SSL)
STRAIT_KAFKA_CONTROLLER_PORTS=$(sk_ports "$VERSION" CONTROLLER)
STRAIT_KAFKA_BOOTSTRAP=$(sk_bootstrap "$VERSION" PLAINTEXT)
STRAIT_KAFKA_SASL_BOOTSTRAP=$(sk_bootstrap "$VERSION" SASL_PLAINTEXT)
STRAIT_KAFKA_SSL_BOOTSTRAP=$(sk_bootstrap "$VERSION" SSL)
STRAIT_KAFKA_CONTROLLER_BOOTSTRAP=$(sk_bootstrap "$VERSION" CONTROLLER)
STRAIT_KAFKA_CA_PEM=$TLS/ca.pem
STRAIT_KAFKA_CLIENT_CERT_PEM=$TLS/client.pem
STRAIT_KAFKA_CLIENT_KEY_PEM=$TLS/client.key
STRAIT_KAFKA_TRUSTSTORE=$TLS/truststore.p12
STRAIT_KAFKA_CLIENT_KEYSTORE=$TLS/client.p12
STRAIT_KAFKA_CLUSTER_ID=$(cat "$WORK/cluster.id")
EOF
  # A cluster started before OAUTHBEARER and SASL_REAUTH existed (and still
  # running) has neither: tests then skip what needs them.
  [[ "$(client_listeners)" == *SASL_REAUTH* ]] || return 0
  cat >>"$WORK/cluster.env" <<EOF
STRAIT_KAFKA_OAUTH_SIGNING_KEY=$OAUTH/signing.key
STRAIT_KAFKA_OAUTH_JWKS=$OAUTH/jwks.json
STRAIT_KAFKA_OAUTH_KID=$OAUTH_KID
STRAIT_KAFKA_OAUTH_ISSUER=$OAUTH_ISSUER
STRAIT_KAFKA_OAUTH_AUDIENCE=$OAUTH_AUDIENCE
STRAIT_KAFKA_REAUTH_PORTS=$(sk_ports "$VERSION" SASL_REAUTH)
STRAIT_KAFKA_REAUTH_BOOTSTRAP=$(sk_bootstrap "$VERSION" SASL_REAUTH)
STRAIT_KAFKA_REAUTH_MS=$REAUTH_MS
EOF
}

all_running() {
  local n
  for n in "${NODES[@]}"; do
    live_pid "$n" >/dev/null || return 1
  done
}

cmd_start() {
  LIBS="$("$HERE/fetch.sh" "$VERSION")"
  if [[ -e "$WORK" && ! -f "$MARKER" ]] && [[ -n "$(ls -A "$WORK" 2>/dev/null)" ]]; then
    sk_die "$WORK exists and was not made by this harness; pick another DIR"
  fi
  if [[ -f "$MARKER" ]] && all_running; then
    sk_log "Kafka $VERSION already running in $WORK; checking it is ready"
    wait_ready
    write_client_configs
    write_env_file
    echo "Kafka $VERSION ready: $(sk_bootstrap "$VERSION" PLAINTEXT)"
    return 0
  fi
  # Some nodes of an earlier run may be left over: stop them, keep the data.
  if [[ -f "$MARKER" ]]; then
    KEEP=1 stop_nodes
  fi

  local n l port
  for n in "${NODES[@]}"; do
    for l in PLAINTEXT SASL_PLAINTEXT SSL CONTROLLER SASL_REAUTH; do
      port="$(sk_port "$VERSION" "$l" "$n")"
      if port_open "$port"; then
        sk_die "port $port ($l of node $n) is already in use; stop the other cluster or set STRAIT_KAFKA_PORT_BASE"
      fi
    done
  done

  mkdir -p "$WORK"
  touch "$MARKER"
  STARTING=1
  gen_tls
  gen_oauth
  write_client_configs
  for n in "${NODES[@]}"; do
    write_node_config "$n"
  done
  format_storage
  : >"$WORK/pids"
  for n in "${NODES[@]}"; do
    start_node "$n"
  done
  wait_ready
  write_env_file
  STARTING=0
  echo "Kafka $VERSION ready in $WORK"
  echo "  PLAINTEXT      $(sk_bootstrap "$VERSION" PLAINTEXT)"
  echo "  SASL_PLAINTEXT $(sk_bootstrap "$VERSION" SASL_PLAINTEXT)"
  echo "  SSL            $(sk_bootstrap "$VERSION" SSL)"
  echo "  SASL_REAUTH    $(sk_bootstrap "$VERSION" SASL_REAUTH)"
}

stop_nodes() {
  local n pid pids=()
  for n in "${NODES[@]}"; do
    if pid="$(live_pid "$n")"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid:$n")
    fi
  done
  local timeout="${STRAIT_KAFKA_STOP_TIMEOUT:-30}" deadline entry alive
  deadline=$((SECONDS + timeout))
  while ((${#pids[@]} > 0)); do
    alive=()
    for entry in "${pids[@]}"; do
      live_pid "${entry#*:}" >/dev/null && alive+=("$entry")
    done
    pids=("${alive[@]+"${alive[@]}"}")
    ((${#pids[@]} == 0)) && break
    if ((SECONDS >= deadline)); then
      for entry in "${pids[@]}"; do
        sk_log "node ${entry#*:} (pid ${entry%%:*}) did not stop in ${timeout}s; killing it"
        kill -KILL "${entry%%:*}" 2>/dev/null || true
      done
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$WORK/pids" "$WORK"/node*/pid
}

cmd_stop() {
  if [[ ! -f "$MARKER" ]]; then
    echo "Kafka $VERSION: nothing to stop in $WORK"
    return 0
  fi
  stop_nodes
  if [[ "${KEEP:-0}" == 1 ]]; then
    echo "Kafka $VERSION stopped; data kept in $WORK"
  else
    rm -rf "$WORK"
    echo "Kafka $VERSION stopped; $WORK removed"
  fi
}

cmd_status() {
  local n pid all=0 l line
  for n in "${NODES[@]}"; do
    if pid="$(live_pid "$n")"; then
      line="node $n: up (pid $pid)"
      for l in $(client_listeners) CONTROLLER; do
        port="$(sk_port "$VERSION" "$l" "$n")"
        if port_open "$port"; then
          line+=" $l:$port"
        else
          line+=" $l:$port(closed)"
          all=1
        fi
      done
      echo "$line"
    else
      echo "node $n: down"
      all=1
    fi
  done
  return "$all"
}

# A failed start stops whatever it launched and keeps DIR for the logs.
STARTING=0
on_exit() {
  local rc=$?
  if [[ "$rc" != 0 && "$STARTING" == 1 ]]; then
    stop_nodes >/dev/null 2>&1 || true
    sk_log "start failed; nodes stopped, logs kept in $WORK (remove with: cluster.sh stop $VERSION $WORK)"
  fi
  return "$rc"
}

# One start/stop at a time per cluster (e.g. parallel test packages all
# making sure the cluster is up). The lock file lives beside DIR.
# Only this script holds fd 8: the broker JVMs are started with it closed.
lock() {
  exec 8>"$WORK.lock"
  flock -w "${STRAIT_KAFKA_LOCK_TIMEOUT:-600}" 8 ||
    sk_die "another cluster.sh holds $WORK.lock (waited ${STRAIT_KAFKA_LOCK_TIMEOUT:-600}s)"
}

# stop-node/start-node N: one node of a running cluster, for fault tests.
cmd_stop_node() {
  local n="$1" pid deadline
  pid="$(live_pid "$n")" || { echo "node $n is not running"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + ${STRAIT_KAFKA_STOP_TIMEOUT:-30}))
  while live_pid "$n" >/dev/null; do
    if ((SECONDS >= deadline)); then
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$(node_dir "$n")/pid"
  echo "node $n stopped"
}

cmd_start_node() {
  local n="$1" port deadline
  if live_pid "$n" >/dev/null; then
    echo "node $n is running"
    return 0
  fi
  LIBS="$("$HERE/fetch.sh" "$VERSION")"
  start_node "$n"
  port="$(sk_port "$VERSION" PLAINTEXT "$n")"
  deadline=$((SECONDS + ${STRAIT_KAFKA_START_TIMEOUT:-180}))
  until port_open "$port"; do
    ((SECONDS < deadline)) || sk_die "node $n did not open port $port"
    sleep 0.2
  done
  echo "node $n started"
}

case "$CMD" in
  stop-node)
    lock
    cmd_stop_node "${NODE:?set NODE=1|2|3}"
    ;;
  start-node)
    lock
    cmd_start_node "${NODE:?set NODE=1|2|3}"
    ;;
  start)
    lock
    trap on_exit EXIT
    cmd_start
    ;;
  stop)
    lock
    cmd_stop
    ;;
  status) cmd_status ;;
  *) usage ;;
esac
