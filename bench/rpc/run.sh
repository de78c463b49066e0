#!/usr/bin/env bash
# RPC benchmark: unary Health calls over one Unix-socket connection against a raw C
# ping-pong of the same size, in the same run, under the same CPU placement.
#
#   RPC_BENCH_CPUS     CPUs every process is pinned to with taskset (default 0: one CPU)
#   RPC_BENCH_ROUNDS   rounds; medians are reported (default 3)
#   RPC_BENCH_CALLS    sequential calls per round (default 20000)
#   RPC_BENCH_SECONDS  length of the 8-caller throughput run (default 3)
#   RPC_BENCH_RSS_PIDS     extra process ids whose resident size counts in idle_rss_mb_max
#   RPC_BENCH_RSS_SOCKETS  extra socket paths; the processes listening on them count too
# Writes bench/out/rpc.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
CPUS=${RPC_BENCH_CPUS:-0}
ROUNDS=${RPC_BENCH_ROUNDS:-3}
CALLS=${RPC_BENCH_CALLS:-20000}
DURATION=${RPC_BENCH_SECONDS:-3}
SCRATCH=${RPC_BENCH_SCRATCH:-.build-bench-rpc}
RUN_DIR=$(mktemp -d /tmp/rpc-bench-XXXXXX)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$RUN_DIR"
}
trap cleanup EXIT

swift build -c release --scratch-path "$SCRATCH" --product RPCBench >&2
BENCH="$SCRATCH/release/RPCBench"
cc -O2 -Wall -o "$SCRATCH/rpc-pingpong" bench/rpc/pingpong/rpc-pingpong.c
PINGPONG="$SCRATCH/rpc-pingpong"
mkdir -p bench/out

rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
value() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

RESULTS=$(mktemp)
for round in $(seq 1 "$ROUNDS"); do
    baseline=$(taskset -c "$CPUS" "$PINGPONG" "$RUN_DIR/pingpong.sock" 100 50000)
    taskset -c "$CPUS" "$BENCH" server "$RUN_DIR" &
    SERVER_PID=$!
    for _ in $(seq 1 200); do [ -S "$RUN_DIR/bench.1.sock" ] && break; sleep 0.05; done
    eventloop=$(RPC_BENCH_EXECUTOR=eventloop taskset -c "$CPUS" "$BENCH" client "$RUN_DIR" "$CALLS" "$DURATION" 8)
    global=$(RPC_BENCH_EXECUTOR=default taskset -c "$CPUS" "$BENCH" client "$RUN_DIR" "$CALLS" "$DURATION" 8)
    sleep 1
    rss=$(rss_mb "$SERVER_PID")
    kill "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=
    echo "$round $(echo "$baseline" | value p50_us) $(echo "$eventloop" | value seq_p50_us) $(echo "$eventloop" | value seq_p99_us) $(echo "$eventloop" | value calls_per_s) $(echo "$global" | value seq_p50_us) $(echo "$global" | value seq_p99_us) $(echo "$global" | value calls_per_s) $rss" >> "$RESULTS"
    echo "round $round: baseline p50 $(echo "$baseline" | value p50_us) us | caller on client event loop: $eventloop | caller on global executor: $global | idle server RSS ${rss} MB" >&2
done

EXTRA_RSS=""
for pid in ${RPC_BENCH_RSS_PIDS:-}; do EXTRA_RSS="$EXTRA_RSS $(rss_mb "$pid")"; done
for socket in ${RPC_BENCH_RSS_SOCKETS:-}; do
    for pid in $(ss -xlpn 2>/dev/null | grep -F " $socket " | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
        EXTRA_RSS="$EXTRA_RSS $(rss_mb "$pid")"
    done
done

python3 - "$RESULTS" "$CPUS" "$EXTRA_RSS" <<'PY'
import json, statistics, sys
rows = [list(map(float, line.split()[1:])) for line in open(sys.argv[1]) if line.strip()]
median = lambda i: statistics.median(r[i] for r in rows)
extra = [float(x) for x in sys.argv[3].split()]
baseline, p50, p99, rate = median(0), median(1), median(2), median(3)
out = {
    "seq_p50_us": round(p50, 2),
    "seq_p99_us": round(p99, 2),
    "baseline_p50_us": round(baseline, 2),
    "ratio_p50": round(p50 / baseline, 2),
    "calls_per_s_8": int(rate),
    "idle_rss_mb_max": max([r[7] for r in rows] + extra),
    "cpu_placement": f"taskset -c {sys.argv[2]} for the ping-pong, the RPC server and the RPC client",
    "caller": "calls issued under withTaskExecutorPreference(client.taskExecutor)",
    "rounds": len(rows),
    "global_executor_seq_p50_us": round(median(4), 2),
    "global_executor_seq_p99_us": round(median(5), 2),
    "global_executor_ratio_p50": round(median(4) / baseline, 2),
    "global_executor_calls_per_s_8": int(median(6)),
}
json.dump(out, open("bench/out/rpc.json", "w"), indent=2)
print(f"raw C ping-pong p50 {baseline:.2f} us | RPC p50 {p50:.2f} us, p99 {p99:.2f} us | ratio {p50 / baseline:.2f} (target <= 3)")
print(f"8 callers: {int(rate)} calls/s (target >= 60000) | idle RSS max {out['idle_rss_mb_max']} MB")
print(f"callers on the global executor instead: p50 {median(4):.2f} us (ratio {median(4) / baseline:.2f}), {int(median(6))} calls/s")
print("written to bench/out/rpc.json")
PY
rm -f "$RESULTS"
