#!/usr/bin/env bash
# `make bench`: every benchmark in one run, release builds, results in bench/out/.
#
#   1. codec: encode+decode of a ~125-byte message, Swift face vs protoc-c in C (codec.json)
#   2. the whole platform started idle (smarterchatctl up on a private PostgreSQL, run
#      directory and port); after it is healthy and has idled, each process's resident size
#      (services.json), handed to
#   3. rpc: unary calls vs a raw C Unix-socket ping-pong, same CPU placement; its
#      idle_rss_mb_max counts the real services too (rpc.json)
#   4. auth: GET /api/v1/me (gateway -> identity) vs GET /livez (no RPC) on the same running
#      platform, p50/p99 at a fixed rate and maximum rates (auth.json; bench/auth/run.sh)
#   5. ingest: signed WhatsApp callbacks answered after commit, max rate and p50/p99 at
#      500/s, next to pgbench of the same transaction; the conversation list with 1,000,000
#      messages (ingest.json; bench/ingest/run.sh)
#   6. leads: ListLeads over 1,000,000 generated leads in 100 organizations on the same
#      platform's database, p50/p99 per page and the plans (leads.json, leads-plans.txt;
#      bench/leads/run.sh)
#   7. reply: reply jobs end to end (Telegram webhook -> agents -> fake provider answering
#      after 200 ms -> fake Telegram), 50 concurrent chats, on a platform of its own started
#      with the fakes' URLs, after the idle one is stopped (reply.json; bench/reply/run.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
SCRATCH=${BENCH_SCRATCH:-.build}
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-10}
mkdir -p bench/out

swift build -c release --scratch-path "$SCRATCH" >&2
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)

echo "== codec" >&2
swift run -c release --scratch-path "$SCRATCH" CodecBench >&2

echo "== platform, idle" >&2
WORK=$(mktemp -d /tmp/smarterchat-bench-XXXXXX)
chmod 755 "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Channel secrets (bench/ingest creates a WhatsApp channel) need an encryption key.
export SMARTERCHAT_ENCRYPTION_KEYS=${SMARTERCHAT_ENCRYPTION_KEYS:-bench:$(openssl rand -base64 32)}
"$BIN/smarterchatctl" up --data-dir "$WORK/data" --run-dir "$WORK/run" --http-port "$PORT" > "$WORK/up.log" 2>&1 &
CTL=$!
cleanup() {
    kill -TERM "$CTL" 2>/dev/null || true
    wait "$CTL" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null || { echo "platform did not become healthy" >&2; tail -50 "$WORK/up.log" >&2; exit 1; }
sleep "$IDLE_SECONDS"
PIDS=$(pgrep -P "$CTL" || true)
python3 - "$PIDS" <<'PY'
import json, sys
out = {}
for pid in sys.argv[1].split():
    try:
        cmd = open(f"/proc/{pid}/cmdline").read().split("\0")[0].rsplit("/", 1)[-1]
        rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
    except (OSError, StopIteration):
        continue
    out[cmd] = round(rss / 1024, 1)
summary = {"idle_rss_mb": out, "idle_rss_mb_max": max(out.values()) if out else None, "target_mb": 40}
json.dump(summary, open("bench/out/services.json", "w"), indent=2)
print(json.dumps(summary, indent=2))
PY

echo "== rpc" >&2
RPC_BENCH_SCRATCH="$SCRATCH" RPC_BENCH_RSS_PIDS="$PIDS" bench/rpc/run.sh

echo "== auth" >&2
AUTH_BENCH_URL="http://127.0.0.1:$PORT" bench/auth/run.sh

echo "== ingest" >&2
# The platform's cluster is this script's own: bench/ingest prepares its WAL as for its own.
INGEST_BENCH_URL="http://127.0.0.1:$PORT" INGEST_BENCH_PGHOST="$WORK/data" INGEST_BENCH_WAL_MB=${INGEST_BENCH_WAL_MB:-1024} \
    bench/ingest/run.sh
echo "== leads" >&2
LEADS_BENCH_BIN="$BIN" LEADS_BENCH_DATA_DIR="$WORK/data" LEADS_BENCH_RUN_DIR="$WORK/run" bench/leads/run.sh
# The reply benchmark needs a platform started with the fake Telegram's base URL: the idle
# platform (and its 1,000,000-row tables) is stopped first so both do not share the CPUs.
cleanup
trap - EXIT
echo "== reply" >&2
REPLY_BENCH_BIN="$BIN" bench/reply/run.sh
echo "results: bench/out/codec.json bench/out/services.json bench/out/rpc.json bench/out/auth.json bench/out/ingest.json bench/out/leads.json bench/out/reply.json" >&2
