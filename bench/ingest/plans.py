#!/usr/bin/env python3
"""Writes the plans of the inbox's list query as the conversations service runs it.

The query text is read from Services/smarterchat-conversations/Store/InboxStore.swift (the
`columns` constant and the `list` query), so the plans shown are those of the code, not of a
copy. The service runs it as a prepared statement (Shared/Postgres/LibPQConnection.swift), so
it is prepared here too and run six times before EXPLAIN (ANALYZE, BUFFERS): from then on
PostgreSQL may use its generic plan, as the service's connections do. Two pages: the first
(no filter) and one with a status filter and a cursor.

Usage: plans.py PGHOST ORGANIZATION_ID OUT_FILE
"""
import re
import subprocess
import sys

HOST, ORGANIZATION, OUT = sys.argv[1:4]
SOURCE = "Services/smarterchat-conversations/Store/InboxStore.swift"

text = open(SOURCE).read()
columns = re.search(r'static let columns = """\n(.*?)\n\s*"""', text, re.S)
listing = re.search(r'static func list\(.*?unsafeSQL: """\n(.*?)\n\s*"""', text, re.S)
if not columns or not listing:
    sys.exit(f"bench/ingest/plans.py: the list query was not found in {SOURCE}")
query = listing.group(1).replace("\\(columns)", columns.group(1))
query = "\n".join(line for line in query.splitlines() if not line.strip().startswith("--"))

types = "uuid, text, text, uuid, bool, uuid, uuid, text, text, text, timestamptz, uuid, int"
first = f"'{ORGANIZATION}', NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 51"
filtered = (
    f"'{ORGANIZATION}', 'active', NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, "
    "CURRENT_TIMESTAMP - interval '1 hour', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 51"
)
script = [
    "SET ROLE smarterchat_conversations;",
    "SET search_path = conversations;",
    f"PREPARE list({types}) AS\n{query};",
]
for arguments in (first, filtered):
    script += [f"EXECUTE list({arguments});"] * 6
    script.append(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE list({arguments});")
result = subprocess.run(
    ["psql", "-X", "-q", "-h", HOST, "-U", "postgres", "-d", "smarterchat", "-v", "ON_ERROR_STOP=1"],
    input="\n".join(script), capture_output=True, text=True)
if result.returncode != 0:
    sys.exit(f"bench/ingest/plans.py: psql failed: {result.stderr[-2000:]}")
plans = [block for block in result.stdout.split("\n\n") if "QUERY PLAN" in block]
with open(OUT, "w") as handle:
    handle.write("-- GET /api/v1/conversations?limit=50, the list query of InboxStore.swift as a prepared\n")
    handle.write("-- statement after six executions; 1) first page, no filter; 2) status=active with a cursor.\n\n")
    handle.write("\n\n".join(plans) + "\n")
uses_index = "idx_conversations_org_activity" in result.stdout
print("plans written to", OUT, "(conversation index used)" if uses_index else "(WARNING: no index on conversations)")
