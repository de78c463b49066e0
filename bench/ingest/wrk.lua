-- wrk script of bench/ingest/run.sh: POSTs the pre-signed WhatsApp callbacks of BENCH_FILE
-- (one `signature<TAB>body` per line, each wamid once: every request is a new message),
-- each thread its own slice; keeps all threads together at BENCH_RATE requests per second
-- (bench/lib/pace.lua; 0 or unset: as fast as the connections can) and prints the run as
-- one JSON line. BENCH_THREADS is wrk's -t.
local file = os.getenv("BENCH_FILE")
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local pace = dofile(here .. "../lib/pace.lua")

setup = pace.setup

function init(args)
    if rate > 0 then
        delay = pace.delay(rate, threads, index)
    end
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

function done(summary, latency, requests)
    pace.report(summary, latency)
end
