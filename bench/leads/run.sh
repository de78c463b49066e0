#!/usr/bin/env bash
# Leads list benchmark: ListLeads over 1,000,000 leads in 100 organizations.
#
#   1. 1,000,000 leads (10,000 in each of 100 organizations) generated with generate_series
#      straight into the crm schema (bench/leads/generate.sql), then VACUUM ANALYZE
#   2. shared_buffers 1GB (the development cluster's 32MB is a laptop setting) and a prewarm
#   3. EXPLAIN (ANALYZE, BUFFERS) of the list statement for ten filter/search/cursor cases and
#      the pipeline counts (bench/leads/plans.sql) -> bench/out/leads-plans.txt
#   4. LeadsBench: LEADS_BENCH_CALLS (default 3000) sequential ListLeads calls, measured at the
#      RPC client (the crm service's Unix socket, as the gateway calls it: principal in the
#      metadata, protobuf both ways), a mix of ten scenarios (no filter, status, status +
#      temperature, assignee, tag + score, full-text search, search + status, created range,
#      source + segment, unassigned + score), one request in three reading pages 1-3 by cursor
#      -> bench/out/leads.json {"list_p50_ms", "list_p99_ms", "rows", ...}; target p99 <= 10 ms
#
# Against a running platform (bench/platform/run.sh): LEADS_BENCH_DATA_DIR (smarterchatctl's
# --data-dir) and LEADS_BENCH_RUN_DIR; otherwise it starts `smarterchatctl up` from
# LEADS_BENCH_BIN (default: the release build in .build) on temporary folders.
set -euo pipefail
cd "$(dirname "$0")/../.."
CALLS=${LEADS_BENCH_CALLS:-3000}
BIN=${LEADS_BENCH_BIN:-$(swift build -c release --show-bin-path)}
PG_BIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
mkdir -p bench/out

DATA=${LEADS_BENCH_DATA_DIR:-}
RUN=${LEADS_BENCH_RUN_DIR:-}
if [ -z "$DATA" ]; then
    WORK=$(mktemp -d /tmp/smarterchat-bench-leads-XXXXXX)
    chmod 755 "$WORK"
    DATA=$WORK/data
    RUN=$WORK/run
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$BIN/smarterchatctl" up --data-dir "$DATA" --run-dir "$RUN" --http-port "$PORT" > "$WORK/up.log" 2>&1 &
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
    curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null || { echo "bench/leads: platform not healthy" >&2; tail -40 "$WORK/up.log" >&2; exit 1; }
fi

# psql as the cluster's superuser over its Unix socket (the postgres system user when root).
psql_run() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$PG_BIN/psql" -h "$DATA" -p 5432 -U postgres -d smarterchat -X -q "$@"
    else
        "$PG_BIN/psql" -h "$DATA" -p 5432 -U postgres -d smarterchat -X -q "$@"
    fi
}

echo "== leads: generating 1,000,000 leads in 100 organizations" >&2
started=$(date +%s)
ROWS=$(psql_run -t -A < bench/leads/generate.sql | tail -1)
psql_run -c "VACUUM ANALYZE crm.leads" > /dev/null
echo "   $ROWS leads in $(( $(date +%s) - started )) s" >&2

# The development cluster has shared_buffers = 32MB (a laptop's setting); a server for a million
# leads keeps the table (~370 MB) and its indexes (~540 MB) in memory: 1GB, restart, prewarm.
# The services' pools reconnect by themselves after the restart.
echo "== leads: shared_buffers 1GB, restart, prewarm crm.leads and its indexes" >&2
psql_run -c "ALTER SYSTEM SET shared_buffers = '1GB'" > /dev/null
if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DATA/data" restart -m fast -w > /dev/null
else
    "$PG_BIN/pg_ctl" -D "$DATA/data" restart -m fast -w > /dev/null
fi
psql_run -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
    -c "SELECT pg_prewarm('crm.leads'), sum(pg_prewarm(indexrelid::regclass)) FROM pg_index WHERE indrelid = 'crm.leads'::regclass" \
    > /dev/null

echo "== leads: plans -> bench/out/leads-plans.txt" >&2
psql_run < bench/leads/plans.sql > bench/out/leads-plans.txt

echo "== leads: $CALLS ListLeads calls over RPC" >&2
RESULT=$("$BIN/LeadsBench" "$RUN" "$CALLS" 300)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$RESULT" "$ROWS" "$LOAD" "$(nproc)" <<'PY'
import json, sys
result = json.loads(sys.argv[1])
out = {"list_p50_ms": result["list_p50_ms"], "list_p99_ms": result["list_p99_ms"], "rows": int(sys.argv[2])}
out.update({
    "load_average_after": sys.argv[3], "cpus": int(sys.argv[4]),
    "postgres": {"shared_buffers": "1GB", "prewarmed": ["crm.leads", "its indexes"]},
    "measured_at": "RPC client (ListLeads over the crm service's Unix socket, principal as the gateway sends it)",
    "calls": result["calls"], "average_page_size": round(result["average_page_size"], 1),
    "p99_ms_by_scenario": result["p99_ms_by_scenario"], "target_p99_ms": 10,
})
out["target_met"] = out["list_p99_ms"] <= 10
json.dump(out, open("bench/out/leads.json", "w"), indent=2)
print(json.dumps(out, indent=2))
PY
