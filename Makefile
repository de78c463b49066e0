# SmarterChat — see README.md. `make run` starts the platform, `make test` runs the suite.
SHELL := /bin/bash
SWIFT ?= swift
PROTO_DIR := Shared/Proto
PROTOS := $(wildcard $(PROTO_DIR)/*.proto)
CONTRACTS_C := Shared/ContractsC

.PHONY: all build proto proto-check test schemathesis run bench bench-auth bench-leads bench-reply fuzz clean deps bench-rpc fuzz-rpc fuzz-contracts bench-codec test-asan format lint

all: build

build:
	$(SWIFT) build

# Regenerates the protobuf-c C code and the Swift face (smarterchat-protogen) from
# Shared/Proto/*.proto; see Shared/Proto/generate.sh for the list of generated files.
proto:
	SWIFT=$(SWIFT) Shared/Proto/generate.sh write

# Fails when the committed generated code differs from what `make proto` would write.
proto-check:
	SWIFT=$(SWIFT) Shared/Proto/generate.sh check

# The libraries' tests (contracts, RPC, PostgreSQL, cryptography, ServiceKit) under
# AddressSanitizer + LeakSanitizer; leaks inside the test harness itself are suppressed.
ASAN_SUITES := ContractsTests|RPCTests|PostgresTests|CryptographyTests|ServiceKitTests
test-asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/ContractsTests/lsan.supp \
		$(SWIFT) test --scratch-path .build-asan -Xswiftc -sanitize=address -Xcc -fsanitize=address \
		--filter '$(ASAN_SUITES)'

# Every benchmark, release builds: codec, the idle platform's memory, RPC vs a raw C
# ping-pong, /me vs /livez; writes bench/out/{codec,services,rpc,auth}.json (see
# bench/platform/run.sh).
bench: deps
	bench/platform/run.sh

# GET /api/v1/me vs GET /livez on a platform of its own (release build in .build): p50/p99 at a
# fixed rate and maximum rates, with wrk (installed by the script); writes bench/out/auth.json.
bench-auth:
	$(SWIFT) build -c release
	bench/auth/run.sh

# ListLeads over 1,000,000 generated leads in 100 organizations (release build in .build): p50/p99
# per page measured at the RPC client, plans in bench/out/leads-plans.txt; writes
# bench/out/leads.json (bench/leads/run.sh).
bench-leads:
	$(SWIFT) build -c release
	bench/leads/run.sh

# The agents runtime's overhead around a provider answering after 200 ms, 50 concurrent
# conversations (GenerateReply in process on a real PostgreSQL); writes bench/out/reply.json.
bench-reply:
	SMARTERCHAT_BENCH_REPLY=1 $(SWIFT) test --filter ReplyBenchmark

# Encode+decode of a ~125-byte message: Swift face vs protoc-c in C; writes bench/out/codec.json.
bench-codec:
	$(SWIFT) run -c release CodecBench

# Unary RPC over one Unix-socket connection against a raw C ping-pong, pinned to the same CPU
# (RPC_BENCH_CPUS, default 0); medians of 3 rounds; writes bench/out/rpc.json.
bench-rpc:
	bench/rpc/run.sh

# libFuzzer on the RPC frame decoder and envelope headers for RPC_FUZZ_SECONDS (default 60).
fuzz-rpc:
	bench/rpc/fuzz.sh

# libFuzzer on the Swift face of the contracts (decode, re-encode, decode, compared with
# libprotobuf-c) for CONTRACTS_FUZZ_SECONDS (default 60); crashes in bench/out/fuzz-contracts/.
fuzz-contracts:
	bench/contracts-fuzz/fuzz.sh

# Both fuzzers, one after the other, FUZZ_SECONDS (default 60) each; not part of `make test`.
FUZZ_SECONDS ?= 60
fuzz:
	RPC_FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT_BACKTRACE=enable=no bench/rpc/fuzz.sh
	CONTRACTS_FUZZ_SECONDS=$(FUZZ_SECONDS) bench/contracts-fuzz/fuzz.sh

# Debian packages the platform builds and runs with (installed by `make deps`, `make run`, CI).
DEBIAN_PACKAGES := pkg-config libpq-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libprotobuf-dev \
	libssl-dev postgresql postgresql-contrib valgrind libclang-rt-14-dev procps util-linux \
	curl python3 python3-venv

# Installs what is missing: with apt-get when root, otherwise prints the exact command.
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "missing Debian packages; run:"; echo "  sudo apt-get install -y $$(echo $$missing)"; exit 1; \
	fi

# The whole platform, offline, with a demo organisation: PostgreSQL in ./.data, sockets in ./.run.
run: deps
	$(SWIFT) build
	$$($(SWIFT) build --show-bin-path)/smarterchatctl up

# The whole suite: generated code fresh, unit tests, then integration tests against a real
# PostgreSQL and the real service executables.
#
# Four phases, each its own process: the timing-sensitive RPC tests and the integration tests
# (which start the real executables) do not compete for the two cores with the rest; last,
# schemathesis checks the running gateway against docs/openapi.yaml (no 5xx, conformance).
test: deps lint
	PROTOGEN_SCRATCH=.build $(MAKE) proto-check
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip 'RPCTests|IntegrationTests'
	$(SWIFT) test --skip-build --filter RPCTests
	SMARTERCHAT_BIN_DIR=$$($(SWIFT) build --show-bin-path) $(SWIFT) test --skip-build --filter IntegrationTests
	$(MAKE) schemathesis
	SMARTERCHAT_BIN_DIR=$$($(SWIFT) build --show-bin-path) SCHEMATHESIS=$(SCHEMATHESIS_VENV)/bin/st Tests/Schemathesis/run.sh

# schemathesis (PyPI), pinned, in a virtualenv under the scratch folder; reinstalled when the
# pin changes. Used by `make test`'s fourth phase (Tests/Schemathesis/run.sh).
SCHEMATHESIS_VERSION := 4.32.5
SCHEMATHESIS_VENV ?= .build/schemathesis-venv
schemathesis: $(SCHEMATHESIS_VENV)/.installed-$(SCHEMATHESIS_VERSION)

$(SCHEMATHESIS_VENV)/.installed-$(SCHEMATHESIS_VERSION):
	rm -rf $(SCHEMATHESIS_VENV)
	python3 -m venv $(SCHEMATHESIS_VENV)
	$(SCHEMATHESIS_VENV)/bin/pip install --quiet 'schemathesis==$(SCHEMATHESIS_VERSION)'
	touch $@

# One formatter for everyone (.swift-format); generated files opt out in their header.
SWIFT_SOURCES := Shared Services Tests bench
format:
	$(SWIFT) format format -i -r $(SWIFT_SOURCES)

lint:
	$(SWIFT) format lint --strict -r $(SWIFT_SOURCES)

clean:
	rm -rf .build
