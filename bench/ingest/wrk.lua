-- wrk script of bench/ingest/run.sh: POSTs the pre-signed WhatsApp callbacks of BENCH_FILE
-- (one `signature<TAB>body` per line, each wamid once: every request is a new message),
-- each thread its own slice; paces each connection by BENCH_DELAY_MS (0: as fast as it can)
-- and prints the run as one JSON line.
local file = os.getenv("BENCH_FILE")
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
local counter = 0

function setup(thread)
    thread:set("index", counter)
    counter = counter + 1
end

function init(args)
    lines = {}
    local n = 0
    for line in io.lines(file) do
        if n % threads == index then
            local tab = line:find("\t", 1, true)
            lines[#lines + 1] = { line:sub(1, tab - 1), line:sub(tab + 1) }
        end
        n = n + 1
    end
    position = 0
end

function request()
    position = position + 1
    local entry = lines[((position - 1) % #lines) + 1]
    return wrk.format("POST", nil, {
        ["Content-Type"] = "application/json",
        ["X-Hub-Signature-256"] = entry[1],
    }, entry[2])
end

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
