#!/usr/bin/env bash
# Webhook ingest (issue 4): signed WhatsApp-shaped POSTs to the gateway, each answered only
# after conversations committed the message (receipt, conversation, message, reply job,
# outbox, timeline), next to the same transaction run directly with pgbench against the same
# PostgreSQL in the same run; and the conversation list with 1,000,000 messages in the table.
#
#   max rate:  INGEST_BENCH_CONNECTIONS (default "8 16 32 64") connections as fast as they can
#              for INGEST_BENCH_SECONDS (default 10) each; the best rate with zero errors
#   at 500/s:  p50/p99 at INGEST_BENCH_RATE (default 500) msgs/s, evenly spaced
#              (bench/lib/pace.lua), over 32 connections: the medians of INGEST_BENCH_ROUNDS
#              (default 3) rounds of INGEST_BENCH_SECONDS
#   pgbench:   bench/ingest/ingest.sql, 8 clients, INGEST_BENCH_SECONDS; then the same at
#              INGEST_BENCH_RATE over 16 clients (pgbench -R), p50/p99 in "pgbench_at_rate"
#   list:      GET /api/v1/conversations?limit=50 at 100 req/s after 1,000,000 messages are
#              loaded, vacuumed and checkpointed (null when the route is not there); the list query's plans, as the
#              service runs it, in bench/out/ingest-plans.txt (bench/ingest/plans.py)
#
# Writes bench/out/ingest.json: max_rate_msgs_s, pgbench_tps, ratio, p50_ms_at_500,
# p99_ms_at_500, errors, list_p99_ms (and the rounds, pgbench at the rate, WAL per message, the
# disk's fdatasync latency before and after). Targets: ratio >= 0.5, p99 <= 25 ms at 500/s,
# list p99 < 10 ms.
# Against a running platform: INGEST_BENCH_URL=http://127.0.0.1:PORT and INGEST_BENCH_PGHOST
# (its PostgreSQL socket folder, the --data-dir of smarterchatctl up; superuser postgres,
# database smarterchat); its services need SMARTERCHAT_ENCRYPTION_KEYS (and its gateway a
# SMARTERCHAT_CALLBACK_RATE above the rates measured). Otherwise it starts
# `smarterchatctl up` from INGEST_BENCH_BIN (default: the release build in .build).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${INGEST_BENCH_SECONDS:-10}
RATE=${INGEST_BENCH_RATE:-500}
FIXED_ROUNDS=${INGEST_BENCH_ROUNDS:-3}
LEVELS=${INGEST_BENCH_CONNECTIONS:-"8 16 32 64"}
LIST_MESSAGES=${INGEST_BENCH_LIST_MESSAGES:-1000000}
mkdir -p bench/out
command -v wrk > /dev/null || { echo "bench/ingest needs wrk (apt-get install -y wrk)" >&2; exit 1; }
command -v pgbench > /dev/null || { echo "bench/ingest needs pgbench (postgresql-contrib / postgresql-15)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/smarterchat-bench-ingest-XXXXXX)
chmod 755 "$WORK"
BASE=${INGEST_BENCH_URL:-}
PGHOST_DIR=${INGEST_BENCH_PGHOST:-}
CTL=""
cleanup() {
    if [ -n "$CTL" ]; then kill -TERM "$CTL" 2>/dev/null || true; wait "$CTL" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
if [ -z "$BASE" ]; then
    BIN=${INGEST_BENCH_BIN:-$(swift build -c release --show-bin-path)}
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    BASE="http://127.0.0.1:$PORT"
    PGHOST_DIR="$WORK/data"
    # One channel carries the whole load here: its callback limit (1,000/s by default, 429
    # beyond it, by design) is lifted so the maximum rate measured is the platform's.
    SMARTERCHAT_ENCRYPTION_KEYS=${SMARTERCHAT_ENCRYPTION_KEYS:-bench:$(openssl rand -base64 32)} \
        SMARTERCHAT_CALLBACK_RATE=${SMARTERCHAT_CALLBACK_RATE:-1000000} \
        "$BIN/smarterchatctl" up --data-dir "$WORK/data" --run-dir "$WORK/run" --http-port "$PORT" > "$WORK/up.log" 2>&1 &
    CTL=$!
fi
psql_() { psql -X -q -t -A -h "$PGHOST_DIR" -U postgres -d smarterchat "$@"; }

TOKEN=""
for _ in $(seq 1 1200); do
    TOKEN=$(curl -fs "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
        -d '{"email":"demo@smarterchat.local","password":"demo-password-2026"}' 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens"]["access_token"])' 2>/dev/null) || true
    [ -n "$TOKEN" ] && break
    sleep 0.1
done
[ -n "$TOKEN" ] || { echo "bench/ingest: could not log the demo user in at $BASE" >&2; exit 1; }

SECRET=bench-app-secret
# The demo organisation's plan (1 agent, 100 conversations a month) is lifted first, as a
# platform operator would for a big tenant: every benchmark message is then an ordinary one
# (over the limit a conversation is stored, flagged and gets no reply job).
psql_ -c "UPDATE identity.organizations SET max_agents = 100, max_conversations_per_month = 0
          WHERE id = (SELECT organization_id FROM identity.users WHERE email = 'demo@smarterchat.local')" > /dev/null
# The channel's agent: one of its own, left unpublished. Every message still gets its reply
# job in the ingest transaction (as in pgbench's script), and the reply worker closes each
# as "agent not published" — the demo agent would answer every one of the tens of thousands
# of benchmark messages and try to send the answers to graph.facebook.com, a backlog that
# would compete with the ingest being measured and with pgbench after it.
AGENT=$(curl -fs "$BASE/api/v1/agents" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d '{"name":"Bench ingest (not published)","personality":"p","objective":"o","system_message":"s"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') ||
    { echo "bench/ingest: could not create the bench agent" >&2; exit 1; }
CHANNEL=$(curl -fs "$BASE/api/v1/channels" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"type\":\"whatsapp\",\"name\":\"bench\",\"agent_id\":\"$AGENT\",
         \"phone_number_id\":\"106540352242922\",
         \"config\":{\"access_token\":\"bench\",\"app_secret\":\"$SECRET\",\"verify_token\":\"bench\"}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') ||
    { echo "bench/ingest: could not create the channel (are SMARTERCHAT_ENCRYPTION_KEYS set?)" >&2; exit 1; }
URL="$BASE/webhooks/whatsapp/$CHANNEL"

# Waits (up to two minutes) until the reply jobs earlier runs queued are done and their
# events have reached analytics, so that each run starts from an idle platform:
# the reply and relay work a run causes is inside that run, the backlog of the run before it
# is not (the warm-up's events, relayed during the first fixed-rate round, used to make that
# round the slowest). hooks, which takes no events until its issue is built, is not waited for.
drain() {
    for _ in $(seq 1 120); do
        [ "$(psql_ -c "SELECT (SELECT count(*) FROM conversations.reply_jobs WHERE status IN ('pending', 'running'))
                            + (SELECT count(*) FROM conversations.outbox WHERE NOT ('analytics' = ANY (delivered_to)))")" = 0 ] &&
            return 0
        sleep 1
    done
}

# One wrk run over a fresh file of unique messages; prints its JSON line.
# $1 name, $2 connections, $3 requests/s in total (0: as fast as they can), $4 seconds,
# $5 messages written per second of run (default 4000).
run_wrk() {
    local file="$WORK/$1.tsv" count=$(( ${5:-4000} * $4 ))
    python3 bench/ingest/payloads.py "$count" "$1.$RANDOM" "$SECRET" 1000 > "$file"
    drain
    BENCH_FILE="$file" BENCH_RATE="$3" BENCH_THREADS=2 wrk -t 2 -c "$2" -d "${4}s" --latency \
        -s bench/ingest/wrk.lua "$URL" | tail -1
}

# WAL as on a server that has been running: PostgreSQL reuses (renames) finished 16 MB WAL
# segments at each checkpoint, up to min_wal_size, so a busy server writes its WAL into files
# that already exist. A cluster created a minute ago has none: every 16 MB of WAL (about 2,000
# messages here, some 8 KB of WAL each) a committing backend creates and zero-fills a new
# segment and fsyncs it while every other commit waits, which on this machine's disk took up
# to 70 ms and set the p99 of the runs at 500/s (docs/operations.md, "WAL segments"). So
# for its own cluster the bench writes INGEST_BENCH_WAL_MB (default 1024; 0 to skip) of WAL
# first, with min_wal_size that large (the setting deploy/ recommends), and checkpoints:
# the segments are then recycled for the runs, the pgbench ones included. A platform given
# by INGEST_BENCH_URL is measured as it is.
WAL_MB=${INGEST_BENCH_WAL_MB:-$([ -n "$CTL" ] && echo 1024 || echo 0)}
if [ "$WAL_MB" -gt 0 ]; then
    echo "== postgres: min_wal_size ${WAL_MB}MB, that much WAL written and recycled" >&2
    psql_ -c "ALTER SYSTEM SET min_wal_size = '${WAL_MB}MB'" -c "SELECT pg_reload_conf()" > /dev/null
    psql_ -c "CREATE TABLE public.bench_wal AS SELECT g, repeat('x', 900) AS filler FROM generate_series(1, $WAL_MB * 1000) g" \
        -c "DROP TABLE public.bench_wal" -c "CHECKPOINT" -c "CHECKPOINT" > /dev/null
fi
# The warm-up runs as many connections as the fixed-rate rounds, flat out, so the services'
# PostgreSQL pools have grown to what those rounds can use before they start (with 8
# connections, conversations, agents and crm opened new sessions during the first round).
echo "== ingest: warm-up" >&2
run_wrk warmup 32 0 3 > /dev/null
echo "== ingest: fixed rate $RATE/s, $FIXED_ROUNDS rounds" >&2
# Evenly spaced requests at the rate (bench/lib/pace.lua), over more connections than the
# rate needs so that a slow answer does not hold up the next send ("late_sends" counts any).
# p50 and p99 are the medians over the rounds, as in bench/auth: a single 10 s round of a
# cluster a minute old is sometimes hit by the new database's first autovacuum passes (its
# catalogs and every small table analysed at once), and its p99 is then two to four times
# the next rounds'. Every round is kept in the JSON.
# The disk's flush latency now and at the end (bench/lib/fsync_probe.py, in the work folder:
# the file system of the bench's own PostgreSQL's data): every durable COMMIT waits for one, so a slow phase of this
# VM's disk shows in the JSON beside the latencies it explains.
DISK_BEFORE=$(python3 bench/lib/fsync_probe.py "$WORK" 2)
echo "disk flush before the rounds: $DISK_BEFORE" >&2
FIXED="["
WAL_BEFORE=$(psql_ -c "SELECT pg_current_wal_lsn()")
for round in $(seq 1 "$FIXED_ROUNDS"); do
    [ "$round" = 1 ] || FIXED+=","
    run=$(run_wrk "fixed$round" 32 "$RATE" "$SECONDS_EACH" 1000)
    echo "$run" >&2
    FIXED+=$run
done
FIXED+="]"
WAL_BYTES=$(psql_ -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$WAL_BEFORE')::bigint")
# pgbench's contacts (bench/ingest/ingest.sql): 1,000 with their open conversations already,
# as the webhook's had.
ORG=$(psql_ -c "SELECT organization_id FROM conversations.channels WHERE id = '$CHANNEL'")
psql_ -c "INSERT INTO conversations.conversations (organization_id, channel_id, contact_identifier, contact_name)
          SELECT '$ORG', '$CHANNEL', 'pgb' || g, 'Bench' FROM generate_series(0, 999) g" > /dev/null
drain
echo "== pgbench: the same transaction at $RATE/s" >&2
# The same transaction at the fixed rate, straight against PostgreSQL: the floor of the
# platform's p50/p99 at that rate on this machine. The latency of a paced transaction is
# counted from its scheduled start (pgbench -R: its own time plus the schedule lag), as a
# paced webhook's is counted from when it was due. The first second is left out: 16 new
# sessions each load the catalog and plan the statements then (p99 70-130 ms with it, 6 ms
# without, here), which the service's pooled sessions did long before.
PGOPTIONS="-c search_path=conversations" pgbench -n -M prepared -h "$PGHOST_DIR" -U postgres -c 16 -j 2 -T "$((SECONDS_EACH + 1))" \
    -R "$RATE" --log --log-prefix="$WORK/pgbench-rate" \
    -D channel="$CHANNEL" -D org="$ORG" -f bench/ingest/ingest.sql smarterchat > "$WORK/pgbench-rate.out" 2>&1 ||
    { cat "$WORK/pgbench-rate.out" >&2; exit 1; }
PGBENCH_AT_RATE=$(cat "$WORK"/pgbench-rate.[0-9]* | python3 -c '
import json, sys
rows = [[int(x) for x in l.split()] for l in sys.stdin if len(l.split()) >= 6]
first = min(r[4] * 1e6 + r[5] for r in rows)
latencies = sorted((r[2] + (r[6] if len(r) > 6 else 0)) / 1000 for r in rows if r[4] * 1e6 + r[5] - first >= 1e6)
pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 3)
print(json.dumps({"transactions": len(latencies), "p50_ms": pick(0.5), "p99_ms": pick(0.99)}))')
echo "pgbench at $RATE/s: $PGBENCH_AT_RATE" >&2
MAXES=()
for level in $LEVELS; do
    echo "== ingest: $level connections, as fast as they can" >&2
    run=$(run_wrk "max$level" "$level" 0 "$SECONDS_EACH")
    echo "$run" >&2
    MAXES+=("$run")
done

echo "== pgbench: the same transaction" >&2
drain
PGOPTIONS="-c search_path=conversations" pgbench -n -M prepared -h "$PGHOST_DIR" -U postgres -c 8 -j 2 -T "$SECONDS_EACH" \
    -D channel="$CHANNEL" -D org="$ORG" -f bench/ingest/ingest.sql smarterchat > "$WORK/pgbench.out" 2>&1 ||
    { cat "$WORK/pgbench.out" >&2; exit 1; }
PGBENCH_TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench.out" | tail -1)
echo "pgbench: $PGBENCH_TPS tps" >&2

echo "== list: $LIST_MESSAGES messages in the table" >&2
LIST="null"
if [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/conversations?limit=50")" = 200 ]; then
    # Bulk rows skip the per-row stats trigger (session_replication_role = replica).
    psql_ -c "SET session_replication_role = replica;
        INSERT INTO conversations.messages (conversation_id, sender_type, content, direction, created_at)
        SELECT c.id, 'contact', 'bulk message ' || g, 'inbound', CURRENT_TIMESTAMP - (g % 86400) * INTERVAL '1 second'
        FROM generate_series(1, $LIST_MESSAGES) g
        JOIN LATERAL (SELECT id FROM conversations.conversations WHERE channel_id = '$CHANNEL'
                      ORDER BY id OFFSET (g % 500) LIMIT 1) c ON TRUE;
        ANALYZE conversations.messages; ANALYZE conversations.conversations;" > /dev/null
    # Measured once the reply jobs of the ingest runs are done and the million rows just
    # written are vacuumed and checkpointed, as a table that grew to that size over months
    # would be: the target is about the table's size, not about a backlog, the first readers
    # setting hint bits on fresh rows or the checkpoint of a bulk load running beside it.
    psql_ -c "VACUUM (ANALYZE) conversations.messages" -c "CHECKPOINT" > /dev/null
    drain
    LIST=$(BENCH_TOKEN="$TOKEN" BENCH_RATE=100 BENCH_THREADS=2 wrk -t 2 -c 4 -d "${SECONDS_EACH}s" --latency -s bench/ingest/list.lua \
        "$BASE/api/v1/conversations?limit=50" | tail -1)
    echo "$LIST" >&2
    python3 bench/ingest/plans.py "$PGHOST_DIR" "$ORG" bench/out/ingest-plans.txt "$BASE" "$TOKEN" >&2
fi

DISK_AFTER=$(python3 bench/lib/fsync_probe.py "$WORK" 2)
echo "disk flush at the end: $DISK_AFTER" >&2

python3 - "$PGBENCH_TPS" "$FIXED" "$LIST" "$PGBENCH_AT_RATE" "$WAL_MB" "$WAL_BYTES" "$DISK_BEFORE" "$DISK_AFTER" \
    "${MAXES[@]}" <<'PY'
import json, sys
pgbench = float(sys.argv[1])
import statistics
fixed_rounds = json.loads(sys.argv[2])
median = lambda key: round(statistics.median(r[key] for r in fixed_rounds), 3)
fixed = {"p50_ms": median("p50_ms"), "p99_ms": median("p99_ms"), "rps": median("rps")}
listing = json.loads(sys.argv[3])
pgbench_at_rate = json.loads(sys.argv[4])
wal_mb, wal_bytes = int(sys.argv[5]), int(sys.argv[6])
disk = {"before_rounds": json.loads(sys.argv[7]), "at_end": json.loads(sys.argv[8])}
runs = [json.loads(a) for a in sys.argv[9:]]
clean = [r for r in runs if r["non_2xx"] == 0 and r["socket_errors"] == 0]
max_rate = max((r["rps"] for r in clean), default=0.0)
errors = sum(r["non_2xx"] + r["socket_errors"] for r in runs + fixed_rounds)
out = {
    "max_rate_msgs_s": max_rate,
    "pgbench_tps": pgbench,
    "ratio": round(max_rate / pgbench, 3) if pgbench else None,
    "p50_ms_at_500": fixed["p50_ms"],
    "p99_ms_at_500": fixed["p99_ms"],
    "errors": errors,
    "list_p99_ms": listing["p99_ms"] if listing else None,
    "runs": runs,
    "fixed_rate_run": fixed,
    "fixed_rate_rounds": fixed_rounds,
    "pgbench_at_rate": pgbench_at_rate,
    # WAL written during the fixed-rate rounds per request (the reply, relay and analytics
    # work those messages caused included), and the WAL prepared before the runs.
    "wal_bytes_per_message": round(wal_bytes / sum(r["requests"] for r in fixed_rounds)),
    "postgres": {"min_wal_size_mb": wal_mb or None, "wal_recycled_mb": wal_mb},
    # 8 KB write + fdatasync latency on the data folder's file system, 2 s each time.
    "disk_fdatasync": disk,
    "targets": {"ratio_min": 0.5, "p99_ms_at_500_max": 25, "list_p99_ms_max": 10},
}
json.dump(out, open("bench/out/ingest.json", "w"), indent=2)
print(json.dumps(out, indent=2))
PY
