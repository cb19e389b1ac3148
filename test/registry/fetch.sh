#!/usr/bin/env bash
# Build a runnable Apicurio Registry from Maven Central (see runner/pom.xml)
# into
#   ${STRAIT_REGISTRY_CACHE:-$HOME/.cache/strait/registry}/apicurio-VERSION/app
# and print that directory. A finished build is stamped with a hash of the
# recipe; later runs return at once without calling Maven.
#
# Environment: STRAIT_REGISTRY_CACHE (cache root), STRAIT_REGISTRY_MAVEN_REPO
# (a Maven local repository instead of ~/.m2/repository).
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNNER="$STRAIT_REGISTRY_HARNESS/runner"
VDIR="$(sr_cache_root)/apicurio-$STRAIT_REGISTRY_VERSION"
APP="$(sr_app_dir)"
STAMP="$VDIR/.complete"
RECIPE="$(cat "$RUNNER/pom.xml" "$RUNNER"/src/main/java/strait/registry/*.java | sha256sum | cut -c1-16)"

complete() {
  [[ -f "$STAMP" && "$(cat "$STAMP")" == "$RECIPE" && -f "$APP/registry-runner.jar" && -d "$APP/lib" ]]
}

if complete; then
  echo "$APP"
  exit 0
fi

command -v mvn >/dev/null || sr_die "mvn not found on PATH"
mkdir -p "$VDIR"
exec 9>"$VDIR/.lock"
flock 9
if complete; then # another build finished while we waited for the lock
  echo "$APP"
  exit 0
fi

TMP="$(mktemp -d "$VDIR/.build.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
cp -r "$RUNNER/." "$TMP/"

sr_log "building Apicurio Registry $STRAIT_REGISTRY_VERSION from Maven Central (a few minutes the first time)"
MVN_ARGS=(-B -f "$TMP/pom.xml")
if [[ -n "${STRAIT_REGISTRY_MAVEN_REPO:-}" ]]; then
  MVN_ARGS+=("-Dmaven.repo.local=$STRAIT_REGISTRY_MAVEN_REPO")
fi
if ! mvn "${MVN_ARGS[@]}" package -DskipTests >"$TMP/mvn.log" 2>&1; then
  grep -E '^\[ERROR\]' "$TMP/mvn.log" | head -n 20 >&2 || true
  tail -n 20 "$TMP/mvn.log" >&2
  sr_die "Maven could not build Apicurio Registry $STRAIT_REGISTRY_VERSION"
fi
jar="$TMP/target/apicurio-registry-runner-$STRAIT_REGISTRY_VERSION-runner.jar"
[[ -f "$jar" && -d "$TMP/target/lib" ]] || sr_die "Maven finished but the runner jar is missing"

rm -rf "$APP"
mkdir -p "$APP"
mv "$jar" "$APP/registry-runner.jar"
mv "$TMP/target/lib" "$APP/lib"
echo "$RECIPE" >"$STAMP"
sr_log "Apicurio Registry $STRAIT_REGISTRY_VERSION: $(du -sh "$APP" | cut -f1) in $APP"
echo "$APP"
