#!/usr/bin/env bash
# Download Apache Kafka VERSION (broker, CLI tools, clients and all runtime
# dependencies plus a logging backend) from Maven Central into
#   ${STRAIT_KAFKA_CACHE:-$HOME/.cache/strait/kafka}/VERSION/libs
# and print that directory. A completed download is marked with a stamp file;
# later runs return at once without calling Maven.
#
# Usage: fetch.sh VERSION        e.g. fetch.sh 4.4.0
#
# Environment: STRAIT_KAFKA_CACHE (cache root), STRAIT_KAFKA_MAVEN_REPO (use
# this Maven local repository instead of ~/.m2/repository).
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || sk_die "usage: fetch.sh VERSION"
VERSION="$1"
sk_check_version "$VERSION"
MAJOR="$(sk_major "$VERSION")"

# Bump when the dependency recipe below changes so caches are rebuilt.
RECIPE="strait-kafka-fetch/3"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

VDIR="$(sk_cache_root)/$VERSION"
LIBS="$(sk_libs_dir "$VERSION")"
STAMP="$(sk_stamp_file "$VERSION")"

# Complete = stamp of this recipe present and as many jars as it recorded.
complete() {
  [[ -f "$STAMP" && -d "$LIBS" ]] || return 1
  [[ "$(sed -n 1p "$STAMP")" == "$RECIPE $VERSION" ]] || return 1
  [[ "$(sed -n 3p "$STAMP")" == "$(find "$LIBS" -name '*.jar' | wc -l)" ]]
}

if complete; then
  echo "$LIBS"
  exit 0
fi

command -v mvn >/dev/null || sk_die "mvn not found on PATH"
mkdir -p "$VDIR"
exec 9>"$VDIR/.lock"
flock 9
if complete; then # another fetch finished while we waited for the lock
  echo "$LIBS"
  exit 0
fi

# Logging backend: Kafka 4.x logs through log4j2, 3.x through reload4j.
if [[ "$MAJOR" == 4 ]]; then
  LOGGING_DEPS='
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>2.25.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.25.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.25.3</version></dependency>'
else
  LOGGING_DEPS='
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>'
fi

TMP="$(mktemp -d "$VDIR/.fetch.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# connect-runtime (pulled in by kafka-tools only for connect-plugin-path)
# brings Jetty, Jersey and a second logging binding; none of the broker or
# client tools need it. ZooKeeper's logback binding would clash with ours.
cat >"$TMP/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>strait.test</groupId>
  <artifactId>kafka-libs</artifactId>
  <version>$VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$VERSION</version>
      <exclusions>
        <exclusion><groupId>ch.qos.logback</groupId><artifactId>*</artifactId></exclusion>
        <exclusion><groupId>log4j</groupId><artifactId>log4j</artifactId></exclusion>
        <exclusion><groupId>org.slf4j</groupId><artifactId>slf4j-log4j12</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
        <exclusion><groupId>ch.qos.logback</groupId><artifactId>*</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-storage</artifactId><version>$VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-server</artifactId><version>$VERSION</version></dependency>
$LOGGING_DEPS
  </dependencies>
</project>
EOF

sk_log "fetching Kafka $VERSION from Maven Central (this takes a while the first time)"
MVN_ARGS=(-B -q -f "$TMP/pom.xml")
if [[ -n "${STRAIT_KAFKA_MAVEN_REPO:-}" ]]; then
  MVN_ARGS+=("-Dmaven.repo.local=$STRAIT_KAFKA_MAVEN_REPO")
fi
if ! mvn "${MVN_ARGS[@]}" "$DEP_PLUGIN:copy-dependencies" \
  -DincludeScope=runtime -DoutputDirectory="$TMP/libs" >"$TMP/mvn.log" 2>&1; then
  tail -n 40 "$TMP/mvn.log" >&2
  sk_die "Maven could not resolve Kafka $VERSION"
fi

for want in "kafka_2.13-$VERSION.jar" "kafka-tools-$VERSION.jar" "kafka-clients-$VERSION.jar"; do
  [[ -f "$TMP/libs/$want" ]] || sk_die "Maven run finished but $want is missing"
done

# Index of the classes in the jars, so kafka-tool.sh can pick the right main
# class for a tool on this version.
for jar in "$TMP"/libs/*.jar; do
  unzip -Z1 "$jar" 2>/dev/null | sed -n '/\$/d; s/\.class$//p' | tr / . || true
done | sort -u >"$TMP/classes.txt"

rm -rf "$LIBS" "$VDIR/classes.txt"
mv "$TMP/libs" "$LIBS"
mv "$TMP/classes.txt" "$VDIR/classes.txt"
cp "$TMP/pom.xml" "$VDIR/pom.xml"
{
  echo "$RECIPE $VERSION"
  date -u +%Y-%m-%dT%H:%M:%SZ
  find "$LIBS" -name '*.jar' | wc -l
} >"$STAMP"
sk_log "Kafka $VERSION: $(find "$LIBS" -name '*.jar' | wc -l) jars"
echo "$LIBS"
