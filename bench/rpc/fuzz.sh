#!/usr/bin/env bash
# Fuzzes the RPC frame decoder and envelope headers with libFuzzer for a bounded time.
#   RPC_FUZZ_SECONDS (default 60), RPC_FUZZ_SCRATCH (default .build-fuzz-rpc)
# The corpus lives in .build-fuzz-rpc/corpus (not committed); crashes land in bench/out/fuzz-rpc/.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${RPC_FUZZ_SECONDS:-60}
SCRATCH=${RPC_FUZZ_SCRATCH:-.build-fuzz-rpc}
# One -sanitize= flag: a second one would replace the first.
swift build --scratch-path "$SCRATCH" --product RPCFrameFuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xlinker --export-dynamic-symbol=LLVMFuzzerRunDriver 2>&1 | grep -v "Cannot export local symbol" || true
BINARY="$SCRATCH/debug/RPCFrameFuzz"
test -x "$BINARY" || { echo "fuzz-rpc: build failed" >&2; exit 1; }
mkdir -p "$SCRATCH/corpus" bench/out/fuzz-rpc
# Seed with valid frames: a request, a response, a ping and a GOAWAY.
printf '\x00\x00\x00\x5a\x01\x00\x00\x00\x01\x00\x00\x00\x51\x0a\x24smarterchat.identity.Identity/Health\x10\xd0\x0f\x1a\x05req-1\x22\x07gateway\x2a\x16\x0a\x05org-1\x12\x06user-1\x1a\x05admin' > "$SCRATCH/corpus/seed-request"
printf '\x00\x00\x00\x0f\x02\x00\x00\x00\x02\x00\x00\x00\x06\x08\x0c\x12\x02no' > "$SCRATCH/corpus/seed-response"
printf '\x00\x00\x00\x0d\x04\x00\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08' > "$SCRATCH/corpus/seed-ping"
printf '\x00\x00\x00\x0b\x06\x00\x00\x00\x00\x08\x07\x12\x02hi' > "$SCRATCH/corpus/seed-goaway"
"$BINARY" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix=bench/out/fuzz-rpc/ "$SCRATCH/corpus"
