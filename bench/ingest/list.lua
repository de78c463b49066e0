-- wrk script of bench/ingest/run.sh: GET with the bearer token of BENCH_TOKEN, paced by
-- BENCH_DELAY_MS, the run printed as one JSON line.
local token = os.getenv("BENCH_TOKEN") or ""
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
wrk.headers["Authorization"] = "Bearer " .. token
if delay_ms > 0 then
    function delay()
        return delay_ms
    end
end
function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format(
        '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"socket_errors":%d,"non_2xx":%d}\n',
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        e.connect + e.read + e.write + e.timeout, e.status))
end
