#!/usr/bin/env bash
# Fuzzes the Swift face of the protobuf contracts with libFuzzer for a bounded time: arbitrary
# bytes decoded as the test fixture (every field kind) and the envelope and health messages,
# re-encoded, decoded again and checked against libprotobuf-c (bench/contracts-fuzz/ContractsFuzz).
#   CONTRACTS_FUZZ_SECONDS (default 60), CONTRACTS_FUZZ_SCRATCH (default .build-fuzz)
# The corpus lives in $SCRATCH/contracts-corpus (not committed), seeded with the golden files of
# Tests/ContractsTests/Golden; crashes land in bench/out/fuzz-contracts/.
# Replay one input: $SCRATCH/debug/ContractsFuzz bench/out/fuzz-contracts/crash-...
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${CONTRACTS_FUZZ_SECONDS:-60}
SCRATCH=${CONTRACTS_FUZZ_SCRATCH:-.build-fuzz}
# One -sanitize= flag: a second one would replace the first.
swift build --scratch-path "$SCRATCH" --product ContractsFuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xlinker --export-dynamic-symbol=LLVMFuzzerRunDriver 2>&1 \
    | grep -v "Cannot export local symbol" || true
BINARY="$SCRATCH/debug/ContractsFuzz"
test -x "$BINARY" || { echo "fuzz-contracts: build failed" >&2; exit 1; }
CORPUS="$SCRATCH/contracts-corpus"
mkdir -p "$CORPUS" bench/out/fuzz-contracts
cp Tests/ContractsTests/Golden/*.bin "$CORPUS/"
# Swift's backtracer reads the crashing stack in a way AddressSanitizer reports as a
# stack-buffer-underflow, burying the real failure; libFuzzer prints the stack itself.
export SWIFT_BACKTRACE=enable=no
"$BINARY" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix=bench/out/fuzz-contracts/ "$CORPUS"
