#!/usr/bin/env bash
# Authenticated request cost: `GET /api/v1/me` (bearer token of the demo user; gateway →
# identity RPC) next to `GET /livez` (gateway only, no RPC), in the same run, with wrk.
#
#   fixed rate: AUTH_BENCH_RATE requests/s in total (default 400), evenly spaced
#               (bench/lib/pace.lua), over AUTH_BENCH_CONNECTIONS (default 8) connections:
#               AUTH_BENCH_ROUNDS (default 5) rounds of AUTH_BENCH_ROUND_SECONDS (default 6) on
#               /me then on /livez, so both routes see the same machine; p50 and p99 of each
#               route are the medians over the rounds (each round's figures are kept in the JSON)
#   max rate:   AUTH_BENCH_MAX_CONNECTIONS (default 32) connections as fast as they can for
#               AUTH_BENCH_SECONDS: requests/s of each route
#
# Writes bench/out/auth.json. Targets: me_p99 <= 2 x livez_p99, me_max_rps >= 40% of livez's.
# Against a running platform: AUTH_BENCH_URL=http://127.0.0.1:PORT; otherwise it starts
# `smarterchatctl up` from AUTH_BENCH_BIN (default: the release build in .build) on temp dirs.
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE=${AUTH_BENCH_RATE:-400}
CONNECTIONS=${AUTH_BENCH_CONNECTIONS:-8}
MAX_CONNECTIONS=${AUTH_BENCH_MAX_CONNECTIONS:-32}
SECONDS_EACH=${AUTH_BENCH_SECONDS:-10}
ROUNDS=${AUTH_BENCH_ROUNDS:-5}
ROUND_SECONDS=${AUTH_BENCH_ROUND_SECONDS:-6}
mkdir -p bench/out

# wrk is this benchmark's own tool, not a build or test dependency.
if ! command -v wrk > /dev/null; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >&2 ||
            { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >&2; }
    else
        echo "bench/auth needs wrk: sudo apt-get install -y wrk" >&2
        exit 1
    fi
fi

BASE=${AUTH_BENCH_URL:-}
if [ -z "$BASE" ]; then
    BIN=${AUTH_BENCH_BIN:-$(swift build -c release --show-bin-path)}
    WORK=$(mktemp -d /tmp/smarterchat-bench-auth-XXXXXX)
    chmod 755 "$WORK"
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    BASE="http://127.0.0.1:$PORT"
    "$BIN/smarterchatctl" up --data-dir "$WORK/data" --run-dir "$WORK/run" --http-port "$PORT" > "$WORK/up.log" 2>&1 &
    CTL=$!
    cleanup() {
        kill -TERM "$CTL" 2>/dev/null || true
        wait "$CTL" 2>/dev/null || true
        rm -rf "$WORK"
    }
    trap cleanup EXIT
fi

# The demo organisation appears once identity serves: retry the login until it works.
TOKEN=""
for _ in $(seq 1 1200); do
    TOKEN=$(curl -fs "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
        -d '{"email":"demo@smarterchat.local","password":"demo-password-2026"}' 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens"]["access_token"])' 2>/dev/null) || true
    [ -n "$TOKEN" ] && break
    sleep 0.1
done
[ -n "$TOKEN" ] || { echo "bench/auth: could not log the demo user in at $BASE" >&2; exit 1; }
curl -fs -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/me" > /dev/null || { echo "bench/auth: /me failed" >&2; exit 1; }
curl -fs "$BASE/livez" > /dev/null || { echo "bench/auth: /livez failed" >&2; exit 1; }

# One wrk run; prints its JSON line. $1 path, $2 connections, $3 requests/s in total (0: as
# fast as they can), $4 seconds (default AUTH_BENCH_SECONDS).
run_wrk() {
    BENCH_TOKEN="$TOKEN" BENCH_RATE="$3" BENCH_THREADS=2 wrk -t 2 -c "$2" -d "${4:-$SECONDS_EACH}s" --latency \
        -s bench/auth/wrk.lua "$BASE$1" | tail -1
}

echo "== auth: warm-up" >&2
run_wrk /api/v1/me 4 0 2 > /dev/null
run_wrk /livez 4 0 2 > /dev/null
echo "== auth: fixed rate $RATE/s ($CONNECTIONS connections), $ROUNDS rounds" >&2
ME_FIXED="["
LIVEZ_FIXED="["
for round in $(seq 1 "$ROUNDS"); do
    [ "$round" = 1 ] || { ME_FIXED+=","; LIVEZ_FIXED+=","; }
    ME_FIXED+=$(run_wrk /api/v1/me "$CONNECTIONS" "$RATE" "$ROUND_SECONDS")
    LIVEZ_FIXED+=$(run_wrk /livez "$CONNECTIONS" "$RATE" "$ROUND_SECONDS")
done
ME_FIXED+="]"
LIVEZ_FIXED+="]"
echo "== auth: maximum rate ($MAX_CONNECTIONS connections)" >&2
ME_MAX=$(run_wrk /api/v1/me "$MAX_CONNECTIONS" 0)
LIVEZ_MAX=$(run_wrk /livez "$MAX_CONNECTIONS" 0)

python3 - "$RATE" "$ME_FIXED" "$LIVEZ_FIXED" "$ME_MAX" "$LIVEZ_MAX" <<'PY'
import json, statistics, sys
rate = int(sys.argv[1])
me_rounds, livez_rounds, me_max, livez_max = (json.loads(a) for a in sys.argv[2:6])
runs = [("me", r) for r in me_rounds] + [("livez", r) for r in livez_rounds] + [("me_max", me_max), ("livez_max", livez_max)]
for name, run in runs:
    if run["non_2xx"] or run["socket_errors"]:
        sys.exit(f"bench/auth: {name} run had {run['non_2xx']} non-2xx and {run['socket_errors']} socket errors")
median = lambda rounds, key: round(statistics.median(r[key] for r in rounds), 3)
me = {"p50_ms": median(me_rounds, "p50_ms"), "p99_ms": median(me_rounds, "p99_ms"), "rps": median(me_rounds, "rps")}
livez = {"p50_ms": median(livez_rounds, "p50_ms"), "p99_ms": median(livez_rounds, "p99_ms"), "rps": median(livez_rounds, "rps")}
out = {
    "me_p50_ms": me["p50_ms"], "me_p99_ms": me["p99_ms"],
    "livez_p50_ms": livez["p50_ms"], "livez_p99_ms": livez["p99_ms"],
    "ratio_p99": round(me["p99_ms"] / livez["p99_ms"], 2),
    "me_max_rps": me_max["rps"], "livez_max_rps": livez_max["rps"],
    "ratio_max_rps": round(me_max["rps"] / livez_max["rps"], 3),
    "rate": rate,
    "measured_rps": {"me": me["rps"], "livez": livez["rps"]},
    "late_sends": sum(r["late_sends"] for r in me_rounds + livez_rounds),
    "rounds": {"me": me_rounds, "livez": livez_rounds},
    "targets": {"ratio_p99_max": 2.0, "ratio_max_rps_min": 0.4},
}
out["targets_met"] = out["ratio_p99"] <= 2.0 and out["ratio_max_rps"] >= 0.4
json.dump(out, open("bench/out/auth.json", "w"), indent=2)
print(json.dumps(out, indent=2))
PY
