#!/usr/bin/env python3
"""Writes the plans of the inbox's list query as the conversations service runs it.

The statements are taken from the running platform, not from a copy: statement logging is
turned on for two requests through the gateway (the first page with no filter; then
status=active with the cursor of that page), and the SQL text and parameters the service
sent are read back from PostgreSQL's log (`server.log` in the data folder, as
`smarterchatctl up` writes it). The service builds the statement from the filters a request
sets (InboxStore.listQuery) and runs it as a prepared statement
(Shared/Postgres/LibPQConnection.swift), so each is prepared here too and run six times
before EXPLAIN (ANALYZE, BUFFERS): from then on PostgreSQL may use its generic plan, as the
service's connections do.

Usage: plans.py PGHOST ORGANIZATION_ID OUT_FILE BASE_URL TOKEN
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HOST, ORGANIZATION, OUT, BASE, TOKEN = sys.argv[1:6]
LOG = os.path.join(HOST, "server.log")
MARK = "SELECT c.id, c.organization_id"


def psql(script):
    result = subprocess.run(
        ["psql", "-X", "-q", "-h", HOST, "-U", "postgres", "-d", "smarterchat", "-v", "ON_ERROR_STOP=1"],
        input=script, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"bench/ingest/plans.py: psql failed: {result.stderr[-2000:]}")
    return result.stdout


def get(query):
    request = urllib.request.Request(
        f"{BASE}/api/v1/conversations?{urllib.parse.urlencode(query)}", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


if not os.path.exists(LOG):
    sys.exit(f"bench/ingest/plans.py: no PostgreSQL log at {LOG}")
start = os.path.getsize(LOG)
psql("ALTER SYSTEM SET log_min_duration_statement = 0; SELECT pg_reload_conf();")
time.sleep(0.5)
try:
    first = get({"limit": 50})
    get({"limit": 50, "status": "active", "cursor": first.get("next_cursor", "")})
finally:
    time.sleep(0.5)
    psql("ALTER SYSTEM RESET log_min_duration_statement; SELECT pg_reload_conf();")

with open(LOG, encoding="utf-8", errors="replace") as handle:
    handle.seek(start)
    lines = handle.read().splitlines()
# A logged statement: "... LOG:  duration: N ms  execute NAME: SQL" and its continuation
# lines (indented), then "... DETAIL:  parameters: $1 = '...', $2 = NULL".
statements = []
for index, line in enumerate(lines):
    found = re.search(r"LOG:  duration: [0-9.]+ ms  execute [^:]+: (.*)$", line)
    if not found or not found.group(1).startswith(MARK):
        continue
    sql = [found.group(1)]
    rest = lines[index + 1:]
    while rest and rest[0].startswith("\t"):
        sql.append(rest.pop(0)[1:])
    detail = rest[0] if rest else ""
    parameters = re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", detail.split("parameters:", 1)[-1])
    arguments = ", ".join(value for _, value in sorted(parameters, key=lambda p: int(p[0])))
    if "\n".join(sql) not in [text for text, _ in statements]:
        statements.append(("\n".join(sql), arguments))
if len(statements) != 2:
    sys.exit(f"bench/ingest/plans.py: expected the two list statements in {LOG}, found {len(statements)}")

script = ["SET ROLE smarterchat_conversations;", "SET search_path = conversations;"]
for number, (sql, arguments) in enumerate(statements, 1):
    script.append(f"PREPARE list{number} AS\n{sql};")
    script += [f"EXECUTE list{number}({arguments});"] * 6
    script.append(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE list{number}({arguments});")
output = psql("\n".join(script))
plans = [block for block in output.split("\n\n") if "QUERY PLAN" in block]
with open(OUT, "w") as handle:
    handle.write("-- GET /api/v1/conversations?limit=50: the list statements the conversations service sent\n")
    handle.write("-- (from PostgreSQL's log), each prepared and run six times before EXPLAIN;\n")
    handle.write("-- 1) first page, no filter; 2) status=active with the first page's cursor.\n\n")
    for (sql, arguments), plan in zip(statements, plans):
        handle.write(f"-- {sql.replace(chr(10), chr(10) + '-- ')}\n-- parameters: {arguments}\n{plan}\n\n")
uses_index = output.count("idx_conversation_activity_org") >= 2
generic = all("$1" in plan for plan in plans)
print("plans written to", OUT,
      "(conversation index used" + (", generic plans)" if generic else ", custom plans)") if uses_index
      else "(WARNING: no index on conversations)")
