#!/usr/bin/env bash
# Reply jobs end to end (issue 5, docs/agents.md "Benchmark"): the release build's whole
# platform (smarterchatctl up on temp dirs and a free port), a fake OpenAI-compatible
# provider answering after exactly REPLY_BENCH_PROVIDER_DELAY_MS (default 200) and a fake
# Telegram Bot API, both on 127.0.0.1 in bench/reply/bench.py, which also drives
# REPLY_BENCH_CONCURRENCY (default 50) Telegram chats, each sending its next message once its
# reply arrived, until REPLY_BENCH_REPLIES (default 1000) replies after REPLY_BENCH_WARMUP
# (default 100). Overhead of a reply (issue 5) = (provider request received - reply job
# claimed, reply_jobs.started_at) + (sendMessage arrival - provider response sent); the
# end-to-end overhead from the webhook POST is reported next to it. Writes bench/out/reply.json
# ({"overhead_p50_ms", "overhead_p99_ms", "concurrency", "replies", ...}); target p99 <= 15 ms.
#
# The platform runs with its production defaults except what a benchmark of the reply path
# must lift: private provider URLs allowed (the fake is on loopback), the Telegram base URL,
# Telegram's send limits (30/s per bot, 1/s per chat — deliberate waits, not overhead)
# raised so they never postpone a reply, and agents' provider requests in flight per
# organization (default 8, a fairness cap: 50 chats of one organization would queue behind
# it) raised to 64. Each can be overridden from the environment. REPLY_BENCH_BIN: bin
# directory (default: the release build in .build).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
BIN=${REPLY_BENCH_BIN:-$(swift build -c release --show-bin-path)}
[ -x "$BIN/smarterchatctl" ] || { echo "bench/reply: no smarterchatctl in $BIN (swift build -c release)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WORK=$(mktemp -d /tmp/smarterchat-bench-reply-XXXXXX)
chmod 755 "$WORK"
PORT=$(free_port)
PROVIDER_PORT=$(free_port)
TELEGRAM_PORT=$(free_port)

export SMARTERCHAT_ENCRYPTION_KEYS=${SMARTERCHAT_ENCRYPTION_KEYS:-bench:$(openssl rand -base64 32)}
export SMARTERCHAT_AGENTS_ALLOW_PRIVATE_PROVIDER_URLS=true
export SMARTERCHAT_TELEGRAM_BASE_URL="http://127.0.0.1:$TELEGRAM_PORT"
export SMARTERCHAT_TELEGRAM_RATE_PER_SECOND=${SMARTERCHAT_TELEGRAM_RATE_PER_SECOND:-100000}
export SMARTERCHAT_TELEGRAM_CHAT_INTERVAL_MS=${SMARTERCHAT_TELEGRAM_CHAT_INTERVAL_MS:-1}
export SMARTERCHAT_AGENTS_CONCURRENCY_PER_ORGANIZATION=${SMARTERCHAT_AGENTS_CONCURRENCY_PER_ORGANIZATION:-64}
export SMARTERCHAT_LOG_LEVEL=${SMARTERCHAT_LOG_LEVEL:-warning}
"$BIN/smarterchatctl" up --data-dir "$WORK/data" --run-dir "$WORK/run" --http-port "$PORT" > "$WORK/up.log" 2>&1 &
CTL=$!
cleanup() {
    kill -TERM "$CTL" 2>/dev/null || true
    wait "$CTL" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 1200); do
    curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null || { echo "bench/reply: platform did not become healthy" >&2; tail -50 "$WORK/up.log" >&2; exit 1; }

# Two runs on the same platform, each with its own organization: first the reported one,
# where each contact takes REPLY_BENCH_THINK_MS (default 1000, uniformly 0.5x-1.5x) to
# answer — 50 conversations going on at once, with contacts who answer within a second or
# so — then one at saturation (each contact writes again the moment its reply arrives: as
# many replies per second as the machine can give), kept in reply.json under "saturation".
# The saturation run comes second because what it leaves queued (deliveries, events for
# analytics) would still be running during a run after it.
export REPLY_BENCH_PGHOST="$WORK/data"
REPLY_BENCH_THINK_MS=${REPLY_BENCH_THINK_MS:-1000} python3 bench/reply/bench.py "http://127.0.0.1:$PORT" \
    "$PROVIDER_PORT" "$TELEGRAM_PORT" bench/out/reply.json > /dev/null ||
    { echo "bench/reply: failed; platform log tail:" >&2; tail -40 "$WORK/up.log" >&2; exit 1; }
REPLY_BENCH_THINK_MS=0 python3 bench/reply/bench.py "http://127.0.0.1:$PORT" "$PROVIDER_PORT" "$TELEGRAM_PORT" \
    bench/out/reply-saturation.json > /dev/null ||
    { echo "bench/reply: saturation run failed; platform log tail:" >&2; tail -40 "$WORK/up.log" >&2; exit 1; }
python3 - <<'PY'
import json
out = json.load(open("bench/out/reply.json"))
saturation = json.load(open("bench/out/reply-saturation.json"))
out["saturation"] = {key: saturation[key] for key in (
    "overhead_p50_ms", "overhead_p99_ms", "overhead_split", "end_to_end_overhead", "replies_per_second",
    "think_ms", "concurrency", "replies")}
json.dump(out, open("bench/out/reply.json", "w"), indent=2)
print(json.dumps(out, indent=2))
PY
