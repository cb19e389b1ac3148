# Strait: build, test and benchmark.
GO ?= go
FUZZTIME ?= 20s

.PHONY: all build test tools unit fuzz lint compat bench dev

all: build

build:
	$(GO) build -o bin/strait ./cmd/strait

# The whole test suite: lint, unit and in-process end-to-end tests with the
# race detector, a short fuzzing run of the frame and header parser, and
# the client compatibility matrix and fault tests against real Apache
# Kafka (fetched from Maven Central; needs Java 17 and Maven). It installs
# the outside tools the tests drive first, and a test that still lacks one
# fails rather than skips (STRAIT_REQUIRE_TOOLS=1).
test: export STRAIT_REQUIRE_TOOLS := 1
test: tools lint unit fuzz compat

# Outside tools the tests drive, installed when missing: kcat (apt-get,
# as root or with sudo).
tools:
	test/compat/clients/kcat/install

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Real-Kafka tests (test/realkafka) run in the compat tier, which starts the
# clusters; here they skip even if the caller's environment names one. The
# schema tests use a real registry (Apicurio, built from Maven Central the
# first time: test/registry), started here and left running for the compat
# tier (STRAIT_REGISTRY_PORT, default 28081; test/registry/stop.sh stops it).
unit:
	url=$$(test/registry/start.sh) && STRAIT_SCHEMA_REGISTRY_URL=$$url STRAIT_KAFKA_BOOTSTRAP= $(GO) test -race -count=1 -timeout 15m ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzRequestHeader$$' -fuzztime $(FUZZTIME) ./internal/protocol
	$(GO) test -run '^$$' -fuzz '^FuzzProduceNamesBrokers$$' -fuzztime $(FUZZTIME) ./internal/protocol
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/records

compat:
	test/compat/run.sh

# Throughput and latency, direct and through the gateway, in the same run.
bench:
	$(GO) run ./test/bench $(BENCHFLAGS)

dev:
	$(GO) run ./cmd/strait dev
