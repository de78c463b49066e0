#!/usr/bin/env python3
"""Times 8 KB writes each followed by fdatasync, for SECONDS, in a file under DIR, and prints
{"ops", "p50_us", "p99_us", "max_us"} as one JSON line: the disk's flush latency right now,
what every durable COMMIT waits for (bench/ingest records it before and after its runs, so a
slow phase of the machine's disk shows next to the latencies it explains).

usage: fsync_probe.py DIR [SECONDS]
"""
import json
import os
import sys
import tempfile
import time

folder, seconds = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
block = os.urandom(8192)
fd, path = tempfile.mkstemp(prefix="fsync-probe-", dir=folder)
try:
    latencies = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.perf_counter_ns()
        os.pwrite(fd, block, 0)
        os.fdatasync(fd)
        latencies.append((time.perf_counter_ns() - start) / 1000)
finally:
    os.close(fd)
    os.unlink(path)
latencies.sort()
pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1)
print(json.dumps({"ops": len(latencies), "p50_us": pick(0.5), "p99_us": pick(0.99), "max_us": round(latencies[-1], 1)}))
