#!/usr/bin/env bash
# `make test`, phase 4: schemathesis against docs/openapi.yaml and the real running platform.
#
# Starts `smarterchatctl up` on a private PostgreSQL, run directory and free port, logs the
# demo user in, and runs schemathesis with that bearer token so the authenticated routes are
# exercised past the authentication middleware. Checks: no 5xx, and every response's status
# code, content type and body conform to the document. Bounded: SCHEMATHESIS_MAX_EXAMPLES
# cases per operation (default 25) and SCHEMATHESIS_MAX_TIME seconds for the main run (default 75;
# about two minutes in all).
#
# Environment: SCHEMATHESIS_ARGS (extra `st run` arguments, e.g. --include-operation-id X),
# SCHEMATHESIS (the `st` executable, installed by `make schemathesis`),
# SMARTERCHAT_BIN_DIR (the built executables; default: `swift build --show-bin-path`).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ST=$(realpath "${SCHEMATHESIS:-.build/schemathesis-venv/bin/st}")
BIN=${SMARTERCHAT_BIN_DIR:-$(swift build --show-bin-path)}
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-25}
MAX_TIME=${SCHEMATHESIS_MAX_TIME:-75}
DEMO_EMAIL=demo@smarterchat.local
DEMO_PASSWORD=demo-password-2026

WORK=$(mktemp -d /tmp/smarterchat-schemathesis-XXXXXX)
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

fail() {
    echo "schemathesis: $1" >&2
    tail -40 "$WORK/up.log" >&2
    exit 1
}

# The demo organisation is created once identity serves, so the first logins may answer 401.
log_in() {
    curl -fs "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"$DEMO_EMAIL\",\"password\":\"$DEMO_PASSWORD\"}" 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens"]["access_token"])' 2>/dev/null
}
TOKEN=""
for _ in $(seq 1 1200); do
    kill -0 "$CTL" 2>/dev/null || fail "smarterchatctl up exited"
    if curl -fs "$BASE/healthz" > /dev/null 2>&1; then
        TOKEN=$(log_in) || true
        [ -n "$TOKEN" ] && break
    fi
    sleep 0.1
done
[ -n "$TOKEN" ] || fail "the platform did not become healthy with the demo user able to log in"
# Two more sessions now: the fuzzed logins below lock this address out (5 failures / 15 min).
SECOND=$(log_in) || fail "the demo user could not log in a second time"
THIRD=$(log_in) || fail "the demo user could not log in a third time"

# One schemathesis run with a bearer token; the remaining arguments select operations and time.
run_schemathesis() {
    local token=$1
    shift
    # From the temporary folder: schemathesis keeps a cache in ./.schemathesis. One worker:
    # with two, CPython 3.11 sometimes fails inside schemathesis itself ("AST constructor
    # recursion depth mismatch", a compile() race between threads), not in the API.
    (cd "$WORK" && "$ST" run "$ROOT/docs/openapi.yaml" \
        --url "$BASE/api/v1" \
        --header "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --phases examples,coverage,fuzzing \
        --max-examples "$MAX_EXAMPLES" \
        --workers 1 \
        --seed 2026 \
        --request-timeout 10 \
        --generation-database none \
        --no-color \
        "$@" ${SCHEMATHESIS_ARGS:-})
}

# Schemathesis reuses ids it has seen in responses, so revokeSession revokes the very session
# it runs with (the id is in GET /sessions) and logOut revokes the token: those two run last,
# each on a session of its own (after logOut's first success the rest of its cases see 401).
echo "== schemathesis $("$ST" --version | awk '{print $NF}') against $BASE/api/v1" >&2
# streamEvents is an endless Server-Sent Events response (covered by the integration tests).
run_schemathesis "$TOKEN" --exclude-operation-id logOut --exclude-operation-id revokeSession \
    --exclude-operation-id streamEvents --max-time "$MAX_TIME"

# Every operation above ran with this token: if something revoked it mid-run, the later
# operations only saw 401 and the run proved less than it claims.
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/me")
[ "$status" = 200 ] || fail "the demo user's token no longer works after the run (GET /me: $status)"

echo "== schemathesis: revokeSession, then logOut, each on a session of its own" >&2
run_schemathesis "$SECOND" --include-operation-id revokeSession --max-time 10
run_schemathesis "$THIRD" --include-operation-id logOut --max-time 10
